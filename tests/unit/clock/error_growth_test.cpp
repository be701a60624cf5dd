// Error bounds grow with distance in time from the point where a relationship was measured, in
// both directions, for every clock type: a bound evaluated before the correlation point is never
// smaller than at the point.

#include "clock_test_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/offset_clock.hpp>
#include <dvbcss/clock/range_correlated_clock.hpp>
#include <dvbcss/clock/tunable_clock.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>

namespace dvbcss::clock {
namespace {

using namespace std::chrono_literals;
using test::fake_root;

constexpr double ms_ns = 1e6;

// A clock's own error, without the root's precision.
double own_dispersion(const clock_base& c, tick_t t, const clock_base& root) {
    const auto root_t = c.to_root_ticks(t);
    return c.dispersion_at_time(t) - root.dispersion_at_time(root_t.value_or(root.ticks()));
}

TEST(ErrorGrowth, CorrelatedClockBeforeAndAfterThePoint) {
    fake_root r(1e6);
    // 0.1 s at parent tick 10 s, growing 0.01 s/s.
    correlated_clock c(r.sys, 1000, {10'000'000, 10'000, 100 * ms_ns, 0.01});
    EXPECT_NEAR(own_dispersion(c, 10'000, r.sys), 100 * ms_ns, 1.0);
    EXPECT_NEAR(own_dispersion(c, 8'000, r.sys), 120 * ms_ns, 1.0);  // 2 s before
    EXPECT_NEAR(own_dispersion(c, 12'000, r.sys), 120 * ms_ns, 1.0); // 2 s after
}

TEST(ErrorGrowth, CorrelatedClockRebasedEarlierStillCoversLaterTimes) {
    fake_root r(1e6);
    correlated_clock c(r.sys, 1000, {10'000'000, 10'000, 100 * ms_ns, 0.01});
    const std::array<tick_t, 4> times{6'000.0L, 8'000.0L, 10'000.0L, 12'000.0L};
    std::array<double, 4> original{};
    for (std::size_t i = 0; i < times.size(); ++i) {
        original[i] = own_dispersion(c, times[i], r.sys);
    }
    ASSERT_TRUE(c.rebase_correlation_at_ticks(8'000));
    // The rebased bound is never tighter than the original anywhere.
    for (std::size_t i = 0; i < times.size(); ++i) {
        SCOPED_TRACE(static_cast<double>(times[i]));
        EXPECT_GE(own_dispersion(c, times[i], r.sys), original[i] - 1.0);
    }
    EXPECT_NEAR(own_dispersion(c, 10'000, r.sys), 140 * ms_ns, 1.0);
}

TEST(ErrorGrowth, TunableClockSetErrorGrowsBothWays) {
    fake_root r(1e6, 10'000'000'000); // root at 10 s
    tunable_clock c(r.sys, 1000, 0);
    c.set_error(100 * ms_ns, 0.01); // at now: tick 0
    EXPECT_NEAR(own_dispersion(c, 0, r.sys), 100 * ms_ns, 1.0);
    EXPECT_NEAR(own_dispersion(c, -2'000, r.sys), 120 * ms_ns, 1.0);
    EXPECT_NEAR(own_dispersion(c, 2'000, r.sys), 120 * ms_ns, 1.0);
}

TEST(ErrorGrowth, TunableClockRebasingBeforeItsPointDoesNotShrinkTheError) {
    fake_root r(1e6, 10'000'000'000);
    tunable_clock c(r.sys, 1000, 0);
    // A correlation whose point lies 2 s in the future: changing the speed rebases at "now",
    // which is before the point, so the error there must be 0.1 + 0.01 * 2 s.
    c.set_correlation({12'000'000, 2'000, 100 * ms_ns, 0.01});
    c.set_speed(2.0);
    EXPECT_EQ(c.correlation().parent_ticks, 10'000'000.0L);
    EXPECT_NEAR(c.correlation().initial_error_ns, 120 * ms_ns, 1e-3);
}

TEST(ErrorGrowth, RangeCorrelatedClockOutsideAndBetweenItsPoints) {
    fake_root r(1e6);
    // Points at parent 10 s and 20 s, 1 ms error each, 0.001 s/s growth.
    const correlation c1{10'000'000, 0, 1 * ms_ns, 0.001};
    const correlation c2{20'000'000, 10'000, 1 * ms_ns, 0.001};
    range_correlated_clock c(r.sys, 1000, c1, c2);
    EXPECT_NEAR(own_dispersion(c, 0, r.sys), 1 * ms_ns, 1.0);
    EXPECT_NEAR(own_dispersion(c, -2'000, r.sys), 3 * ms_ns, 1.0); // 2 s before the first
    EXPECT_NEAR(own_dispersion(c, 12'000, r.sys), 3 * ms_ns, 1.0); // 2 s after the second
    EXPECT_NEAR(own_dispersion(c, 2'000, r.sys), 3 * ms_ns, 1.0);  // nearer the first
    EXPECT_NEAR(own_dispersion(c, 5'000, r.sys), 6 * ms_ns, 1.0);  // midway
}

TEST(ErrorGrowth, OffsetClockCarriesItsParentsGrowthBothWays) {
    fake_root r(1e6);
    correlated_clock parent(r.sys, 1000, {10'000'000, 10'000, 100 * ms_ns, 0.01});
    offset_clock ahead(parent, 1s);
    // The offset clock's tick t is the parent's tick t - 1000 at the same instant.
    EXPECT_NEAR(own_dispersion(ahead, 11'000, r.sys), 100 * ms_ns, 1.0);
    EXPECT_NEAR(own_dispersion(ahead, 9'000, r.sys), 120 * ms_ns, 1.0); // parent 2 s before
    EXPECT_NEAR(own_dispersion(ahead, 13'000, r.sys), 120 * ms_ns, 1.0);
}

} // namespace
} // namespace dvbcss::clock
