#include "clock_test_support.hpp"

#include <dvbcss/clock/sys_clock.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

using test::fake_root;
using test::fake_time_source;

__extension__ using int128 = __int128;

/// floor(ns * rate / 1e9) for an integer rate, by exact integer maths.
tick_t exact_ticks(std::int64_t ns, std::int64_t rate) {
    const int128 x = static_cast<int128>(ns) * rate;
    int128 q = x / 1'000'000'000;
    if (x % 1'000'000'000 != 0 && x < 0) {
        --q;
    }
    return static_cast<tick_t>(q);
}

TEST(SysClock, TicksFollowTheTimeSource) {
    fake_root r(1e6);
    r.source.set_ns(1'234'567'800'000);
    EXPECT_EQ(r.sys.ticks(), 1'234'567'800.0L);
    r.source.set_ns(19'445'325'000'000);
    EXPECT_EQ(r.sys.ticks(), 19'445'325'000.0L);
}

TEST(SysClock, TicksAreTruncatedToIntegers) {
    fake_root r(1e6);
    r.source.set_ns(1'999);
    EXPECT_EQ(r.sys.ticks(), 1.0L);
    r.source.set_ns(2'000);
    EXPECT_EQ(r.sys.ticks(), 2.0L);
    r.source.set_ns(-1);
    EXPECT_EQ(r.sys.ticks(), -1.0L) << "floor, not truncation towards zero";
}

TEST(SysClock, DefaultTickRateIsNanoseconds) {
    fake_time_source src;
    src.set_auto_increment_ns(1);
    const sys_clock sys(src);
    EXPECT_EQ(sys.tick_rate(), 1e9);
    EXPECT_EQ(sys.root_max_freq_error_ppm(), 500.0);
    EXPECT_EQ(&sys.time_source(), &src);
}

TEST(SysClock, DefaultSourceIsTheMonotonicClock) {
    const sys_clock sys;
    EXPECT_EQ(&sys.time_source(), &monotonic_time_source::instance());
    const auto a = sys.ticks();
    const auto b = sys.ticks();
    EXPECT_LE(a, b);
    EXPECT_GT(sys.precision_ns(), 0.0);
    EXPECT_LT(sys.precision_ns(), 1e7) << "a monotonic clock resolves better than 10 ms";
}

TEST(SysClock, TicksAreExactForIntegerRates) {
    const std::int64_t rates[] = {1,
                                  1000,
                                  25,
                                  90'000,
                                  44'100,
                                  48'000,
                                  1'000'000,
                                  1'000'000'000,
                                  10'000'000'000,
                                  3072,
                                  1'099'511'627'776};
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<std::int64_t> any_ns(-(std::int64_t{1} << 62),
                                                       std::int64_t{1} << 62);
    for (const auto rate : rates) {
        fake_root r(static_cast<double>(rate));
        for (int i = 0; i < 2000; ++i) {
            const auto ns = any_ns(rng);
            ASSERT_EQ(r.sys.ticks_at(ns), exact_ticks(ns, rate)) << "rate " << rate << " ns " << ns;
        }
    }
}

TEST(SysClock, TicksAreExactForFractionalRates) {
    // 12.5 Hz and 0.375 Hz are exact doubles: ticks = floor(ns * 25 / 2e9) and floor(ns * 3 / 8e9).
    fake_root a(12.5);
    fake_root b(0.375);
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> any_ns(-(std::int64_t{1} << 62),
                                                       std::int64_t{1} << 62);
    for (int i = 0; i < 2000; ++i) {
        const auto ns = any_ns(rng);
        auto floor_div = [](int128 x, int128 d) {
            int128 q = x / d;
            if (x % d != 0 && x < 0) {
                --q;
            }
            return static_cast<tick_t>(q);
        };
        ASSERT_EQ(a.sys.ticks_at(ns), floor_div(static_cast<int128>(ns) * 25, 2'000'000'000));
        ASSERT_EQ(b.sys.ticks_at(ns), floor_div(static_cast<int128>(ns) * 3, 8'000'000'000));
    }
}

TEST(SysClock, TickRateIsValidated) {
    fake_time_source src;
    src.set_auto_increment_ns(1000);
    EXPECT_THROW(sys_clock(src, 0), std::invalid_argument);
    EXPECT_THROW(sys_clock(src, -1), std::invalid_argument);
    EXPECT_THROW(sys_clock(src, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    EXPECT_THROW(sys_clock(src, std::numeric_limits<double>::infinity()), std::invalid_argument);
    EXPECT_THROW(sys_clock(src, 1e6, -1), std::invalid_argument);
}

TEST(SysClock, CalcWhenGivesTimeSourceNanoseconds) {
    fake_root r(1e6);
    EXPECT_EQ(r.sys.calc_when(91'248'752), 91'248'752'000);
    // A tick value between two integers is reached with the next integer.
    EXPECT_EQ(r.sys.calc_when(10.5L), 11'000);
    EXPECT_EQ(r.sys.calc_when(-3), -3'000);
}

TEST(SysClock, CalcWhenIsTheEarliestInstantTheTickIsShown) {
    for (const double rate : {1e9, 1e6, 90'000.0, 1000.0, 12.5, 3e9}) {
        fake_root r(rate);
        std::mt19937_64 rng(99);
        // Tick values within +-30 years, so that every instant fits the int64 nanosecond range.
        std::uniform_real_distribution<double> any_t(-rate * 1e9, rate * 1e9);
        for (int i = 0; i < 500; ++i) {
            const auto t = static_cast<tick_t>(any_t(rng));
            const auto when = r.sys.calc_when(t);
            ASSERT_TRUE(when.has_value());
            EXPECT_GE(r.sys.ticks_at(*when), t) << "rate " << rate;
            EXPECT_LT(r.sys.ticks_at(*when - 1), t) << "rate " << rate;
        }
    }
}

TEST(SysClock, CalcWhenOutsideTheNanosecondRange) {
    fake_root r(1e9);
    EXPECT_FALSE(r.sys.calc_when(1e30L).has_value());
    EXPECT_FALSE(r.sys.calc_when(std::numeric_limits<tick_t>::infinity()).has_value());
    EXPECT_FALSE(r.sys.calc_when(std::numeric_limits<tick_t>::quiet_NaN()).has_value());
    EXPECT_EQ(r.sys.calc_when(-1e30L), std::numeric_limits<std::int64_t>::min());
}

TEST(SysClock, HasNoParent) {
    fake_root r;
    EXPECT_EQ(r.sys.parent(), nullptr);
    EXPECT_FALSE(r.sys.to_parent_ticks(5).has_value());
    EXPECT_EQ(r.sys.from_parent_ticks(5), 5.0L);
}

TEST(SysClock, CannotBeReparentedOrSpedUp) {
    // The reference raised at run time; here the operations do not exist.
    constexpr bool can_set_parent = test::has_set_parent<sys_clock>;
    constexpr bool can_set_speed = test::has_set_speed<sys_clock>;
    constexpr bool can_set_rate = test::has_set_tick_rate<sys_clock>;
    EXPECT_FALSE(can_set_parent);
    EXPECT_FALSE(can_set_speed);
    EXPECT_FALSE(can_set_rate);
}

TEST(SysClock, IsAlwaysAvailable) {
    fake_root r;
    EXPECT_TRUE(r.sys.is_available());
    EXPECT_THROW(r.sys.set_availability(false), std::logic_error);
    EXPECT_THROW(r.sys.set_availability(true), std::logic_error);
    EXPECT_TRUE(r.sys.is_available());
}

TEST(SysClock, IsItsOwnRoot) {
    fake_root r;
    EXPECT_EQ(&r.sys.root(), &r.sys);
    ASSERT_EQ(r.sys.ancestry().size(), 1U);
    EXPECT_EQ(r.sys.ancestry()[0], &r.sys);
    EXPECT_EQ(r.sys.effective_speed(), 1.0);
    EXPECT_EQ(r.sys.speed(), 1.0);
}

TEST(SysClock, RootTickConversionsAreIdentity) {
    fake_root r;
    EXPECT_EQ(r.sys.to_root_ticks(1234), 1234.0L);
    EXPECT_EQ(r.sys.from_root_ticks(1234), 1234.0L);
}

TEST(SysClock, DispersionIsPrecisionAtAnyTime) {
    fake_root r(1e6);
    EXPECT_DOUBLE_EQ(r.sys.precision_ns(), 1000.0) << "1 us per read at 1 MHz";
    r.source.set_seconds(5);
    EXPECT_DOUBLE_EQ(r.sys.dispersion_at_time(r.sys.ticks()), 1000.0);
    EXPECT_DOUBLE_EQ(r.sys.dispersion_at_time(r.sys.ticks() + 1e9L), 1000.0);
}

TEST(SysClock, PrecisionIsTheSmallestStep) {
    fake_time_source src;
    src.set_auto_increment_ns(37);
    const sys_clock sys(src, 1e9);
    EXPECT_DOUBLE_EQ(sys.precision_ns(), 37.0);
}

TEST(SysClock, PrecisionMeasurementEndsOnAFrozenSource) {
    fake_time_source src(5'000);
    const sys_clock fast(src, 1e9);
    EXPECT_DOUBLE_EQ(fast.precision_ns(), 1.0) << "falls back to one tick period";
    const sys_clock slow(src, 1000);
    EXPECT_DOUBLE_EQ(slow.precision_ns(), 1e6);
}

TEST(SysClock, NanosConversionsIgnoreSpeed) {
    fake_root r(1000);
    EXPECT_EQ(r.sys.nanos_to_ticks(1'500'000), 1.5L);
    EXPECT_EQ(r.sys.ticks_to_nanos(3), 3'000'000.0L);
    r.source.set_ns(2'000'000);
    EXPECT_EQ(r.sys.nanos(), 2'000'000.0L);
}

TEST(SysClock, MaxFreqErrorIsConfigurable) {
    fake_time_source src;
    src.set_auto_increment_ns(1000);
    const sys_clock sys(src, 1e6, 25);
    EXPECT_EQ(sys.root_max_freq_error_ppm(), 25.0);
}

} // namespace
} // namespace dvbcss::clock
