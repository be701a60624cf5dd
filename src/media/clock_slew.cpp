#include <dvbcss/media/clock_slew.hpp>

#include <cmath>
#include <stdexcept>

namespace dvbcss::media {
namespace {

__extension__ using wide = __int128;

constexpr std::uint64_t rate_denominator = 1'000'000'000;

} // namespace

std::int64_t clock_calibration::time_at(std::int64_t internal) const noexcept {
    // As gst_clock_adjust_with_calibration: the elapsed internal time scaled and rounded down,
    // before or after the calibration point.
    if (internal >= internal_ns) {
        const wide scaled = static_cast<wide>(internal - internal_ns) * rate_num / rate_den;
        return external_ns + static_cast<std::int64_t>(scaled);
    }
    const wide scaled = static_cast<wide>(internal_ns - internal) * rate_num / rate_den;
    return external_ns - static_cast<std::int64_t>(scaled);
}

clock_calibration calibration_from_line(std::int64_t internal_ns, std::int64_t external_ns,
                                        double rate) {
    if (!(rate > 0) || !std::isfinite(rate)) {
        throw std::invalid_argument("clock calibration: the rate must be finite and > 0");
    }
    const auto num =
        static_cast<std::uint64_t>(std::llround(rate * static_cast<double>(rate_denominator)));
    return clock_calibration{internal_ns, external_ns, num == 0 ? 1 : num, rate_denominator};
}

clock_slew_step plan_clock_slew(const clock_calibration& current, const clock_calibration& target,
                                std::int64_t now_internal_ns, const clock_slew_options& options) {
    if (current.rate_num == 0 || current.rate_den == 0 || target.rate_num == 0 ||
        target.rate_den == 0) {
        throw std::invalid_argument("clock slew: a calibration rate of 0");
    }
    if (!(options.max_slew_ppm > 0) || !(options.max_slew_ppm < 1e6) ||
        options.exact_within_ns < 0) {
        throw std::invalid_argument("clock slew: max_slew_ppm must be in (0, 1e6), "
                                    "exact_within_ns >= 0");
    }
    const std::int64_t now_current = current.time_at(now_internal_ns);
    const std::int64_t now_target = target.time_at(now_internal_ns);
    clock_slew_step step;
    step.error_ns = now_target - now_current;
    if (std::llabs(step.error_ns) <= options.exact_within_ns) {
        // Rebased at now so that the clock's value there is the target's: a jump of at most
        // exact_within_ns (backwards only that much: the GstClock holds its last value meanwhile).
        step.kind = clock_slew_kind::exact;
        step.next = target;
        return step;
    }
    if (step.error_ns > 0) {
        step.kind = clock_slew_kind::step_forward;
        step.next = target;
        return step;
    }
    const double target_rate = target.rate();
    const double slow_rate = target_rate * (1.0 - options.max_slew_ppm * 1e-6);
    step.kind = clock_slew_kind::slewing;
    step.next = calibration_from_line(now_internal_ns, now_current, slow_rate);
    const double closing = target_rate - step.next.rate(); // ns gained by the target per ns
    const double ahead = static_cast<double>(-step.error_ns);
    step.done_at_internal_ns =
        now_internal_ns + static_cast<std::int64_t>(std::ceil(ahead / closing));
    return step;
}

} // namespace dvbcss::media
