#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/gst/init.hpp>
#include <dvbcss/gst/wall_clock_gst_clock.hpp>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include <gst/gst.h>

namespace dvbcss::gst {
namespace {

constexpr long double ns_per_s = 1e9L;

std::int64_t monotonic_now() {
    return clock::monotonic_time_source::instance().now_ns();
}

} // namespace

wall_clock_gst_clock::wall_clock_gst_clock(clock::clock_base& wall_clock,
                                           boost::asio::any_io_executor owner,
                                           media::clock_slew_options options)
    : wall_clock_(&wall_clock)
    , options_(options)
    , timer_(std::move(owner)) {
    if (wall_clock.tick_rate() != 1e9 || wall_clock.root().tick_rate() != 1e9) {
        throw std::invalid_argument(
            "wall_clock_gst_clock: the wall clock and its root must tick at 1e9 per second");
    }
    ensure_initialized();
    // A system clock object of our own: gst_system_clock_obtain's is shared by the whole process.
    clock_ = GST_CLOCK(g_object_new(GST_TYPE_SYSTEM_CLOCK, "clock-type", GST_CLOCK_TYPE_MONOTONIC,
                                    "name", "dvbcss-wall-clock", nullptr));
    gst_object_ref_sink(clock_);
    apply(target());
    wall_clock_->bind(*this);
}

wall_clock_gst_clock::~wall_clock_gst_clock() {
    timer_.cancel();
    if (wall_clock_ != nullptr) {
        wall_clock_->unbind(*this);
    }
    gst_object_unref(clock_);
}

media::clock_calibration wall_clock_gst_clock::target() const {
    const std::int64_t m = monotonic_now();
    const auto root = static_cast<tick_t>(m);
    const tick_t w0 = wall_clock_->from_root_ticks(root);
    const tick_t w1 = wall_clock_->from_root_ticks(root + ns_per_s);
    const double rate = static_cast<double>((w1 - w0) / ns_per_s);
    return media::calibration_from_line(m, static_cast<std::int64_t>(std::llroundl(w0)),
                                        rate > 0 ? rate : 1.0);
}

wall_clock_gst_clock::reading wall_clock_gst_clock::now() const {
    reading r;
    r.monotonic_ns = monotonic_now();
    r.pipeline_ns = current_.time_at(r.monotonic_ns);
    r.wall_clock_ns = static_cast<std::int64_t>(
        std::llroundl(wall_clock_->from_root_ticks(static_cast<tick_t>(r.monotonic_ns))));
    return r;
}

void wall_clock_gst_clock::apply(const media::clock_calibration& c) {
    current_ = c;
    gst_clock_set_calibration(clock_, static_cast<GstClockTime>(c.internal_ns),
                              static_cast<GstClockTime>(c.external_ns), c.rate_num, c.rate_den);
}

void wall_clock_gst_clock::update() {
    if (wall_clock_ == nullptr) {
        return;
    }
    const auto tgt = target();
    const auto step = media::plan_clock_slew(current_, tgt, tgt.internal_ns, options_);
    apply(step.next);
    timer_.cancel();
    slew_end_.reset();
    if (step.kind == media::clock_slew_kind::step_forward) {
        ++steps_;
    } else if (step.kind == media::clock_slew_kind::slewing) {
        ++slews_;
        slew_end_ = step.done_at_internal_ns;
        timer_.expires_at(std::chrono::steady_clock::time_point(
            std::chrono::nanoseconds(*step.done_at_internal_ns)));
        timer_.async_wait(
            [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                if (!ec && !alive.expired()) {
                    finish_slew();
                }
            });
    }
    if (on_change_) {
        on_change_(step);
    }
}

void wall_clock_gst_clock::finish_slew() {
    // The slewed clock and the estimate meet now (the timer may fire a little late: the estimate
    // is then a few ns behind, and plan_clock_slew slews that or takes it exactly).
    slew_end_.reset();
    update();
}

void wall_clock_gst_clock::on_clock_changed(clock::clock_base& /*cause*/) {
    update();
}

void wall_clock_gst_clock::on_clock_destroyed(clock::clock_base& clock) {
    if (&clock == wall_clock_) {
        wall_clock_ = nullptr;
        timer_.cancel();
    }
}

} // namespace dvbcss::gst
