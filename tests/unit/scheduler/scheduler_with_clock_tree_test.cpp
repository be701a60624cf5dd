// The scheduler driven over the production clock classes (sys_clock on a fake time source,
// correlated, tunable and offset clocks), including the cases the reference could not handle.

#include "fake_clocks.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/offset_clock.hpp>
#include <dvbcss/clock/scheduler.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/tunable_clock.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <support/fake_time_source.hpp>

namespace {

using dvbcss::clock::correlated_clock;
using dvbcss::clock::correlation;
using dvbcss::clock::offset_clock;
using dvbcss::clock::scheduler;
using dvbcss::clock::sys_clock;
using dvbcss::clock::tunable_clock;
using dvbcss::test::fake_time_source;
using namespace std::chrono_literals;

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t sec = 1'000'000'000;

struct clock_tree_fixture : ::testing::Test {
    fake_time_source source{0};
    sys_clock root{source, 1e6}; // the reference's SysClock rate
    std::vector<std::int64_t> times_ns;

    std::function<void()> record() {
        return [this] {
            times_ns.push_back(source.now_ns());
        };
    }

    /// Jumps the fake time from deadline to deadline, running what is due, until `end_ns`.
    void run_until(scheduler& s, std::int64_t end_ns) {
        dvbcss::test::run_until(s, source, end_ns);
    }
};

using ClockTree = clock_tree_fixture;

TEST_F(ClockTree, OffsetClockTasksRunAtTheOffsetInstant) {
    // B12: the reference's OffsetClock had no calcWhen, so nothing could be scheduled on it.
    offset_clock ahead(root, 200ms);
    scheduler s;
    s.run_at(ahead, 1'000'000, record()); // 1 s on a clock 0.2 s ahead: 0.8 s
    EXPECT_EQ(s.next_deadline(), 800 * ms);
    run_until(s, 2 * sec);
    EXPECT_EQ(times_ns, (std::vector<std::int64_t>{800 * ms}));
}

TEST_F(ClockTree, OffsetChangeRetimesOffsetClockTasks) {
    offset_clock ahead(root, 200ms);
    scheduler s;
    s.run_at(ahead, 1'000'000, record());
    ahead.set_offset(500ms);
    EXPECT_EQ(s.next_deadline(), 500 * ms);
    ahead.set_offset(-250ms);
    EXPECT_EQ(s.next_deadline(), 1'250 * ms);
}

TEST_F(ClockTree, OffsetClockKeepsItsRootTimeOffsetWhenTheParentSpeedsUp) {
    // The offset is constant in root time: a clock 1 s ahead of a timeline reaches a tick value
    // 1 s of real time before the timeline does, whatever the timeline's speed.
    tunable_clock timeline(root, 100);
    offset_clock ahead(timeline, 1s);
    scheduler s;
    const auto id = s.run_at(ahead, 500, record());
    EXPECT_EQ(s.deadline_of(id), 4 * sec); // timeline reaches 500 at 5 s
    timeline.set_speed(2.0);               // at t = 0: the timeline now reaches 500 at 2.5 s
    EXPECT_EQ(s.deadline_of(id), 1'500 * ms);
    run_until(s, 5 * sec);
    EXPECT_EQ(times_ns, (std::vector<std::int64_t>{1'500 * ms}));
}

TEST_F(ClockTree, OffsetClockUnderPausedParentIsParked) {
    correlated_clock timeline(root, 100, correlation{0, 0}, 0.0);
    offset_clock ahead(timeline, 1s);
    scheduler s;
    s.run_at(ahead, 500, record());
    EXPECT_EQ(s.parked(), 1U);
    source.set_ns(2 * sec);
    timeline.set_correlation_and_speed(correlation{root.ticks(), 0}, 1.0);
    EXPECT_EQ(s.parked(), 0U);
    EXPECT_EQ(s.next_deadline(), 6 * sec); // 400 timeline ticks from 2 s
}

TEST_F(ClockTree, TunableClockSpeedChangeFromNow) {
    tunable_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 1000, record()); // 10 s
    source.set_ns(2 * sec);
    clock.set_speed(2.0); // 800 ticks to go at 200 ticks/s: 4 s
    EXPECT_EQ(s.next_deadline(), 6 * sec);
    clock.set_slew(-50); // speed 0.5: 800 ticks at 50 ticks/s: 16 s
    EXPECT_EQ(s.next_deadline(), 18 * sec);
    run_until(s, 30 * sec);
    EXPECT_EQ(times_ns, (std::vector<std::int64_t>{18 * sec}));
}

TEST_F(ClockTree, CorrelatedClockPauseAndResume) {
    correlated_clock timeline(root, 1000);
    scheduler s;
    s.run_at(timeline, 3000, record()); // 3 s
    source.set_ns(1 * sec);
    timeline.rebase_correlation_at_ticks(timeline.ticks());
    timeline.set_speed(0.0); // paused at 1000
    EXPECT_EQ(s.parked(), 1U);
    run_until(s, 10 * sec);
    EXPECT_TRUE(times_ns.empty());
    timeline.set_correlation_and_speed(correlation{root.ticks(), 1000}, 1.0); // resume at 10 s
    run_until(s, 20 * sec);
    EXPECT_EQ(times_ns, (std::vector<std::int64_t>{12 * sec}));
}

TEST_F(ClockTree, GrandparentReparentingRetimes) {
    correlated_clock a(root, 1000, correlation{0, 0});
    correlated_clock b(root, 1000, correlation{0, 2000}); // 2 s ahead of a
    correlated_clock middle(a, 1000);
    correlated_clock leaf(middle, 50);
    scheduler s;
    s.run_at(leaf, 250, record()); // 5 s on a
    EXPECT_EQ(s.next_deadline(), 5 * sec);
    middle.set_parent(b);
    EXPECT_EQ(s.next_deadline(), 3 * sec);
}

TEST_F(ClockTree, UnavailableTimelineParksUntilAvailable) {
    correlated_clock timeline(root, 100);
    scheduler s;
    s.run_at(timeline, 100, record()); // 1 s
    timeline.set_availability(false);
    run_until(s, 3 * sec);
    EXPECT_TRUE(times_ns.empty());
    timeline.set_availability(true); // long past due: runs at once
    run_until(s, 3 * sec);
    EXPECT_EQ(times_ns, (std::vector<std::int64_t>{3 * sec}));
}

TEST_F(ClockTree, SchedulerUnbindsFromTheClockItNoLongerNeeds) {
    correlated_clock timeline(root, 100);
    scheduler s;
    s.run_at(timeline, 10, record());
    EXPECT_TRUE(timeline.is_bound(s));
    EXPECT_FALSE(root.is_bound(s));
    run_until(s, 1 * sec);
    EXPECT_FALSE(timeline.is_bound(s));
}

TEST_F(ClockTree, ClocksAndTasksScenarioTicksTwiceAsFastAfterTheSpeedDoubles) {
    // The reference's clocksAndTasks example with simulated time: a 10 Hz clock under a 100 Hz
    // tunable clock ticks once per second; the tunable clock doubles its speed 5 s in; the
    // remaining ticks come every 0.5 s.
    tunable_clock t_clock(root, 100);
    correlated_clock c_clock(t_clock, 10, correlation{t_clock.ticks(), 0});
    scheduler s;
    for (int i = 0; i < 10; ++i) {
        s.run_at(c_clock, i * 10, record());
    }
    s.run_at(t_clock, 500, [&] { t_clock.set_speed(2.0); });
    run_until(s, 20 * sec);
    const std::vector<std::int64_t> expected{0,       1 * sec,    2 * sec, 3 * sec,    4 * sec,
                                             5 * sec, 5'500 * ms, 6 * sec, 6'500 * ms, 7 * sec};
    EXPECT_EQ(times_ns, expected);
}

} // namespace
