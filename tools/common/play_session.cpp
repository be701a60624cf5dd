#include "common/play_session.hpp"

#include <dvbcss/net/log.hpp>

#include <cstdio>

#ifdef DVBCSS_HAVE_MEDIA
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/gst/follower.hpp>
#include <dvbcss/gst/media_pipeline.hpp>
#include <dvbcss/gst/wall_clock_gst_clock.hpp>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#endif

namespace dvbcss::tools {

#ifdef DVBCSS_HAVE_MEDIA
namespace {

/// How long the TV's position may stay outside the file before the run fails (a TV playing the
/// same file stays within it).
constexpr std::chrono::seconds different_file_after{5};

std::string ms_or_null(const std::optional<std::int64_t>& ns) {
    if (!ns) {
        return "null";
    }
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(*ns) / 1e6);
    return buffer;
}

void print_event(const std::string& name, const std::string& extra) {
    std::printf("{\"event\":\"%s\",\"monotonic_ns\":%lld%s}\n", name.c_str(),
                static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                extra.c_str());
    std::fflush(stdout);
}

class gst_play_session final : public play_session {
public:
    gst_play_session(boost::asio::io_context& io, clock::clock_base& wall_clock,
                     const play_options& o)
        : io_(io)
        , wall_(wall_clock)
        , o_(o)
        , mismatch_(io) {}

    ~gst_play_session() override { stop(); }

    std::optional<std::string> check(const std::string& selector) override {
        try {
            const auto p = gst::media_pipeline::create(pipeline_options(), io_.get_executor(), {});
            // A timeline the background read of the file may still find is no problem yet.
            return p->timelines_complete() ? timeline_problem(*p, selector) : std::nullopt;
        } catch (const gst::media_error& e) {
            return std::string(e.what());
        }
    }

    std::optional<std::string> start(const std::string& selector) override {
        if (pipeline_) {
            return std::nullopt;
        }
        try {
            clock_ = std::make_unique<gst::wall_clock_gst_clock>(wall_, io_.get_executor());
            pipeline_ = gst::media_pipeline::create(
                gst::follower::pipeline_options(pipeline_options(), *clock_), io_.get_executor(),
                [this](const gst::media_event& e) { on_media_event(e); });
            if (auto problem = timeline_problem(*pipeline_, selector)) {
                if (pipeline_->timelines_complete()) {
                    return problem;
                }
                // Not in the part of the file read before playing: the rest is being read.
                waiting_for_ = selector;
                net::log::write(net::log::level::warning, "ts-client",
                                "the TV's timeline " + selector + " is not in the part of " +
                                    pipeline_->uri() +
                                    " read so far; waiting for the background read of the rest");
                return std::nullopt;
            }
            follow(selector);
        } catch (const gst::media_error& e) {
            return std::string(e.what());
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::nullopt;
    }

    [[nodiscard]] bool started() const override { return pipeline_ != nullptr; }

    void on_control_timestamp(const ts::control_timestamp& ct) override {
        if (latest_ && *latest_ == ct) {
            return; // the TV repeated itself
        }
        latest_ = ct;
        if (follower_) {
            follower_->on_control_timestamp(ct);
        }
    }

    [[nodiscard]] std::string json_fields() const override {
        if (!follower_) {
            return ",\"offset_ms\":null,\"clock_offset_ms\":null,\"player_playing\":null";
        }
        const auto m = follower_->measure();
        const auto st = pipeline_->state();
        return ",\"offset_ms\":" + ms_or_null(m.offset_ns) +
               ",\"clock_offset_ms\":" + ms_or_null(m.clock_offset_ns) +
               ",\"player_playing\":" + (st.playing ? "true" : "false") +
               ",\"player_seeks\":" + std::to_string(follower_->seeks());
    }

    [[nodiscard]] std::string text_status() const override {
        if (!follower_) {
            return waiting_for_.empty() ? "   Player: waiting for the wall clock"
                                        : "   Player: waiting for the file's timeline";
        }
        const auto m = follower_->measure();
        return "   Player offset = " +
               (m.offset_ns ? ms_or_null(m.offset_ns) + " ms" : std::string("----"));
    }

    void stop() override {
        mismatch_.cancel();
        follower_.reset();
        if (pipeline_) {
            pipeline_->pause();
        }
        pipeline_.reset();
        clock_.reset();
    }

private:
    [[nodiscard]] gst::media_pipeline_options pipeline_options() const {
        gst::media_pipeline_options p;
        p.uri = o_.uri;
        p.audio_sink = o_.audio_sink;
        p.video_sink = o_.video_sink;
        if (p.video_sink.empty() && std::getenv("DISPLAY") == nullptr &&
            std::getenv("WAYLAND_DISPLAY") == nullptr) {
            // No display: autovideosink would try DirectFB or KMS, which crash or take a console.
            p.video_sink = "none";
        }
        return p;
    }

    static std::optional<std::string> timeline_problem(const gst::media_pipeline& p,
                                                       const std::string& selector) {
        if (selector.empty()) {
            return std::nullopt;
        }
        std::string carried;
        for (const auto& t : p.timelines()) {
            if (t.selector == selector) {
                return std::nullopt;
            }
            carried += (carried.empty() ? "" : ", ") + t.selector;
        }
        return "the TV's timeline " + selector + " is not carried by " + p.uri() + " (it carries " +
               (carried.empty() ? std::string("none") : carried) + ")";
    }

    /// The follower of `selector` (a timeline the pipeline carries) takes over the player.
    /// Throws std::invalid_argument as gst::follower does.
    void follow(const std::string& selector) {
        gst::follower_options fo;
        fo.selector = selector;
        fo.render_delay_ns = static_cast<std::int64_t>(std::llround(o_.render_delay_ms * 1e6));
        follower_ = std::make_unique<gst::follower>(
            *pipeline_, *clock_, io_.get_executor(), fo,
            [this](const gst::follower_report& r) { on_report(r); });
        waiting_for_.clear();
        if (o_.json && !o_.quiet) {
            print_event("player_started", ",\"uri\":" + nlohmann::json(pipeline_->uri()).dump() +
                                              ",\"container\":\"" +
                                              gst::to_string(pipeline_->container()) + "\"");
        } else if (!o_.quiet) {
            net::log::write(net::log::level::info, "ts-client",
                            "playing " + pipeline_->uri() + " in step with the TV");
        }
        if (latest_) {
            follower_->on_control_timestamp(*latest_);
        }
    }

    /// Waiting for the background read to find the TV's timeline: follows once it is found,
    /// fails once the whole file has been read without it.
    void on_timelines_updated() {
        const auto problem = timeline_problem(*pipeline_, waiting_for_);
        if (!problem) {
            try {
                follow(waiting_for_);
            } catch (const std::invalid_argument& e) {
                if (on_failure_) {
                    on_failure_(e.what());
                }
            }
        } else if (pipeline_->timelines_complete() && on_failure_) {
            on_failure_(*problem);
        }
    }

    void on_media_event(const gst::media_event& e) {
        if (e.kind == gst::media_event_kind::error) {
            if (on_failure_) {
                on_failure_(e.message);
            }
            return;
        }
        if (follower_) {
            follower_->on_media_event(e);
        } else if (e.kind == gst::media_event_kind::timelines_updated && !waiting_for_.empty()) {
            on_timelines_updated();
        }
    }

    /// A TV that stays outside the file plays another one: the run fails then. A TV playing
    /// towards the file's start is on its way, not elsewhere: it is given more time.
    void arm_mismatch() {
        mismatch_.expires_after(different_file_after);
        mismatch_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || !outside_ || !on_failure_) {
                return; // cancelled (back inside, or stopped) before touching anything
            }
            if (last_should_ns_ && *last_should_ns_ < 0 && latest_ &&
                latest_->timeline_speed_multiplier > 0) {
                arm_mismatch();
                return;
            }
            on_failure_("the TV's position (" + ms_or_null(last_should_ns_) +
                        " ms) has stayed outside " + pipeline_->uri() + " for " +
                        std::to_string(different_file_after.count()) +
                        " s: the TV plays a different file");
        });
    }

    void on_report(const gst::follower_report& r) {
        if (r.plan.should_position_ns) {
            last_should_ns_ = r.plan.should_position_ns;
        }
        if (r.plan.outside_media != outside_) {
            outside_ = r.plan.outside_media;
            if (outside_) {
                const auto position = ms_or_null(r.plan.should_position_ns);
                const std::string why = "the TV's position (" + position + " ms) is outside " +
                                        pipeline_->uri() + ": is it a different file? Paused";
                if (o_.json && !o_.quiet) {
                    print_event("media_mismatch", ",\"should_position_ms\":" + position);
                }
                net::log::write(net::log::level::warning, "ts-client", why);
                arm_mismatch();
            } else {
                mismatch_.cancel();
            }
        }
        if (r.plan.action == media::follow_action::nothing || o_.quiet) {
            return;
        }
        if (o_.json) {
            std::string extra = ",\"action\":\"" + std::string(media::to_string(r.plan.action)) +
                                "\",\"trigger\":\"" + r.trigger +
                                "\",\"offset_ms\":" + ms_or_null(r.offset_ns) +
                                ",\"clock_offset_ms\":" + ms_or_null(r.clock_offset_ns);
            if (r.plan.stream_time_ns) {
                extra += ",\"stream_time_ms\":" + ms_or_null(r.plan.stream_time_ns);
            }
            if (r.plan.rate) {
                extra += ",\"rate\":" + nlohmann::json(*r.plan.rate).dump();
            }
            if (r.plan.base_time_ns) {
                extra += ",\"base_time_ns\":" + std::to_string(*r.plan.base_time_ns);
            }
            print_event("player_action", extra);
        } else {
            net::log::write(net::log::level::info, "ts-client",
                            std::string("player: ") + media::to_string(r.plan.action) + " (after " +
                                r.trigger + ", offset " + ms_or_null(r.offset_ns) + " ms)");
        }
    }

    boost::asio::io_context& io_;
    clock::clock_base& wall_;
    play_options o_;
    std::unique_ptr<gst::wall_clock_gst_clock> clock_;
    std::unique_ptr<gst::media_pipeline> pipeline_;
    std::unique_ptr<gst::follower> follower_;
    std::optional<ts::control_timestamp> latest_;
    std::string waiting_for_; // the TV's timeline, while the background read looks for it
    bool outside_ = false;
    std::optional<std::int64_t> last_should_ns_; // where the TV is in the file, last planned
    boost::asio::steady_timer mismatch_;         // runs while the TV's position is outside the file
};

} // namespace
#endif

std::unique_ptr<play_session> make_play_session(boost::asio::io_context& io,
                                                clock::clock_base& wall_clock,
                                                const play_options& o, std::string& error) {
#ifdef DVBCSS_HAVE_MEDIA
    static_cast<void>(error);
    return std::make_unique<gst_play_session>(io, wall_clock, o);
#else
    static_cast<void>(io);
    static_cast<void>(wall_clock);
    static_cast<void>(o);
    error = "--play needs the media component: this build has no GStreamer "
            "(scripts/install-deps.sh installs it)";
    return nullptr;
#endif
}

} // namespace dvbcss::tools
