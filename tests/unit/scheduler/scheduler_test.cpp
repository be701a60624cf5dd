#include "fake_clocks.hpp"

#include <dvbcss/clock/scheduler.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <support/fake_time_source.hpp>

namespace {

using dvbcss::clock::scheduler;
using dvbcss::clock::task_id;
using dvbcss::clock::unavailable_policy;
using dvbcss::test::fake_linear_clock;
using dvbcss::test::fake_root_clock;
using dvbcss::test::fake_time_source;

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t sec = 1'000'000'000;

/// What ran, and at which fake time (ns).
struct run_log {
    std::vector<std::string> names;
    std::vector<std::int64_t> times_ns;

    void add(const std::string& name, std::int64_t t) {
        names.push_back(name);
        times_ns.push_back(t);
    }
};

/// A root at 1 MHz (the reference's SysClock rate) on a fake time source starting at 0.
struct fixture : ::testing::Test {
    fake_time_source source{0};
    fake_root_clock root{source, 1e6};
    run_log log;

    std::function<void()> record(const std::string& name) {
        return [this, name] {
            log.add(name, source.now_ns());
        };
    }
};

using SchedulerOrder = fixture;

TEST_F(SchedulerOrder, RunsTasksInDeadlineOrder) {
    scheduler s;
    s.run_at(root, 300'000, record("c"));
    s.run_at(root, 100'000, record("a"));
    s.run_at(root, 200'000, record("b"));
    EXPECT_EQ(s.size(), 3U);
    EXPECT_EQ(s.next_deadline(), 100 * ms);

    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{100 * ms, 200 * ms, 300 * ms}));
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.next_deadline(), std::nullopt);
}

TEST_F(SchedulerOrder, EqualDeadlinesRunInSchedulingOrder) {
    fake_linear_clock other(root, 1000); // 1 kHz: tick 100 is the same instant as root 100000
    scheduler s;
    s.run_at(root, 100'000, record("first"));
    s.run_at(other, 100, record("second"));
    s.run_at(root, 100'000, record("third"));
    s.run_at(root, 50'000, record("early"));
    EXPECT_EQ(s.run_due(100 * ms), 4U);
    EXPECT_EQ(log.names, (std::vector<std::string>{"early", "first", "second", "third"}));
}

TEST_F(SchedulerOrder, NothingRunsBeforeItsDeadline) {
    scheduler s;
    s.run_at(root, 100'000, record("a"));
    EXPECT_EQ(s.run_due(100 * ms - 1), 0U);
    EXPECT_TRUE(log.names.empty());
    EXPECT_EQ(s.run_due(100 * ms), 1U);
    EXPECT_EQ(log.names.size(), 1U);
}

TEST_F(SchedulerOrder, PastDueTaskRunsAtOnce) {
    scheduler s;
    source.set_ns(5 * sec);
    s.run_at(root, 1'000'000, record("late")); // root tick 1e6 = 1 s, long gone
    ASSERT_TRUE(s.next_deadline());
    EXPECT_LE(*s.next_deadline(), source.now_ns());
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{5 * sec}));
}

TEST_F(SchedulerOrder, RunDueRunsEveryDueTaskInOneCall) {
    scheduler s;
    for (int i = 1; i <= 5; ++i) {
        s.run_at(root, i * 10'000, record(std::to_string(i)));
    }
    s.run_at(root, 1'000'000, record("later"));
    EXPECT_EQ(s.run_due(50 * ms), 5U);
    EXPECT_EQ(s.size(), 1U);
    EXPECT_EQ(s.next_deadline(), 1 * sec);
}

TEST_F(SchedulerOrder, EmptyWorkIsRejected) {
    scheduler s;
    EXPECT_THROW(s.run_at(root, 1, std::function<void()>{}), std::invalid_argument);
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.bound_clock_count(), 0U);
}

using SchedulerCancel = fixture;

TEST_F(SchedulerCancel, CancelledTaskNeverRuns) {
    scheduler s;
    const auto a = s.run_at(root, 100'000, record("a"));
    s.run_at(root, 200'000, record("b"));
    EXPECT_TRUE(s.contains(a));
    EXPECT_TRUE(s.cancel(a));
    EXPECT_FALSE(s.contains(a));
    EXPECT_EQ(s.next_deadline(), 200 * ms);
    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"b"}));
}

TEST_F(SchedulerCancel, CancelReportsUnknownAndFinishedTasks) {
    scheduler s;
    const auto a = s.run_at(root, 100'000, record("a"));
    EXPECT_FALSE(s.cancel(a + 1000));
    EXPECT_FALSE(s.cancel(0));
    run_until(s, source, 1 * sec);
    EXPECT_FALSE(s.cancel(a)); // already ran
    const auto b = s.run_at(root, 2'000'000, record("b"));
    EXPECT_TRUE(s.cancel(b));
    EXPECT_FALSE(s.cancel(b)); // already cancelled
}

TEST_F(SchedulerCancel, CancelAllRemovesOnlyThatClocksTasks) {
    fake_linear_clock child(root, 100);
    scheduler s;
    s.run_at(child, 10, record("child1"));
    s.run_at(child, 20, record("child2"));
    s.run_at(root, 150'000, record("root"));
    EXPECT_EQ(s.bound_clock_count(), 2U);
    EXPECT_EQ(s.cancel_all(child), 2U);
    EXPECT_EQ(s.cancel_all(child), 0U);
    EXPECT_EQ(s.bound_clock_count(), 1U);
    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"root"}));
}

TEST_F(SchedulerCancel, ClearRemovesEverything) {
    fake_linear_clock child(root, 100, 0, 0, 0.0); // paused: its task is parked
    scheduler s;
    s.run_at(child, 10, record("parked"));
    s.run_at(root, 150'000, record("root"));
    EXPECT_EQ(s.clear(), 2U);
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.bound_clock_count(), 0U);
    child.set_speed(1.0);
    run_until(s, source, 10 * sec);
    EXPECT_TRUE(log.names.empty());
}

using SchedulerRetiming = fixture;

TEST_F(SchedulerRetiming, CorrelationJumpMovesDeadlines) {
    // The reference's verified scenario: a +0.3 s correlation jump makes tasks due at 0.5 s and
    // 1.0 s fire at 0.2 s and 0.7 s.
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 50, record("half"));
    s.run_at(clock, 100, record("one"));
    run_until(s, source, 100 * ms);
    clock.set_correlation(0, 30); // the clock is now 0.3 s (30 ticks) ahead
    EXPECT_EQ(s.next_deadline(), 200 * ms);
    run_until(s, source, 2 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"half", "one"}));
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{200 * ms, 700 * ms}));
}

TEST_F(SchedulerRetiming, JumpIntoThePastMakesTaskDueAtOnce) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 500, record("a")); // 5 s
    source.set_ns(1 * sec);
    clock.set_correlation(0, 600); // now shows 700: tick 500 has passed
    ASSERT_TRUE(s.next_deadline());
    EXPECT_LT(*s.next_deadline(), source.now_ns());
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
}

TEST_F(SchedulerRetiming, SpeedChangeFromNowRescalesRemainingWait) {
    // 1 s in, a 10 s wait on a 100 Hz clock doubles its speed: 9 s of ticks remain, taking 4.5 s.
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 1000, record("a"));
    source.set_ns(1 * sec);
    clock.set_speed_from_now(2.0);
    EXPECT_EQ(s.next_deadline(), 5'500 * ms);
    run_until(s, source, 20 * sec);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{5'500 * ms}));
}

TEST_F(SchedulerRetiming, TickRateChangeRetimes) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 100, record("a")); // 1 s at 100 Hz
    clock.set_tick_rate(50);           // 100 ticks now take 2 s
    EXPECT_EQ(s.next_deadline(), 2 * sec);
}

TEST_F(SchedulerRetiming, AncestorCorrelationChangeRetimesDescendantTasks) {
    fake_linear_clock parent(root, 1000);
    fake_linear_clock child(parent, 100);
    scheduler s;
    s.run_at(child, 100, record("a")); // 1 s
    EXPECT_EQ(s.next_deadline(), 1 * sec);
    parent.set_correlation(0, 250); // parent (and so child) 0.25 s ahead
    EXPECT_EQ(s.next_deadline(), 750 * ms);
    parent.set_speed_from_now(4.0); // at t = 0 the parent shows 250 and now runs 4x
    EXPECT_EQ(s.next_deadline(), 187'500'000);
    run_until(s, source, 2 * sec);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{187'500'000}));
}

TEST_F(SchedulerRetiming, AncestorParentChangeRetimesDescendantTasks) {
    fake_linear_clock early(root, 1000, 0, 0);
    fake_linear_clock late(root, 1000, 0, -500); // 0.5 s behind `early`
    fake_linear_clock middle(early, 1000);
    fake_linear_clock leaf(middle, 10);
    scheduler s;
    s.run_at(leaf, 10, record("a")); // 1 s on `early`'s timeline
    EXPECT_EQ(s.next_deadline(), 1 * sec);
    middle.set_parent(late);
    EXPECT_EQ(s.next_deadline(), 1'500 * ms);
    run_until(s, source, 3 * sec);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{1'500 * ms}));
}

TEST_F(SchedulerRetiming, OnlyTheChangedClocksTasksMove) {
    fake_linear_clock a(root, 100);
    fake_linear_clock b(root, 100);
    scheduler s;
    const auto ta = s.run_at(a, 100, record("a"));
    const auto tb = s.run_at(b, 100, record("b"));
    a.set_correlation(0, 50);
    EXPECT_EQ(s.deadline_of(ta), 500 * ms);
    EXPECT_EQ(s.deadline_of(tb), 1 * sec);
}

TEST_F(SchedulerRetiming, BackwardsClockSchedulesLowerTickValuesInTheFuture) {
    fake_linear_clock clock(root, 100, 0, 100, -1.0); // shows 100 at t = 0, counting down
    scheduler s;
    s.run_at(clock, 50, record("a"));
    EXPECT_EQ(s.next_deadline(), 500 * ms);
}

using SchedulerSpeedZero = fixture;

TEST_F(SchedulerSpeedZero, TaskOnPausedClockIsParkedAndResumes) {
    // The reference's verified scenario: a task at tick 20 on a speed-0 clock runs 0.2 s after
    // the clock resumes at speed 1 (from tick 0).
    fake_linear_clock clock(root, 100, 0, 0, 0.0);
    scheduler s;
    const auto id = s.run_at(clock, 20, record("a"));
    EXPECT_EQ(s.parked(), 1U);
    EXPECT_EQ(s.next_deadline(), std::nullopt);
    EXPECT_EQ(s.deadline_of(id), std::nullopt);
    run_until(s, source, 3 * sec);
    EXPECT_TRUE(log.names.empty());

    clock.set_correlation(root.ticks(), 0); // resume without a jump, as TSServer.py does
    clock.set_speed(1.0);
    EXPECT_EQ(s.parked(), 0U);
    EXPECT_EQ(s.next_deadline(), 3'200 * ms);
    run_until(s, source, 5 * sec);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{3'200 * ms}));
}

TEST_F(SchedulerSpeedZero, PausingParksAPendingTask) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 100, record("a"));
    source.set_ns(400 * ms);
    clock.set_speed_from_now(0.0); // frozen at 40
    EXPECT_EQ(s.parked(), 1U);
    run_until(s, source, 10 * sec);
    EXPECT_TRUE(log.names.empty());
    clock.set_speed_from_now(1.0); // resumes at 40 at t = 10 s: 60 ticks to go
    EXPECT_EQ(s.next_deadline(), 10'600 * ms);
    run_until(s, source, 20 * sec);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{10'600 * ms}));
}

TEST_F(SchedulerSpeedZero, PausedAncestorParksDescendantTasks) {
    fake_linear_clock parent(root, 1000);
    fake_linear_clock child(parent, 100);
    scheduler s;
    s.run_at(child, 100, record("a"));
    s.run_at(root, 2'000'000, record("root")); // unaffected by the pause
    parent.set_speed(0.0);
    EXPECT_EQ(s.parked(), 1U);
    EXPECT_EQ(s.next_deadline(), 2 * sec);
    run_until(s, source, 5 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"root"}));
    parent.set_speed_from_now(1.0);
    run_until(s, source, 10 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"root", "a"}));
}

TEST_F(SchedulerSpeedZero, FrozenValueOfAPausedClockIsReachable) {
    // A paused clock that already shows the scheduled value: the task is due (calc_when of the
    // frozen value maps to the correlation point), not parked.
    fake_linear_clock clock(root, 100, 0, 20, 0.0);
    scheduler s;
    s.run_at(clock, 20, record("a"));
    EXPECT_EQ(s.parked(), 0U);
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
}

using SchedulerAvailability = fixture;

TEST_F(SchedulerAvailability, UnavailableClockParksTasksByDefault) {
    fake_linear_clock clock(root, 100); // clocks are declared first: they must outlive `s`
    scheduler s;
    EXPECT_EQ(s.policy(), unavailable_policy::park);
    clock.set_availability(false);
    s.run_at(clock, 50, record("a"));
    EXPECT_EQ(s.parked(), 1U);
    run_until(s, source, 2 * sec);
    EXPECT_TRUE(log.names.empty());
    clock.set_availability(true); // tick 50 passed at 0.5 s: due at once
    EXPECT_EQ(s.parked(), 0U);
    ASSERT_TRUE(s.next_deadline());
    EXPECT_LE(*s.next_deadline(), source.now_ns());
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
}

TEST_F(SchedulerAvailability, BecomingUnavailableParksPendingTasks) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 100, record("a"));
    clock.set_availability(false);
    EXPECT_EQ(s.parked(), 1U);
    run_until(s, source, 500 * ms);
    clock.set_availability(true);
    EXPECT_EQ(s.next_deadline(), 1 * sec);
}

TEST_F(SchedulerAvailability, UnavailableAncestorParksDescendantTasks) {
    fake_linear_clock parent(root, 1000);
    fake_linear_clock child(parent, 100);
    scheduler s;
    s.run_at(child, 100, record("a"));
    parent.set_availability(false);
    EXPECT_EQ(s.parked(), 1U);
    parent.set_availability(true);
    EXPECT_EQ(s.parked(), 0U);
    EXPECT_EQ(s.next_deadline(), 1 * sec);
}

TEST_F(SchedulerAvailability, RunPolicyIgnoresAvailability) {
    fake_linear_clock clock(root, 100);
    scheduler s(unavailable_policy::run);
    clock.set_availability(false);
    s.run_at(clock, 50, record("a"));
    EXPECT_EQ(s.parked(), 0U);
    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{500 * ms}));
}

using SchedulerReentrancy = fixture;

TEST_F(SchedulerReentrancy, WorkMayScheduleMoreWork) {
    scheduler s;
    s.run_at(root, 100'000, [&] {
        log.add("outer", source.now_ns());
        s.run_at(root, 0, record("due-now"));     // already due: waits for the next run_due
        s.run_at(root, 300'000, record("later")); // in the future
    });
    source.set_ns(100 * ms);
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
    EXPECT_EQ(log.names, (std::vector<std::string>{"outer"}));
    EXPECT_EQ(s.size(), 2U);
    EXPECT_EQ(s.run_due(source.now_ns()), 1U);
    EXPECT_EQ(log.names, (std::vector<std::string>{"outer", "due-now"}));
    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"outer", "due-now", "later"}));
}

TEST_F(SchedulerReentrancy, SelfReschedulingTaskRunsOncePerCall) {
    scheduler s;
    int count = 0;
    std::function<void()> again = [&] {
        ++count;
        s.run_at(root, 0, again);
    };
    s.run_at(root, 0, again);
    EXPECT_EQ(s.run_due(0), 1U);
    EXPECT_EQ(s.run_due(0), 1U);
    EXPECT_EQ(count, 2);
    EXPECT_EQ(s.size(), 1U);
}

TEST_F(SchedulerReentrancy, WorkMayCancelAnotherDueTask) {
    scheduler s;
    task_id victim = 0;
    s.run_at(root, 100'000, [&] {
        log.add("killer", source.now_ns());
        EXPECT_TRUE(s.cancel(victim));
    });
    victim = s.run_at(root, 100'000, record("victim"));
    s.run_at(root, 100'000, record("bystander"));
    EXPECT_EQ(s.run_due(100 * ms), 2U);
    EXPECT_EQ(log.names, (std::vector<std::string>{"killer", "bystander"}));
}

TEST_F(SchedulerReentrancy, WorkCannotCancelItself) {
    scheduler s;
    task_id self = 0;
    bool cancelled = true;
    self = s.run_at(root, 0, [&] { cancelled = s.cancel(self); });
    EXPECT_EQ(s.run_due(0), 1U);
    EXPECT_FALSE(cancelled);
}

TEST_F(SchedulerReentrancy, WorkMayChangeAClockAndRetimeOthers) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(root, 100'000, [&] {
        log.add("speed-up", source.now_ns());
        clock.set_speed_from_now(2.0);
    });
    s.run_at(clock, 100, record("tick")); // 1 s at speed 1; 0.1 + 0.45 s after the change
    run_until(s, source, 2 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"speed-up", "tick"}));
    EXPECT_EQ(log.times_ns, (std::vector<std::int64_t>{100 * ms, 550 * ms}));
}

TEST_F(SchedulerReentrancy, WorkMayCancelAllOfItsClock) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 10, [&] { EXPECT_EQ(s.cancel_all(clock), 2U); });
    s.run_at(clock, 10, record("b"));
    s.run_at(clock, 20, record("c"));
    run_until(s, source, 1 * sec);
    EXPECT_TRUE(log.names.empty());
    EXPECT_EQ(s.bound_clock_count(), 0U);
}

using SchedulerExceptions = fixture;

TEST_F(SchedulerExceptions, ThrowingWorkIsReportedAndOthersStillRun) {
    scheduler s;
    std::vector<task_id> failed;
    std::string message;
    s.set_error_handler([&](task_id id, const std::exception_ptr& e) {
        failed.push_back(id);
        try {
            std::rethrow_exception(e);
        } catch (const std::runtime_error& err) {
            message = err.what();
        }
    });
    s.run_at(root, 100'000, record("before"));
    const auto bad = s.run_at(root, 100'000, [] { throw std::runtime_error("boom"); });
    s.run_at(root, 100'000, record("after"));
    s.run_at(root, 200'000, record("later"));
    EXPECT_EQ(s.run_due(100 * ms), 3U);
    EXPECT_EQ(failed, (std::vector<task_id>{bad}));
    EXPECT_EQ(message, "boom");
    EXPECT_EQ(log.names, (std::vector<std::string>{"before", "after"}));
    EXPECT_FALSE(s.contains(bad));
    EXPECT_EQ(s.size(), 1U);
    EXPECT_EQ(s.next_deadline(), 200 * ms);
    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"before", "after", "later"}));
}

TEST_F(SchedulerExceptions, WithoutHandlerExceptionsAreDropped) {
    scheduler s;
    s.run_at(root, 0, [] { throw 42; });
    s.run_at(root, 0, record("next"));
    EXPECT_NO_THROW(EXPECT_EQ(s.run_due(0), 2U));
    EXPECT_EQ(log.names, (std::vector<std::string>{"next"}));
    EXPECT_EQ(s.bound_clock_count(), 0U);
}

TEST_F(SchedulerExceptions, ThrowingHandlerLeavesSchedulerConsistent) {
    scheduler s;
    int hook_calls = 0;
    s.set_wakeup_changed([&] { ++hook_calls; });
    s.set_error_handler([](task_id, const std::exception_ptr& e) { std::rethrow_exception(e); });
    s.run_at(root, 0, [] { throw std::runtime_error("boom"); });
    s.run_at(root, 100'000, record("later"));
    EXPECT_THROW(s.run_due(0), std::runtime_error);
    EXPECT_EQ(s.size(), 1U);
    // Not stuck "inside run_due": scheduling still reports wake-up changes.
    hook_calls = 0;
    s.run_at(root, 50'000, record("earlier"));
    EXPECT_EQ(hook_calls, 1);
    run_until(s, source, 1 * sec);
    EXPECT_EQ(log.names, (std::vector<std::string>{"earlier", "later"}));
}

using SchedulerBinding = fixture;

TEST_F(SchedulerBinding, BindsPerClockAndUnbindsWhenEmpty) {
    fake_linear_clock a(root, 100);
    fake_linear_clock b(root, 100);
    scheduler s;
    EXPECT_EQ(s.bound_clock_count(), 0U);
    s.run_at(a, 10, record("a1"));
    s.run_at(a, 20, record("a2"));
    const auto tb = s.run_at(b, 30, record("b"));
    EXPECT_EQ(s.bound_clock_count(), 2U);
    EXPECT_TRUE(a.is_bound(s));
    EXPECT_TRUE(b.is_bound(s));
    EXPECT_FALSE(root.is_bound(s)); // ancestors are reached through the notification chain
    EXPECT_TRUE(s.cancel(tb));
    EXPECT_EQ(s.bound_clock_count(), 1U);
    EXPECT_FALSE(b.is_bound(s));
    run_until(s, source, 150 * ms);
    EXPECT_EQ(s.bound_clock_count(), 1U); // a2 still pending
    EXPECT_TRUE(a.is_bound(s));
    run_until(s, source, 1 * sec);
    EXPECT_EQ(s.bound_clock_count(), 0U);
    EXPECT_FALSE(a.is_bound(s));
}

TEST_F(SchedulerBinding, UnboundSchedulerIsNoLongerNotified) {
    int hook_calls = 0;
    fake_linear_clock clock(root, 100);
    {
        auto s = std::make_unique<scheduler>();
        s->run_at(clock, 10, record("a"));
        run_until(*s, source, 1 * sec);
        EXPECT_EQ(s->bound_clock_count(), 0U);
        EXPECT_FALSE(clock.is_bound(*s));
        s->set_wakeup_changed([&] { ++hook_calls; });
        clock.set_speed(3.0); // not bound: the scheduler must not hear this
        EXPECT_EQ(hook_calls, 0);
    }
    clock.set_speed(2.0); // the scheduler is gone; a stale binding would be a use after free
    EXPECT_EQ(clock.speed(), 2.0);
}

TEST_F(SchedulerBinding, DestructorUnbindsFromClocksWithPendingTasks) {
    fake_linear_clock clock(root, 100);
    {
        scheduler s;
        s.run_at(clock, 10, record("never"));
        s.run_at(root, 10, record("never either"));
        EXPECT_EQ(s.bound_clock_count(), 2U);
        EXPECT_TRUE(clock.is_bound(s));
        EXPECT_TRUE(root.is_bound(s));
    }
    clock.set_speed(2.0); // must not reach the destroyed scheduler
    EXPECT_TRUE(log.names.empty());
}

TEST_F(SchedulerBinding, RebindsAfterBecomingEmpty) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    s.run_at(clock, 10, record("a"));
    run_until(s, source, 200 * ms);
    EXPECT_EQ(s.bound_clock_count(), 0U);
    s.run_at(clock, 100, record("b"));
    EXPECT_EQ(s.bound_clock_count(), 1U);
    clock.set_correlation(0, 50);
    EXPECT_EQ(s.next_deadline(), 500 * ms);
}

using SchedulerWakeup = fixture;

TEST_F(SchedulerWakeup, HookFiresOnlyWhenNextDeadlineChanges) {
    fake_linear_clock clock(root, 100);
    scheduler s;
    std::vector<std::optional<std::int64_t>> seen;
    s.set_wakeup_changed([&] { seen.push_back(s.next_deadline()); });

    const auto a = s.run_at(clock, 100, record("a"));    // first deadline: 1 s
    s.run_at(clock, 200, record("b"));                   // later: no change
    const auto c = s.run_at(root, 500'000, record("c")); // earlier: 0.5 s
    EXPECT_EQ(seen, (std::vector<std::optional<std::int64_t>>{1 * sec, 500 * ms}));

    EXPECT_TRUE(s.cancel(a)); // not the earliest: no change
    EXPECT_EQ(seen.size(), 2U);
    EXPECT_TRUE(s.cancel(c)); // earliest goes: now b at 2 s
    EXPECT_EQ(seen.back(), 2 * sec);

    clock.set_correlation(0, 50); // b moves to 1.5 s
    EXPECT_EQ(seen.back(), 1'500 * ms);
    clock.set_speed(0.0); // b parked: nothing to wait for
    EXPECT_EQ(seen.back(), std::nullopt);
    EXPECT_EQ(seen.size(), 5U);
}

TEST_F(SchedulerWakeup, HookFiresOnceAtTheEndOfRunDue) {
    scheduler s;
    int calls = 0;
    std::optional<std::int64_t> seen_inside_work;
    s.run_at(root, 100'000, [&] {
        s.run_at(root, 400'000, record("x")); // would change nothing visible yet
        seen_inside_work = s.next_deadline();
    });
    s.run_at(root, 200'000, record("b"));
    s.run_at(root, 300'000, record("c"));
    s.set_wakeup_changed([&] { ++calls; });
    EXPECT_EQ(s.run_due(250 * ms), 2U);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(s.next_deadline(), 300 * ms);
    EXPECT_EQ(seen_inside_work, 200 * ms);
}

TEST_F(SchedulerWakeup, NoHookWhenRunDueChangesNothing) {
    scheduler s;
    int calls = 0;
    s.run_at(root, 100'000, record("a"));
    s.set_wakeup_changed([&] { ++calls; });
    EXPECT_EQ(s.run_due(50 * ms), 0U);
    EXPECT_EQ(calls, 0);
}

} // namespace
