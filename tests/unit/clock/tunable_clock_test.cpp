#include "clock_test_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/tunable_clock.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace dvbcss::clock {
namespace {

using test::fake_root;
using test::recording_listener;
using causes = std::vector<const clock_base*>;

struct TunableClock : ::testing::Test {
    TunableClock() { r.source.set_seconds(1234.5); }

    fake_root r{1e6};
};

TEST_F(TunableClock, StartsAtTheGivenTicks) {
    const tunable_clock c(r.sys, 1000, 5);
    EXPECT_EQ(c.ticks(), 5.0L);
    EXPECT_EQ(c.tick_rate(), 1000.0);
    EXPECT_EQ(c.speed(), 1.0);
    EXPECT_EQ(c.correlation(), (correlation{r.sys.ticks(), 5}));
}

TEST_F(TunableClock, Ticks) {
    const tunable_clock c(r.sys, 1000, 5);
    r.source.advance_seconds(100.2);
    EXPECT_EQ(c.ticks(), 5.0L + 100'200.0L);
}

TEST_F(TunableClock, SlewAppliesFromNow) {
    tunable_clock c(r.sys, 1000, 5);
    r.source.advance_seconds(5);
    const tick_t before = c.ticks();
    c.set_slew(100);
    EXPECT_EQ(c.ticks(), before) << "no jump when the slew is set";
    EXPECT_NEAR(c.slew(), 100.0, 1e-9);
    EXPECT_NEAR(c.speed(), 1.1, 1e-12);
    r.source.advance_seconds(10);
    EXPECT_NEAR(static_cast<double>(c.ticks() - before), 11'000.0, 1e-6);
}

TEST_F(TunableClock, SlewSetsSpeed) {
    tunable_clock c(r.sys, 100);
    c.set_slew(-25);
    EXPECT_DOUBLE_EQ(c.speed(), 0.75);
    EXPECT_DOUBLE_EQ(c.slew(), -25.0);
}

TEST_F(TunableClock, AdjustTicksJumpsAtOnce) {
    tunable_clock c(r.sys, 1000, 5);
    r.source.advance_seconds(1);
    const tick_t before = c.ticks();
    recording_listener l;
    c.bind(l);
    c.adjust_ticks(28);
    EXPECT_EQ(c.ticks(), before + 28);
    EXPECT_EQ(l.take(), causes{&c});
}

TEST_F(TunableClock, SlewNotifiesDownwardsOnly) {
    tunable_clock c(r.sys, 1000);
    correlated_clock child(c, 50);
    recording_listener on_sys;
    recording_listener on_c;
    recording_listener on_child;
    r.sys.bind(on_sys);
    c.bind(on_c);
    child.bind(on_child);
    c.set_slew(5);
    EXPECT_TRUE(on_sys.take().empty());
    EXPECT_EQ(on_c.take(), causes{&c});
    EXPECT_EQ(on_child.take(), causes{&child});
}

TEST_F(TunableClock, ToParentTicksWithSlew) {
    tunable_clock c(r.sys, 1000, 5);
    c.set_slew(50);
    const tick_t now_parent = r.sys.ticks();
    const auto p = c.to_parent_ticks(c.ticks() + 50'000);
    ASSERT_TRUE(p.has_value());
    EXPECT_NEAR(static_cast<double>(*p - now_parent), 1e6 * 50 / 1.05, 1.0);
}

TEST_F(TunableClock, FromParentTicksWithSlew) {
    tunable_clock c(r.sys, 1000, 5);
    c.set_slew(50);
    const tick_t now_parent = r.sys.ticks();
    const tick_t later = now_parent + static_cast<tick_t>(1e6 * 50 / 1.05);
    EXPECT_NEAR(static_cast<double>(c.from_parent_ticks(later) - c.ticks()), 50'000.0, 1e-5);
}

TEST_F(TunableClock, ParentIsTheOneGiven) {
    const tunable_clock c(r.sys, 1000);
    EXPECT_EQ(c.parent(), &r.sys);
}

TEST_F(TunableClock, ErrorIsInitiallyZero) {
    const tunable_clock c(r.sys, 1000, 5);
    EXPECT_DOUBLE_EQ(c.dispersion_at_time(c.ticks()), r.sys.precision_ns());
    r.source.advance_seconds(100);
    EXPECT_DOUBLE_EQ(c.dispersion_at_time(c.ticks()), r.sys.precision_ns());
}

TEST_F(TunableClock, ErrorIsSettableFromNow) {
    tunable_clock c(r.sys, 1000, 5);
    const double p = r.sys.precision_ns();
    r.source.advance_seconds(3);
    c.set_error(1e8, 0.01);
    EXPECT_NEAR(c.dispersion_at_time(c.ticks()), p + 1e8, 1e-3);
    r.source.advance_seconds(5);
    EXPECT_NEAR(c.dispersion_at_time(c.ticks()), p + 1.5e8, 1e-3);
    c.set_error(2e8, 0.001);
    EXPECT_NEAR(c.dispersion_at_time(c.ticks()), p + 2e8, 1e-3);
    r.source.advance_seconds(5);
    EXPECT_NEAR(c.dispersion_at_time(c.ticks()), p + 2.05e8, 1e-3);
    EXPECT_THROW(c.set_error(-1), std::invalid_argument);
}

TEST_F(TunableClock, TickRateChangeAppliesFromNow) {
    tunable_clock c(r.sys, 1000, 5);
    r.source.advance_seconds(2);
    const tick_t before = c.ticks();
    c.set_tick_rate(90'000);
    EXPECT_EQ(c.ticks(), before);
    r.source.advance_seconds(1);
    EXPECT_EQ(c.ticks(), before + 90'000);
    EXPECT_THROW(c.set_tick_rate(0), std::invalid_argument);
}

TEST_F(TunableClock, PauseAndResumeWithoutJump) {
    tunable_clock c(r.sys, 1000, 5);
    r.source.advance_seconds(2);
    c.set_speed(0);
    const tick_t paused = c.ticks();
    EXPECT_EQ(paused, 2005.0L);
    r.source.advance_seconds(7);
    EXPECT_EQ(c.ticks(), paused);
    EXPECT_FALSE(c.calc_when(paused + 1).has_value());
    c.set_speed(1);
    EXPECT_EQ(c.ticks(), paused) << "resuming continues from the paused value";
    r.source.advance_seconds(1);
    EXPECT_EQ(c.ticks(), paused + 1000);
}

} // namespace
} // namespace dvbcss::clock
