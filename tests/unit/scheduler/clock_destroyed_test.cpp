// Destroying a clock that still has pending tasks drops them, so the scheduler never touches a
// dead clock (and clocks and scheduler may be destroyed in any order).

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/scheduler.hpp>
#include <dvbcss/clock/sys_clock.hpp>

#include <gtest/gtest.h>

#include <memory>

#include <support/fake_time_source.hpp>

namespace {

using dvbcss::clock::correlated_clock;
using dvbcss::clock::scheduler;
using dvbcss::clock::sys_clock;
using dvbcss::test::fake_time_source;

TEST(SchedulerClockDestroyed, PendingTasksOfADestroyedClockAreDropped) {
    fake_time_source source{0};
    sys_clock root{source, 1e9};
    scheduler s;
    int ran = 0;
    auto child = std::make_unique<correlated_clock>(root, 1000.0);
    s.run_at(*child, 500, [&] { ++ran; });
    const auto kept = s.run_at(root, 2'000'000'000, [&] { ran += 10; });
    ASSERT_EQ(s.size(), 2U);
    ASSERT_EQ(s.bound_clock_count(), 2U);

    child.reset();
    EXPECT_EQ(s.size(), 1U);
    EXPECT_EQ(s.bound_clock_count(), 1U);
    EXPECT_TRUE(s.contains(kept));

    source.set_ns(3'000'000'000);
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
    EXPECT_EQ(ran, 10);
}

TEST(SchedulerClockDestroyed, SchedulerMayOutliveEveryClock) {
    auto s = std::make_unique<scheduler>();
    {
        fake_time_source source{0};
        sys_clock root{source, 1e9};
        correlated_clock child{root, 1000.0};
        s->run_at(child, 5, [] {});
        s->run_at(root, 5, [] {});
    }
    EXPECT_TRUE(s->empty());
    EXPECT_EQ(s->bound_clock_count(), 0U);
    s.reset();
}

TEST(SchedulerClockDestroyed, OtherListenersAreToldToo) {
    struct recorder final : dvbcss::clock::clock_listener {
        int changed = 0;
        int destroyed = 0;

        void on_clock_changed(dvbcss::clock::clock_base&) override { ++changed; }

        void on_clock_destroyed(dvbcss::clock::clock_base&) override { ++destroyed; }
    };

    fake_time_source source{0};
    sys_clock root{source, 1e9};
    recorder r;
    {
        correlated_clock child{root, 1000.0};
        child.bind(r);
    }
    EXPECT_EQ(r.destroyed, 1);
    EXPECT_EQ(r.changed, 0);
}

} // namespace
