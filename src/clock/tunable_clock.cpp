#include <dvbcss/clock/tunable_clock.hpp>

#include <cmath>
#include <stdexcept>

namespace dvbcss::clock {

tunable_clock::tunable_clock(clock_base& parent, double tick_rate, tick_t start_ticks)
    : correlated_clock(parent, tick_rate, clock::correlation{parent.ticks(), start_ticks}, 1.0) {}

void tunable_clock::set_speed(double s) {
    if (!std::isfinite(s)) {
        throw std::invalid_argument("tunable_clock: speed must be finite");
    }
    rebase_now();
    correlated_clock::set_speed(s);
}

void tunable_clock::set_tick_rate(double r) {
    if (!std::isfinite(r) || r <= 0) {
        throw std::invalid_argument("tunable_clock: tick rate must be finite and > 0");
    }
    rebase_now();
    correlated_clock::set_tick_rate(r);
}

double tunable_clock::slew() const {
    return (speed() - 1.0) * tick_rate();
}

void tunable_clock::set_slew(double ticks_per_second) {
    set_speed(ticks_per_second / tick_rate() + 1.0);
}

void tunable_clock::adjust_ticks(tick_t offset) {
    const auto& c = correlation();
    set_correlation(c.with_child_ticks(c.child_ticks + offset));
}

void tunable_clock::set_error(double current_ns, double growth_rate) {
    if (!std::isfinite(current_ns) || current_ns < 0 || !std::isfinite(growth_rate) ||
        growth_rate < 0) {
        throw std::invalid_argument("tunable_clock: error and growth rate must be finite and >= 0");
    }
    rebase_now();
    set_correlation(
        correlation().with_initial_error_ns(current_ns).with_error_growth_rate(growth_rate));
}

} // namespace dvbcss::clock
