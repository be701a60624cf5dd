#include "clock_test_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

using test::fake_root;
using test::recording_listener;
using causes = std::vector<const clock_base*>;

constexpr double inf = std::numeric_limits<double>::infinity();

TEST(CorrelatedClock, ConstructorArgumentsAreReadable) {
    fake_root r;
    const correlated_clock c(r.sys, 1000, {1, 2, 3, 4}, 0.5);
    EXPECT_EQ(c.tick_rate(), 1000.0);
    EXPECT_EQ(c.correlation(), (correlation{1, 2, 3, 4}));
    EXPECT_EQ(c.speed(), 0.5);
    EXPECT_EQ(c.parent(), &r.sys);
}

TEST(CorrelatedClock, OffersSpeedRateAndParentSetters) {
    // Positive control for the probes other tests use to show an operation is absent.
    EXPECT_TRUE(test::has_set_speed<correlated_clock>);
    EXPECT_TRUE(test::has_set_tick_rate<correlated_clock>);
    EXPECT_TRUE(test::has_set_parent<correlated_clock>);
}

TEST(CorrelatedClock, TicksFollowTheParent) {
    fake_root r(1e6);
    const correlated_clock c(r.sys, 1000, {0, 300});
    r.source.set_seconds(5);
    EXPECT_EQ(c.ticks(), 5300.0L);
    r.source.set_seconds(6.5);
    EXPECT_EQ(c.ticks(), 6800.0L);
}

TEST(CorrelatedClock, ChangingTheCorrelationChangesTicks) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {0, 300});
    r.source.set_seconds(5);
    c.set_correlation({50'000, 320});
    EXPECT_EQ(c.ticks(), 320.0L + (5'000'000.0L - 50'000.0L) * 1000.0L / 1e6L);
}

TEST(CorrelatedClock, CorrelationChangeNotifiesDownwardsOnly) {
    fake_root r;
    correlated_clock c(r.sys, 1000);
    correlated_clock cc(c, 50);
    recording_listener on_sys;
    recording_listener on_c;
    recording_listener on_cc;
    r.sys.bind(on_sys);
    c.bind(on_c);
    cc.bind(on_cc);

    c.set_correlation({1, 2});
    EXPECT_TRUE(on_sys.take().empty());
    EXPECT_EQ(on_c.take(), causes{&c});
    EXPECT_EQ(on_cc.take(), causes{&cc});

    c.set_correlation({1, 2}); // the same value still notifies
    EXPECT_EQ(on_c.take(), causes{&c});
    EXPECT_EQ(on_cc.take(), causes{&cc});
}

TEST(CorrelatedClock, SpeedChangeNotifiesDownwardsOnly) {
    fake_root r;
    correlated_clock c(r.sys, 1000);
    correlated_clock cc(c, 50);
    recording_listener on_sys;
    recording_listener on_c;
    recording_listener on_cc;
    r.sys.bind(on_sys);
    c.bind(on_c);
    cc.bind(on_cc);

    c.set_speed(0.5);
    EXPECT_EQ(c.speed(), 0.5);
    EXPECT_TRUE(on_sys.take().empty());
    EXPECT_EQ(on_c.take(), causes{&c});
    EXPECT_EQ(on_cc.take(), causes{&cc});
}

TEST(CorrelatedClock, TickRateChangeTakesEffectWithoutRebase) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {50, 300});
    r.source.set_seconds(10);
    c.set_tick_rate(500);
    EXPECT_EQ(c.tick_rate(), 500.0);
    EXPECT_EQ(c.ticks(), 300.0L + (10'000'000.0L - 50.0L) * 500.0L / 1e6L);
}

TEST(CorrelatedClock, TickRateChangeNotifiesDownwardsOnly) {
    fake_root r;
    correlated_clock c(r.sys, 1000);
    correlated_clock cc(c, 50);
    recording_listener on_sys;
    recording_listener on_c;
    recording_listener on_cc;
    r.sys.bind(on_sys);
    c.bind(on_c);
    cc.bind(on_cc);

    c.set_tick_rate(2000);
    EXPECT_TRUE(on_sys.take().empty());
    EXPECT_EQ(on_c.take(), causes{&c});
    EXPECT_EQ(on_cc.take(), causes{&cc});
    EXPECT_EQ(cc.tick_rate(), 50.0) << "a child keeps its own tick rate";
}

TEST(CorrelatedClock, InvalidTickRateOrSpeedIsRejected) {
    fake_root r;
    EXPECT_THROW(correlated_clock(r.sys, 0), std::invalid_argument);
    EXPECT_THROW(correlated_clock(r.sys, -5), std::invalid_argument);
    EXPECT_THROW(correlated_clock(r.sys, std::numeric_limits<double>::quiet_NaN()),
                 std::invalid_argument);
    correlated_clock c(r.sys, 1000);
    EXPECT_THROW(c.set_tick_rate(0), std::invalid_argument);
    EXPECT_THROW(c.set_speed(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    EXPECT_THROW(c.set_speed(inf), std::invalid_argument);
    EXPECT_EQ(c.tick_rate(), 1000.0);
    EXPECT_EQ(c.speed(), 1.0);
}

TEST(CorrelatedClock, RebaseMovesTheCorrelationPoint) {
    fake_root r(1e6);
    correlated_clock parent(r.sys, 1000);
    correlated_clock c(parent, 1000, {50, 300});
    recording_listener l;
    c.bind(l);
    EXPECT_TRUE(c.rebase_correlation_at_ticks(400));
    EXPECT_EQ(c.correlation(), (correlation{150, 400}));
    EXPECT_TRUE(l.take().empty()) << "rebasing does not change timing, so it does not notify";
}

// Error grows with distance in time both ways: rebasing to an earlier point must not shrink it
// (the reference gave 0.08 s for the first case).
TEST(CorrelatedClock, RebaseGrowsTheInitialErrorInBothDirections) {
    fake_root r(1e6);
    // 0.1 s of error growing by 0.01 s per second of parent time.
    correlated_clock c(r.sys, 1000, {10'000'000, 10'000, 1e8, 0.01});
    ASSERT_TRUE(c.rebase_correlation_at_ticks(8'000)); // 2 s earlier
    EXPECT_EQ(c.correlation().parent_ticks, 8'000'000.0L);
    EXPECT_NEAR(c.correlation().initial_error_ns, 1.2e8, 1e-3);
    ASSERT_TRUE(c.rebase_correlation_at_ticks(13'000)); // 5 s later than that
    EXPECT_NEAR(c.correlation().initial_error_ns, 1.7e8, 1e-3);
    EXPECT_EQ(c.correlation().error_growth_rate, 0.01);

    correlated_clock later(r.sys, 1000, {10'000'000, 10'000, 1e8, 0.01});
    ASSERT_TRUE(later.rebase_correlation_at_ticks(12'000)); // 2 s later
    EXPECT_NEAR(later.correlation().initial_error_ns, 1.2e8, 1e-3);
}

TEST(CorrelatedClock, RebaseKeepsAnUnknownErrorUnknown) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {10'000'000, 10'000, inf, 0.01});
    ASSERT_TRUE(c.rebase_correlation_at_ticks(8'000));
    EXPECT_TRUE(std::isinf(c.correlation().initial_error_ns));
}

TEST(CorrelatedClock, RebaseAtSpeedZeroOnlyAtTheFrozenValue) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {50, 300}, 0.0);
    EXPECT_FALSE(c.rebase_correlation_at_ticks(400));
    EXPECT_EQ(c.correlation(), (correlation{50, 300}));
    EXPECT_TRUE(c.rebase_correlation_at_ticks(300));
    EXPECT_EQ(c.correlation(), (correlation{50, 300}));
}

TEST(CorrelatedClock, ToParentTicks) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {50, 300});
    EXPECT_EQ(c.to_parent_ticks(400), 50.0L + 100.0L * 1000.0L);
    c.set_speed(2);
    EXPECT_EQ(c.to_parent_ticks(400), 50.0L + 100.0L * 1000.0L / 2.0L);
    c.set_speed(0);
    EXPECT_EQ(c.to_parent_ticks(300), 50.0L);
    EXPECT_FALSE(c.to_parent_ticks(400).has_value());
}

TEST(CorrelatedClock, FromParentTicks) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {50, 300});
    EXPECT_EQ(c.from_parent_ticks(100'050), 400.0L);
    c.set_speed(2);
    EXPECT_EQ(c.from_parent_ticks(100'050), 500.0L);
    c.set_speed(0);
    EXPECT_EQ(c.from_parent_ticks(100'050), 300.0L);
    EXPECT_EQ(c.from_parent_ticks(-7), 300.0L);
}

TEST(CorrelatedClock, RootOfADeepChain) {
    fake_root r;
    correlated_clock a(r.sys, 1000);
    correlated_clock b(a, 1000);
    correlated_clock c(b, 1000);
    correlated_clock d(c, 1000);
    EXPECT_EQ(d.parent(), &c);
    EXPECT_EQ(&d.root(), &r.sys);
    EXPECT_EQ(d.ancestry(), (causes{&d, &c, &b, &a, &r.sys}));
}

TEST(CorrelatedClock, SetCorrelationAndSpeedNotifiesOnce) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000);
    recording_listener l;
    c.bind(l);
    c.set_correlation_and_speed({5, 0}, 2.0);
    EXPECT_EQ(l.take(), causes{&c});
    EXPECT_EQ(c.correlation(), (correlation{5, 0}));
    EXPECT_EQ(c.speed(), 2.0);
    EXPECT_EQ(c.to_parent_ticks(10), 5005.0L);
}

TEST(CorrelatedClock, QuantifyChange) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {0, 0});
    EXPECT_EQ(c.quantify_change({0, 0}, 1.01), inf);
    EXPECT_DOUBLE_EQ(c.quantify_change({0, 1000}, 1.0), 1e9);
    EXPECT_DOUBLE_EQ(c.quantify_change({0, -1000}, 1.0), 1e9);
    EXPECT_DOUBLE_EQ(c.quantify_change({0, 0}, 1.0), 0.0);
    c.set_speed(0);
    EXPECT_DOUBLE_EQ(c.quantify_change({0, 5}, 0.0), 5e6);
    EXPECT_EQ(c.quantify_change({0, 5}, 1.0), inf);
}

TEST(CorrelatedClock, ChangeIsSignificantOnlyAboveThreshold) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {0, 0});
    EXPECT_FALSE(c.is_change_significant({0, 10}, 1.0, 1e7)) << "10 ms is not > 10 ms";
    EXPECT_TRUE(c.is_change_significant({0, 11}, 1.0, 1e7));
    EXPECT_TRUE(c.is_change_significant({0, 0}, 2.0, 1e12));
}

TEST(CorrelatedClock, SetParentNotifiesOnChange) {
    fake_root r;
    correlated_clock a(r.sys, 1000);
    correlated_clock b(r.sys, 1000);
    correlated_clock c(a, 1000);
    recording_listener l;
    c.bind(l);
    c.set_parent(b);
    EXPECT_EQ(c.parent(), &b);
    EXPECT_EQ(l.take(), causes{&c});
    EXPECT_FALSE(a.is_bound(c));
    EXPECT_TRUE(b.is_bound(c));

    c.set_parent(b);
    EXPECT_TRUE(l.take().empty()) << "same parent: no notification";
}

TEST(CorrelatedClock, SetParentRejectsCycles) {
    fake_root r;
    correlated_clock a(r.sys, 1000);
    correlated_clock b(a, 1000);
    correlated_clock c(b, 1000);
    EXPECT_THROW(a.set_parent(c), std::logic_error);
    EXPECT_THROW(a.set_parent(a), std::logic_error);
    EXPECT_EQ(a.parent(), &r.sys);
    EXPECT_TRUE(r.sys.is_bound(a));
}

TEST(CorrelatedClock, DispersionWithZeroErrorIsTheParents) {
    fake_root r(1e6);
    const correlated_clock c(r.sys, 1000, {0, 0});
    EXPECT_DOUBLE_EQ(c.dispersion_at_time(12'345), r.sys.precision_ns());
}

TEST(CorrelatedClock, DispersionGrowsBothWaysFromTheCorrelation) {
    fake_root r(1e6);
    // 0.5 s initial error, growing 0.1 s per second of parent time.
    const correlated_clock c(r.sys, 1000, {0, 0, 5e8, 0.1});
    const double p = r.sys.precision_ns();
    EXPECT_DOUBLE_EQ(c.dispersion_at_time(0), p + 5e8);
    EXPECT_DOUBLE_EQ(c.dispersion_at_time(10), p + 5e8 + 0.1 * 10e6);
    EXPECT_DOUBLE_EQ(c.dispersion_at_time(-10), p + 5e8 + 0.1 * 10e6);
}

TEST(CorrelatedClock, CalcWhenGoesThroughTheParent) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {1'000'000, 0});
    EXPECT_EQ(c.calc_when(5000), 6'000'000'000);
    c.set_speed(2);
    EXPECT_EQ(c.calc_when(5000), 3'500'000'000);
}

TEST(CorrelatedClock, SpeedZeroNeverYieldsNaN) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {50, 300, 1e6, 0.001}, 0.0);
    correlated_clock child(c, 1000);
    r.source.set_seconds(3);
    EXPECT_EQ(c.ticks(), 300.0L);
    EXPECT_FALSE(c.calc_when(400).has_value());
    EXPECT_FALSE(child.calc_when(400).has_value());
    EXPECT_FALSE(c.to_root_ticks(400).has_value());
    EXPECT_EQ(c.to_root_ticks(300), 50.0L);

    // Dispersion of an unreachable value falls back to the error at the parent's current time.
    const double d = c.dispersion_at_time(400);
    EXPECT_FALSE(std::isnan(d));
    EXPECT_DOUBLE_EQ(d, r.sys.precision_ns() + 1e6 + 0.001 * (3e9 - 50e3));
    EXPECT_FALSE(std::isnan(child.dispersion_at_time(12'345)));

    const auto other = c.to_other_clock_ticks(r.sys, 400);
    ASSERT_FALSE(other.has_value());
    EXPECT_EQ(other.error(), make_error_code(errc::clock_frozen));
}

} // namespace
} // namespace dvbcss::clock
