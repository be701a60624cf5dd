#include "detail/local_clock.hpp"

#include <dvbcss/wc/most_recent.hpp>

#include <limits>

namespace dvbcss::wc {

most_recent::most_recent(const clock::clock_base& wall_clock, estimator_options options)
    : wall_clock_(wall_clock)
    , options_(options) {
    static_cast<void>(detail::local_clock_of(wall_clock_));
}

std::optional<clock::correlation> most_recent::on_candidate(const candidate& c) {
    note_dispersion(dispersion_ns(c.t4)); // the bound just before it is replaced
    current_ = c.correlation_for(wall_clock_, options_.local_max_freq_error_ppm);
    note_dispersion(dispersion_ns(c.t4));
    return current_;
}

std::chrono::nanoseconds most_recent::next_request_delay() const {
    return options_.repeat_interval;
}

double most_recent::dispersion_ns(std::int64_t local_ns) const {
    if (!current_) {
        return std::numeric_limits<double>::infinity();
    }
    return correlation_error_at(*current_, detail::local_clock_of(wall_clock_), local_ns);
}

} // namespace dvbcss::wc
