#include "detail/local_clock.hpp"

#include <dvbcss/wc/lowest_dispersion.hpp>

#include <cmath>
#include <limits>

namespace dvbcss::wc {

lowest_dispersion::lowest_dispersion(const clock::clock_base& wall_clock, estimator_options options)
    : wall_clock_(wall_clock)
    , options_(options) {
    static_cast<void>(detail::local_clock_of(wall_clock_));
}

std::optional<clock::correlation> lowest_dispersion::on_candidate(const candidate& c) {
    const auto& local = detail::local_clock_of(wall_clock_);
    const auto proposed = c.correlation_for(wall_clock_, options_.local_max_freq_error_ppm);
    // Both bounds at the same instant: the local time at which the response arrived (B18).
    const double proposed_ns = correlation_error_at(proposed, local, c.t4);
    const double current_ns = dispersion_ns(c.t4);
    if (std::isfinite(current_ns)) {
        note_dispersion(current_ns);
    }
    last_adopted_ = proposed_ns < current_ns;
    if (!last_adopted_) {
        return std::nullopt;
    }
    note_dispersion(proposed_ns);
    best_ = proposed;
    return proposed;
}

void lowest_dispersion::on_timeout() {
    last_adopted_ = false;
}

std::chrono::nanoseconds lowest_dispersion::next_request_delay() const {
    return last_adopted_ ? options_.repeat_interval : options_.retry_interval;
}

double lowest_dispersion::dispersion_ns(std::int64_t local_ns) const {
    if (!best_) {
        return std::numeric_limits<double>::infinity();
    }
    return correlation_error_at(*best_, detail::local_clock_of(wall_clock_), local_ns);
}

} // namespace dvbcss::wc
