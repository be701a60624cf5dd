#pragma once
/// A GStreamer pipeline clock that reads a companion's wall clock estimate (CSS-WC), so that the
/// TV's control timestamps (wall clock times) are times the companion's pipeline can render at.
#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/media/clock_slew.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

using GstClock = struct _GstClock;

namespace dvbcss::gst {

/// A GstSystemClock of its own (CLOCK_MONOTONIC, not the process-wide system clock) whose
/// calibration maps CLOCK_MONOTONIC to the wall clock estimate `wall_clock`: a dvbcss clock
/// ticking in ns (tick rate 1e9) in a tree whose root is a `clock::sys_clock` at 1e9 ticks/s on
/// `clock::monotonic_time_source` (ts-client's wall clock: a correlated clock on the sys clock).
///
/// The calibration follows every change of `wall_clock` (it listens to it) through
/// `media::plan_clock_slew`: a clock behind the estimate steps forward, one ahead runs up to
/// `max_slew_ppm` slower until they meet (a timer on the owner then applies the estimate itself);
/// never a step backwards (a GstClock never reads less than it did). At construction the
/// calibration is the estimate itself.
///
/// Thread safety: construct, use and destroy on the owner executor (the clock tree's); the
/// GstClock itself may be read from any thread (GStreamer locks it).
class wall_clock_gst_clock final : private clock::clock_listener {
public:
    /// Called on the owner after each change of calibration.
    using change_handler = std::function<void(const media::clock_slew_step&)>;

    /// std::invalid_argument if `wall_clock` does not tick at 1e9 or its root does not. Initialises
    /// GStreamer if needed. `wall_clock` must outlive this object.
    wall_clock_gst_clock(clock::clock_base& wall_clock, boost::asio::any_io_executor owner,
                         media::clock_slew_options options = {});
    ~wall_clock_gst_clock() override;
    wall_clock_gst_clock(const wall_clock_gst_clock&) = delete;
    wall_clock_gst_clock& operator=(const wall_clock_gst_clock&) = delete;

    /// The GstClock (this object holds a reference; take your own to keep it longer).
    [[nodiscard]] GstClock* native() const noexcept { return clock_; }

    void on_change(change_handler h) { on_change_ = std::move(h); }

    /// Re-reads the wall clock and steers the calibration towards it (called on each change of
    /// the wall clock; call it yourself after changing something the clock cannot see).
    void update();

    /// The pipeline clock now (ns) and the wall clock estimate at the same CLOCK_MONOTONIC
    /// instant; their difference is what the slew has still to remove.
    struct reading {
        std::int64_t monotonic_ns = 0;
        std::int64_t pipeline_ns = 0;
        std::int64_t wall_clock_ns = 0;
    };

    [[nodiscard]] reading now() const;

    /// The calibration in force and the estimate's own (the target).
    [[nodiscard]] const media::clock_calibration& calibration() const noexcept { return current_; }

    [[nodiscard]] media::clock_calibration target() const;

    /// True while a backward slew is in progress.
    [[nodiscard]] bool slewing() const noexcept { return slew_end_.has_value(); }

    /// Counts of forward steps and backward slews begun.
    [[nodiscard]] std::size_t steps() const noexcept { return steps_; }

    [[nodiscard]] std::size_t slews() const noexcept { return slews_; }

private:
    void on_clock_changed(clock::clock_base& cause) override;
    void on_clock_destroyed(clock::clock_base& clock) override;
    void apply(const media::clock_calibration& c);
    void finish_slew();

    clock::clock_base* wall_clock_;
    media::clock_slew_options options_;
    GstClock* clock_ = nullptr;
    media::clock_calibration current_;
    std::optional<std::int64_t> slew_end_;
    boost::asio::steady_timer timer_;
    change_handler on_change_;
    std::size_t steps_ = 0;
    std::size_t slews_ = 0;
    // A wait that completed before the destructor's cancel() still runs: it checks this first.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace dvbcss::gst
