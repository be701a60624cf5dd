#include "clock_test_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/offset_clock.hpp>
#include <dvbcss/clock/range_correlated_clock.hpp>
#include <dvbcss/clock/tunable_clock.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace dvbcss::clock {
namespace {

using namespace std::chrono_literals;
using test::fake_root;
using test::recording_listener;
using causes = std::vector<const clock_base*>;

/// Two separate trees:
///   sys_a -> a1 -> a2 -> a3 -> a4        sys_b -> b1 -> b2
///                     \-> b3 -> b4
struct ClockHierarchy : ::testing::Test {
    ClockHierarchy() { ra.source.set_seconds(500); }

    fake_root ra{1e6};
    fake_root rb{1e6};
    correlated_clock a1{ra.sys, 1000, {0, 0}};
    correlated_clock a2{a1, 100, {0, 0}};
    correlated_clock a3{a2, 1000, {0, 1000}, 0.5};
    correlated_clock a4{a3, 10, {1000, 10}, 0.2};
    correlated_clock b3{a2, 90'000, {50, 7}};
    correlated_clock b4{b3, 25, {0, 3}, 2.0};
    correlated_clock x1{rb.sys, 1000, {0, 0}};
    correlated_clock x2{x1, 50, {10, 10}};
};

TEST_F(ClockHierarchy, NoCommonAncestor) {
    const clock_base* tree_a[] = {&ra.sys, &a1, &a2, &a3, &a4, &b3, &b4};
    const clock_base* tree_b[] = {&rb.sys, &x1, &x2};
    for (const auto* p : tree_a) {
        for (const auto* q : tree_b) {
            const auto there = p->to_other_clock_ticks(*q, 5);
            ASSERT_FALSE(there.has_value());
            EXPECT_EQ(there.error(), make_error_code(errc::no_common_clock));
            const auto back = q->to_other_clock_ticks(*p, 5);
            ASSERT_FALSE(back.has_value());
            EXPECT_EQ(back.error(), make_error_code(errc::no_common_clock));
        }
    }
}

TEST_F(ClockHierarchy, ToItselfIsIdentity) {
    EXPECT_EQ(a4.to_other_clock_ticks(a4, 123.25L).value(), 123.25L);
}

TEST_F(ClockHierarchy, ImmediateParent) {
    EXPECT_EQ(a3.to_other_clock_ticks(a2, 1234).value(), *a3.to_parent_ticks(1234));
}

TEST_F(ClockHierarchy, DistantParent) {
    const tick_t t = 1234;
    const tick_t expected = *a2.to_parent_ticks(*a3.to_parent_ticks(*a4.to_parent_ticks(t)));
    EXPECT_EQ(a4.to_other_clock_ticks(a1, t).value(), expected);
    EXPECT_EQ(a4.to_other_clock_ticks(ra.sys, t).value(), *a4.to_root_ticks(t));
}

TEST_F(ClockHierarchy, DistantParentMidHierarchy) {
    const tick_t t = 1234;
    EXPECT_EQ(a3.to_other_clock_ticks(a1, t).value(), *a2.to_parent_ticks(*a3.to_parent_ticks(t)));
}

TEST_F(ClockHierarchy, DownTheTree) {
    const tick_t t = 4321;
    EXPECT_EQ(a1.to_other_clock_ticks(a4, t).value(),
              a4.from_parent_ticks(a3.from_parent_ticks(a2.from_parent_ticks(t))));
}

TEST_F(ClockHierarchy, DifferentBranches) {
    const tick_t t = 1234;
    const tick_t on_a2 = *a3.to_parent_ticks(*a4.to_parent_ticks(t));
    const tick_t expected = b4.from_parent_ticks(b3.from_parent_ticks(on_a2));
    EXPECT_EQ(a4.to_other_clock_ticks(b4, t).value(), expected);
    // And back again, to within rounding.
    EXPECT_NEAR(static_cast<double>(b4.to_other_clock_ticks(a4, expected).value()),
                static_cast<double>(t), 1e-9);
}

TEST_F(ClockHierarchy, SpeedChangePropagates) {
    EXPECT_DOUBLE_EQ(ra.sys.effective_speed(), 1.0);
    EXPECT_DOUBLE_EQ(a1.effective_speed(), 1.0);
    EXPECT_DOUBLE_EQ(a2.effective_speed(), 1.0);
    EXPECT_DOUBLE_EQ(a3.effective_speed(), 0.5);
    EXPECT_DOUBLE_EQ(a4.effective_speed(), 0.1);

    a3.rebase_correlation_at_ticks(a3.ticks());
    a4.rebase_correlation_at_ticks(a4.ticks());
    a3.set_speed(0);
    EXPECT_DOUBLE_EQ(a3.effective_speed(), 0.0);
    EXPECT_DOUBLE_EQ(a4.effective_speed(), 0.0);

    const tick_t a1_before = a1.ticks();
    const tick_t a2_before = a2.ticks();
    const tick_t a3_before = a3.ticks();
    const tick_t a4_before = a4.ticks();
    const tick_t b3_before = b3.ticks();
    ra.source.advance_seconds(1);
    EXPECT_EQ(a1.ticks(), a1_before + 1000);
    EXPECT_EQ(a2.ticks(), a2_before + 100);
    EXPECT_EQ(a3.ticks(), a3_before);
    EXPECT_EQ(a4.ticks(), a4_before);
    EXPECT_NEAR(static_cast<double>(b3.ticks() - b3_before), 90'000.0, 1e-6);
}

TEST_F(ClockHierarchy, AvailabilityPropagation) {
    // Chain a1 -> a2 -> a3 -> a4 stands in for the reference's a -> b -> c -> d.
    recording_listener l1;
    recording_listener l2;
    recording_listener l3;
    recording_listener l4;
    a1.bind(l1);
    a2.bind(l2);
    a3.bind(l3);
    a4.bind(l4);

    a3.set_availability(false);
    EXPECT_TRUE(a1.is_available());
    EXPECT_TRUE(a2.is_available());
    EXPECT_FALSE(a3.is_available());
    EXPECT_FALSE(a4.is_available());
    EXPECT_TRUE(l1.take().empty());
    EXPECT_TRUE(l2.take().empty());
    EXPECT_EQ(l3.take(), causes{&a3});
    EXPECT_EQ(l4.take(), causes{&a4});

    a4.set_availability(false); // parent unavailable: no notification
    EXPECT_TRUE(l4.take().empty());
    EXPECT_FALSE(a4.is_available());

    a3.set_availability(true);
    EXPECT_TRUE(a3.is_available());
    EXPECT_FALSE(a4.is_available());
    EXPECT_TRUE(l1.take().empty());
    EXPECT_TRUE(l2.take().empty());
    EXPECT_EQ(l3.take(), causes{&a3});
    EXPECT_EQ(l4.take(), causes{&a4}) << "descendants hear of every ancestor change";

    a3.set_availability(true); // no change: no notification
    EXPECT_TRUE(l3.take().empty());
    EXPECT_TRUE(l4.take().empty());

    a4.set_availability(true);
    EXPECT_TRUE(a4.is_available());
    EXPECT_EQ(l4.take(), causes{&a4});

    // Listeners must unbind before they die (the fixture's clocks outlive them).
    a1.unbind(l1);
    a2.unbind(l2);
    a3.unbind(l3);
    a4.unbind(l4);
}

TEST(ClockDiff, DifferentTickRatesAreIncomparable) {
    fake_root r(1e6);
    const correlated_clock a(r.sys, 1000);
    const correlated_clock b(r.sys, 1001);
    EXPECT_EQ(a.clock_diff(b).value(), std::numeric_limits<double>::infinity());
}

TEST(ClockDiff, DifferentSpeedsAreIncomparable) {
    fake_root r(1e6);
    const correlated_clock a(r.sys, 1000);
    const correlated_clock b(r.sys, 1000, {}, 1.01);
    EXPECT_EQ(a.clock_diff(b).value(), std::numeric_limits<double>::infinity());
}

TEST(ClockDiff, EqualClocksDifferByZero) {
    fake_root r(1e6);
    const correlated_clock a(r.sys, 1000, {10, 20});
    const correlated_clock b(r.sys, 1000, {10, 20});
    EXPECT_EQ(a.clock_diff(b).value(), 0.0);
}

TEST(ClockDiff, ConstantOffsetIsStableOverTime) {
    fake_root r(1e6);
    const correlated_clock a(r.sys, 1000, {0, 0});
    // Same rate (1000 ticks per 1e6 parent ticks) but 5/3 ms ahead.
    const range_correlated_clock b(r.sys, 1000, {0, 5.0L / 3.0L}, {3'000'000, 3000 + 5.0L / 3.0L});
    for (const double seconds : {0.0, 1.0, 1e4, 1e7}) {
        r.source.set_seconds(seconds);
        EXPECT_NEAR(a.clock_diff(b).value(), 1'666'666.667, 1e-2) << seconds;
    }
}

// B20: the reference reported 0 s between two unrelated clocks.
TEST(ClockDiff, NoCommonRootIsAnError) {
    fake_root r1(1e6);
    fake_root r2(1e6);
    const correlated_clock a(r1.sys, 1000);
    const correlated_clock b(r2.sys, 1000);
    const auto d = a.clock_diff(b);
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error(), make_error_code(errc::no_common_clock));
    EXPECT_EQ(r1.sys.clock_diff(r2.sys).error(), make_error_code(errc::no_common_clock));
}

TEST(ClockTree, ScheduleThroughMixedTree) {
    // sys -> correlated -> tunable -> offset: calc_when answers at every level and is exact enough
    // that the clock shows the value at that instant but not 2 ns earlier.
    fake_root r(1e9, 1'000'000'000'000);
    correlated_clock media(r.sys, 90'000, {1'000'000'000'000, 0});
    tunable_clock player(media, 1000, 0);
    player.set_slew(1);
    offset_clock early(player, 20ms);
    for (const clock_base* c :
         {static_cast<const clock_base*>(&media), static_cast<const clock_base*>(&player),
          static_cast<const clock_base*>(&early)}) {
        const tick_t target = c->ticks() + 5000;
        const auto when = c->calc_when(target);
        ASSERT_TRUE(when.has_value());
        r.source.set_ns(*when);
        EXPECT_GE(c->ticks() + 1e-9L, target);
        r.source.set_ns(*when - 2);
        EXPECT_LT(c->ticks(), target);
        r.source.set_ns(1'000'000'000'000);
    }
}

} // namespace
} // namespace dvbcss::clock
