#include <dvbcss/media/control_timestamps.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace dvbcss::media {
namespace {

constexpr std::int64_t s = 1'000'000'000;
constexpr std::int64_t ms = 1'000'000;

playback_state playing(segment seg, std::int64_t base_time, std::int64_t latency = 0) {
    playback_state st;
    st.playing = true;
    st.seg = seg;
    st.base_time_ns = base_time;
    st.latency_ns = latency;
    return st;
}

// The wall clock time (ns) at which the control timestamp `ct` says tick `ticks` is shown.
double predicted_wall(const ts::control_timestamp& ct, const timeline_mapping& m,
                      std::int64_t ticks) {
    const double elapsed_s = static_cast<double>(ticks - *ct.content_time) / m.tick_rate() /
                             *ct.timeline_speed_multiplier;
    return static_cast<double>(ct.wall_clock_time) + elapsed_s * 1e9;
}

// For positions across the segment: the time the pipeline renders the position's tick against
// the time the control timestamp says it is shown. Returns the largest difference (ns).
double max_error_ns(const playback_state& st, const timeline_mapping& m,
                    std::int64_t clock_to_wall = 0) {
    const auto ct = control_timestamp_from(st, m, 0, clock_to_wall);
    EXPECT_TRUE(ct.available());
    double worst = 0;
    const auto begin = *position_from_running_time(st.seg, st.seg.base);
    for (std::int64_t k = 0; k < 2000; ++k) {
        const auto ticks = m.ticks_at(begin) + 1 + k * 37;
        const auto position = m.position_at(ticks);
        const auto rendered = render_clock_time(st, position);
        if (!rendered) {
            continue;
        }
        worst = std::max(worst, std::fabs(predicted_wall(ct, m, ticks) -
                                          static_cast<double>(*rendered + clock_to_wall)));
    }
    return worst;
}

TEST(ControlTimestampsTest, PlayingFromTheStartIsTheFirstPtsAtBaseTimePlusLatency) {
    const auto m = pts_timeline(900'000, 0); // first PTS 10 s at position 0
    const auto st = playing(segment{}, 5 * s, 20 * ms);
    const auto ct = control_timestamp_from(st, m, 123);
    EXPECT_EQ(ct.content_time, 900'000);
    EXPECT_EQ(ct.wall_clock_time, 5 * s + 20 * ms);
    EXPECT_EQ(ct.timeline_speed_multiplier, 1.0);
}

TEST(ControlTimestampsTest, WallClockOffsetIsAdded) {
    const auto m = pts_timeline(0, 0);
    const auto ct = control_timestamp_from(playing(segment{}, 5 * s), m, 0, -2 * s);
    EXPECT_EQ(ct.wall_clock_time, 3 * s);
}

TEST(ControlTimestampsTest, SameTimestampWhateverTheMomentItIsAskedFor) {
    const auto m = ct_timeline(1000, 0, 0);
    const auto st = playing(segment{1.0, 1.0, 3 * s, std::nullopt, 3 * s, 0, 0}, 7 * s, 0);
    EXPECT_EQ(control_timestamp_from(st, m, 1), control_timestamp_from(st, m, 99 * s));
}

TEST(ControlTimestampsTest, SeekStartsTheSegmentAtTheSeekPosition) {
    // After a flushing seek to 12.3456789 s: running time restarts at 0, a new base time.
    const auto m = pts_timeline(1000, 0);
    segment seg{1.0, 1.0, 12'345'678'900, std::nullopt, 12'345'678'900, 0, 0};
    const auto st = playing(seg, 40 * s, 30 * ms);
    const auto ct = control_timestamp_from(st, m, 0);
    // The first whole tick at or after the seek position, and when it is rendered.
    const auto tick = m.ticks_at(seg.start);
    ASSERT_TRUE(ct.content_time);
    EXPECT_GE(m.position_at(*ct.content_time), seg.start);
    EXPECT_LE(*ct.content_time, tick + 1);
    EXPECT_EQ(ct.wall_clock_time, 40 * s + 30 * ms + (m.position_at(*ct.content_time) - seg.start));
    EXPECT_LT(max_error_ns(st, m), 1.0);
}

TEST(ControlTimestampsTest, AJumpingTimelineIsServedOnTheLineInForceNowFromItsJump) {
    // 1 kHz from 0 at position 0; at 10 s it jumps to 500 000, at 20 s back to 0. Playing from
    // position 0 at rate 2: position p is rendered at 5 s + 15 ms + p / 2.
    auto m = ct_timeline(1000, 0, 0);
    m.jumps = {{10 * s, 500'000}, {20 * s, 0}};
    const auto st = playing(segment{2.0, 1.0, 0, std::nullopt, 0, 0, 0}, 5 * s, 15 * ms);
    const auto before = control_timestamp_from(st, m, 7 * s); // position 3.97 s
    EXPECT_EQ(before.content_time, 0);
    EXPECT_EQ(before.wall_clock_time, 5 * s + 15 * ms);
    EXPECT_EQ(before.timeline_speed_multiplier, 2.0);
    EXPECT_EQ(next_jump_clock_time(st, m, 7 * s), 10 * s + 15 * ms);
    // Once the jump at 10 s is rendered: from the jump, the time it was rendered.
    const auto after = control_timestamp_from(st, m, 10 * s + 15 * ms);
    EXPECT_EQ(after.content_time, 500'000);
    EXPECT_EQ(after.wall_clock_time, 10 * s + 15 * ms);
    EXPECT_EQ(control_timestamp_from(st, m, 14 * s), after) << "the same until the next jump";
    EXPECT_EQ(next_jump_clock_time(st, m, 10 * s + 15 * ms), 15 * s + 15 * ms);
    const auto last = control_timestamp_from(st, m, 16 * s);
    EXPECT_EQ(last.content_time, 0);
    EXPECT_EQ(last.wall_clock_time, 15 * s + 15 * ms);
    EXPECT_EQ(next_jump_clock_time(st, m, 16 * s), std::nullopt);
    // A segment that begins after a jump (a seek to 12.5 s): that line from the segment's start.
    const auto sought =
        playing(segment{1.0, 1.0, 12'500 * ms, std::nullopt, 12'500 * ms, 0, 0}, 30 * s, 0);
    const auto ct = control_timestamp_from(sought, m, 30 * s);
    EXPECT_EQ(ct.content_time, 502'500);
    EXPECT_EQ(ct.wall_clock_time, 30 * s);
    // Paused: the value of the line in force at the position shown.
    playback_state paused;
    paused.seg = sought.seg;
    paused.paused_position_ns = 25 * s;
    EXPECT_EQ(control_timestamp_from(paused, m, 1).content_time, 5'000);
    EXPECT_EQ(next_jump_clock_time(paused, m, 1), std::nullopt);
}

TEST(ControlTimestampsTest, RateTwoHalvesTheRunningTimeAndDoublesTheSpeed) {
    const auto m = pts_timeline(0, 0);
    segment seg{2.0, 1.0, 4 * s, std::nullopt, 4 * s, 1 * s, 0};
    const auto st = playing(seg, 10 * s, 5 * ms);
    const auto ct = control_timestamp_from(st, m, 0);
    EXPECT_EQ(ct.content_time, 4 * 90'000);
    EXPECT_EQ(ct.wall_clock_time, 10 * s + 1 * s + 5 * ms);
    EXPECT_EQ(ct.timeline_speed_multiplier, 2.0);
    EXPECT_LT(max_error_ns(st, m), 1.0);
}

TEST(ControlTimestampsTest, OddRatesAndTimescalesStayWithinNanoseconds) {
    // Positions are whole ns: half a ns of rounding becomes 0.5 / rate ns of running time.
    for (const double rate : {0.5, 1.0, 1.5, 2.0, 3.0, 0.25}) {
        for (const std::uint32_t timescale : {90'000U, 48'000U, 1000U, 25U, 30'000U}) {
            const auto m = ct_timeline(timescale, 777, 123'456);
            segment seg{rate, 1.0, 2'000'000'017, std::nullopt, 0, 3 * s + 11, 0};
            const auto st = playing(seg, 1'000'000'003, 41'000'013);
            EXPECT_LT(max_error_ns(st, m), 1.0 + 1.0 / rate) << rate << " " << timescale;
        }
    }
}

TEST(ControlTimestampsTest, ApplyingRateKeepsWholeTicksOnTheWire) {
    const auto m = ct_timeline(25, 0, 0); // one tick every 40 ms
    segment seg{1.0, 1.0, 10 * ms, std::nullopt, 0, 0, 0};
    const auto ct = control_timestamp_from(playing(seg, 0), m, 0);
    // 10 ms is not a whole tick: the next one (40 ms) rendered 30 ms after the segment began.
    EXPECT_EQ(ct.content_time, 1);
    EXPECT_EQ(ct.wall_clock_time, 30 * ms);
}

TEST(ControlTimestampsTest, PausedIsThePositionShownNowAtSpeedZero) {
    const auto m = pts_timeline(0, 0);
    playback_state st;
    st.playing = false;
    st.seg = segment{};
    st.paused_position_ns = 2 * s;
    const auto ct = control_timestamp_from(st, m, 77 * s);
    EXPECT_EQ(ct.content_time, 180'000);
    EXPECT_EQ(ct.wall_clock_time, 77 * s);
    EXPECT_EQ(ct.timeline_speed_multiplier, 0.0);
}

TEST(ControlTimestampsTest, PauseThenPlayMovesTheBaseTimeByThePause) {
    // GStreamer adds the paused time to the base time on resuming: the same position plays 3 s
    // later on the wall clock, the content time stays.
    const auto m = pts_timeline(0, 0);
    const auto before = control_timestamp_from(playing(segment{}, 10 * s), m, 0);
    const auto after = control_timestamp_from(playing(segment{}, 13 * s), m, 0);
    EXPECT_EQ(before.content_time, after.content_time);
    EXPECT_EQ(after.wall_clock_time - before.wall_clock_time, 3 * s);
}

TEST(ControlTimestampsTest, LoopBySegmentSeekContinuesRunningTime) {
    // A non-flushing segment seek back to 0 at the end of a 5 s file: the new segment's base is
    // the running time already played; the content time goes back to the first PTS.
    const auto m = pts_timeline(90'000, 0);
    segment first{1.0, 1.0, 0, 5 * s, 0, 0, 0};
    segment second{1.0, 1.0, 0, 5 * s, 0, 5 * s, 0};
    const auto a = control_timestamp_from(playing(first, 100 * s, 10 * ms), m, 0);
    const auto b = control_timestamp_from(playing(second, 100 * s, 10 * ms), m, 0);
    EXPECT_EQ(a.content_time, b.content_time);
    EXPECT_EQ(b.wall_clock_time - a.wall_clock_time, 5 * s);
    EXPECT_LT(max_error_ns(playing(second, 100 * s, 10 * ms), m), 1.0);
}

TEST(ControlTimestampsTest, LatencyDelaysEveryRenderedMoment) {
    const auto m = pts_timeline(0, 0);
    const auto no_latency = control_timestamp_from(playing(segment{}, 0, 0), m, 0);
    const auto latency = control_timestamp_from(playing(segment{}, 0, 123'456), m, 0);
    EXPECT_EQ(latency.wall_clock_time - no_latency.wall_clock_time, 123'456);
    EXPECT_EQ(latency.content_time, no_latency.content_time);
}

TEST(ControlTimestampsTest, UnavailableWithoutTimelineOrKnownPosition) {
    const auto st = playing(segment{}, 0);
    EXPECT_FALSE(control_timestamp_from(st, std::nullopt, 42).available());
    EXPECT_EQ(control_timestamp_from(st, std::nullopt, 42).wall_clock_time, 42);
    playback_state paused; // not prerolled: nothing shown
    EXPECT_FALSE(control_timestamp_from(paused, pts_timeline(0, 0), 42).available());
    segment reverse_open{-1.0, 1.0, 0, std::nullopt, 0, 0, 0};
    EXPECT_FALSE(
        control_timestamp_from(playing(reverse_open, 0), pts_timeline(0, 0), 1).available());
}

TEST(ControlTimestampsTest, ReverseSegmentCountsDownFromStop) {
    const auto m = pts_timeline(0, 0);
    segment seg{-1.0, 1.0, 0, 10 * s, 0, 0, 0};
    const auto ct = control_timestamp_from(playing(seg, 1 * s), m, 0);
    EXPECT_EQ(ct.content_time, 900'000);
    EXPECT_EQ(ct.wall_clock_time, 1 * s);
    EXPECT_EQ(ct.timeline_speed_multiplier, -1.0);
}

} // namespace
} // namespace dvbcss::media
