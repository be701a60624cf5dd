#include "clock_test_support.hpp"

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlated_clock.hpp>

#include <gtest/gtest.h>

namespace dvbcss::clock {
namespace {

using test::fake_root;
using test::recording_listener;

TEST(ClockBase, BoundListenersAreNotifiedWithTheClockAsCause) {
    fake_root r;
    recording_listener a;
    recording_listener b;
    r.sys.bind(a);
    r.sys.bind(b);
    r.sys.notify_dependents();
    EXPECT_EQ(a.take(), std::vector<const clock_base*>{&r.sys});
    EXPECT_EQ(b.take(), std::vector<const clock_base*>{&r.sys});

    r.sys.unbind(a);
    r.sys.notify_dependents();
    EXPECT_TRUE(a.take().empty());
    EXPECT_EQ(b.take(), std::vector<const clock_base*>{&r.sys});
}

TEST(ClockBase, BindTwiceNotifiesOnce) {
    fake_root r;
    recording_listener a;
    r.sys.bind(a);
    r.sys.bind(a);
    EXPECT_TRUE(r.sys.is_bound(a));
    r.sys.notify_dependents();
    EXPECT_EQ(a.take().size(), 1U);
}

TEST(ClockBase, UnbindingAnUnknownListenerIsHarmless) {
    fake_root r;
    recording_listener a;
    r.sys.unbind(a);
    EXPECT_FALSE(r.sys.is_bound(a));
}

/// Unbinds another listener when told of a change.
class unbinding_listener final : public clock_listener {
public:
    unbinding_listener(clock_base& c, clock_listener& victim)
        : clock_(c)
        , victim_(victim) {}

    void on_clock_changed(clock_base& /*cause*/) override {
        ++calls;
        clock_.unbind(victim_);
        clock_.unbind(*this);
    }

    int calls = 0;

private:
    clock_base& clock_;
    clock_listener& victim_;
};

TEST(ClockBase, ListenerUnboundDuringNotificationIsNotCalled) {
    fake_root r;
    recording_listener victim;
    unbinding_listener killer(r.sys, victim);
    r.sys.bind(killer);
    r.sys.bind(victim);
    r.sys.notify_dependents();
    EXPECT_EQ(killer.calls, 1);
    EXPECT_TRUE(victim.take().empty());
    r.sys.notify_dependents();
    EXPECT_EQ(killer.calls, 1);
}

TEST(ClockBase, BaseSpeedIsOne) {
    fake_root r;
    const clock_base& base = r.sys;
    EXPECT_EQ(base.speed(), 1.0);
}

TEST(ClockBase, ChildUnbindsFromParentWhenDestroyed) {
    fake_root r;
    recording_listener l;
    {
        correlated_clock c(r.sys, 1000);
        c.bind(l);
        EXPECT_TRUE(r.sys.is_bound(c));
    }
    r.sys.notify_dependents(); // would reach a destroyed child if it were still bound
    EXPECT_TRUE(l.take().empty());
}

TEST(ClockBase, RootMaxFreqErrorComesFromTheRoot) {
    test::fake_time_source src;
    src.set_auto_increment_ns(1000);
    sys_clock sys(src, 1e6, 42);
    correlated_clock a(sys, 1000);
    correlated_clock b(a, 25);
    EXPECT_EQ(b.root_max_freq_error_ppm(), 42.0);
}

} // namespace
} // namespace dvbcss::clock

namespace {

struct counting_listener final : dvbcss::clock::clock_listener {
    int changed = 0;

    void on_clock_changed(dvbcss::clock::clock_base& /*cause*/) override { ++changed; }
};

TEST(ClockBinding, ListenerThatDiesFirstUnbindsItself) {
    dvbcss::test::fake_time_source source{0};
    dvbcss::clock::sys_clock root{source, 1e9};
    dvbcss::clock::correlated_clock clock{root, 1000.0};
    {
        counting_listener l;
        clock.bind(l);
        EXPECT_TRUE(clock.is_bound(l));
    }
    clock.set_speed(2.0); // must not reach the dead listener
    counting_listener other;
    clock.bind(other);
    clock.set_speed(1.0);
    EXPECT_EQ(other.changed, 1);
}

TEST(ClockBinding, ClockThatDiesFirstReleasesItsListeners) {
    dvbcss::test::fake_time_source source{0};
    dvbcss::clock::sys_clock root{source, 1e9};
    counting_listener l;
    {
        dvbcss::clock::correlated_clock clock{root, 1000.0};
        clock.bind(l);
    }
    // l's destructor must not touch the dead clock (ASan would report it).
    SUCCEED();
}

TEST(ClockBinding, CopiedListenerIsBoundToNothing) {
    dvbcss::test::fake_time_source source{0};
    dvbcss::clock::sys_clock root{source, 1e9};
    dvbcss::clock::correlated_clock clock{root, 1000.0};
    counting_listener a;
    clock.bind(a);
    {
        const counting_listener b = a; // NOLINT(performance-unnecessary-copy-initialization)
        EXPECT_FALSE(clock.is_bound(b));
    }
    EXPECT_TRUE(clock.is_bound(a));
    clock.set_speed(3.0);
    EXPECT_EQ(a.changed, 1);
}

} // namespace
