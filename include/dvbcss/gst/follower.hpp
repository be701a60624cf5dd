#pragma once
/// Following a TV with a media player: a companion's `media_pipeline` rendered in step with the
/// TV's timeline (CSS-TS control timestamps, ETSI TS 103 286-2 clause 5.7), on a pipeline clock
/// that is the companion's wall clock estimate (`wall_clock_gst_clock`). examples/follow_tv shows
/// a whole program.
#include <dvbcss/gst/media_pipeline.hpp>
#include <dvbcss/gst/wall_clock_gst_clock.hpp>
#include <dvbcss/media/follow_plan.hpp>
#include <dvbcss/ts/message.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dvbcss::gst {

/// Settings of a follower.
struct follower_options {
    /// The TV's timeline selector (e.g. "urn:dvb:css:timeline:pts"): the follower uses the
    /// pipeline's mapping for it (`media_pipeline::timelines()`), unless `timeline` is given.
    std::string selector;
    /// A mapping of the application's own (media that carries no timeline the pipeline knows).
    std::optional<media::timeline_mapping> timeline;
    /// Render each moment this much later than the TV (ns; negative: earlier, e.g. to make up for
    /// a loudspeaker's own delay the pipeline does not know about).
    std::int64_t render_delay_ns = 0;
    media::follow_thresholds thresholds;
    /// First guess of the time from a flushing seek to the new position prerolled (ns); the
    /// follower then uses 1.5 times the longest it measured, if more.
    std::int64_t preroll_ns = 300'000'000;
    /// A seek, pause or rate change not confirmed by the pipeline's event within this (ns) is
    /// given up on and the follower plans again.
    std::int64_t settle_timeout_ns = 5'000'000'000;
};

/// One decision the follower applied (or found unnecessary), for logs and --json lines.
struct follower_report {
    media::follow_plan plan;
    /// What made the follower plan: "control_timestamp", "seek_done", "paused", "playing",
    /// "rate_changed", "latency_changed", "looped", "end_of_stream", "wall_clock", "timeout",
    /// "retry" (a seek deferred by `follower::min_seek_interval_ns`), "outside" (a look again,
    /// every `follower::outside_recheck_ns`, at a TV playing outside this media).
    std::string trigger;
    /// The player's position minus the timeline's (ns, > 0: ahead), including what the pipeline
    /// clock's slew has still to remove; nullopt if unknown.
    std::optional<std::int64_t> offset_ns;
    /// Pipeline clock minus wall clock estimate now (ns): the slew still to go.
    std::int64_t clock_offset_ns = 0;
};

/// Steers one `media_pipeline` so that it renders the TV's timeline when the TV does.
///
/// The pipeline must have been created with `pipeline_options` applied (the clock of `clock` and
/// `manage_base_time`). Feed it the TV's control timestamps (`on_control_timestamp`, e.g. from
/// `ts::client_handlers::control_timestamp`) and the pipeline's events (`on_media_event`); it
/// plans (`media::plan_follow`) on each of them, never by polling, and applies the plan: a base
/// time, a flushing seek (paused, then played with the base time that makes the prerolled frame
/// due when the TV renders it), a pause, a rate change. While a seek or rate change is under way
/// it waits for the pipeline's event before planning again.
///
/// Thread safety: construct, use and destroy on the owner executor (the pipeline's and the clock
/// tree's).
class follower {
public:
    using report_handler = std::function<void(const follower_report&)>;

    /// `pipeline`, `wall_clock` (the estimate the GstClock follows) and `clock` must outlive the
    /// follower. std::invalid_argument if neither `options.timeline` nor a pipeline timeline for
    /// `options.selector` exists (the message names the selector and what the media carries).
    follower(media_pipeline& pipeline, wall_clock_gst_clock& clock,
             boost::asio::any_io_executor owner, follower_options options,
             report_handler on_report = {});
    ~follower();
    follower(const follower&) = delete;
    follower& operator=(const follower&) = delete;

    /// The pipeline options a follower needs: `clock` as the pipeline clock, base time managed.
    [[nodiscard]] static media_pipeline_options pipeline_options(media_pipeline_options base,
                                                                 const wall_clock_gst_clock& clock);

    /// The TV's latest control timestamp.
    void on_control_timestamp(const ts::control_timestamp& ct);
    /// An event of the pipeline.
    void on_media_event(const media_event& e);
    /// The wall clock estimate changed (the pipeline clock is slewing towards it).
    void on_wall_clock_changed();

    /// The plan now (nothing applied) and the offset measured now.
    [[nodiscard]] follower_report measure() const;

    [[nodiscard]] const media::timeline_mapping& timeline() const noexcept { return timeline_; }

    /// How many plans were applied, by kind: seeks and base time changes.
    [[nodiscard]] std::size_t seeks() const noexcept { return seeks_; }

    [[nodiscard]] std::size_t base_time_changes() const noexcept { return rebases_; }

    /// The preroll allowance in use (ns).
    [[nodiscard]] std::int64_t preroll_ns() const noexcept { return preroll_ns_; }

    /// Seeks start at least this far apart (ns): one planned sooner waits ("retry" trigger).
    static constexpr std::int64_t min_seek_interval_ns = 250'000'000;
    /// A seek that leaves the player more than this (ns) short of its target shows that the
    /// media ends before the target.
    static constexpr std::int64_t unreachable_margin_ns = 1'000'000'000;
    /// While the TV plays outside this media (before its start, or past its end), or the player
    /// stands at its end of stream, the follower plans again this often (ns): a TV that reaches
    /// the media is followed from there, one that plays on past its end is found outside.
    static constexpr std::int64_t outside_recheck_ns = 100'000'000;

private:
    enum class waiting_for {
        nothing,
        seek,
        pause,
        rate
    };
    void plan_and_apply(const char* trigger);
    void wait_for(waiting_for w);
    [[nodiscard]] follower_report make_report(const char* trigger) const;

    media_pipeline* pipeline_;
    wall_clock_gst_clock* clock_;
    follower_options options_;
    report_handler on_report_;
    media::timeline_mapping timeline_;
    std::optional<ts::control_timestamp> tv_;
    waiting_for waiting_ = waiting_for::nothing;
    std::optional<std::int64_t> seek_target_;
    std::int64_t seek_started_ns_ = 0;
    std::int64_t preroll_ns_;
    std::optional<std::int64_t> end_bound_ns_; // stream time the media ends before, if learned
    boost::asio::steady_timer timeout_;
    bool at_end_ = false;             // the player reached its end of stream, and no seek since
    boost::asio::steady_timer retry_; // a seek deferred, or a TV outside the media looked at again
    std::size_t seeks_ = 0;
    std::size_t rebases_ = 0;
    // A wait that completed before the destructor's cancel() still runs: it checks this first.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace dvbcss::gst
