// The Asio scheduler driver in real time: coroutine sleeps on clocks that change speed, pause and
// resume; stop and cancellation; run_at; and the clocks-and-tasks demo program. Bounds are
// generous because the machine may be loaded.

#include <dvbcss/clock/offset_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/clock/tunable_clock.hpp>
#include <dvbcss/net/asio_scheduler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace {

namespace asio = boost::asio;
using dvbcss::clock::offset_clock;
using dvbcss::clock::sys_clock;
using dvbcss::clock::tunable_clock;
using dvbcss::net::asio_scheduler;
using dvbcss::net::asio_scheduler_options;
using namespace std::chrono_literals;

constexpr std::int64_t ms = 1'000'000;

std::int64_t now_ns() {
    return asio_scheduler::now_ns();
}

/// Runs the context until it has no more work, or fails the test after `limit`.
void run_with_limit(asio::io_context& io, std::chrono::milliseconds limit = 10s) {
    io.run_for(limit);
    EXPECT_TRUE(io.stopped()) << "the io_context still had work after the time limit";
}

/// Spawns `body`, storing any exception it ends with.
template <class Body>
void spawn(asio::io_context& io, std::exception_ptr& error, Body body) {
    asio::co_spawn(io, std::move(body), [&error](std::exception_ptr e) { error = e; });
}

bool is_aborted(const std::exception_ptr& e) {
    if (!e) {
        return false;
    }
    try {
        std::rethrow_exception(e);
    } catch (const boost::system::system_error& err) {
        return err.code() == asio::error::operation_aborted;
    } catch (...) {
    }
    return false;
}

TEST(AsioScheduler, MonotonicSourceAndSteadyClockShareATimeBase) {
    const auto a = dvbcss::clock::monotonic_time_source::instance().now_ns();
    const auto b = now_ns();
    const auto c = dvbcss::clock::monotonic_time_source::instance().now_ns();
    EXPECT_LE(a, b);
    EXPECT_LE(b, c);
    EXPECT_LT(c - a, 5 * ms);
}

TEST(AsioScheduler, SleepOnSysClockLastsItsDuration) {
    asio::io_context io;
    sys_clock root; // 1e9 ticks per second on CLOCK_MONOTONIC
    asio_scheduler sched(io.get_executor());
    std::int64_t elapsed = 0;
    std::exception_ptr error;
    spawn(io, error, [&]() -> asio::awaitable<void> {
        const auto start = now_ns();
        co_await sched.sleep_for(root, 30e6L);
        elapsed = now_ns() - start;
    });
    run_with_limit(io);
    EXPECT_FALSE(error);
    EXPECT_GE(elapsed, 30 * ms);
    EXPECT_LT(elapsed, 130 * ms);
    EXPECT_TRUE(sched.core().empty());
}

TEST(AsioScheduler, SleepShortensWhenTheClockDoublesItsSpeedMidway) {
    // 200 ms on a 1 kHz clock; after 50 ms the clock doubles its speed, so the remaining 150 ticks
    // take 75 ms: 125 ms in all (200 ms if the change were ignored).
    asio::io_context io;
    sys_clock root;
    tunable_clock timeline(root, 1000);
    asio_scheduler sched(io.get_executor());
    std::int64_t elapsed = 0;
    std::exception_ptr error1;
    std::exception_ptr error2;
    spawn(io, error1, [&]() -> asio::awaitable<void> {
        const auto start = now_ns();
        co_await sched.sleep_for(timeline, 200);
        elapsed = now_ns() - start;
    });
    spawn(io, error2, [&]() -> asio::awaitable<void> {
        co_await sched.sleep_for(root, 50e6L);
        timeline.set_speed(2.0);
    });
    run_with_limit(io);
    EXPECT_FALSE(error1);
    EXPECT_FALSE(error2);
    EXPECT_GE(elapsed, 124 * ms);
    EXPECT_LT(elapsed, 190 * ms);
}

TEST(AsioScheduler, SleepOnPausedClockWaitsForResume) {
    asio::io_context io;
    sys_clock root;
    tunable_clock timeline(root, 1000);
    timeline.set_speed(0.0);
    asio_scheduler sched(io.get_executor());
    std::int64_t resumed_at = 0;
    std::int64_t woke_at = 0;
    std::exception_ptr error1;
    std::exception_ptr error2;
    spawn(io, error1, [&]() -> asio::awaitable<void> {
        co_await sched.sleep_for(timeline, 20); // 20 ms of timeline, once it runs
        woke_at = now_ns();
    });
    spawn(io, error2, [&]() -> asio::awaitable<void> {
        co_await sched.sleep_for(root, 60e6L);
        EXPECT_EQ(woke_at, 0);
        EXPECT_EQ(sched.core().parked(), 1U);
        resumed_at = now_ns();
        timeline.set_speed(1.0);
    });
    run_with_limit(io);
    EXPECT_FALSE(error1);
    EXPECT_FALSE(error2);
    ASSERT_NE(woke_at, 0);
    EXPECT_GE(woke_at - resumed_at, 19 * ms);
    EXPECT_LT(woke_at - resumed_at, 120 * ms);
}

TEST(AsioScheduler, SleepOnOffsetClockEndsEarlierByTheOffset) {
    asio::io_context io;
    sys_clock root;
    offset_clock ahead(root, 200ms);
    asio_scheduler sched(io.get_executor());
    std::int64_t elapsed = 0;
    std::exception_ptr error;
    spawn(io, error, [&]() -> asio::awaitable<void> {
        const auto start = now_ns();
        // 500 ms from now on the root is 300 ms from now on a clock 200 ms ahead (the margin
        // below tolerates a loaded machine and still tells 300 ms from 500 ms).
        co_await sched.sleep_until(ahead, root.ticks() + 500e6L);
        elapsed = now_ns() - start;
    });
    run_with_limit(io);
    EXPECT_FALSE(error);
    EXPECT_GE(elapsed, 299 * ms);
    EXPECT_LT(elapsed, 450 * ms);
}

TEST(AsioScheduler, PastDueSleepCompletesAtOnce) {
    asio::io_context io;
    sys_clock root;
    asio_scheduler sched(io.get_executor());
    std::int64_t elapsed = -1;
    std::exception_ptr error;
    spawn(io, error, [&]() -> asio::awaitable<void> {
        const auto start = now_ns();
        co_await sched.sleep_until(root, root.ticks() - 1e9L);
        elapsed = now_ns() - start;
    });
    run_with_limit(io);
    EXPECT_FALSE(error);
    EXPECT_GE(elapsed, 0);
    EXPECT_LT(elapsed, 50 * ms);
}

TEST(AsioScheduler, RunAtRunsWorkOnTheExecutorInOrder) {
    asio::io_context io;
    sys_clock root;
    asio_scheduler sched(io.get_executor());
    std::vector<int> order;
    std::vector<std::int64_t> lateness;
    const auto base = root.ticks();
    for (const int i : {3, 1, 2}) {
        const auto when = base + static_cast<dvbcss::tick_t>(i) * 10e6L;
        sched.run_at(root, when, [&, i, when] {
            order.push_back(i);
            lateness.push_back(now_ns() - static_cast<std::int64_t>(when));
        });
    }
    run_with_limit(io);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    for (const auto l : lateness) {
        EXPECT_GE(l, 0) << "a task ran before its deadline";
        EXPECT_LT(l, 100 * ms);
    }
}

TEST(AsioScheduler, CancelledTaskDoesNotRun) {
    asio::io_context io;
    sys_clock root;
    asio_scheduler sched(io.get_executor());
    bool ran = false;
    const auto id = sched.run_at(root, root.ticks() + 20e6L, [&] { ran = true; });
    EXPECT_TRUE(sched.cancel(id));
    run_with_limit(io, 200ms);
    EXPECT_FALSE(ran);
}

TEST(AsioScheduler, StopAbortsSleepersAndRefusesNewWork) {
    asio::io_context io;
    sys_clock root;
    asio_scheduler sched(io.get_executor());
    std::exception_ptr error1;
    std::exception_ptr error2;
    std::exception_ptr error3;
    bool task_ran = false;
    sched.run_at(root, root.ticks() + 10e9L, [&] { task_ran = true; });
    spawn(io, error1, [&]() -> asio::awaitable<void> { co_await sched.sleep_for(root, 10e9L); });
    spawn(io, error2, [&]() -> asio::awaitable<void> {
        co_await sched.sleep_until(root, root.ticks() + 20e9L);
    });
    const auto start = now_ns();
    spawn(io, error3, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io, 20ms);
        co_await t.async_wait(asio::use_awaitable);
        sched.stop();
        EXPECT_TRUE(sched.stopped());
        EXPECT_EQ(sched.run_at(root, 0, [] {}), 0U);
        co_await sched.sleep_for(root, 1); // refused: throws
    });
    run_with_limit(io);
    EXPECT_LT(now_ns() - start, 2'000 * ms);
    EXPECT_TRUE(is_aborted(error1));
    EXPECT_TRUE(is_aborted(error2));
    EXPECT_TRUE(is_aborted(error3));
    EXPECT_FALSE(task_ran);
    EXPECT_TRUE(sched.core().empty());
}

TEST(AsioScheduler, DestroyingTheSchedulerAbortsSleepers) {
    asio::io_context io;
    sys_clock root;
    auto sched = std::make_unique<asio_scheduler>(io.get_executor());
    std::exception_ptr error1;
    std::exception_ptr error2;
    spawn(io, error1, [&]() -> asio::awaitable<void> { co_await sched->sleep_for(root, 10e9L); });
    spawn(io, error2, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io, 20ms);
        co_await t.async_wait(asio::use_awaitable);
        sched.reset();
    });
    run_with_limit(io);
    EXPECT_TRUE(is_aborted(error1));
    EXPECT_FALSE(error2);
}

TEST(AsioScheduler, PerOperationCancellationEndsASleepAndItsTask) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context io;
    sys_clock root;
    tunable_clock timeline(root, 1000);
    asio_scheduler sched(io.get_executor());
    std::exception_ptr error;
    std::optional<std::size_t> winner;
    std::size_t pending_after = 99;
    spawn(io, error, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io, 30ms);
        auto result =
            co_await (sched.sleep_for(timeline, 10'000) || t.async_wait(asio::use_awaitable));
        winner = result.index();
        pending_after = sched.core().size();
    });
    run_with_limit(io);
    EXPECT_FALSE(error);
    EXPECT_EQ(winner, 1U);
    EXPECT_EQ(pending_after, 0U);
    EXPECT_FALSE(timeline.is_bound(sched.core()));
}

TEST(AsioScheduler, ThrowingTaskGoesToTheErrorHandlerAndOthersRun) {
    asio::io_context io;
    sys_clock root;
    asio_scheduler sched(io.get_executor());
    int errors = 0;
    bool later_ran = false;
    sched.set_error_handler([&](dvbcss::clock::task_id, std::exception_ptr) { ++errors; });
    sched.run_at(root, root.ticks() + 5e6L, [] { throw std::runtime_error("task failure"); });
    sched.run_at(root, root.ticks() + 15e6L, [&] { later_ran = true; });
    run_with_limit(io);
    EXPECT_EQ(errors, 1);
    EXPECT_TRUE(later_ran);
}

/// Lateness (ns) of `n` chained wake-ups `gap` apart on the root clock.
std::vector<std::int64_t> measure_lateness(std::chrono::nanoseconds spin, int n,
                                           std::chrono::nanoseconds gap) {
    asio::io_context io;
    sys_clock root;
    asio_scheduler_options options;
    options.spin = spin;
    asio_scheduler sched(io.get_executor(), options);
    std::vector<std::int64_t> out;
    std::exception_ptr error;
    spawn(io, error, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
            const auto when = root.ticks() + static_cast<dvbcss::tick_t>(gap.count());
            co_await sched.sleep_until(root, when);
            out.push_back(now_ns() - static_cast<std::int64_t>(when));
        }
    });
    run_with_limit(io);
    EXPECT_FALSE(error);
    return out;
}

TEST(AsioScheduler, WakeUpsAreNeverEarlyWithOrWithoutSpin) {
    for (const auto spin : {0ns, std::chrono::nanoseconds(500us)}) {
        const auto lateness = measure_lateness(spin, 40, 2ms);
        ASSERT_EQ(lateness.size(), 40U);
        for (const auto l : lateness) {
            EXPECT_GE(l, 0) << "spin " << spin.count() << " ns: woke early";
            EXPECT_LT(l, 100 * ms) << "spin " << spin.count() << " ns";
        }
    }
}

TEST(AsioScheduler, ClocksAndTasksProgramShowsTicksSpeedingUp) {
    const std::filesystem::path program =
        std::filesystem::path(DVBCSS_BIN_DIR) / "clocks-and-tasks";
    if (!std::filesystem::exists(program)) {
        GTEST_SKIP() << program << " is not built";
    }
    const std::string command = program.string() + " --fast 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
        output += buffer.data();
    }
    const int status = ::pclose(pipe);
    ASSERT_TRUE(WIFEXITED(status)) << output;
    EXPECT_EQ(WEXITSTATUS(status), 0) << output;

    // Lines look like "[   1.234 s] Tick 10".
    const std::regex tick_line(R"(\[\s*([0-9.]+) s\] Tick )");
    std::vector<double> tick_times;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), tick_line);
         it != std::sregex_iterator(); ++it) {
        tick_times.push_back(std::stod((*it)[1].str()));
    }
    ASSERT_EQ(tick_times.size(), 10U) << output;
    // --fast divides every wait by 10: 0.1 s between ticks, then 0.05 s after the speed doubles.
    const double early = (tick_times[4] - tick_times[0]) / 4;
    const double late = (tick_times[9] - tick_times[6]) / 3;
    EXPECT_NEAR(early, 0.1, 0.03) << output;
    EXPECT_NEAR(late, 0.05, 0.02) << output;
    EXPECT_NE(output.find("Speed doubled"), std::string::npos) << output;
    EXPECT_NE(output.find("Scheduled task ran. Message was: huzzah!"), std::string::npos) << output;
    EXPECT_NE(output.find("Scheduled task ran. Message was: Tick 1000"), std::string::npos)
        << output;
}

} // namespace
