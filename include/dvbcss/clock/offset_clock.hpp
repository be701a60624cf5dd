#pragma once

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/time.hpp>

#include <chrono>
#include <optional>

namespace dvbcss::clock {

/// A clock that runs a fixed amount of *root* time ahead of (or behind) its parent: it shows now
/// what the parent will show `offset` later. Models a rendering pipeline's latency: schedule work
/// on an offset clock and it fires early enough for its output to appear on time.
///
/// `ticks = parent ticks + offset_ns * effective speed * tick rate / 1e9`: at effective speed 0
/// the two clocks agree, at speed 2 the tick offset doubles. The tick rate is always the parent's,
/// the speed always 1, and the clock adds no error of its own. Unlike the reference, `calc_when`
/// works, so tasks can be scheduled on it.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use the whole tree from one thread
/// or executor.
class offset_clock : public clock_base {
public:
    /// `offset`: root-time nanoseconds, positive = ahead of the parent. `parent` must outlive this
    /// clock.
    explicit offset_clock(clock_base& parent, std::chrono::nanoseconds offset = {});
    ~offset_clock() override;
    offset_clock(const offset_clock&) = delete;
    offset_clock& operator=(const offset_clock&) = delete;
    offset_clock(offset_clock&&) = delete;
    offset_clock& operator=(offset_clock&&) = delete;

    [[nodiscard]] tick_t ticks() const override { return parent_->ticks() + offset_ticks(); }

    /// The parent's tick rate.
    [[nodiscard]] double tick_rate() const override { return parent_->tick_rate(); }

    [[nodiscard]] clock_base* parent() const override { return parent_; }

    /// `t` minus the offset in ticks; always has an answer.
    [[nodiscard]] std::optional<tick_t> to_parent_ticks(tick_t t) const override {
        return t - offset_ticks();
    }

    /// `t` plus the offset in ticks.
    [[nodiscard]] tick_t from_parent_ticks(tick_t t) const override { return t + offset_ticks(); }

    [[nodiscard]] std::chrono::nanoseconds offset() const { return offset_; }

    /// Changes the offset; notifies only if it changed.
    void set_offset(std::chrono::nanoseconds offset);

    /// Re-parents (notifies only on change). std::logic_error on a cycle.
    void set_parent(clock_base& p);

    /// The offset expressed in this clock's ticks at the current effective speed.
    [[nodiscard]] tick_t offset_ticks() const;

private:
    clock_base* parent_;
    std::chrono::nanoseconds offset_;
};

} // namespace dvbcss::clock
