#include "gst/mp4_file.hpp"
#include "gst/ts_file.hpp"

#include <dvbcss/gst/init.hpp>
#include <dvbcss/gst/media_pipeline.hpp>
#include <dvbcss/media/pts_scanner.hpp>
#include <dvbcss/media/segment.hpp>
#include <dvbcss/media/temi_timelines.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <sys/resource.h>
#include <unistd.h>

namespace dvbcss::gst {

const char* to_string(container_kind k) noexcept {
    switch (k) {
    case container_kind::mpeg_ts:
        return "mpeg_ts";
    case container_kind::mp4:
        return "mp4";
    case container_kind::other:
        return "other";
    case container_kind::unknown:
        break;
    }
    return "unknown";
}

const char* to_string(media_event_kind k) noexcept {
    switch (k) {
    case media_event_kind::playing:
        return "playing";
    case media_event_kind::paused:
        return "paused";
    case media_event_kind::seek_done:
        return "seek_done";
    case media_event_kind::rate_changed:
        return "rate_changed";
    case media_event_kind::latency_changed:
        return "latency_changed";
    case media_event_kind::looped:
        return "looped";
    case media_event_kind::end_of_stream:
        return "end_of_stream";
    case media_event_kind::timelines_known:
        return "timelines_known";
    case media_event_kind::timelines_updated:
        return "timelines_updated";
    case media_event_kind::error:
        break;
    }
    return "error";
}

namespace {

template <class T>
struct g_deleter {
    void operator()(T* p) const noexcept { g_free(p); }
};

using g_string = std::unique_ptr<gchar, g_deleter<gchar>>;

struct error_deleter {
    void operator()(GError* e) const noexcept { g_error_free(e); }
};

using g_error = std::unique_ptr<GError, error_deleter>;

struct object_deleter {
    void operator()(gpointer p) const noexcept { gst_object_unref(p); }
};
template <class T>
using gst_ptr = std::unique_ptr<T, object_deleter>;

std::string path_part(const std::string& uri) {
    const auto slash = uri.find_last_of('/');
    return slash == std::string::npos ? uri : uri.substr(slash + 1);
}

media::segment from_gst(const GstSegment& s) {
    media::segment out;
    out.rate = s.rate;
    out.applied_rate = s.applied_rate;
    out.start = static_cast<std::int64_t>(s.start);
    if (GST_CLOCK_TIME_IS_VALID(s.stop)) {
        out.stop = static_cast<std::int64_t>(s.stop);
    }
    out.time = GST_CLOCK_TIME_IS_VALID(s.time) ? static_cast<std::int64_t>(s.time) : 0;
    out.base = static_cast<std::int64_t>(s.base);
    out.offset = static_cast<std::int64_t>(s.offset);
    return out;
}

/// The PID in a tsdemux source pad's name ("audio_0_0041" -> 0x41), if any.
std::optional<std::uint16_t> pid_of_pad(const std::string& name) {
    const auto underscore = name.find_last_of('_');
    if (underscore == std::string::npos || underscore + 1 >= name.size()) {
        return std::nullopt;
    }
    char* end = nullptr;
    const auto hex = name.substr(underscore + 1);
    const auto v = std::strtoul(hex.c_str(), &end, 16);
    if (end == hex.c_str() || *end != '\0' || v > 0x1FFF) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
}

/// When a bus message was handed to the owner.
struct posted {
    std::uint64_t number = 0;                // in posting order
    std::array<std::uint64_t, 2> arrivals{}; // sink_seen::arrivals of each (0 audio, 1 video)
};

/// The state shared with GStreamer's streaming threads (pad probes, the bus sync handler).
struct shared : std::enable_shared_from_this<shared> {
    std::mutex m;

    // One per rendering sink bin: 0 audio, 1 video.
    struct sink_seen {
        std::optional<GstSegment> segment;
        std::optional<std::int64_t> last_end_ns; // end of the last buffer that reached it
        // Instant rate changes since that segment: the running time each took effect at and
        // its multiplier of the segment's rate.
        std::vector<std::pair<std::int64_t, double>> instant_rates;
        bool buffer_since_segment = false; // a buffer has reached it since that segment
        std::uint64_t arrivals = 0;        // time segments and ends of stream that have reached it
    };

    std::array<sink_seen, 2> sinks;
    container_kind container = container_kind::unknown;
    media::pts_scanner scanner;
    media::temi_timeline_finder temi; // what the scanner saw (media not read as a local file)
    bool scanning = true;

    struct first_output {
        std::int64_t position_ns;
        bool audio;
    };

    std::map<std::uint16_t, first_output> first_outputs; // PID -> first buffer out of tsdemux
    std::int64_t drift_tolerance_us = 1000;
    std::int64_t discont_wait_ns = 20'000'000;

    // For the running time at which an instant rate change takes effect (set before the
    // pipeline runs; both outlive every streaming thread).
    GstElement* pipeline = nullptr;
    GstClock* clock = nullptr;

    // Owner side (the bus sync handler posts here).
    boost::asio::any_io_executor owner;
    // (message, when it was posted) set on the owner; called on the owner
    std::function<void(GstMessage*, const posted&)> on_message;
    std::atomic<std::uint64_t> messages_posted{0}; // bus messages handed to the owner so far
    std::function<void(int)> on_instant_rate;      // (sink index) set and called on the owner

    // An instant rate change is on its way and the pipeline has not yet answered the sink's
    // request for it (GST_MESSAGE_INSTANT_RATE_REQUEST, forwarded to the bus once answered). A
    // flushing seek meanwhile can deadlock GStreamer 1.22: the demuxer's thread, posting the
    // request, waits for the pipeline while the seek waits for the demuxer.
    std::atomic<bool> instant_request_outstanding{false};
};

/// The audio sink settings of `media_pipeline_options` on `e`, if it is an audio sink.
void configure_audio_sink(GstElement* e, std::int64_t drift_tolerance_us,
                          std::int64_t discont_wait_ns) {
    if (GST_IS_AUDIO_BASE_SINK(e)) {
        g_object_set(e, "drift-tolerance", static_cast<gint64>(drift_tolerance_us), "discont-wait",
                     static_cast<guint64>(discont_wait_ns), nullptr);
    }
}

GstPadProbeReturn on_ts_input(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* s = static_cast<shared*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    std::lock_guard lock(s->m);
    if (!s->scanning || buffer == nullptr) {
        return GST_PAD_PROBE_REMOVE;
    }
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        s->temi.add_all(s->scanner.feed(std::span<const std::uint8_t>(map.data, map.size)),
                        s->scanner);
        gst_buffer_unmap(buffer, &map);
    }
    // Enough once every stream has given its first buffer and far enough in any case.
    if (s->scanner.packets() > 200'000) {
        s->scanning = false;
        return GST_PAD_PROBE_REMOVE;
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn on_ts_output(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto* s = static_cast<shared*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (buffer == nullptr || !GST_BUFFER_PTS_IS_VALID(buffer)) {
        return GST_PAD_PROBE_OK;
    }
    const g_string name(gst_pad_get_name(pad));
    const auto pid = pid_of_pad(name ? name.get() : "");
    if (pid) {
        std::lock_guard lock(s->m);
        s->first_outputs.emplace(
            *pid, shared::first_output{static_cast<std::int64_t>(GST_BUFFER_PTS(buffer)),
                                       std::string(name.get()).rfind("audio", 0) == 0});
    }
    return GST_PAD_PROBE_REMOVE;
}

void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
    if (GST_PAD_IS_SRC(pad)) {
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_ts_output, data, nullptr);
    }
}

void on_deep_element_added(GstBin*, GstBin*, GstElement* element, gpointer data) {
    auto* s = static_cast<shared*>(data);
    GstElementFactory* factory = gst_element_get_factory(element);
    const std::string kind = factory ? GST_OBJECT_NAME(factory) : "";
    std::int64_t tolerance = 0;
    std::int64_t discont_wait = 0;
    {
        std::lock_guard lock(s->m);
        tolerance = s->drift_tolerance_us;
        discont_wait = s->discont_wait_ns;
        if (kind == "tsdemux") {
            s->container = container_kind::mpeg_ts;
        } else if (kind == "qtdemux") {
            s->container = container_kind::mp4;
        } else if (s->container == container_kind::unknown && factory &&
                   gst_element_factory_list_is_type(factory, GST_ELEMENT_FACTORY_TYPE_DEMUXER)) {
            s->container = container_kind::other;
        }
    }
    if (kind == "tsdemux") {
        const gst_ptr<GstPad> sink(gst_element_get_static_pad(element, "sink"));
        if (sink) {
            gst_pad_add_probe(sink.get(), GST_PAD_PROBE_TYPE_BUFFER, on_ts_input, s, nullptr);
        }
        g_signal_connect(element, "pad-added", G_CALLBACK(on_pad_added), s);
    }
    configure_audio_sink(element, tolerance, discont_wait);
}

GstPadProbeReturn on_sink_pad(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* seen = static_cast<std::pair<shared*, int>*>(data);
    auto* s = seen->first;
    auto& sink = s->sinks.at(static_cast<std::size_t>(seen->second));
    if ((GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        if (buffer != nullptr && GST_BUFFER_PTS_IS_VALID(buffer)) {
            auto end = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
            if (GST_BUFFER_DURATION_IS_VALID(buffer)) {
                end += static_cast<std::int64_t>(GST_BUFFER_DURATION(buffer));
            }
            std::lock_guard lock(s->m);
            sink.last_end_ns = end;
            sink.buffer_since_segment = true;
        }
        return GST_PAD_PROBE_OK;
    }
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (event != nullptr && GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
        const GstSegment* segment = nullptr;
        gst_event_parse_segment(event, &segment);
        if (segment != nullptr && segment->format == GST_FORMAT_TIME) {
            std::lock_guard lock(s->m);
            sink.segment = *segment;
            ++sink.arrivals;
            sink.instant_rates.clear();
            sink.buffer_since_segment = false;
        }
    } else if (event != nullptr && GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
        std::lock_guard lock(s->m);
        ++sink.arrivals; // a seek past the end: no segment reaches the sink, its end of stream does
    } else if (event != nullptr && GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
        std::lock_guard lock(s->m);
        sink.last_end_ns.reset();
        sink.instant_rates.clear();
        sink.buffer_since_segment = false;
    } else if (event != nullptr && GST_EVENT_TYPE(event) == GST_EVENT_INSTANT_RATE_CHANGE) {
        // Playing, the sink applies the change from the running time at which the pipeline
        // answers its request, which it does at once, right after this event reaches the sink:
        // now. The event is sticky and comes again before later buffers: only a new multiplier
        // counts. GStreamer 1.22 may also send it again after a flushing seek that follows the
        // change closely (around the new segment, before its first buffer): it then applies from
        // the new segment's beginning (and `handle` asks for the rate again).
        gdouble multiplier = 1.0;
        GstSegmentFlags flags{};
        gst_event_parse_instant_rate_change(event, &multiplier, &flags);
        const auto now = static_cast<std::int64_t>(gst_clock_get_time(s->clock)) -
                         static_cast<std::int64_t>(gst_element_get_base_time(s->pipeline));
        bool changed = false;
        {
            std::lock_guard lock(s->m);
            const auto running =
                sink.buffer_since_segment ? now : std::numeric_limits<std::int64_t>::min();
            const double current =
                sink.instant_rates.empty() ? 1.0 : sink.instant_rates.back().second;
            if (multiplier != current) {
                sink.instant_rates.emplace_back(running, multiplier);
                changed = true;
            }
        }
        if (changed) {
            boost::asio::post(s->owner, [w = s->weak_from_this(), index = seen->second] {
                if (auto alive = w.lock(); alive && alive->on_instant_rate) {
                    alive->on_instant_rate(index);
                }
            });
        }
    }
    return GST_PAD_PROBE_OK;
}

/// Hands `message` (a reference this call takes over) to the owner, numbered in posting order.
void post_to_owner(const std::shared_ptr<shared>& s, GstMessage* message) {
    posted when;
    when.number = s->messages_posted++;
    {
        std::lock_guard lock(s->m);
        when.arrivals = {s->sinks[0].arrivals, s->sinks[1].arrivals};
    }
    boost::asio::post(s->owner, [w = std::weak_ptr<shared>(s), message, when] {
        if (auto alive = w.lock(); alive && alive->on_message) {
            alive->on_message(message, when);
        }
        gst_message_unref(message);
    });
}

GstBusSyncReply on_bus(GstBus*, GstMessage* message, gpointer data) {
    auto* weak = static_cast<std::weak_ptr<shared>*>(data);
    if (auto s = weak->lock()) {
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_INSTANT_RATE_REQUEST) {
            s->instant_request_outstanding = false; // the pipeline has answered it
        }
        post_to_owner(s, gst_message_ref(message));
    }
    return GST_BUS_DROP;
}

/// "element: message" for an error message.
std::string describe_error(GstMessage* message) {
    GError* raw = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message, &raw, &debug);
    const g_error error(raw);
    const g_string debug_text(debug);
    const g_string source(message->src ? gst_object_get_name(message->src) : nullptr);
    return std::string(source ? source.get() : "pipeline") + ": " +
           (error ? error->message : "unknown error");
}

/// A missing-plugin element message, described ("decoder for audio/mpeg, mpegversion=(int)4").
std::optional<std::string> missing_plugin(GstMessage* message) {
    const GstStructure* st = gst_message_get_structure(message);
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || st == nullptr ||
        !gst_structure_has_name(st, "missing-plugin")) {
        return std::nullopt;
    }
    const gchar* name = gst_structure_get_string(st, "name");
    const gchar* type = gst_structure_get_string(st, "type");
    std::string detail;
    if (const GValue* v = gst_structure_get_value(st, "detail")) {
        if (G_VALUE_HOLDS_STRING(v)) {
            detail = g_value_get_string(v);
        } else if (GST_VALUE_HOLDS_CAPS(v)) {
            const g_string caps(gst_caps_to_string(gst_value_get_caps(v)));
            detail = caps ? caps.get() : "";
        }
    }
    if (name != nullptr) {
        return std::string(name) + (detail.empty() ? "" : " (" + detail + ")");
    }
    return std::string(type ? type : "element") + " for " + detail;
}

class pipeline_impl final : public media_pipeline {
public:
    pipeline_impl(const media_pipeline_options& options, boost::asio::any_io_executor owner,
                  event_handler on_event)
        : options_(options)
        , on_event_(std::move(on_event))
        , shared_(std::make_shared<shared>()) {
        shared_->owner = std::move(owner);
        shared_->drift_tolerance_us = (options.audio_drift_tolerance_ns + 500) / 1000;
        shared_->discont_wait_ns = std::max<std::int64_t>(0, options.audio_discont_wait_ns);
        audio_seen_ = {shared_.get(), 0};
        video_seen_ = {shared_.get(), 1};
    }

    ~pipeline_impl() override {
        temi_reader_.request_stop();
        if (temi_reader_.joinable()) {
            temi_reader_.join(); // it posts to the owner: not once this object is going
        }
        if (pipeline_ != nullptr) {
            gst_element_set_state(pipeline_, GST_STATE_NULL);
            if (bus_) {
                gst_bus_set_sync_handler(bus_.get(), nullptr, nullptr, nullptr);
            }
            gst_object_unref(pipeline_);
        }
        if (clock_ != nullptr) {
            gst_object_unref(clock_);
        }
        shared_->on_message = nullptr;
    }

    void build() {
        ensure_initialized();
        uri_ = options_.uri;
        if (uri_.find("://") == std::string::npos) {
            if (!g_file_test(uri_.c_str(), G_FILE_TEST_EXISTS)) {
                throw media_error(media_failure::not_found, uri_ + ": no such file");
            }
            GError* raw = nullptr;
            const g_string converted(gst_filename_to_uri(uri_.c_str(), &raw));
            const g_error error(raw);
            if (!converted) {
                throw media_error(media_failure::not_found,
                                  uri_ + ": " + (error ? error->message : "not a file name"));
            }
            local_path_ = options_.uri;
            uri_ = converted.get();
        } else if (uri_.rfind("file://", 0) == 0) {
            const g_string path(g_filename_from_uri(uri_.c_str(), nullptr, nullptr));
            if (path) {
                local_path_ = path.get();
                if (!g_file_test(path.get(), G_FILE_TEST_EXISTS)) {
                    throw media_error(media_failure::not_found, local_path_ + ": no such file");
                }
            }
        }
        pipeline_ = gst_element_factory_make("playbin", nullptr);
        if (pipeline_ == nullptr) {
            throw media_error(media_failure::missing_plugin,
                              "GStreamer element playbin not found: install "
                              "gstreamer1.0-plugins-base");
        }
        gst_object_ref_sink(pipeline_);
        g_object_set(pipeline_, "uri", uri_.c_str(), nullptr);
        g_signal_connect(pipeline_, "deep-element-added", G_CALLBACK(on_deep_element_added),
                         shared_.get());
        audio_bin_ = make_sink(options_.audio_sink, "autoaudiosink", "audio");
        g_object_set(pipeline_, "audio-sink", audio_bin_, nullptr);
        // Without a display autovideosink may pick a sink that crashes (DirectFB): a fakesink.
        const bool display =
            std::getenv("DISPLAY") != nullptr || std::getenv("WAYLAND_DISPLAY") != nullptr;
        video_bin_ = make_sink(options_.video_sink,
                               display ? "autovideosink" : "fakesink sync=true", "video");
        g_object_set(pipeline_, "video-sink", video_bin_, nullptr);
        watch_sink(audio_bin_, &audio_seen_);
        watch_sink(video_bin_, &video_seen_);
        if (options_.clock != nullptr) {
            clock_ = GST_CLOCK(gst_object_ref(options_.clock));
        } else {
            clock_ = gst_system_clock_obtain(); // GST_CLOCK_TYPE_MONOTONIC by default
        }
        gst_pipeline_use_clock(GST_PIPELINE(pipeline_), clock_);
        shared_->pipeline = pipeline_;
        shared_->clock = clock_;
        if (options_.manage_base_time) {
            gst_element_set_start_time(pipeline_, GST_CLOCK_TIME_NONE);
        }
        bus_.reset(gst_element_get_bus(pipeline_));
        preroll();
        // From here on, every message goes to the owner.
        shared_->on_message = [this](GstMessage* m, const posted& when) {
            handle(m, when);
        };
        shared_->on_instant_rate = [this](int sink) {
            // Each sink sees the change: one event, once the sink whose segment `state` reads
            // has it.
            // A seek asked for since (its segment replaces this one) reports for both.
            if (static_cast<std::size_t>(sink) == rendering_sink() &&
                std::exchange(instant_rate_pending_, false) && seeking_ == seek_kind::none) {
                emit(media_event_kind::rate_changed, "instant");
            }
        };
        gst_bus_set_sync_handler(bus_.get(), on_bus, new std::weak_ptr<shared>(shared_),
                                 [](gpointer p) { delete static_cast<std::weak_ptr<shared>*>(p); });
        while (GstMessage* m = gst_bus_pop(bus_.get())) {
            post_to_owner(shared_, m);
        }
        find_timelines();
        query_latency();
        post_event(media_event{media_event_kind::timelines_known, {}});
    }

    void play() override {
        eos_ = false;
        gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    }

    void pause() override {
        if (options_.manage_base_time && settled_in(GST_STATE_PLAYING)) {
            // GStreamer keeps no start time when the application manages the base time: note
            // the running time the pause stops at, for the paused position.
            paused_running_ns_ = static_cast<std::int64_t>(gst_clock_get_time(clock_)) -
                                 static_cast<std::int64_t>(gst_element_get_base_time(pipeline_));
        }
        gst_element_set_state(pipeline_, GST_STATE_PAUSED);
    }

    bool seek(std::int64_t position_ns, bool accurate, std::optional<double> rate) override {
        if (rate && !(*rate > 0)) {
            return false;
        }
        if (!do_seek(std::max<std::int64_t>(position_ns, 0), rate.value_or(rate_), accurate,
                     seek_kind::user)) {
            return false;
        }
        rate_ = rate.value_or(rate_);
        return true;
    }

    bool set_rate(double rate) override {
        if (!(rate > 0)) {
            return false;
        }
        if (seeking_ != seek_kind::none && seek_target_) {
            // A seek is under way: the same seek at the new rate (to its target, not to the
            // position the pipeline shows while it flushes).
            if (!do_seek(*seek_target_, rate, true, seeking_)) {
                return false;
            }
            rate_ = rate;
            return true;
        }
        if (rate == rate_ && rate == state().seg.effective_rate()) {
            post_event(media_event{media_event_kind::rate_changed, "unchanged"});
            return true;
        }
        // Playing: an instant rate change (no flush, no pause in the output) where GStreamer
        // allows it (1.18+, a demuxer that supports it); else a flushing seek.
        if (settled_in(GST_STATE_PLAYING) && seeking_ == seek_kind::none && !eos_ &&
            instant_rate_seek(rate)) {
            rate_ = rate;
            instant_rate_pending_ = true;
            return true;
        }
        const auto now = current_position();
        if (!do_seek(now.value_or(0), rate, true, seek_kind::rate)) {
            return false;
        }
        rate_ = rate;
        return true;
    }

    void set_base_time(std::int64_t base_time_ns) override {
        gst_element_set_base_time(pipeline_, static_cast<GstClockTime>(base_time_ns));
    }

    [[nodiscard]] media::playback_state state() const override {
        media::playback_state st;
        std::optional<GstSegment> segment;
        std::optional<std::int64_t> last_end;
        std::vector<std::pair<std::int64_t, double>> instant;
        {
            std::lock_guard lock(shared_->m);
            const auto& seen = shared_->sinks.at(rendering_sink());
            segment = seen.segment;
            last_end = seen.last_end_ns;
            instant = seen.instant_rates;
        }
        if (!segment) {
            return st;
        }
        st.seg = from_gst(*segment);
        const double upstream_rate = st.seg.rate;
        for (const auto& [running, multiplier] : instant) {
            if (auto after =
                    media::after_instant_rate_change(st.seg, running, upstream_rate * multiplier)) {
                st.seg = *after;
            }
        }
        st.base_time_ns = static_cast<std::int64_t>(gst_element_get_base_time(pipeline_));
        st.latency_ns = latency_ns_;
        st.playing = settled_in(GST_STATE_PLAYING) && !eos_;
        if (!st.playing) {
            if (eos_) {
                st.paused_position_ns = last_end;
            } else {
                // Shown while paused: what the running time at the pause had reached at the
                // sink (start time minus latency), not before the segment's beginning.
                const auto start = gst_element_get_start_time(pipeline_);
                std::int64_t running = st.seg.base;
                if (GST_CLOCK_TIME_IS_VALID(start)) {
                    running = std::max(running, static_cast<std::int64_t>(start) - st.latency_ns);
                } else if (paused_running_ns_) {
                    running = std::max(running, *paused_running_ns_ - st.latency_ns);
                }
                st.paused_position_ns = media::position_from_running_time(st.seg, running);
            }
        }
        return st;
    }

    [[nodiscard]] std::vector<media::timeline_mapping> timelines() const override {
        return timelines_;
    }

    [[nodiscard]] bool timelines_complete() const override { return !background_read_; }

    [[nodiscard]] std::vector<std::string> timeline_notes() const override {
        auto notes = temi_notes_;
        if (!temi_reading_note_.empty()) {
            notes.push_back(temi_reading_note_);
        }
        return notes;
    }

    [[nodiscard]] container_kind container() const override {
        std::lock_guard lock(shared_->m);
        return shared_->container;
    }

    [[nodiscard]] std::optional<std::int64_t> position_ns() const override {
        if (seeking_ != seek_kind::none && seek_target_) {
            return seek_target_; // where a seek under way goes (the pipeline shows 0 meanwhile)
        }
        gint64 p = 0;
        if (gst_element_query_position(pipeline_, GST_FORMAT_TIME, &p) && p >= 0) {
            return p;
        }
        return std::nullopt;
    }

    [[nodiscard]] std::optional<std::int64_t> duration_ns() const override {
        gint64 d = 0;
        if (gst_element_query_duration(pipeline_, GST_FORMAT_TIME, &d) && d >= 0) {
            return d;
        }
        return std::nullopt;
    }

    [[nodiscard]] const std::string& uri() const override { return uri_; }

    [[nodiscard]] GstClock* clock() const override { return clock_; }

    [[nodiscard]] GstElement* native() const override { return pipeline_; }

private:
    enum class seek_kind {
        none,
        user,
        rate,
        loop
    };

    GstElement* make_sink(const std::string& description, const char* automatic, const char* what) {
        const std::string text = description.empty()     ? std::string(automatic)
                                 : description == "none" ? std::string("fakesink sync=true")
                                                         : description;
        GError* raw = nullptr;
        GstElement* bin = gst_parse_bin_from_description(text.c_str(), TRUE, &raw);
        const g_error error(raw);
        if (error) {
            if (bin != nullptr) {
                gst_object_unref(bin);
            }
            const bool missing =
                error->domain == GST_PARSE_ERROR && error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT;
            throw media_error(missing ? media_failure::missing_plugin : media_failure::cannot_play,
                              std::string(what) + " sink \"" + text + "\": " + error->message);
        }
        if (bin == nullptr) {
            throw media_error(media_failure::cannot_play,
                              std::string(what) + " sink \"" + text + "\" does not parse");
        }
        // Audio sinks inside the description: drift tolerance and discont wait now
        // (deep-element-added also covers sinks an automatic sink creates later).
        GstIterator* it = gst_bin_iterate_recurse(GST_BIN(bin));
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
            configure_audio_sink(GST_ELEMENT(g_value_get_object(&item)),
                                 shared_->drift_tolerance_us, shared_->discont_wait_ns);
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(it);
        return bin;
    }

    void watch_sink(GstElement* bin, std::pair<shared*, int>* seen) {
        const gst_ptr<GstPad> pad(gst_element_get_static_pad(bin, "sink"));
        if (pad) {
            gst_pad_add_probe(pad.get(),
                              static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                           GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                                           GST_PAD_PROBE_TYPE_EVENT_FLUSH),
                              on_sink_pad, seen, nullptr);
        }
    }

    void preroll() {
        const auto change = gst_element_set_state(pipeline_, GST_STATE_PAUSED);
        const auto name = path_part(uri_);
        std::vector<std::string> missing;
        if (change == GST_STATE_CHANGE_SUCCESS || change == GST_STATE_CHANGE_NO_PREROLL) {
            return;
        }
        const gint64 deadline = g_get_monotonic_time() + options_.preroll_timeout_ns / 1000;
        for (;;) {
            if (deadline <= g_get_monotonic_time()) {
                throw media_error(media_failure::timeout,
                                  name + ": did not start within " +
                                      std::to_string(options_.preroll_timeout_ns / 1'000'000) +
                                      " ms");
            }
            const auto m = pop_before(
                deadline, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_ASYNC_DONE |
                                                      GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS));
            if (!m) {
                continue;
            }
            if (const auto what = missing_plugin(m.get())) {
                missing.push_back(*what);
                continue;
            }
            switch (GST_MESSAGE_TYPE(m.get())) {
            case GST_MESSAGE_ASYNC_DONE:
                if (GST_MESSAGE_SRC(m.get()) == GST_OBJECT(pipeline_)) {
                    return;
                }
                break;
            case GST_MESSAGE_EOS:
                return; // an empty stream: prerolled on nothing
            case GST_MESSAGE_ERROR: {
                GError* raw_error = nullptr;
                gst_message_parse_error(m.get(), &raw_error, nullptr);
                const g_error error(raw_error);
                if (!missing.empty()) {
                    throw media_error(media_failure::missing_plugin,
                                      name + ": missing GStreamer plugin: " + missing.front() +
                                          " (scripts/install-deps.sh installs the plugin "
                                          "packages)");
                }
                if (error && error->domain == GST_CORE_ERROR &&
                    error->code == GST_CORE_ERROR_MISSING_PLUGIN) {
                    // The element message naming the plugin comes from another streaming
                    // thread and can reach the bus just after the error.
                    const auto late = late_missing_plugin(200'000'000);
                    throw media_error(media_failure::missing_plugin,
                                      name + ": missing GStreamer plugin: " +
                                          (late ? *late : std::string(error->message)));
                }
                if (error && error->domain == GST_RESOURCE_ERROR &&
                    (error->code == GST_RESOURCE_ERROR_NOT_FOUND ||
                     error->code == GST_RESOURCE_ERROR_OPEN_READ)) {
                    throw media_error(media_failure::not_found, name + ": " + error->message);
                }
                throw media_error(media_failure::cannot_play,
                                  name + ": cannot be played: " + describe_error(m.get()));
            }
            default:
                break;
            }
        }
    }

    using message_ptr = std::unique_ptr<GstMessage, decltype(&gst_message_unref)>;

    /// The next bus message of `types` popped before `deadline_us` (g_get_monotonic_time), or
    /// null once the deadline has passed.
    message_ptr pop_before(gint64 deadline_us, GstMessageType types) {
        const gint64 left_us = deadline_us - g_get_monotonic_time();
        GstMessage* raw = left_us <= 0
                              ? nullptr
                              : gst_bus_timed_pop_filtered(
                                    bus_.get(), static_cast<GstClockTime>(left_us) * 1000, types);
        return message_ptr(raw, gst_message_unref);
    }

    /// The first missing-plugin message on the bus within `wait_ns`, described.
    std::optional<std::string> late_missing_plugin(std::int64_t wait_ns) {
        const gint64 deadline = g_get_monotonic_time() + wait_ns / 1000;
        while (const auto m = pop_before(deadline, GST_MESSAGE_ELEMENT)) {
            if (auto what = missing_plugin(m.get())) {
                return what;
            }
        }
        return std::nullopt;
    }

    void find_timelines() {
        const auto kind = container();
        if (kind == container_kind::mpeg_ts) {
            std::unique_lock lock(shared_->m);
            // The PID the first output buffer came from, audio preferred; its first PES PTS.
            std::optional<std::pair<std::uint16_t, shared::first_output>> chosen;
            for (const auto& [pid, out] : shared_->first_outputs) {
                if (!shared_->scanner.first_pts(pid)) {
                    continue;
                }
                if (!chosen || (out.audio && !chosen->second.audio)) {
                    chosen = std::make_pair(pid, out);
                }
            }
            if (chosen) {
                timelines_.push_back(media::pts_timeline(*shared_->scanner.first_pts(chosen->first),
                                                         chosen->second.position_ns));
            }
            const auto seen_so_far = shared_->temi;
            lock.unlock(); // a local file is read without holding up the streaming threads
            if (local_path_.empty()) {
                add_temi_timelines(seen_so_far);
            } else {
                auto reader = std::make_unique<ts_temi_reader>(local_path_);
                const bool whole = reader->read_more(ts_temi_scan_bytes);
                add_temi_timelines(reader->timelines());
                if (!whole) {
                    read_rest_of_file(std::move(reader));
                }
            }
        } else if (kind == container_kind::mp4 && !local_path_.empty()) {
            const auto tracks = read_mp4_tracks(local_path_);
            const media::mp4_track* chosen = nullptr;
            for (const auto& t : tracks) {
                if (chosen == nullptr || (t.handler == "soun" && chosen->handler != "soun")) {
                    chosen = &t;
                }
            }
            if (chosen != nullptr) {
                timelines_.push_back(media::ct_timeline(chosen->timescale, chosen->origin_ct,
                                                        chosen->origin_position_ns));
            }
        }
    }

    /// What the TEMI timelines `found` give: the mappings that can be served, placed on the PTS
    /// timeline (the first of `timelines_`), and a note for each that cannot, or that jumps or
    /// departs from what can be served.
    struct temi_result {
        std::vector<media::timeline_mapping> mappings;
        std::vector<std::string> notes;
    };

    [[nodiscard]] temi_result temi_timelines_from(const media::temi_timeline_finder& found) const {
        temi_result r;
        // Timelines whose descriptors never agree (often made up by damaged packets): one note.
        std::vector<std::string> unconfirmed;
        for (const auto& seen : found.timelines()) {
            if (!seen.confirmed()) {
                unconfirmed.push_back(std::to_string(seen.timeline_id) + " on PID " +
                                      std::to_string(seen.pid));
            }
        }
        if (!unconfirmed.empty()) {
            std::string list;
            for (std::size_t i = 0; i < unconfirmed.size() && i < 4; ++i) {
                list += (i == 0 ? "" : ", ") + unconfirmed[i];
            }
            r.notes.push_back(std::to_string(unconfirmed.size()) + " TEMI timeline" +
                              (unconfirmed.size() == 1 ? "" : "s") + " (" + list +
                              (unconfirmed.size() > 4 ? ", ..." : "") +
                              ") not served: no two descriptors in a row agree on a running line "
                              "(damaged packets, a timeline paused throughout, or too few "
                              "descriptors in what was read)");
        }
        for (const auto& seen : found.timelines()) {
            if (!seen.confirmed()) {
                continue;
            }
            const auto where = "TEMI timeline " + std::to_string(seen.timeline_id) + " on PID " +
                               std::to_string(seen.pid);
            if (timelines_.empty()) {
                r.notes.push_back(where + ": not served (no PTS timeline to place it on)");
                continue;
            }
            const auto& pts = timelines_.front();
            // Positions played: up to the duration (a day if unknown); a loop starts again.
            const auto last = duration_ns().value_or(std::int64_t{86'400} * 1'000'000'000);
            if (const auto problem = media::temi_timeline_problem(seen, pts, last)) {
                r.notes.push_back(where + ": " + *problem);
                continue;
            }
            const auto mapping = media::temi_timeline(seen, pts);
            if (!mapping) {
                continue; // not reached: the problem above covers it
            }
            if (mapping->selector == pts.selector ||
                std::any_of(r.mappings.begin(), r.mappings.end(),
                            [&](const auto& t) { return t.selector == mapping->selector; })) {
                r.notes.push_back(where + ": not served (" + mapping->selector +
                                  " is already carried by another PID)");
                continue;
            }
            const auto seconds_at = [&](std::int64_t pts_value) {
                char text[32];
                std::snprintf(text, sizeof text, "%.3f",
                              static_cast<double>(media::position_of_pts(pts, pts_value)) / 1e9);
                return std::string(text);
            };
            if (!seen.jumps.empty()) {
                std::string list;
                for (std::size_t i = 0; i < seen.jumps.size() && i < 4; ++i) {
                    list += (i == 0 ? "" : ", ") + seconds_at(seen.jumps[i].pts) + " s (to " +
                            std::to_string(seen.jumps[i].media_timestamp) + " ticks)";
                }
                r.notes.push_back(
                    mapping->selector + ": jumps " + std::to_string(seen.jumps.size()) +
                    (seen.jumps.size() == 1 ? " time" : " times") + " within the media, at " +
                    list + (seen.jumps.size() > 4 ? ", ..." : "") + "; served line by line");
            }
            if (seen.departs_at_pts) {
                r.notes.push_back(mapping->selector + ": departs from what can be served at " +
                                  seconds_at(*seen.departs_at_pts) + " s of the media" +
                                  " (a pause, a new timescale or too many jumps); served as its "
                                  "last line from there");
            }
            r.mappings.push_back(*mapping);
        }
        return r;
    }

    /// Serves the TEMI timelines `found` gives, before serving begins.
    void add_temi_timelines(const media::temi_timeline_finder& found) {
        auto r = temi_timelines_from(found);
        timelines_.insert(timelines_.end(), r.mappings.begin(), r.mappings.end());
        temi_notes_ = std::move(r.notes);
    }

    /// Reads the rest of a local file on a thread of its own, handing what it finds to the owner
    /// every `temi_report_bytes` and at the end (`refresh_temi_timelines`).
    void read_rest_of_file(std::unique_ptr<ts_temi_reader> reader) {
        temi_reading_note_ = "TEMI timelines were looked for in the first " +
                             std::to_string(ts_temi_scan_bytes >> 20) +
                             " MiB of the file before serving; the rest is read in the "
                             "background (jumps and timelines found there are served from then "
                             "on)";
        background_read_ = true;
        temi_reader_ = std::jthread([this, reader = std::move(reader),
                                     w = std::weak_ptr<shared>(shared_)](std::stop_token stop) {
            // Background work: below playback, the servers and the wall clock.
            static_cast<void>(::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10));
            std::size_t reported = reader->bytes_read();
            while (!stop.stop_requested()) {
                const bool ended = reader->read_more(temi_read_bytes);
                const auto mib = reader->bytes_read() >> 20;
                if (!ended && reader->bytes_read() - reported < temi_report_bytes) {
                    continue;
                }
                reported = reader->bytes_read();
                const auto alive = w.lock();
                if (!alive) {
                    return;
                }
                boost::asio::post(alive->owner, [this, w, found = reader->timelines(), ended, mib] {
                    if (auto still = w.lock(); still && still->on_message) {
                        refresh_temi_timelines(found, ended, mib);
                    }
                });
                if (ended) {
                    return;
                }
            }
        });
    }

    static constexpr std::size_t temi_read_bytes = std::size_t{1} << 20; // a stop waits for one
    static constexpr std::size_t temi_report_bytes = std::size_t{256} << 20;

    /// On the owner: what the background read found so far. A served TEMI timeline whose jumps
    /// changed is served with them from now on, and a timeline first found there is added to
    /// the list (`timelines_updated`, its message the new notes).
    void refresh_temi_timelines(const media::temi_timeline_finder& found, bool ended,
                                std::size_t mib) {
        auto r = temi_timelines_from(found);
        std::vector<std::string> told;
        bool changed = false;
        for (const auto& m : r.mappings) {
            const auto served =
                std::find_if(timelines_.begin(), timelines_.end(),
                             [&](const auto& t) { return t.selector == m.selector; });
            if (served == timelines_.end()) {
                timelines_.push_back(m);
                changed = true;
                told.push_back(m.selector + ": found by the background read of the file (" +
                               std::to_string(mib) + " MiB read); served from now on");
            } else if (!(*served == m)) {
                *served = m;
                changed = true;
            }
        }
        for (const auto& note : r.notes) {
            if (std::find(temi_notes_.begin(), temi_notes_.end(), note) == temi_notes_.end()) {
                told.push_back(note);
            }
        }
        temi_notes_ = std::move(r.notes);
        if (ended) {
            temi_reading_note_.clear();
            background_read_ = false;
            changed = true; // `timelines_complete` changed
            told.push_back("TEMI timelines: the whole file read (" + std::to_string(mib) + " MiB)");
        }
        if (!changed && told.empty()) {
            return;
        }
        std::string message;
        for (const auto& line : told) {
            message += (message.empty() ? "" : "\n") + line;
        }
        emit(media_event_kind::timelines_updated, message);
    }

    /// Time segments and ends of stream that have reached the sink whose segment `state` reads.
    [[nodiscard]] std::uint64_t arrivals_at_rendering_sink() const {
        const auto index = rendering_sink();
        std::lock_guard lock(shared_->m);
        return shared_->sinks.at(index).arrivals;
    }

    [[nodiscard]] std::size_t rendering_sink() const {
        gint audio = 0;
        g_object_get(pipeline_, "n-audio", &audio, nullptr);
        return audio > 0 ? 0 : 1;
    }

    std::optional<std::int64_t> current_position() const {
        const auto st = state();
        if (!st.playing) {
            return st.paused_position_ns;
        }
        // Position rendered now: running time now minus latency.
        const auto now = static_cast<std::int64_t>(gst_clock_get_time(clock_));
        return media::position_from_running_time(
            st.seg, std::max(st.seg.base, now - st.base_time_ns - st.latency_ns));
    }

    /// The pipeline is in `state` with no state change pending (does not wait).
    [[nodiscard]] bool settled_in(GstState state) const {
        GstState current = GST_STATE_VOID_PENDING;
        GstState pending = GST_STATE_VOID_PENDING;
        gst_element_get_state(pipeline_, &current, &pending, 0);
        return current == state && pending == GST_STATE_VOID_PENDING;
    }

    bool instant_rate_seek(double rate) {
        last_instant_rate_change_ = std::chrono::steady_clock::now();
        shared_->instant_request_outstanding = true;
        const bool ok =
            gst_element_seek(pipeline_, rate, GST_FORMAT_TIME, GST_SEEK_FLAG_INSTANT_RATE_CHANGE,
                             GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE, GST_SEEK_TYPE_NONE,
                             GST_CLOCK_TIME_NONE) != 0;
        if (!ok) {
            shared_->instant_request_outstanding = false;
        }
        return ok;
    }

    /// Waits until the pipeline has answered an instant rate change's request (at most
    /// `instant_request_wait`; see shared::instant_request_outstanding). Blocks the owner only
    /// right after a rate change, for as long as GStreamer's threads take to answer.
    void wait_for_instant_rate_request() const {
        const auto until = std::chrono::steady_clock::now() + instant_request_wait;
        while (shared_->instant_request_outstanding && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        const auto settled = last_instant_rate_change_ + instant_rate_settle;
        if (std::chrono::steady_clock::now() < settled) {
            std::this_thread::sleep_until(settled);
        }
    }

    static constexpr std::chrono::milliseconds instant_request_wait{250};
    static constexpr std::chrono::milliseconds instant_rate_settle{50};

    bool do_seek(std::int64_t position_ns, double rate, bool accurate, seek_kind kind) {
        wait_for_instant_rate_request();
        if (const auto d = duration_ns()) {
            position_ns = std::min(position_ns, *d);
        }
        const auto flags = static_cast<GstSeekFlags>(
            GST_SEEK_FLAG_FLUSH | (accurate ? GST_SEEK_FLAG_ACCURATE : GST_SEEK_FLAG_KEY_UNIT));
        const auto messages_at = shared_->messages_posted.load();
        const auto arrivals_at = arrivals_at_rendering_sink();
        const bool ok = gst_element_seek(pipeline_, rate, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET,
                                         static_cast<gint64>(position_ns), GST_SEEK_TYPE_NONE,
                                         GST_CLOCK_TIME_NONE) != 0;
        if (ok) {
            seeking_ = kind;
            seek_target_ = position_ns;
            messages_at_seek_ = messages_at;
            arrivals_at_seek_ = arrivals_at;
            eos_ = false;
            paused_running_ns_.reset(); // a flushing seek starts running time again
        }
        return ok;
    }

    void query_latency() {
        GstQuery* q = gst_query_new_latency();
        std::int64_t latency = 0;
        if (gst_element_query(pipeline_, q)) {
            gboolean live = FALSE;
            GstClockTime min = 0;
            GstClockTime max = 0;
            gst_query_parse_latency(q, &live, &min, &max);
            if (live && GST_CLOCK_TIME_IS_VALID(min)) {
                latency = static_cast<std::int64_t>(min);
            }
        }
        gst_query_unref(q);
        const auto configured = gst_pipeline_get_latency(GST_PIPELINE(pipeline_));
        if (GST_CLOCK_TIME_IS_VALID(configured)) {
            latency = static_cast<std::int64_t>(configured);
        }
        latency_ns_ = latency;
    }

    void post_event(media_event e) {
        boost::asio::post(shared_->owner,
                          [w = std::weak_ptr<shared>(shared_), this, e = std::move(e)] {
                              if (auto alive = w.lock(); alive && alive->on_message && on_event_) {
                                  on_event_(e);
                              }
                          });
    }

    void emit(media_event_kind kind, std::string message = {}) {
        if (on_event_) {
            on_event_(media_event{kind, std::move(message)});
        }
    }

    // On the owner.
    void handle(GstMessage* m, const posted& when) {
        const bool from_pipeline = GST_MESSAGE_SRC(m) == GST_OBJECT(pipeline_);
        switch (GST_MESSAGE_TYPE(m)) {
        case GST_MESSAGE_STATE_CHANGED: {
            if (!from_pipeline) {
                return;
            }
            GstState old_state = GST_STATE_VOID_PENDING;
            GstState new_state = GST_STATE_VOID_PENDING;
            GstState pending = GST_STATE_VOID_PENDING;
            gst_message_parse_state_changed(m, &old_state, &new_state, &pending);
            if (new_state == GST_STATE_PLAYING) {
                emit(media_event_kind::playing);
            } else if (new_state == GST_STATE_PAUSED && old_state == GST_STATE_PLAYING &&
                       seeking_ == seek_kind::none) {
                emit(media_event_kind::paused);
            }
            return;
        }
        case GST_MESSAGE_ASYNC_DONE: {
            if (!from_pipeline) {
                return;
            }
            // An ASYNC_DONE posted before the seek was asked for (a pause's, still on its way
            // to the owner) is not the seek's; nor is one posted before the seek's segment
            // reached the sink (a pause from PLAYING on a file with video can complete after
            // the seek was asked, ahead of the flush's loss of state): the seek's own follows.
            if (seeking_ != seek_kind::none &&
                (when.number < messages_at_seek_ ||
                 when.arrivals.at(rendering_sink()) == arrivals_at_seek_)) {
                query_latency();
                return;
            }
            const auto kind = std::exchange(seeking_, seek_kind::none);
            query_latency();
            // A stale instant rate change sent again after the flush (see on_sink_pad): the
            // sink plays at another rate than asked. Once, the same seek again at the rate asked.
            if (kind != seek_kind::none && !std::exchange(reseeking_, true) &&
                std::fabs(state().seg.effective_rate() - rate_) > 1e-9 * rate_) {
                if (const auto at = current_position(); at && do_seek(*at, rate_, true, kind)) {
                    return;
                }
            }
            reseeking_ = false;
            if (kind == seek_kind::user) {
                emit(media_event_kind::seek_done);
            } else if (kind == seek_kind::rate) {
                emit(media_event_kind::rate_changed, "seek");
            } else if (kind == seek_kind::loop) {
                emit(media_event_kind::looped);
            }
            return;
        }
        case GST_MESSAGE_LATENCY: {
            gst_bin_recalculate_latency(GST_BIN(pipeline_));
            const auto before = latency_ns_;
            query_latency();
            if (latency_ns_ != before) {
                emit(media_event_kind::latency_changed);
            }
            return;
        }
        case GST_MESSAGE_EOS:
            if (options_.loop && do_seek(0, rate_, true, seek_kind::loop)) {
                return;
            }
            eos_ = true;
            emit(media_event_kind::end_of_stream);
            return;
        case GST_MESSAGE_ERROR:
            eos_ = true;
            gst_element_set_state(pipeline_, GST_STATE_PAUSED);
            emit(media_event_kind::error, path_part(uri_) + ": " + describe_error(m));
            return;
        default:
            return;
        }
    }

    media_pipeline_options options_;
    event_handler on_event_;
    std::shared_ptr<shared> shared_;
    std::pair<shared*, int> audio_seen_;
    std::pair<shared*, int> video_seen_;
    std::string uri_;
    std::string local_path_;
    GstElement* pipeline_ = nullptr;
    GstElement* audio_bin_ = nullptr;
    GstElement* video_bin_ = nullptr;
    GstClock* clock_ = nullptr;
    /// With `manage_base_time`: the running time (ns) at the last pause from PLAYING, until
    /// the next flushing seek.
    std::optional<std::int64_t> paused_running_ns_;
    gst_ptr<GstBus> bus_;
    std::vector<media::timeline_mapping> timelines_;
    std::vector<std::string> temi_notes_; ///< What the TEMI timelines read so far give.
    std::string temi_reading_note_;       ///< Said while the background read goes on.
    bool background_read_ = false;        ///< The rest of the file is being read.
    std::int64_t latency_ns_ = 0;
    double rate_ = 1.0;
    seek_kind seeking_ = seek_kind::none;
    bool instant_rate_pending_ = false;       ///< An instant rate change asked for, not yet seen.
    bool reseeking_ = false;                  ///< A seek repeated because a stale rate came back.
    std::uint64_t messages_at_seek_ = 0;      ///< Bus messages posted before the seek was asked.
    std::uint64_t arrivals_at_seek_ = 0;      ///< Arrivals at the rendering sink then.
    std::optional<std::int64_t> seek_target_; ///< Where the seek under way goes (stream time).
    std::chrono::steady_clock::time_point last_instant_rate_change_{};
    bool eos_ = false;
    /// Reads the rest of a local file for TEMI timelines (destroyed first; joined in the
    /// destructor before anything it posts could reach a dying object).
    std::jthread temi_reader_;
};

} // namespace

std::unique_ptr<media_pipeline> media_pipeline::create(const media_pipeline_options& options,
                                                       boost::asio::any_io_executor owner,
                                                       event_handler on_event) {
    auto p = std::make_unique<pipeline_impl>(options, std::move(owner), std::move(on_event));
    p->build();
    return p;
}

} // namespace dvbcss::gst
