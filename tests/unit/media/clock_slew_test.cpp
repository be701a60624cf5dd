#include <dvbcss/media/clock_slew.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace dvbcss::media {
namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1'000'000'000;

TEST(ClockCalibrationTest, TimeAtScalesAndRoundsDownLikeGStreamer) {
    const clock_calibration c{100 * s, 5 * s, 3, 2};
    EXPECT_EQ(c.time_at(100 * s), 5 * s);
    EXPECT_EQ(c.time_at(102 * s), 8 * s);
    EXPECT_EQ(c.time_at(100 * s + 1), 5 * s + 1); // 1.5 rounded down
    EXPECT_EQ(c.time_at(98 * s), 2 * s);
    EXPECT_EQ(c.time_at(100 * s - 1), 5 * s - 1); // 1.5 rounded down, then subtracted
}

TEST(ClockCalibrationTest, LineKeepsRateToOnePartPerBillion) {
    const auto c = calibration_from_line(10, 20, 1.000'123'4);
    EXPECT_EQ(c.rate_den, 1'000'000'000U);
    EXPECT_EQ(c.rate_num, 1'000'123'400U);
    EXPECT_EQ(c.time_at(10 + s), 20 + s + 123'400);
    EXPECT_THROW(static_cast<void>(calibration_from_line(0, 0, 0.0)), std::invalid_argument);
}

TEST(ClockSlewTest, SmallErrorTakesTheTargetAtOnce) {
    const clock_calibration current{0, 0, 1, 1};
    const clock_calibration target{0, 500, 1, 1};
    const auto step = plan_clock_slew(current, target, 10 * s);
    EXPECT_EQ(step.kind, clock_slew_kind::exact);
    EXPECT_EQ(step.next, target);
    EXPECT_EQ(step.error_ns, 500);
    EXPECT_FALSE(step.done_at_internal_ns);
}

TEST(ClockSlewTest, BehindStepsForward) {
    const clock_calibration current{0, 0, 1, 1};
    const clock_calibration target{0, 30 * ms, 1, 1};
    const auto step = plan_clock_slew(current, target, 10 * s);
    EXPECT_EQ(step.kind, clock_slew_kind::step_forward);
    EXPECT_EQ(step.next, target);
    EXPECT_EQ(step.error_ns, 30 * ms);
}

TEST(ClockSlewTest, AheadSlewsAtTheBoundedRateAndNeverReadsLess) {
    const clock_calibration current{0, 2 * ms, 1, 1}; // 2 ms ahead of the target
    const clock_calibration target{0, 0, 1, 1};
    const std::int64_t now = 10 * s;
    const auto step = plan_clock_slew(current, target, now);
    ASSERT_EQ(step.kind, clock_slew_kind::slewing);
    EXPECT_EQ(step.error_ns, -2 * ms);
    // Continuous at now: the clock reads what it read.
    EXPECT_EQ(step.next.time_at(now), current.time_at(now));
    // 2 ms at 500 ppm: 4 s.
    ASSERT_TRUE(step.done_at_internal_ns);
    EXPECT_NEAR(static_cast<double>(*step.done_at_internal_ns - now), 4e9, 1e3);
    EXPECT_NEAR(step.next.rate(), 1.0 - 500e-6, 1e-12);
    // Monotonic, and meets the target within 1 ns at the end.
    std::int64_t last = step.next.time_at(now);
    for (std::int64_t t = now; t <= *step.done_at_internal_ns; t += 100 * ms) {
        const auto v = step.next.time_at(t);
        EXPECT_GE(v, last);
        EXPECT_GE(v, target.time_at(t) - 1);
        last = v;
    }
    const auto at_end = *step.done_at_internal_ns;
    EXPECT_LE(std::llabs(step.next.time_at(at_end) - target.time_at(at_end)), 1);
    // Switching to the target then is not a step back.
    EXPECT_GE(target.time_at(at_end), step.next.time_at(at_end) - 1);
}

TEST(ClockSlewTest, SlewFollowsTheTargetsOwnRate) {
    // The wall clock estimate runs 100 ppm fast against CLOCK_MONOTONIC.
    const auto target = calibration_from_line(0, 0, 1.0001);
    const auto current = calibration_from_line(5 * s, target.time_at(5 * s) + 1 * ms, 1.0001);
    const auto step = plan_clock_slew(current, target, 5 * s, {250, 1000});
    ASSERT_EQ(step.kind, clock_slew_kind::slewing);
    EXPECT_NEAR(step.next.rate(), 1.0001 * (1 - 250e-6), 2e-9);
    ASSERT_TRUE(step.done_at_internal_ns);
    const auto end = *step.done_at_internal_ns;
    EXPECT_NEAR(static_cast<double>(end - 5 * s), 1e6 / (1.0001 * 250e-6), 5e3);
    EXPECT_LE(std::llabs(step.next.time_at(end) - target.time_at(end)), 2);
}

TEST(ClockSlewTest, ReplanningMidSlewContinuesFromWhereTheClockIs) {
    const clock_calibration target{0, 0, 1, 1};
    const auto first = plan_clock_slew({0, 4 * ms, 1, 1}, target, 0);
    // Halfway, the estimate moves 1 ms back again: still no step back.
    const clock_calibration new_target{0, -1 * ms, 1, 1};
    const std::int64_t mid = 4 * s;
    const auto second = plan_clock_slew(first.next, new_target, mid);
    ASSERT_EQ(second.kind, clock_slew_kind::slewing);
    EXPECT_EQ(second.next.time_at(mid), first.next.time_at(mid));
    EXPECT_EQ(second.error_ns, new_target.time_at(mid) - first.next.time_at(mid));
    EXPECT_NEAR(static_cast<double>(second.error_ns), -3e6, 2.0);
}

TEST(ClockSlewTest, RejectsBadOptions) {
    const clock_calibration c{0, 0, 1, 1};
    EXPECT_THROW(static_cast<void>(plan_clock_slew(c, c, 0, {0, 1000})), std::invalid_argument);
    EXPECT_THROW(static_cast<void>(plan_clock_slew(c, {0, 0, 0, 1}, 0)), std::invalid_argument);
}

} // namespace
} // namespace dvbcss::media
