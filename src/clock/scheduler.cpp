#include <dvbcss/clock/scheduler.hpp>

#include <stdexcept>
#include <vector>

namespace dvbcss::clock {

namespace {

/// Decrements a depth counter on every way out of a scope.
class depth_guard {
public:
    explicit depth_guard(int& depth)
        : depth_(depth) {
        ++depth_;
    }

    ~depth_guard() { --depth_; }

    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
    depth_guard(depth_guard&&) = delete;
    depth_guard& operator=(depth_guard&&) = delete;

private:
    int& depth_;
};

} // namespace

scheduler::scheduler(unavailable_policy policy)
    : policy_(policy) {}

scheduler::~scheduler() {
    for (auto& [key, entry] : by_clock_) {
        entry.clock->unbind(*this);
    }
}

task_id scheduler::run_at(clock_base& clock, tick_t when, std::function<void()> work) {
    if (!work) {
        throw std::invalid_argument("scheduler::run_at: empty work");
    }
    const task_id id = next_id_++;
    task t{&clock, when, std::move(work), compute_deadline(clock, when)};
    auto [slot, inserted] = by_clock_.try_emplace(&clock);
    if (inserted) {
        slot->second.clock = &clock;
        clock.bind(*this);
    }
    slot->second.ids.insert(id);
    enqueue(id, t);
    tasks_.emplace(id, std::move(t));
    report_if_wakeup_changed();
    return id;
}

bool scheduler::cancel(task_id id) {
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) {
        return false;
    }
    // Move the task out first: destroying its work may run arbitrary destructors.
    auto node = tasks_.extract(it);
    dequeue(id, node.mapped());
    detach_from_clock(id, node.mapped().clock);
    report_if_wakeup_changed();
    return true;
}

std::size_t scheduler::cancel_all(const clock_base& clock) {
    const auto found = by_clock_.find(&clock);
    if (found == by_clock_.end()) {
        return 0;
    }
    const std::vector<task_id> ids(found->second.ids.begin(), found->second.ids.end());
    std::size_t n = 0;
    for (const auto id : ids) {
        if (cancel(id)) {
            ++n;
        }
    }
    return n;
}

std::size_t scheduler::clear() {
    std::vector<task_id> ids;
    ids.reserve(tasks_.size());
    for (const auto& [id, t] : tasks_) {
        ids.push_back(id);
    }
    std::size_t n = 0;
    for (const auto id : ids) {
        if (cancel(id)) {
            ++n;
        }
    }
    return n;
}

std::optional<std::int64_t> scheduler::next_deadline() const {
    if (queue_.empty()) {
        return std::nullopt;
    }
    return queue_.begin()->first;
}

std::optional<std::int64_t> scheduler::deadline_of(task_id id) const {
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) {
        return std::nullopt;
    }
    return it->second.deadline;
}

std::size_t scheduler::run_due(std::int64_t now_ns) {
    // Ids at or above this were scheduled during this call: they wait for the next one.
    const task_id first_new_id = next_id_;
    std::size_t ran = 0;
    {
        const depth_guard guard(running_depth_);
        for (;;) {
            auto it = queue_.begin();
            while (it != queue_.end() && it->first <= now_ns && it->second >= first_new_id) {
                ++it;
            }
            if (it == queue_.end() || it->first > now_ns) {
                break;
            }
            const task_id id = it->second;
            queue_.erase(it);
            auto node = tasks_.extract(id);
            detach_from_clock(id, node.mapped().clock);
            ++ran;
            // Nothing refers to the task any more, so work may do anything to the scheduler.
            try {
                node.mapped().work();
            } catch (...) {
                if (error_handler_) {
                    error_handler_(id, std::current_exception());
                }
            }
        }
    }
    if (running_depth_ == 0) {
        report_if_wakeup_changed();
    }
    return ran;
}

void scheduler::set_wakeup_changed(std::function<void()> hook) {
    wakeup_changed_ = std::move(hook);
    reported_deadline_ = next_deadline();
}

void scheduler::set_error_handler(error_handler handler) {
    error_handler_ = std::move(handler);
}

void scheduler::on_clock_changed(clock_base& cause) {
    const auto found = by_clock_.find(&cause);
    if (found == by_clock_.end()) {
        return;
    }
    for (const auto id : found->second.ids) {
        auto& t = tasks_.at(id);
        const auto deadline = compute_deadline(*t.clock, t.when);
        if (deadline == t.deadline) {
            continue;
        }
        dequeue(id, t);
        t.deadline = deadline;
        enqueue(id, t);
    }
    report_if_wakeup_changed();
}

void scheduler::on_clock_destroyed(clock_base& clock) {
    cancel_all(clock);
}

std::optional<std::int64_t> scheduler::compute_deadline(const clock_base& clock,
                                                        tick_t when) const {
    if (policy_ == unavailable_policy::park && !clock.is_available()) {
        return std::nullopt;
    }
    return clock.calc_when(when);
}

void scheduler::enqueue(task_id id, const task& t) {
    if (t.deadline) {
        queue_.emplace(*t.deadline, id);
    }
}

void scheduler::dequeue(task_id id, const task& t) {
    if (t.deadline) {
        queue_.erase({*t.deadline, id});
    }
}

void scheduler::detach_from_clock(task_id id, clock_base* clock) {
    const auto found = by_clock_.find(clock);
    if (found == by_clock_.end()) {
        return;
    }
    found->second.ids.erase(id);
    if (found->second.ids.empty()) {
        by_clock_.erase(found);
        clock->unbind(*this);
    }
}

void scheduler::report_if_wakeup_changed() {
    if (running_depth_ > 0) {
        return;
    }
    const auto now = next_deadline();
    if (now == reported_deadline_) {
        return;
    }
    reported_deadline_ = now;
    if (wakeup_changed_) {
        wakeup_changed_();
    }
}

} // namespace dvbcss::clock
