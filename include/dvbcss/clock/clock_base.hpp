#pragma once

#include <dvbcss/error.hpp>
#include <dvbcss/time.hpp>

#include <optional>
#include <vector>

namespace dvbcss::clock {

class clock_base;

/// Something that wants to hear when a clock it depends on changes: child clocks, the scheduler,
/// protocol logic that re-expresses stored values.
///
/// A listener remembers the clocks it is bound to: whichever of a listener and a clock dies first
/// ends the binding, so neither is ever left pointing at the other.
///
/// Thread safety: called synchronously on the thread that changed the clock, which must be the
/// thread or executor that owns the clock tree.
class clock_listener {
public:
    /// Called synchronously after `cause` (a clock this listener is bound to) changed its
    /// correlation, speed, tick rate, parent or availability, or an ancestor of it did.
    virtual void on_clock_changed(clock_base& cause) = 0;

    /// Called while `clock` (a clock this listener is bound to) is being destroyed, so the listener
    /// can forget it (the scheduler drops that clock's pending tasks). Only the clock's identity
    /// and `unbind` may be used: its derived parts are already gone. Default: nothing.
    virtual void on_clock_destroyed(clock_base& clock) { static_cast<void>(clock); }

protected:
    clock_listener() = default;

    /// A copy is bound to nothing.
    clock_listener(const clock_listener& /*other*/) noexcept {}

    clock_listener& operator=(const clock_listener& /*other*/) noexcept { return *this; }

    /// Unbinds from every clock still bound.
    virtual ~clock_listener();

private:
    friend class clock_base;
    std::vector<clock_base*> bound_to_;
};

/// A node of a clock tree: a clock whose tick value is derived from its parent's (or, at the root,
/// from a time source). Nothing ticks on its own; every read is computed from the root.
///
/// Conversions up the tree can be impossible: a clock at speed 0 holds a single tick value, so
/// `to_parent_ticks` of any other value has no answer and returns nullopt (never NaN). Conversions
/// down the tree always have an answer.
///
/// Change notification: a clock notifies its listeners (children included) synchronously, depth
/// first, with itself as the cause; a child re-notifies its own listeners with itself as cause.
///
/// Lifetime: a parent must outlive its children. Listeners and clocks may die in any order: a
/// dying listener unbinds itself, and a dying clock tells its listeners (`on_clock_destroyed`)
/// and forgets them.
///
/// Thread safety: distinct objects safe; shared objects (and whole trees) unsafe: use one tree
/// from one thread or executor.
class clock_base : public clock_listener {
public:
    clock_base() = default;
    virtual ~clock_base();
    clock_base(const clock_base&) = delete;
    clock_base& operator=(const clock_base&) = delete;
    clock_base(clock_base&&) = delete;
    clock_base& operator=(clock_base&&) = delete;

    /// The clock's current tick value.
    [[nodiscard]] virtual tick_t ticks() const = 0;

    /// Ticks per second at speed 1 (> 0).
    [[nodiscard]] virtual double tick_rate() const = 0;

    /// Speed relative to the parent (1 = normal, 0 = paused, negative = backwards).
    [[nodiscard]] virtual double speed() const { return 1.0; }

    /// Product of the speeds of this clock and every ancestor.
    [[nodiscard]] double effective_speed() const;

    /// The parent, or nullptr at the root.
    [[nodiscard]] virtual clock_base* parent() const = 0;

    /// The parent's tick value when this clock shows `t`; nullopt at the root, or when this clock
    /// is at speed 0 and `t` is not its frozen value.
    [[nodiscard]] virtual std::optional<tick_t> to_parent_ticks(tick_t t) const = 0;

    /// This clock's tick value when the parent shows `t`. At the root: `t`.
    [[nodiscard]] virtual tick_t from_parent_ticks(tick_t t) const = 0;

    /// Root of the tree (this clock if it has no parent).
    [[nodiscard]] const clock_base& root() const;

    /// [this, parent, ..., root].
    [[nodiscard]] std::vector<const clock_base*> ancestry() const;

    /// Root tick value -> this clock's tick value.
    [[nodiscard]] tick_t from_root_ticks(tick_t t) const;

    /// This clock's tick value -> root tick value; nullopt when a clock on the way is at speed 0.
    [[nodiscard]] std::optional<tick_t> to_root_ticks(tick_t t) const;

    /// This clock's tick value `t` expressed on `other`, going up to the nearest common ancestor
    /// and down to `other`. errc::no_common_clock if the two share no root; errc::clock_frozen if a
    /// clock on the upward path is at speed 0 and `t` is not reachable.
    [[nodiscard]] result<tick_t> to_other_clock_ticks(const clock_base& other, tick_t t) const;

    /// The root time source's nanoseconds at which this clock reaches `t` (may be in the past);
    /// nullopt if it never does from the current state (a clock on the path is at speed 0).
    /// The default converts `t` to the parent and asks it; the root (sys_clock) answers with the
    /// earliest nanosecond at which its integer ticks reach the converted value, so at that
    /// instant this clock shows `t` to within long double rounding (~1e-9 ticks). nullopt at a
    /// root that does not override it.
    [[nodiscard]] virtual std::optional<std::int64_t> calc_when(tick_t t) const;

    /// Tick value in nanoseconds (ticks * 1e9 / tick rate); ignores speed.
    [[nodiscard]] tick_t nanos() const { return ticks_to_nanos(ticks()); }

    /// Converts a tick count to nanoseconds at this clock's tick rate; ignores speed.
    [[nodiscard]] tick_t ticks_to_nanos(tick_t t) const;

    /// Converts nanoseconds to a tick count at this clock's tick rate; ignores speed.
    [[nodiscard]] tick_t nanos_to_ticks(tick_t ns) const;

    /// Error bound of this clock's tick value `t`, nanoseconds: this clock's own error plus its
    /// parent's at the corresponding parent time. If `t` is unreachable (speed 0), the error at
    /// the current time is used, so the result is never NaN.
    [[nodiscard]] double dispersion_at_time(tick_t t) const;

    /// Maximum frequency error of the root's oscillator, ppm. std::logic_error if the root does
    /// not override this.
    [[nodiscard]] virtual double root_max_freq_error_ppm() const;

    /// |this - other| in nanoseconds (|difference in ticks| / tick rate * 1e9), read at the same
    /// root instant, when both run at the same effective speed and tick rate; +infinity if they
    /// differ in either; errc::no_common_clock if they share no root (the reference returned 0
    /// for unrelated clocks).
    [[nodiscard]] result<double> clock_diff(const clock_base& other) const;

    /// True when this clock and every ancestor are available.
    [[nodiscard]] bool is_available() const;

    /// Marks this clock (un)available. Notifies listeners if the effective availability of this
    /// clock could have changed (the parent is available and the flag changed).
    virtual void set_availability(bool available);

    /// Registers / removes a listener. Binding twice is a no-op; unbinding an unknown listener is a
    /// no-op. The binding ends by itself when either side is destroyed. Both may be called from
    /// inside a notification: a listener unbound during a notification is not called afterwards;
    /// one bound during it is called from the next one.
    void bind(clock_listener& listener);
    void unbind(clock_listener& listener);

    /// True if `listener` is bound to this clock.
    [[nodiscard]] bool is_bound(const clock_listener& listener) const;

    /// Tells every listener that this clock changed (each receives this clock as the cause).
    void notify_dependents();

    /// From clock_listener: an ancestor changed, so this clock did too.
    void on_clock_changed(clock_base& cause) override;

protected:
    /// This clock's own error contribution at its tick value `t`, nanoseconds (>= 0), given the
    /// parent tick value `parent_t` that corresponds to it.
    [[nodiscard]] virtual double own_error_at(tick_t t, tick_t parent_t) const;

    /// This clock's own availability flag (ignoring ancestors).
    [[nodiscard]] bool own_availability() const { return available_; }

    void set_own_availability(bool v) { available_ = v; }

    /// Throws std::logic_error if making `new_parent` the parent of this clock would create a
    /// cycle (`new_parent` is this clock or one of its descendants).
    void check_can_adopt_parent(const clock_base& new_parent) const;

    /// Moves this clock from `*parent_slot` to `new_parent`: checks for cycles, unbinds from the
    /// old parent, binds to the new one, stores it and notifies. Does nothing if the parent is the
    /// same.
    void change_parent(clock_base*& parent_slot, clock_base& new_parent);

private:
    std::vector<clock_listener*> listeners_;
    bool available_ = true;
};

} // namespace dvbcss::clock
