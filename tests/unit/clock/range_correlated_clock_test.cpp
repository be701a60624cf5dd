#include "clock_test_support.hpp"

#include <dvbcss/clock/range_correlated_clock.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace dvbcss::clock {
namespace {

using test::fake_root;
using test::recording_listener;
using causes = std::vector<const clock_base*>;

TEST(RangeCorrelatedClock, ConvertsAlongTheLineThroughBothCorrelations) {
    fake_root r(1000);
    const range_correlated_clock c(r.sys, 1000, {100, 1000}, {200, 1110});
    EXPECT_EQ(c.from_parent_ticks(100), 1000.0L);
    EXPECT_EQ(c.from_parent_ticks(200), 1110.0L);
    EXPECT_EQ(c.from_parent_ticks(150), 1055.0L);
    EXPECT_EQ(c.to_parent_ticks(1000), 100.0L);
    EXPECT_EQ(c.to_parent_ticks(1110), 200.0L);
    EXPECT_EQ(c.to_parent_ticks(1055), 150.0L);
    r.source.set_ns(150'000'000);
    EXPECT_EQ(c.ticks(), 1055.0L);
}

// B14: the reference divided before multiplying, so integer correlations truncated.
TEST(RangeCorrelatedClock, IntegerCorrelationsConvertExactly) {
    fake_root r(1000);
    const range_correlated_clock c(r.sys, 1000, {0, 0}, {1000, 2000});
    EXPECT_EQ(c.to_parent_ticks(1000), 500.0L);
    EXPECT_EQ(c.from_parent_ticks(500), 1000.0L);
    const range_correlated_clock d(r.sys, 1000, {0, 0}, {3, 7});
    EXPECT_EQ(d.from_parent_ticks(6), 14.0L);
    EXPECT_EQ(d.to_parent_ticks(14), 6.0L);
    // Large, integer-like values (a 90 kHz PTS against a nanosecond clock).
    const range_correlated_clock e(r.sys, 90'000, {8'000'000'000'000, 1'000'000},
                                   {8'000'001'000'000, 1'000'090});
    EXPECT_EQ(e.from_parent_ticks(8'000'000'500'000), 1'000'045.0L);
    EXPECT_EQ(e.to_parent_ticks(1'000'045), 8'000'000'500'000.0L);
}

// B13: the reference could not describe itself; both correlations are readable here.
TEST(RangeCorrelatedClock, ReportsBothCorrelations) {
    fake_root r(1000);
    const range_correlated_clock c(r.sys, 1000, {1, 2, 3, 4}, {5, 6, 7, 8});
    EXPECT_EQ(c.correlation1(), (correlation{1, 2, 3, 4}));
    EXPECT_EQ(c.correlation2(), (correlation{5, 6, 7, 8}));
    EXPECT_EQ(c.tick_rate(), 1000.0);
    EXPECT_EQ(c.speed(), 1.0);
}

TEST(RangeCorrelatedClock, SpeedAndTickRateAreFixed) {
    constexpr bool can_set_speed = test::has_set_speed<range_correlated_clock>;
    constexpr bool can_set_rate = test::has_set_tick_rate<range_correlated_clock>;
    EXPECT_FALSE(can_set_speed);
    EXPECT_FALSE(can_set_rate);
}

TEST(RangeCorrelatedClock, CorrelationSettersNotify) {
    fake_root r(1000);
    range_correlated_clock c(r.sys, 1000, {100, 1000}, {200, 1110});
    recording_listener l;
    c.bind(l);
    r.source.set_ns(200'000'000);
    EXPECT_EQ(c.ticks(), 1110.0L);
    c.set_correlation1({100, 2000});
    EXPECT_EQ(l.take(), causes{&c});
    c.set_correlation2({200, 2110});
    EXPECT_EQ(l.take(), causes{&c});
    EXPECT_EQ(c.ticks(), 2110.0L);
    c.set_correlations({0, 0}, {100, 100});
    EXPECT_EQ(l.take(), causes{&c});
    EXPECT_EQ(c.ticks(), 200.0L);
}

TEST(RangeCorrelatedClock, RejectsCorrelationsAtTheSameParentTime) {
    fake_root r(1000);
    EXPECT_THROW(range_correlated_clock(r.sys, 1000, {5, 0}, {5, 10}), std::invalid_argument);
    EXPECT_THROW(range_correlated_clock(r.sys, 0, {5, 0}, {6, 10}), std::invalid_argument);
    range_correlated_clock c(r.sys, 1000, {0, 0}, {10, 10});
    EXPECT_THROW(c.set_correlation1({10, 3}), std::invalid_argument);
    EXPECT_EQ(c.correlation1(), (correlation{0, 0}));
}

TEST(RangeCorrelatedClock, SetParentNotifiesOnlyOnChange) {
    fake_root r(1000);
    range_correlated_clock other(r.sys, 1000, {0, 0}, {1, 1});
    range_correlated_clock c(r.sys, 1000, {0, 0}, {1, 1});
    recording_listener l;
    c.bind(l);
    c.set_parent(other);
    EXPECT_EQ(c.parent(), &other);
    EXPECT_EQ(l.take(), causes{&c});
    c.set_parent(other);
    EXPECT_TRUE(l.take().empty());
    EXPECT_THROW(other.set_parent(c), std::logic_error);
}

TEST(RangeCorrelatedClock, ErrorIsTheSmallerOfTheTwoAndNeverNegative) {
    fake_root r(1000);
    // c1: 0.1 s + 0.01 s/s around parent 10 s; c2: 0.2 s + 0.001 s/s around parent 20 s.
    const range_correlated_clock c(r.sys, 1000, {10'000, 0, 1e8, 0.01},
                                   {20'000, 10'000, 2e8, 0.001});
    const double p = r.sys.precision_ns();
    EXPECT_NEAR(c.dispersion_at_time(0), p + 1e8, 1e-3);        // at c1
    EXPECT_NEAR(c.dispersion_at_time(10'000), p + 2e8, 1e-3);   // at c2
    EXPECT_NEAR(c.dispersion_at_time(-1'000), p + 1.1e8, 1e-3); // 1 s before c1
    // 100 s before c1, 110 s before c2: c2's error is the smaller.
    EXPECT_NEAR(c.dispersion_at_time(-100'000), p + 3.1e8, 1e-3);
    for (int i = -64; i <= 64; ++i) {
        EXPECT_GE(c.dispersion_at_time(static_cast<tick_t>(i) * 777), p);
    }
}

TEST(RangeCorrelatedClock, StandsStillWhenBothChildValuesAreEqual) {
    fake_root r(1000);
    const range_correlated_clock c(r.sys, 1000, {0, 42}, {10, 42});
    r.source.set_seconds(3);
    EXPECT_EQ(c.ticks(), 42.0L);
    EXPECT_EQ(c.to_parent_ticks(42), 0.0L);
    EXPECT_FALSE(c.to_parent_ticks(43).has_value());
    EXPECT_FALSE(c.calc_when(43).has_value());
}

TEST(RangeCorrelatedClock, CalcWhenGoesThroughTheParent) {
    fake_root r(1000);
    const range_correlated_clock c(r.sys, 90'000, {0, 0}, {1000, 90'000});
    EXPECT_EQ(c.calc_when(45'000), 500'000'000);
}

} // namespace
} // namespace dvbcss::clock
