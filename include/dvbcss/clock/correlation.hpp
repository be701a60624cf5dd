#pragma once

#include <dvbcss/time.hpp>

namespace dvbcss::clock {

/// A point where a child clock's tick value and its parent's are known to coincide, with the
/// error of that knowledge: `parent_ticks` on the parent corresponds to `child_ticks` on the child.
///
/// Error at parent time p is `initial_error_ns + error_growth_rate * |p - parent_ticks| / parent
/// tick rate * 1e9` nanoseconds: it is smallest at the correlation point and grows both ways.
///
/// A value type: immutable by convention, compared field by field. Thread safety: as any value.
struct correlation {
    tick_t parent_ticks = 0;     ///< Tick value on the parent clock.
    tick_t child_ticks = 0;      ///< Tick value on the child clock at that same moment.
    double initial_error_ns = 0; ///< Error bound at the correlation point, nanoseconds (>= 0).
    /// Growth of the error bound away from the correlation point: seconds of error per second of
    /// parent time (dimensionless; 500 ppm = 0.0005). >= 0.
    double error_growth_rate = 0;

    /// Copies with one field replaced (the reference's `butWith`).
    [[nodiscard]] correlation with_parent_ticks(tick_t v) const {
        auto c = *this;
        c.parent_ticks = v;
        return c;
    }

    [[nodiscard]] correlation with_child_ticks(tick_t v) const {
        auto c = *this;
        c.child_ticks = v;
        return c;
    }

    [[nodiscard]] correlation with_initial_error_ns(double v) const {
        auto c = *this;
        c.initial_error_ns = v;
        return c;
    }

    [[nodiscard]] correlation with_error_growth_rate(double v) const {
        auto c = *this;
        c.error_growth_rate = v;
        return c;
    }

    friend bool operator==(const correlation&, const correlation&) = default;
};

} // namespace dvbcss::clock
