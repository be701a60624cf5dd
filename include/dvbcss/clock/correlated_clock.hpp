#pragma once

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlation.hpp>
#include <dvbcss/time.hpp>

#include <optional>

namespace dvbcss::clock {

/// A clock tied to its parent by a correlation and a speed:
/// `ticks = c.child_ticks + (parent ticks - c.parent_ticks) * tick_rate * speed / parent tick
/// rate`.
///
/// Models a timeline (media time, a wall clock estimate) whose relationship to the local clock is
/// learnt from outside. Setting the correlation, speed or tick rate takes effect at once and may
/// make the tick value jump (use `tunable_clock` for "from now" changes, or rebase first).
///
/// Error: `c.initial_error_ns + c.error_growth_rate * |parent time - c.parent_ticks| (in ns)`,
/// symmetric around the correlation point, plus the parent's dispersion.
///
/// Speed 0: the clock holds `c.child_ticks`; `to_parent_ticks` of any other value is nullopt and
/// so is `calc_when`.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use the whole tree from one thread
/// or executor.
class correlated_clock : public clock_base {
public:
    /// Binds to `parent` (which must outlive this clock). `tick_rate`: ticks per second, finite and
    /// > 0, else std::invalid_argument; `speed` must be finite.
    correlated_clock(clock_base& parent, double tick_rate, clock::correlation c = {},
                     double speed = 1.0);
    ~correlated_clock() override;
    correlated_clock(const correlated_clock&) = delete;
    correlated_clock& operator=(const correlated_clock&) = delete;
    correlated_clock(correlated_clock&&) = delete;
    correlated_clock& operator=(correlated_clock&&) = delete;

    [[nodiscard]] tick_t ticks() const override { return from_parent_ticks(parent_->ticks()); }

    [[nodiscard]] double tick_rate() const override { return tick_rate_; }

    [[nodiscard]] double speed() const override { return speed_; }

    [[nodiscard]] clock_base* parent() const override { return parent_; }

    /// `c.parent_ticks + (t - c.child_ticks) * parent rate / tick_rate / speed`; at speed 0 only
    /// `t == c.child_ticks` has an answer (`c.parent_ticks`).
    [[nodiscard]] std::optional<tick_t> to_parent_ticks(tick_t t) const override;

    /// `c.child_ticks + (t - c.parent_ticks) * tick_rate * speed / parent rate`.
    [[nodiscard]] tick_t from_parent_ticks(tick_t t) const override;

    [[nodiscard]] const clock::correlation& correlation() const { return correlation_; }

    /// Replaces the correlation and notifies (always, even if equal).
    void set_correlation(const clock::correlation& c);

    /// Sets the speed (finite, else std::invalid_argument) and notifies. No rebase: ticks may jump.
    virtual void set_speed(double s);

    /// Sets the tick rate (finite, > 0, else std::invalid_argument) and notifies. No rebase.
    virtual void set_tick_rate(double r);

    /// Sets both with a single notification.
    void set_correlation_and_speed(const clock::correlation& c, double s);

    /// Moves the correlation point to this clock's tick value `t` without changing timing:
    /// the new correlation is (to_parent_ticks(t), t) and its initial error is the current
    /// correlation's error at that point: initial error + growth * |distance moved| in ns. The
    /// error grows with distance in both directions (the reference subtracted when moving to an
    /// earlier point: 0.1 s, 0.01 s/s, 2 s earlier gave 0.08 s; here 0.12 s). The growth rate is
    /// kept. Does not notify. Returns false and changes nothing if `t` has no parent time (speed 0
    /// and `t` is not the frozen value).
    bool rebase_correlation_at_ticks(tick_t t);

    /// Re-parents (notifies only if the parent changes). std::logic_error if `p` is this clock or
    /// one of its descendants.
    void set_parent(clock_base& p);

    /// How far (nanoseconds) this clock's timing would move if `c` and `new_speed` were applied:
    /// +infinity if the speed differs; otherwise the distance between `c` and the current
    /// relationship, measured on the parent (speed != 0) or on this clock (speed 0).
    [[nodiscard]] double quantify_change(const clock::correlation& c, double new_speed) const;

    /// `quantify_change(c, new_speed) > threshold_ns` (strictly).
    [[nodiscard]] bool is_change_significant(const clock::correlation& c, double new_speed,
                                             double threshold_ns) const;

protected:
    /// Initial error plus growth with |parent_t - c.parent_ticks| converted to nanoseconds.
    [[nodiscard]] double own_error_at(tick_t t, tick_t parent_t) const override;

    /// Rebases the correlation at the parent's current tick value (exact even at speed 0). Does
    /// not notify.
    void rebase_now();

private:
    void rebase_to(tick_t parent_t, tick_t child_t);

    clock_base* parent_;
    double tick_rate_;
    clock::correlation correlation_;
    double speed_;
};

} // namespace dvbcss::clock
