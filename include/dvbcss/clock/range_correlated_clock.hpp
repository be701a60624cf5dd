#pragma once

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlation.hpp>
#include <dvbcss/time.hpp>

#include <optional>

namespace dvbcss::clock {

/// A clock defined by two correlations with its parent: the straight line through
/// (c1.parent_ticks, c1.child_ticks) and (c2.parent_ticks, c2.child_ticks), extended both ways.
/// Models a timeline whose rate is known only from two observations (e.g. the PTS of two frames
/// against the local clock).
///
/// Conversions multiply before they divide, so integer-valued correlations give exact results
/// (the reference divided first and truncated with integer inputs).
///
/// Error at parent time p: the smaller of the two correlations' errors there, each
/// `initial_error_ns + error_growth_rate * |p - ci.parent_ticks|` in ns (never negative; the
/// reference used signed distances).
///
/// The tick rate is advisory (it describes the units; the slope comes from the correlations).
/// Speed is always 1. If both correlations have the same child value the clock stands still, and
/// `to_parent_ticks` of any other value is nullopt.
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use the whole tree from one thread
/// or executor.
class range_correlated_clock : public clock_base {
public:
    /// `tick_rate`: finite and > 0; the correlations must have different parent tick values.
    /// Otherwise std::invalid_argument. `parent` must outlive this clock.
    range_correlated_clock(clock_base& parent, double tick_rate, const correlation& c1,
                           const correlation& c2);
    ~range_correlated_clock() override;
    range_correlated_clock(const range_correlated_clock&) = delete;
    range_correlated_clock& operator=(const range_correlated_clock&) = delete;
    range_correlated_clock(range_correlated_clock&&) = delete;
    range_correlated_clock& operator=(range_correlated_clock&&) = delete;

    [[nodiscard]] tick_t ticks() const override { return from_parent_ticks(parent_->ticks()); }

    [[nodiscard]] double tick_rate() const override { return tick_rate_; }

    [[nodiscard]] clock_base* parent() const override { return parent_; }

    /// `(t - c1.child) * (c2.parent - c1.parent) / (c2.child - c1.child) + c1.parent`.
    [[nodiscard]] std::optional<tick_t> to_parent_ticks(tick_t t) const override;

    /// `(t - c1.parent) * (c2.child - c1.child) / (c2.parent - c1.parent) + c1.child`.
    [[nodiscard]] tick_t from_parent_ticks(tick_t t) const override;

    [[nodiscard]] const correlation& correlation1() const { return c1_; }

    [[nodiscard]] const correlation& correlation2() const { return c2_; }

    /// Replace one or both correlations and notify once. std::invalid_argument if the two would
    /// share a parent tick value.
    void set_correlation1(const correlation& c);
    void set_correlation2(const correlation& c);
    void set_correlations(const correlation& c1, const correlation& c2);

    /// Re-parents (notifies only on change). std::logic_error on a cycle.
    void set_parent(clock_base& p);

protected:
    [[nodiscard]] double own_error_at(tick_t t, tick_t parent_t) const override;

private:
    clock_base* parent_;
    double tick_rate_;
    correlation c1_;
    correlation c2_;
};

} // namespace dvbcss::clock
