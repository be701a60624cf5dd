#include "clock_test_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/offset_clock.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

using namespace std::chrono_literals;
using test::fake_root;
using test::recording_listener;
using causes = std::vector<const clock_base*>;

struct OffsetClock : ::testing::Test {
    OffsetClock() { r.source.set_seconds(1000); }

    /// The parent's tick value `ns` nanoseconds of root time from now.
    tick_t parent_later(std::int64_t ns) {
        r.source.advance_ns(ns);
        const tick_t t = parent.ticks();
        r.source.advance_ns(-ns);
        return t;
    }

    fake_root r{1e6};
    correlated_clock parent{r.sys, 1000, {0, 0}};
};

TEST_F(OffsetClock, SpeedIsAlwaysOne) {
    parent.set_speed(2.7);
    const offset_clock oc(parent, 40ms);
    EXPECT_EQ(oc.speed(), 1.0);
}

TEST_F(OffsetClock, SpeedAndTickRateCannotBeSet) {
    constexpr bool can_set_speed = test::has_set_speed<offset_clock>;
    constexpr bool can_set_rate = test::has_set_tick_rate<offset_clock>;
    EXPECT_FALSE(can_set_speed);
    EXPECT_FALSE(can_set_rate);
}

TEST_F(OffsetClock, EffectiveSpeedIsTheParents) {
    parent.set_speed(2.7);
    const offset_clock oc(parent, 40ms);
    EXPECT_DOUBLE_EQ(oc.effective_speed(), parent.effective_speed());
}

TEST_F(OffsetClock, TickRateFollowsTheParent) {
    const offset_clock oc(parent, 40ms);
    EXPECT_EQ(oc.tick_rate(), 1000.0);
    parent.set_tick_rate(25);
    EXPECT_EQ(oc.tick_rate(), 25.0);
}

TEST_F(OffsetClock, AheadByTheOffsetAtSpeedOne) {
    const offset_clock oc(parent, 50ms);
    EXPECT_EQ(oc.ticks(), parent_later(50'000'000));
}

TEST_F(OffsetClock, EqualToTheParentAtSpeedZero) {
    parent.set_speed(0);
    const offset_clock oc(parent, 50ms);
    EXPECT_EQ(oc.ticks(), parent.ticks());
    EXPECT_EQ(oc.ticks(), parent_later(50'000'000));
}

TEST_F(OffsetClock, OffsetIsRootTimeAtOtherSpeeds) {
    parent.set_speed(2);
    const offset_clock oc(parent, 50ms);
    EXPECT_EQ(oc.ticks(), parent_later(50'000'000));
    EXPECT_EQ(oc.ticks() - parent.ticks(), 100.0L);
}

TEST_F(OffsetClock, ZeroOffsetEqualsTheParent) {
    const offset_clock oc(parent, 0ms);
    EXPECT_EQ(oc.ticks(), parent.ticks());
}

TEST_F(OffsetClock, NewOffsetIsUsed) {
    offset_clock oc(parent, 40ms);
    EXPECT_EQ(oc.ticks(), parent.ticks() + 40);
    oc.set_offset(65ms);
    EXPECT_EQ(oc.offset(), 65ms);
    EXPECT_EQ(oc.ticks(), parent.ticks() + 65);
}

TEST_F(OffsetClock, OffsetChangeNotifiesOnlyOnChange) {
    offset_clock oc(parent, 40ms);
    recording_listener l;
    oc.bind(l);
    oc.set_offset(40ms);
    EXPECT_TRUE(l.take().empty());
    oc.set_offset(41ms);
    EXPECT_EQ(l.take(), causes{&oc});
}

TEST_F(OffsetClock, OffsetStillAppliedAfterParentChange) {
    correlated_clock other(r.sys, 50, {0, 0});
    offset_clock oc(parent, 40ms);
    oc.set_parent(other);
    EXPECT_EQ(oc.ticks(), other.ticks() + 2);
}

TEST_F(OffsetClock, ParentChangeNotifies) {
    correlated_clock other(r.sys, 50, {0, 0});
    offset_clock oc(parent, 40ms);
    recording_listener l;
    oc.bind(l);
    oc.set_parent(other);
    EXPECT_EQ(l.take(), causes{&oc});
    oc.set_parent(other);
    EXPECT_TRUE(l.take().empty());
    EXPECT_THROW(other.set_parent(oc), std::logic_error);
}

TEST_F(OffsetClock, NegativeOffsetIsBehind) {
    const offset_clock oc(parent, -50ms);
    EXPECT_EQ(oc.ticks(), parent_later(-50'000'000));
}

TEST_F(OffsetClock, ToRootTicks) {
    const offset_clock oc(parent, 124ms);
    const tick_t t = 5'678;
    EXPECT_EQ(*oc.to_root_ticks(t) + 0.124L * 1e6L, *parent.to_root_ticks(t));
}

TEST_F(OffsetClock, FromRootTicks) {
    const offset_clock oc(parent, 124ms);
    const tick_t rt = 9'876'543;
    EXPECT_EQ(oc.from_root_ticks(rt), parent.from_root_ticks(rt + 0.124L * 1e6L));
}

// B12: the reference could not say when an offset clock reaches a value, so nothing could be
// scheduled on it.
TEST_F(OffsetClock, CalcWhenIsOffsetEarlier) {
    const offset_clock oc(parent, 30ms);
    const auto parent_when = parent.calc_when(1'100'000);
    const auto when = oc.calc_when(1'100'000);
    ASSERT_TRUE(parent_when.has_value());
    ASSERT_TRUE(when.has_value());
    EXPECT_EQ(*when, *parent_when - 30'000'000);
    r.source.set_ns(*when);
    EXPECT_GE(oc.ticks(), 1'100'000.0L);
    r.source.set_ns(*when - 1'000);
    EXPECT_LT(oc.ticks(), 1'100'000.0L);
}

TEST_F(OffsetClock, CalcWhenAtParentSpeedZeroIsNullopt) {
    const offset_clock oc(parent, 30ms);
    parent.set_speed(0);
    EXPECT_FALSE(oc.calc_when(2'000'000).has_value());
}

TEST_F(OffsetClock, AddsNoErrorOfItsOwn) {
    const offset_clock oc(parent, 30ms);
    EXPECT_DOUBLE_EQ(oc.dispersion_at_time(oc.ticks()), parent.dispersion_at_time(parent.ticks()));
}

} // namespace
} // namespace dvbcss::clock
