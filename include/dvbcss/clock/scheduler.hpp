#pragma once

/// Runs work when a clock reaches a tick value, following the clock through every later change of
/// correlation, speed, tick rate, parent or availability. The core decides *what* is due and
/// *when*; a driver (dvbcss::net::asio_scheduler, or a test) owns the waiting. See
/// docs/scheduler.md.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/time.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace dvbcss::clock {

/// Names one scheduled task. Ids grow with every `run_at` call and are never reused; 0 is never a
/// valid id.
using task_id = std::uint64_t;

/// What happens to a task whose clock (or an ancestor of it) is marked unavailable.
enum class unavailable_policy {
    /// The task waits, as at speed 0, until the clock becomes available again; it is then timed
    /// afresh (and runs at once if its tick value has already passed). This is the default: an
    /// unavailable clock's ticks mean nothing (a timeline that is not being presented, a wall
    /// clock that lost its server), so work timed on them should not fire.
    park,
    /// Availability is ignored: the task runs when the clock's arithmetic says it is due (the
    /// reference's behaviour).
    run,
};

/// A deadline queue of work items, each timed against a clock in a clock tree.
///
/// A task is `(clock, tick value, work)`. Its deadline is `clock.calc_when(tick value)`: the root
/// time source's nanoseconds at which the clock shows that value. The scheduler binds itself as a
/// listener to every clock that has pending tasks (and unbinds when a clock's last task is gone),
/// so any change on the path from that clock to the root re-times the clock's tasks at once. A
/// task whose deadline does not exist (a clock on the path is at speed 0, or, with
/// `unavailable_policy::park`, the clock is unavailable) is *parked*: it stays pending without a
/// deadline and is re-timed by the notification that makes it reachable again.
///
/// The scheduler performs no waiting and reads no clock of its own: a driver asks
/// `next_deadline()`, waits until then on the root's time source, and calls `run_due(now)`. The
/// hook set with `set_wakeup_changed` tells the driver that `next_deadline()` changed.
///
/// Order: tasks run by deadline, and tasks with equal deadlines in the order they were scheduled
/// (re-timing keeps a task's place among equals). A task whose deadline has passed runs at the
/// next `run_due`.
///
/// Re-entrancy: work may call `run_at`, `cancel` and `cancel_all`, and change clocks. A task
/// scheduled from inside `run_due` never runs in that same call, even if already due; it runs in
/// the next one (so a task re-scheduling itself for "now" cannot starve the driver).
///
/// Exceptions thrown by work are caught; the task counts as run and the error handler (if any)
/// receives it. The scheduler stays consistent.
///
/// Lifetime: destroying a clock drops its pending tasks (they never run), so clocks and the
/// scheduler may be destroyed in any order. Tasks on a destroyed clock's descendants are the
/// descendants' business: a parent must outlive its children, as everywhere in the clock tree.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use a scheduler from the thread
/// or executor that owns its clock tree.
// The class is final and clock_listener's destructor is protected, so a scheduler is never
// deleted through its base: a public non-virtual destructor is safe.
// NOLINTNEXTLINE(cppcoreguidelines-virtual-class-destructor)
class scheduler final : public clock_listener {
public:
    /// Receives an exception that escaped a task's work.
    using error_handler = std::function<void(task_id, std::exception_ptr)>;

    explicit scheduler(unavailable_policy policy = unavailable_policy::park);
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;
    scheduler(scheduler&&) = delete;
    scheduler& operator=(scheduler&&) = delete;

    /// Schedules `work` for when `clock` shows `when` ticks (or at once if it already has).
    /// Throws std::invalid_argument if `work` is empty.
    task_id run_at(clock_base& clock, tick_t when, std::function<void()> work);

    /// Removes a pending task. False if the id is unknown, already ran or was cancelled.
    bool cancel(task_id id);

    /// Removes every pending task timed on `clock` (not on its descendants); returns how many.
    std::size_t cancel_all(const clock_base& clock);

    /// Removes every pending task; returns how many.
    std::size_t clear();

    /// Root time source nanoseconds of the earliest task that has a deadline (it may be in the
    /// past); nullopt when no task has one (none pending, or all parked).
    [[nodiscard]] std::optional<std::int64_t> next_deadline() const;

    /// Runs, in order, every task whose deadline is <= `now_ns` (root time source nanoseconds),
    /// except tasks scheduled during this call. Returns how many ran (including ones that threw).
    std::size_t run_due(std::int64_t now_ns);

    /// Pending tasks, parked ones included.
    [[nodiscard]] std::size_t size() const { return tasks_.size(); }

    [[nodiscard]] bool empty() const { return tasks_.empty(); }

    /// Pending tasks that have no deadline (speed 0 or, with the park policy, unavailable).
    [[nodiscard]] std::size_t parked() const { return tasks_.size() - queue_.size(); }

    /// True if `id` is still pending.
    [[nodiscard]] bool contains(task_id id) const { return tasks_.contains(id); }

    /// The deadline of a pending task (nullopt if parked or unknown), root time source ns.
    [[nodiscard]] std::optional<std::int64_t> deadline_of(task_id id) const;

    /// Number of clocks the scheduler is currently bound to as a listener.
    [[nodiscard]] std::size_t bound_clock_count() const { return by_clock_.size(); }

    [[nodiscard]] unavailable_policy policy() const { return policy_; }

    /// Called (synchronously, with no arguments) whenever `next_deadline()` has changed since the
    /// hook was last called: after scheduling, cancelling, re-timing and at the end of `run_due`.
    /// The hook may read `next_deadline()` and re-arm a timer; it must not call `run_due`.
    void set_wakeup_changed(std::function<void()> hook);

    /// Receives exceptions thrown by work. Without one, such exceptions are dropped.
    void set_error_handler(error_handler handler);

    /// From clock_listener: `cause` (a clock with pending tasks) or one of its ancestors changed;
    /// re-times that clock's tasks.
    void on_clock_changed(clock_base& cause) override;

    /// From clock_listener: `clock` is being destroyed; its pending tasks are dropped unrun.
    void on_clock_destroyed(clock_base& clock) override;

private:
    struct task {
        clock_base* clock = nullptr;
        tick_t when = 0;
        std::function<void()> work;
        std::optional<std::int64_t> deadline;
    };

    [[nodiscard]] std::optional<std::int64_t> compute_deadline(const clock_base& clock,
                                                               tick_t when) const;
    void enqueue(task_id id, const task& t);
    void dequeue(task_id id, const task& t);
    /// Forgets `id` in the per-clock index; unbinds from the clock if it was its last task.
    void detach_from_clock(task_id id, clock_base* clock);
    void report_if_wakeup_changed();

    unavailable_policy policy_;
    task_id next_id_ = 1;
    std::unordered_map<task_id, task> tasks_;
    /// Tasks that have a deadline, ordered by (deadline ns, id); ids grow with insertion.
    std::set<std::pair<std::int64_t, task_id>> queue_;

    /// Pending task ids per clock the scheduler is bound to (ids ordered, so re-timing visits
    /// tasks deterministically).
    struct clock_entry {
        clock_base* clock = nullptr;
        std::set<task_id> ids;
    };

    std::map<const clock_base*, clock_entry> by_clock_;
    std::function<void()> wakeup_changed_;
    error_handler error_handler_;
    /// The value of next_deadline() when the hook was last called (or at construction).
    std::optional<std::int64_t> reported_deadline_;
    /// > 0 while inside run_due: hook calls are deferred to its end.
    int running_depth_ = 0;
};

} // namespace dvbcss::clock
