#include <dvbcss/clock/sys_clock.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

__extension__ using int128 = __int128;

/// 1e9 = 2^9 * 1953125.
constexpr int nanos_pow2 = 9;
constexpr std::int64_t nanos_odd = 1953125;

/// Bits an int64 nanosecond value can occupy (its magnitude, sign excluded).
constexpr int ns_bits = 63;

int128 floor_div(int128 a, int128 b) {
    int128 q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) {
        --q;
    }
    return q;
}

} // namespace

sys_clock::sys_clock(const clock::time_source& src, double tick_rate, double max_freq_error_ppm)
    : source_(&src)
    , tick_rate_(tick_rate)
    , max_freq_error_ppm_(max_freq_error_ppm) {
    if (!std::isfinite(tick_rate) || tick_rate <= 0) {
        throw std::invalid_argument("sys_clock: tick rate must be finite and > 0");
    }
    if (!std::isfinite(max_freq_error_ppm) || max_freq_error_ppm < 0) {
        throw std::invalid_argument("sys_clock: maximum frequency error must be finite and >= 0");
    }
    // Split the rate into odd integer * 2^exponent: exact for every double.
    int exponent = 0;
    const double fraction = std::frexp(tick_rate, &exponent); // rate = fraction * 2^exponent
    constexpr int mantissa_bits = std::numeric_limits<double>::digits;
    auto mantissa = static_cast<std::int64_t>(std::ldexp(fraction, mantissa_bits));
    int shift = exponent - mantissa_bits;
    while ((mantissa & 1) == 0) {
        mantissa >>= 1;
        ++shift;
    }
    // ticks = floor(ns * mantissa * 2^(shift - 9) / 1953125); reduce mantissa / 1953125.
    const std::int64_t common = std::gcd(mantissa, nanos_odd);
    rate_num_ = mantissa / common;
    rate_den_ = nanos_odd / common;
    rate_shift_ = shift - nanos_pow2;
    // The exact path needs |ns * rate_num_| * 2^rate_shift_ < 2^127.
    exact_ = rate_shift_ <= 0 ||
             ns_bits + static_cast<int>(std::bit_width(static_cast<std::uint64_t>(rate_num_))) +
                     rate_shift_ <
                 127;
    precision_ns_ = measure_precision_ns();
}

tick_t sys_clock::ticks_at(std::int64_t ns) const {
    if (!exact_) {
        return std::floor(static_cast<tick_t>(ns) * static_cast<tick_t>(tick_rate_) / 1e9L);
    }
    const int128 x = static_cast<int128>(ns) * rate_num_;
    int128 q = x;
    if (rate_den_ != 1) {
        constexpr int128 i64_max = std::numeric_limits<std::int64_t>::max();
        if (x <= i64_max && x >= -i64_max) {
            // Common case: 64-bit division is much cheaper than 128-bit.
            const auto x64 = static_cast<std::int64_t>(x);
            auto q64 = x64 / rate_den_;
            if (x64 % rate_den_ != 0 && x64 < 0) {
                --q64;
            }
            q = q64;
        } else {
            q = floor_div(x, rate_den_);
        }
    }
    if (rate_shift_ <= 0) {
        const int right = -rate_shift_;
        if (right >= 127) {
            return q < 0 ? -1.0L : 0.0L;
        }
        return static_cast<tick_t>(q >> right); // arithmetic shift: floor division by 2^right
    }
    const int128 rem = x - q * rate_den_; // 0 <= rem < rate_den_
    const int128 scale = static_cast<int128>(1) << rate_shift_;
    return static_cast<tick_t>(q * scale + floor_div(rem * scale, rate_den_));
}

std::optional<std::int64_t> sys_clock::calc_when(tick_t t) const {
    if (!std::isfinite(t)) {
        return std::nullopt;
    }
    const tick_t target = std::ceil(t); // ticks() is an integer: reaching t means reaching ceil(t)
    const tick_t estimate = std::ceil(target * 1e9L / static_cast<tick_t>(tick_rate_));
    constexpr auto lo = std::numeric_limits<std::int64_t>::min();
    constexpr auto hi = std::numeric_limits<std::int64_t>::max();
    if (estimate >= static_cast<tick_t>(hi)) {
        return std::nullopt;
    }
    if (estimate <= static_cast<tick_t>(lo)) {
        return lo;
    }
    auto n = static_cast<std::int64_t>(estimate);
    // The estimate is within a few nanoseconds; step to the exact earliest instant.
    for (int i = 0; i < 1000 && n > lo && ticks_at(n - 1) >= target; ++i) {
        --n;
    }
    for (int i = 0; i < 1000 && ticks_at(n) < target; ++i) {
        if (n == hi) {
            return std::nullopt;
        }
        ++n;
    }
    return n;
}

void sys_clock::set_availability(bool /*available*/) {
    throw std::logic_error("sys_clock: the availability of a root clock cannot be changed");
}

double sys_clock::own_error_at(tick_t /*t*/, tick_t /*parent_t*/) const {
    return precision_ns_;
}

double sys_clock::measure_precision_ns() const {
    const double wanted = std::min(10000.0, std::max(10.0, std::floor(tick_rate_ / 10.0)));
    const auto samples = static_cast<long>(wanted);
    const long max_pairs = samples * 10 + 100; // bounded: a frozen source must not hang us
    long found = 0;
    tick_t smallest = std::numeric_limits<tick_t>::infinity();
    for (long i = 0; i < max_pairs && found < samples; ++i) {
        const tick_t a = ticks();
        const tick_t b = ticks();
        if (b > a) {
            smallest = std::min(smallest, b - a);
            ++found;
        }
    }
    if (found == 0) {
        return 1e9 / tick_rate_;
    }
    return static_cast<double>(smallest * 1e9L / static_cast<tick_t>(tick_rate_));
}

} // namespace dvbcss::clock
