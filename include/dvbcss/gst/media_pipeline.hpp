#pragma once
/// A GStreamer pipeline that plays one file or URI and reports its timing as the sans-I/O media
/// area understands it (`media::playback_state`, `media::timeline_mapping`): the TV side of
/// tv-device --media, and the player a companion (ts-client --play) steers.
///
/// The pipeline is a `playbin` with the sinks the options describe. Its bus is read through a
/// sync handler that posts each message to the owner executor: no GLib main loop is needed, and
/// every event is delivered on the owner (the thread or executor that owns the protocol cores).
/// The timing is read from the pipeline itself: the segment event seen at the rendering sink's
/// pad, `gst_element_get_base_time`, the latency query (docs/media.md, "TV side").
#include <dvbcss/media/playback_state.hpp>
#include <dvbcss/media/timeline_mapping.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using GstElement = struct _GstElement;
using GstClock = struct _GstClock;

namespace dvbcss::gst {

/// What to play and how.
struct media_pipeline_options {
    /// A local path (relative or absolute) or a URI (file://, http://, ...).
    std::string uri;
    /// GStreamer bin descriptions, as `gst-play-1.0 --audiosink` takes them (e.g.
    /// "pulsesink device=x", "audioconvert ! fakesink sync=true"). Empty: autoaudiosink /
    /// autovideosink (for video, a fakesink when neither DISPLAY nor WAYLAND_DISPLAY is set).
    /// "none": a fakesink (sync=true) that renders nothing.
    std::string audio_sink;
    std::string video_sink;
    /// Seek back to the start at end of stream (event `looped`), forever.
    bool loop = false;
    /// Set on every audio sink (GstAudioBaseSink "drift-tolerance", µs) found in the sink bins,
    /// in ns; rounded to µs. Default 1 ms (GStreamer's own default is 40 ms).
    std::int64_t audio_drift_tolerance_ns = 1'000'000;
    /// Set on every audio sink ("discont-wait", ns): how long the sink waits before it realigns
    /// to timestamps that moved by more than its alignment threshold (40 ms). Default 20 ms
    /// (GStreamer's is 1 s): after an instant rate change the samples the sink already holds
    /// are placed for the old rate, and the output then stays off for that long.
    std::int64_t audio_discont_wait_ns = 20'000'000;
    /// The pipeline clock to use (a companion's wall clock estimate). nullptr: the system
    /// monotonic clock (GstSystemClock, CLOCK_MONOTONIC, the TV's wall clock). A reference is
    /// taken.
    GstClock* clock = nullptr;
    /// true: the pipeline's start time is GST_CLOCK_TIME_NONE and the owner sets the base time
    /// (`set_base_time`); false: GStreamer chooses the base time on each PAUSED->PLAYING.
    bool manage_base_time = false;
    /// Maximum time `create` waits for the pipeline to preroll (ns).
    std::int64_t preroll_timeout_ns = 10'000'000'000;
};

/// The container the media came in, as far as the pipeline's demuxer tells.
enum class container_kind {
    unknown,
    mpeg_ts,
    mp4,
    other
};

/// "mpeg_ts", "mp4", "other", "unknown".
[[nodiscard]] const char* to_string(container_kind k) noexcept;

/// Why a pipeline cannot be made or cannot go on.
enum class media_failure {
    not_found,      ///< The file does not exist or cannot be opened.
    cannot_play,    ///< Not media, an unknown format, or a sink description that does not parse.
    missing_plugin, ///< A codec, demuxer or element is not installed (named in the message).
    timeout,        ///< Did not preroll in time.
    runtime,        ///< An error message from the pipeline while playing.
};

/// Thrown by `media_pipeline::create`; `what()` is one clear line (e.g. "clicks.ts: no decoder
/// for audio/x-ac3: install gstreamer1.0-libav").
class media_error : public std::runtime_error {
public:
    media_error(media_failure why, const std::string& message)
        : std::runtime_error(message)
        , why_(why) {}

    [[nodiscard]] media_failure why() const noexcept { return why_; }

private:
    media_failure why_;
};

/// What happened to the pipeline. Delivered on the owner executor, in the order GStreamer
/// posted the underlying messages.
enum class media_event_kind {
    playing,      ///< Reached PLAYING (base time known).
    paused,       ///< Reached PAUSED (after pause(), or prerolled after a seek while paused).
    seek_done,    ///< A seek (or rate change by seek) completed: new segment at the sink.
    rate_changed, ///< A rate change reached the sink (`message`: "instant", "seek" or "unchanged").
    latency_changed, ///< The pipeline latency was recomputed and differs from before.
    looped,          ///< End of stream with `loop`: playback continues from the start.
    end_of_stream,   ///< End of stream without `loop`: the last frame stays on screen (paused).
    timelines_known, ///< `timelines()` has its content (after preroll).
    /// What the background read of a local file found changed `timelines()` (TEMI jumps of a
    /// served timeline, or a TEMI timeline first found there, appended) or ended
    /// (`timelines_complete()`); `message`: the new notes, one per line, if any.
    timelines_updated,
    error, ///< An error from the pipeline (`message` says which); playback stopped.
};

/// "playing", "paused", "seek_done", ...
[[nodiscard]] const char* to_string(media_event_kind k) noexcept;

struct media_event {
    media_event_kind kind = media_event_kind::playing;
    /// For `error`: one line naming the element and the problem; for `rate_changed`: how the
    /// rate was changed ("instant", "seek", or "unchanged" when it already was that rate).
    std::string message;
};

/// One playing file. Created prerolled (PAUSED), so that duration, container and timelines are
/// known when `create` returns.
///
/// Thread safety: every member function must be called on the owner executor (the one given to
/// `create`); events arrive there too. The object may be destroyed on the owner at any time;
/// events already posted for it are then dropped.
class media_pipeline {
public:
    using event_handler = std::function<void(const media_event&)>;

    /// Builds the pipeline and prerolls it (blocks the caller until prerolled, at most
    /// `options.preroll_timeout_ns`). Throws `media_error` with a clear one-line message (missing
    /// file, cannot be played, missing codec or plugin named). Initialises GStreamer if needed.
    [[nodiscard]] static std::unique_ptr<media_pipeline>
    create(const media_pipeline_options& options, boost::asio::any_io_executor owner,
           event_handler on_event);

    virtual ~media_pipeline() = default;
    media_pipeline(const media_pipeline&) = delete;
    media_pipeline& operator=(const media_pipeline&) = delete;

    /// Asks for PLAYING (asynchronous; `playing` event when reached).
    virtual void play() = 0;
    /// Asks for PAUSED (asynchronous; `paused` event when reached).
    virtual void pause() = 0;
    /// Flushing seek to `position_ns` (stream time, clamped to [0, duration]); `accurate`: to
    /// that exact position, else to the nearest key unit. At `rate` (> 0) if given, else at the
    /// current rate. `seek_done` event when the new segment reaches the sink. Returns false if
    /// GStreamer refused it (or `rate` is not > 0).
    virtual bool seek(std::int64_t position_ns, bool accurate = true,
                      std::optional<double> rate = std::nullopt) = 0;
    /// Changes the playback rate to `rate` (> 0). While playing, by an instant rate change
    /// (`GST_SEEK_FLAG_INSTANT_RATE_CHANGE`: no flush, the output carries on at the new rate
    /// from the moment the sink gets it; `state()` then gives the segment the sink plays by);
    /// else, or where the demuxer refuses it, by a flushing seek from the current position.
    /// While a seek is under way, that seek again at the new rate. `rate_changed` event when the
    /// sink has the new rate (`seek_done` instead when a seek was under way). Returns false if
    /// refused.
    virtual bool set_rate(double rate) = 0;
    /// Only with `manage_base_time`: the clock time at running time 0.
    virtual void set_base_time(std::int64_t base_time_ns) = 0;

    /// The timing now: segment seen at the rendering sink (audio if any, else video), base
    /// time, latency, playing or paused and the position shown while paused. Before preroll:
    /// default values.
    [[nodiscard]] virtual media::playback_state state() const = 0;
    /// The timelines the media carries, known after preroll: PTS for MPEG-TS (the stream's own
    /// PES PTS, recovered before the demuxer) and its TEMI timelines (media/temi_timelines.hpp:
    /// those whose descriptors start in a local file's first 16 MiB, or that came before
    /// preroll otherwise; a line from the first descriptor and one from each jump), CT for MP4
    /// (the track's mdhd timescale). Empty when the media carries none of these; PTS or CT
    /// first. The rest of a longer local file is read in the background: jumps found there are
    /// added to the timelines already served, and TEMI timelines first found there are appended
    /// to the list (`timelines_updated`); the list never shrinks and keeps its order.
    [[nodiscard]] virtual std::vector<media::timeline_mapping> timelines() const = 0;
    /// False while the background read of a local file is under way (`timelines()` may still
    /// grow); true once the whole file is read, or when nothing is read in the background.
    [[nodiscard]] virtual bool timelines_complete() const = 0;
    /// One line for each timeline the media carries that `timelines()` leaves out or gives
    /// otherwise than the stream does (a TEMI timeline without a component tag, one that
    /// jumps or pauses), known after preroll and updated as the background read goes on.
    [[nodiscard]] virtual std::vector<std::string> timeline_notes() const = 0;
    [[nodiscard]] virtual container_kind container() const = 0;
    /// The position (stream time, ns) rendered now, as GStreamer's position query answers it
    /// (for relative seeks and display; not evidence of sync), if known; while a seek is under
    /// way, its target.
    [[nodiscard]] virtual std::optional<std::int64_t> position_ns() const = 0;
    /// Duration (ns), if known.
    [[nodiscard]] virtual std::optional<std::int64_t> duration_ns() const = 0;
    /// The URI playing (a path turned into a file:// URI).
    [[nodiscard]] virtual const std::string& uri() const = 0;
    /// The pipeline clock.
    [[nodiscard]] virtual GstClock* clock() const = 0;
    /// The playbin element (owned by this object).
    [[nodiscard]] virtual GstElement* native() const = 0;

protected:
    media_pipeline() = default;
};

} // namespace dvbcss::gst
