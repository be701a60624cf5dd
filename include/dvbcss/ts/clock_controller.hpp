#pragma once

/// Following a TV's timeline on a companion: the clock controller applies CSS-TS control
/// timestamps to a timeline clock, and the timeline follower joins it to a `ts::client` so that
/// one object is all a program needs (reference behaviour: pydvbcss TSClientClockController,
/// with its bugs B7 and B8 fixed).

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/protocol.hpp>
#include <dvbcss/ts/client.hpp>
#include <dvbcss/ts/message.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dvbcss::ts {

/// Callbacks of a clock controller; each is optional. They run synchronously inside the call that
/// caused them, after the timeline clock has been updated, in this order: `timing_change`, then
/// `available` or `unavailable`. The signatures are fixed (the reference passed an extra argument
/// to its unavailable callback on disconnect, which broke the close path: B7).
struct clock_controller_handlers {
    /// The timeline became available (its clock is available and already correlated).
    std::function<void()> available;
    /// The timeline became unavailable (an unavailable control timestamp, or the connection
    /// closed while it was available).
    std::function<void()> unavailable;
    /// A new correlation or speed was applied to the timeline clock; `speed_changed` is true if
    /// the speed differs from the clock's previous one.
    std::function<void(bool speed_changed)> timing_change;
};

/// Settings of a clock controller.
struct clock_controller_options {
    /// A new correlation at the same speed is applied only if it moves the timeline by more than
    /// this, nanoseconds measured on the wall clock (strictly greater; 0 applies every change).
    /// Default 1 ms, as the reference's TSClient example (its library default was 0.1 ms). A
    /// speed change is always applied.
    std::int64_t threshold_ns = 1'000'000;
    /// Optional clocks that give, at each wall clock instant, the earliest and the latest content
    /// time the companion could be presenting (same tick rate as the timeline, same root as the
    /// wall clock). Either may be set alone. Not owned; each must outlive the controller.
    const clock::clock_base* earliest = nullptr;
    const clock::clock_base* latest = nullptr;
};

/// Applies control timestamps to a timeline clock and reports the timeline's availability and
/// timing changes (reference clause §5.5).
///
/// The timeline clock is a `clock::correlated_clock` whose parent is the wall clock (tick rate
/// 1e9: its ticks are wall clock nanoseconds) and whose tick rate is the timeline's; the
/// controller never changes the tick rate or the parent. An available control timestamp gives the
/// correlation (wall clock time -> content time) with zero initial error and zero growth, so the
/// timeline clock's dispersion is the wall clock's.
///
/// For each control timestamp:
/// - available, and the change is significant (`correlated_clock::is_change_significant` with the
///   threshold; any speed change is): the correlation and speed are set in one notification, then
///   `timing_change(speed_changed)`; a pause is speed 0, and the clock then holds the paused
///   content time until a later control timestamp resumes it;
/// - available, and the timeline was unavailable until now: the correlation and speed are set
///   even if the change is within the threshold (the clock's previous correlation is stale, and
///   the first control timestamp is then followed exactly), reporting `timing_change` only if the
///   change was significant;
/// - the timeline's availability changed: the clock's availability flag follows, **after** the
///   correlation was set (listeners never see an available clock with a stale correlation), then
///   `available` / `unavailable`;
/// - the wall clock time of an unavailable control timestamp is ignored.
///
/// The constructor marks the timeline clock unavailable, so the first available control
/// timestamp always reports `available` (the reference left the clock as it found it, and a clock
/// that started available never reported it). `on_disconnected` marks it unavailable again.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use from the thread or executor
/// that owns the clock tree.
class clock_controller {
public:
    /// `timeline` must outlive the controller; its parent must tick at 1e9 per second, else
    /// std::invalid_argument (as for a negative threshold). Marks `timeline` unavailable.
    explicit clock_controller(clock::correlated_clock& timeline,
                              clock_controller_options options = {},
                              clock_controller_handlers handlers = {});

    /// Replaces the callbacks.
    void set_handlers(clock_controller_handlers handlers);

    /// Applies one control timestamp (see the class comment). Returns success, or
    /// errc::bad_field_value for a control timestamp the codec never produces (a speed that is
    /// not finite); such a timestamp is ignored.
    error_code on_control_timestamp(const control_timestamp& ct);

    /// The connection to the TV closed: if the timeline was available, marks the clock
    /// unavailable and calls `unavailable`. The latest control timestamp is kept for
    /// `status_summary`.
    void on_disconnected();

    /// The presentation timestamps to report to the TV, read at the wall clock's current time W:
    /// - `actual` (only if `include_actual` and the timeline clock is available): the timeline
    ///   clock's content time at W, with W. The reference sent its last correlation point instead;
    /// - `earliest`: the earliest clock's content time at W, with W, if that clock is set and
    ///   available; otherwise (the timeline's content time at W, minus infinity);
    /// - `latest`: likewise from the latest clock, with plus infinity as the fallback. Each branch
    ///   tests its own clock (the reference tested the earliest clock in both: B8).
    /// Times are rounded to the nearest integer. A value outside int64 falls back to the default
    /// (and `actual` is then omitted).
    [[nodiscard]] apt_ept_lpt make_apt_ept_lpt(bool include_actual = true) const;

    /// True while the control timestamps say the timeline is available (the clock may still be
    /// unavailable if the wall clock is).
    [[nodiscard]] bool timeline_available() const noexcept { return timeline_available_; }

    /// The last control timestamp applied, if any (kept across a disconnect).
    [[nodiscard]] const std::optional<control_timestamp>& latest() const noexcept {
        return latest_;
    }

    [[nodiscard]] clock::correlated_clock& timeline_clock() const noexcept { return *timeline_; }

    [[nodiscard]] const clock_controller_options& options() const noexcept { return options_; }

    /// How many control timestamps changed the timeline's timing significantly (`timing_change`
    /// calls).
    [[nodiscard]] std::size_t timing_changes() const noexcept { return changes_; }

    /// One line for programs, as the reference's getStatusSummary:
    /// "Nothing received from TV yet." before any control timestamp; else
    /// "Status: AVAILABLE.      Speed =  1.00  Timeline position =     12.345 secs" (speed and
    /// content time in seconds, from the timeline clock) or
    /// "Status: NOT available.  Speed = -----  Timeline position = ----------     ".
    [[nodiscard]] std::string status_summary() const;

private:
    clock::correlated_clock* timeline_;
    clock_controller_options options_;
    clock_controller_handlers handlers_;
    std::optional<control_timestamp> latest_;
    bool timeline_available_ = false;
    std::size_t changes_ = 0;
};

/// Everything a companion program needs to follow one timeline of a TV: a CSS-TS `client` and a
/// `clock_controller` joined together. Models `dvbcss::client_protocol`, so a transport drives it
/// directly; the timeline clock follows the control timestamps, and presentation timestamps are
/// sent with `send_apt_ept_lpt`.
///
/// Callback order: on a control timestamp, the controller's (`timing_change`, then `available` /
/// `unavailable`), then `client_handlers::control_timestamp`; on close, `unavailable` (if the
/// timeline was available) and then `disconnected`, always.
///
/// Not copyable or movable (the inner client's callbacks refer to this object).
///
/// Thread safety: distinct objects safe; shared objects unsafe (use from the executor that owns
/// the clock tree).
class timeline_follower {
public:
    /// See `client::client` and `clock_controller::clock_controller` for the arguments and
    /// exceptions. `timeline` must outlive the follower.
    timeline_follower(setup_data setup, clock::correlated_clock& timeline,
                      clock_controller_options options = {}, client_handlers client_callbacks = {},
                      clock_controller_handlers clock_callbacks = {});
    timeline_follower(const timeline_follower&) = delete;
    timeline_follower& operator=(const timeline_follower&) = delete;
    timeline_follower(timeline_follower&&) = delete;
    timeline_follower& operator=(timeline_follower&&) = delete;
    ~timeline_follower() = default;

    /// Replace the callbacks.
    void set_client_handlers(client_handlers handlers) { user_ = std::move(handlers); }

    void set_clock_handlers(clock_controller_handlers handlers) {
        controller_.set_handlers(std::move(handlers));
    }

    // client_protocol: forwarded to the client (whose callbacks drive the controller).
    void on_open() { client_.on_open(); }

    error_code on_text(std::string_view text) { return client_.on_text(text); }

    error_code on_binary(std::size_t size) { return client_.on_binary(size); }

    void on_close(std::uint16_t code, std::string_view reason = {}) {
        client_.on_close(code, reason);
    }

    std::optional<std::string> take_pending() { return client_.take_pending(); }

    /// Builds the presentation timestamps now (`clock_controller::make_apt_ept_lpt`) and queues
    /// them; false (nothing queued) while the connection is closed.
    bool send_apt_ept_lpt(bool include_actual = true);

    [[nodiscard]] const ts::client& client() const noexcept { return client_; }

    [[nodiscard]] const clock_controller& controller() const noexcept { return controller_; }

    [[nodiscard]] bool connected() const noexcept { return client_.connected(); }

    [[nodiscard]] std::string status_summary() const { return controller_.status_summary(); }

private:
    client_handlers user_;
    clock_controller controller_;
    ts::client client_;
};

static_assert(dvbcss::client_protocol<timeline_follower>);

} // namespace dvbcss::ts
