#include <dvbcss/wc/candidate.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dvbcss::wc {
namespace {

// floor(v / 2) for any v (integer division truncates towards zero).
constexpr std::int64_t floor_half(std::int64_t v) noexcept {
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

constexpr double non_negative(std::int64_t v) noexcept {
    return v > 0 ? static_cast<double>(v) : 0.0;
}

} // namespace

result<candidate> candidate::from_response(const message& response, std::int64_t t1_ns,
                                           std::int64_t t4_ns) noexcept {
    if (!is_response(response.type)) {
        return make_error_code(errc::not_a_response);
    }
    candidate c;
    c.t1 = t1_ns;
    c.t2 = response.receive_ns;
    c.t3 = response.transmit_ns;
    c.t4 = t4_ns;
    c.server_precision_ns = response.precision_seconds() * 1e9;
    c.server_max_freq_error_ppm = response.max_freq_error_ppm();
    return c;
}

std::int64_t candidate::offset_ns() const noexcept {
    // ((t3 + t2) - (t4 + t1)) / 2, grouped so that no partial sum overflows for wire values of
    // t2/t3 and local values of t1/t4 below 2^62.
    return floor_half((t2 - t1) + (t3 - t4));
}

std::int64_t candidate::rtt_ns() const noexcept {
    return (t4 - t1) - (t3 - t2);
}

bool candidate::is_plausible() const noexcept {
    return t4 >= t1 && t3 >= t2 && rtt_ns() >= 0;
}

double candidate::dispersion_ns(double local_max_freq_error_ppm) const noexcept {
    return server_precision_ns + non_negative(rtt_ns()) / 2.0 +
           local_max_freq_error_ppm * 1e-6 * non_negative(t4 - t1) +
           server_max_freq_error_ppm * 1e-6 * non_negative(t3 - t2);
}

double candidate::error_growth_rate(double local_max_freq_error_ppm) const noexcept {
    return (local_max_freq_error_ppm + server_max_freq_error_ppm) * 1e-6;
}

clock::correlation
candidate::correlation_for(const clock::clock_base& wall_clock,
                           std::optional<double> local_max_freq_error_ppm) const {
    const clock::clock_base* local = wall_clock.parent();
    if (local == nullptr) {
        throw std::invalid_argument("wc::candidate::correlation_for: the wall clock has no parent");
    }
    const double mfe_local =
        local_max_freq_error_ppm.value_or(wall_clock.root_max_freq_error_ppm());
    // Midpoints computed in long double: exact for every int64 sum below 2^64.
    const tick_t local_mid_ns = (static_cast<tick_t>(t1) + static_cast<tick_t>(t4)) / 2;
    const tick_t server_mid_ns = (static_cast<tick_t>(t2) + static_cast<tick_t>(t3)) / 2;
    clock::correlation c;
    c.parent_ticks = local->nanos_to_ticks(local_mid_ns);
    c.child_ticks = wall_clock.nanos_to_ticks(server_mid_ns);
    c.initial_error_ns = dispersion_ns(mfe_local);
    c.error_growth_rate = error_growth_rate(mfe_local);
    return c;
}

double correlation_error_at(const clock::correlation& c, const clock::clock_base& local_clock,
                            std::int64_t local_ns) noexcept {
    if (std::isinf(c.initial_error_ns) || std::isinf(c.error_growth_rate)) {
        return std::numeric_limits<double>::infinity();
    }
    const tick_t point_ns = local_clock.ticks_to_nanos(c.parent_ticks);
    const auto distance_ns =
        static_cast<double>(std::fabs(static_cast<tick_t>(local_ns) - point_ns));
    return c.initial_error_ns + c.error_growth_rate * distance_ns;
}

} // namespace dvbcss::wc
