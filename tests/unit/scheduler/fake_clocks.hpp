#pragma once

/// Minimal clocks for the scheduler's tests, written against clock_base only so the scheduler can
/// be tested independently of the production clock classes: a root reading a fake time source and
/// a linear child (correlation + speed) whose setters notify like the real ones do.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/scheduler.hpp>

#include <cmath>
#include <cstdint>
#include <optional>

#include <support/fake_time_source.hpp>

namespace dvbcss::test {

/// A root clock: ticks = time source ns * rate / 1e9. Not thread-safe.
class fake_root_clock final : public clock::clock_base {
public:
    fake_root_clock(const fake_time_source& source, double tick_rate)
        : source_(source)
        , rate_(tick_rate) {}

    [[nodiscard]] tick_t ticks() const override {
        return static_cast<tick_t>(source_.now_ns()) * static_cast<tick_t>(rate_) / 1e9L;
    }

    [[nodiscard]] double tick_rate() const override { return rate_; }

    [[nodiscard]] clock_base* parent() const override { return nullptr; }

    [[nodiscard]] std::optional<tick_t> to_parent_ticks(tick_t /*t*/) const override {
        return std::nullopt;
    }

    [[nodiscard]] tick_t from_parent_ticks(tick_t t) const override { return t; }

    [[nodiscard]] std::optional<std::int64_t> calc_when(tick_t t) const override {
        return static_cast<std::int64_t>(std::llround(t * 1e9L / static_cast<tick_t>(rate_)));
    }

private:
    const fake_time_source& source_;
    double rate_;
};

/// A child clock: ticks = child + (parent ticks - parent) * rate * speed / parent rate.
/// Not thread-safe.
class fake_linear_clock final : public clock::clock_base {
public:
    fake_linear_clock(clock_base& parent, double tick_rate, tick_t parent_ticks = 0,
                      tick_t child_ticks = 0, double speed = 1.0)
        : parent_(&parent)
        , rate_(tick_rate)
        , parent_ticks_(parent_ticks)
        , child_ticks_(child_ticks)
        , speed_(speed) {
        parent_->bind(*this);
    }

    ~fake_linear_clock() override { parent_->unbind(*this); }

    fake_linear_clock(const fake_linear_clock&) = delete;
    fake_linear_clock& operator=(const fake_linear_clock&) = delete;
    fake_linear_clock(fake_linear_clock&&) = delete;
    fake_linear_clock& operator=(fake_linear_clock&&) = delete;

    [[nodiscard]] tick_t ticks() const override { return from_parent_ticks(parent_->ticks()); }

    [[nodiscard]] double tick_rate() const override { return rate_; }

    [[nodiscard]] double speed() const override { return speed_; }

    [[nodiscard]] clock_base* parent() const override { return parent_; }

    [[nodiscard]] std::optional<tick_t> to_parent_ticks(tick_t t) const override {
        if (speed_ == 0.0) {
            if (t == child_ticks_) {
                return parent_ticks_;
            }
            return std::nullopt;
        }
        return parent_ticks_ + (t - child_ticks_) * static_cast<tick_t>(parent_->tick_rate()) /
                                   static_cast<tick_t>(rate_) / static_cast<tick_t>(speed_);
    }

    [[nodiscard]] tick_t from_parent_ticks(tick_t t) const override {
        return child_ticks_ + (t - parent_ticks_) * static_cast<tick_t>(rate_) *
                                  static_cast<tick_t>(speed_) /
                                  static_cast<tick_t>(parent_->tick_rate());
    }

    [[nodiscard]] std::optional<std::int64_t> calc_when(tick_t t) const override {
        const auto p = to_parent_ticks(t);
        if (!p) {
            return std::nullopt;
        }
        return parent_->calc_when(*p);
    }

    /// Sets the correlation (parent ticks <-> child ticks) and notifies.
    void set_correlation(tick_t parent_ticks, tick_t child_ticks) {
        parent_ticks_ = parent_ticks;
        child_ticks_ = child_ticks;
        notify_dependents();
    }

    /// Sets the speed without rebasing (the value jumps, as the reference's CorrelatedClock).
    void set_speed(double s) {
        speed_ = s;
        notify_dependents();
    }

    /// Sets the speed "from now": rebases the correlation at the current tick value first.
    void set_speed_from_now(double s) {
        const auto p = parent_->ticks();
        child_ticks_ = from_parent_ticks(p);
        parent_ticks_ = p;
        set_speed(s);
    }

    void set_tick_rate(double r) {
        rate_ = r;
        notify_dependents();
    }

    void set_parent(clock_base& p) {
        if (&p == parent_) {
            return;
        }
        parent_->unbind(*this);
        parent_ = &p;
        parent_->bind(*this);
        notify_dependents();
    }

private:
    clock_base* parent_;
    double rate_;
    tick_t parent_ticks_;
    tick_t child_ticks_;
    double speed_;
};

/// Plays the driver: jumps the fake time to each deadline in turn and runs what is due, until
/// `end_ns`; leaves the time at `end_ns` (or later, if a past-due task forced nothing later).
inline void run_until(clock::scheduler& s, fake_time_source& source, std::int64_t end_ns) {
    for (;;) {
        const auto d = s.next_deadline();
        if (!d || *d > end_ns) {
            break;
        }
        if (*d > source.now_ns()) {
            source.set_ns(*d);
        }
        s.run_due(source.now_ns());
    }
    if (source.now_ns() < end_ns) {
        source.set_ns(end_ns);
    }
}

} // namespace dvbcss::test
