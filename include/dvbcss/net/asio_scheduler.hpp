#pragma once

/// Drives a dvbcss::clock::scheduler from an Asio executor: one steady_timer armed for the
/// earliest deadline, re-armed whenever that deadline changes, plus coroutine sleeps on any clock.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/scheduler.hpp>
#include <dvbcss/time.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace dvbcss::net {

/// How an `asio_scheduler` polls the monotonic clock during its spin stretch.
enum class spin_wait {
    /// Keep the CPU, with a CPU relax hint between polls. Most punctual; under CPU contention the
    /// kernel may still preempt the thread.
    busy,
    /// Call sched_yield between polls. Polite to other threads on an idle machine, but under CPU
    /// contention a yield can hand the CPU away for a whole time slice (milliseconds).
    yield,
};

/// Tuning of an `asio_scheduler`. Thread safety: a plain value; copied at construction.
struct asio_scheduler_options {
    /// How long before each deadline the timer wakes up; the rest of the wait is spent polling the
    /// monotonic clock on the executor's thread. Trades CPU time and executor latency for
    /// punctuality: with 0 a wake-up is as late as the kernel timer makes it (tens of microseconds
    /// on Linux); with a stretch of 50-200 us the median lateness drops to a few microseconds.
    /// See bench/scheduler_bench.cpp and docs/scheduler.md for measured figures.
    std::chrono::nanoseconds spin{0};

    /// How the spin stretch polls.
    spin_wait spin_style = spin_wait::busy;

    /// What happens to tasks on an unavailable clock (see clock::unavailable_policy).
    clock::unavailable_policy unavailable = clock::unavailable_policy::park;
};

/// A clock scheduler with its waiting done by an Asio steady_timer.
///
/// Time base: deadlines are nanoseconds of the clock tree's root time source, and this driver
/// waits for them on `std::chrono::steady_clock`. On Linux (libstdc++ and libc++) steady_clock
/// reads CLOCK_MONOTONIC, the same clock `clock::monotonic_time_source` reads, so the two share
/// one epoch and one rate and a deadline converts to a timer expiry with no arithmetic. Clock
/// trees scheduled here must therefore be rooted in a `sys_clock` on `monotonic_time_source`
/// (the default); a tree on a fake time source belongs with the core scheduler and a test driver.
///
/// Work passed to `run_at` runs on the executor. Exceptions it throws are caught and passed to the
/// error handler (by default: one log line, logger "scheduler", level error).
///
/// `stop()` (also done by the destructor) drops every pending task and makes every sleeping
/// coroutine resume by throwing boost::system::system_error(boost::asio::error::operation_aborted);
/// sleeps started later fail the same way at once. A sleep is also ended, with the same error,
/// by per-operation cancellation (a cancellation slot bound to the coroutine's completion, e.g.
/// the `||` awaitable operator).
///
/// Lifetime: clocks with pending tasks or sleepers must outlive them (and, with tasks still
/// pending, the scheduler). The scheduler may be destroyed while coroutines sleep on it: they
/// resume with operation_aborted when the executor next runs them.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Call every member on the
/// executor's thread (a single-threaded io_context, or a strand), the same one that owns the clock
/// tree.
class asio_scheduler {
public:
    using executor_type = boost::asio::any_io_executor;
    using error_handler = clock::scheduler::error_handler;

    explicit asio_scheduler(executor_type executor, asio_scheduler_options options = {});
    ~asio_scheduler();
    asio_scheduler(const asio_scheduler&) = delete;
    asio_scheduler& operator=(const asio_scheduler&) = delete;
    asio_scheduler(asio_scheduler&&) = delete;
    asio_scheduler& operator=(asio_scheduler&&) = delete;

    /// Runs `work` on the executor when `clock` reaches `when` ticks (at once if it has), following
    /// later changes of the clock. Returns 0 (and schedules nothing) after `stop()`.
    clock::task_id run_at(clock::clock_base& clock, tick_t when, std::function<void()> work);

    /// Cancels a pending `run_at` task; false if unknown, already run or cancelled.
    bool cancel(clock::task_id id);

    /// Completes when `clock` reaches `when` ticks (at once if it already has), following later
    /// changes of the clock; parked while the clock is paused (or unavailable, by default).
    /// Throws boost::system::system_error(operation_aborted) if stopped or cancelled.
    [[nodiscard]] boost::asio::awaitable<void> sleep_until(clock::clock_base& clock, tick_t when);

    /// `sleep_until(clock, clock.ticks() + ticks)`: the duration is measured in the clock's
    /// ticks, so it stretches or shrinks with later changes of the clock's speed.
    [[nodiscard]] boost::asio::awaitable<void> sleep_for(clock::clock_base& clock, tick_t ticks);

    /// Drops every pending task, aborts every sleeper and refuses new work. Idempotent.
    void stop();

    [[nodiscard]] bool stopped() const;

    /// Replaces the handler for exceptions thrown by `run_at` work (nullptr: drop them).
    void set_error_handler(error_handler handler);

    /// The core scheduler, for inspection (size, next deadline). Do not replace its wake-up hook.
    [[nodiscard]] const clock::scheduler& core() const;

    [[nodiscard]] executor_type get_executor() const;

    [[nodiscard]] const asio_scheduler_options& options() const;

    /// steady_clock now, nanoseconds since its epoch (the deadlines' time base).
    [[nodiscard]] static std::int64_t now_ns();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace dvbcss::net
