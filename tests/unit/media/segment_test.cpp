#include <dvbcss/media/segment.hpp>
#include <dvbcss/media/timeline_mapping.hpp>

#include <gtest/gtest.h>

namespace dvbcss::media {
namespace {

constexpr std::int64_t s = 1'000'000'000;

TEST(SegmentTest, ForwardSegmentMapsPositionsToRunningAndStreamTime) {
    segment seg{1.0, 1.0, 10 * s, std::nullopt, 0, 3 * s, 0};
    EXPECT_EQ(to_running_time(seg, 10 * s), 3 * s);
    EXPECT_EQ(to_running_time(seg, 12 * s + 5), 5 * s + 5);
    EXPECT_EQ(to_running_time(seg, 10 * s - 1), std::nullopt);
    EXPECT_EQ(to_stream_time(seg, 12 * s), 2 * s);
    EXPECT_EQ(position_from_running_time(seg, 5 * s + 5), 12 * s + 5);
    EXPECT_EQ(position_from_running_time(seg, 3 * s - 1), std::nullopt);
}

TEST(SegmentTest, RateScalesRunningTimeAndAppliedRateScalesStreamTime) {
    segment seg{2.0, 1.0, 0, std::nullopt, 0, 0, 0};
    EXPECT_EQ(to_running_time(seg, 4 * s), 2 * s);
    EXPECT_EQ(position_from_running_time(seg, 2 * s), 4 * s);
    segment applied{1.0, 0.5, 0, std::nullopt, 100, 0, 0};
    EXPECT_EQ(to_stream_time(applied, 4 * s), 2 * s + 100);
    EXPECT_DOUBLE_EQ(applied.effective_rate(), 0.5);
}

TEST(SegmentTest, ReverseSegmentCountsDownFromStop) {
    segment seg{-1.0, 1.0, 0, 20 * s, 0, 1 * s, 0};
    EXPECT_EQ(to_running_time(seg, 20 * s), 1 * s);
    EXPECT_EQ(to_running_time(seg, 15 * s), 6 * s);
    EXPECT_EQ(position_from_running_time(seg, 6 * s), 15 * s);
    segment open{-1.0, 1.0, 0, std::nullopt, 0, 0, 0};
    EXPECT_EQ(to_running_time(open, 1), std::nullopt);
}

TEST(SegmentTest, OffsetSkipsAlreadyPlayedTime) {
    segment seg{1.0, 1.0, 0, std::nullopt, 0, 0, 2 * s};
    EXPECT_EQ(to_running_time(seg, 3 * s), 1 * s);
    EXPECT_EQ(to_running_time(seg, 1 * s), std::nullopt);
}

TEST(SegmentTest, InstantRateChangeCarriesOnFromThePositionReached) {
    // Playing from 10 s (running time 3 s at the start); at running time 5 s (position 12 s)
    // the rate becomes 2: position 12 s + 2 x (running time - 5 s) from there on.
    const segment seg{1.0, 1.0, 10 * s, 40 * s, 0, 3 * s, 0};
    const auto fast = after_instant_rate_change(seg, 5 * s, 2.0);
    ASSERT_TRUE(fast.has_value());
    EXPECT_DOUBLE_EQ(fast->effective_rate(), 2.0);
    EXPECT_EQ(to_running_time(*fast, 12 * s), 5 * s);
    EXPECT_EQ(to_running_time(*fast, 16 * s), 7 * s);
    EXPECT_EQ(position_from_running_time(*fast, 6 * s), 14 * s);
    EXPECT_EQ(to_stream_time(*fast, 16 * s), 6 * s); // stream time as before the change
    EXPECT_EQ(fast->stop, 40 * s);

    // A second change is relative to the running time it takes effect at, not the first's.
    const auto slow = after_instant_rate_change(*fast, 7 * s, 0.5);
    ASSERT_TRUE(slow.has_value());
    EXPECT_EQ(to_running_time(*slow, 16 * s), 7 * s);
    EXPECT_EQ(to_running_time(*slow, 17 * s), 9 * s);
    EXPECT_EQ(to_stream_time(*slow, 17 * s), 7 * s);
}

TEST(SegmentTest, InstantRateChangeBeforeTheSegmentPlaysAppliesFromItsBeginning) {
    const segment seg{1.0, 1.0, 10 * s, std::nullopt, 0, 3 * s, 2 * s};
    const auto fast = after_instant_rate_change(seg, 1 * s, 4.0);
    ASSERT_TRUE(fast.has_value());
    EXPECT_EQ(to_running_time(*fast, 12 * s), 3 * s);
    EXPECT_EQ(to_running_time(*fast, 16 * s), 4 * s);
    EXPECT_EQ(to_stream_time(*fast, 12 * s), 2 * s);
}

TEST(SegmentTest, InstantRateChangeIsForwardOnly) {
    const segment forward{1.0, 1.0, 0, std::nullopt, 0, 0, 0};
    EXPECT_EQ(after_instant_rate_change(forward, s, 0.0), std::nullopt);
    EXPECT_EQ(after_instant_rate_change(forward, s, -1.0), std::nullopt);
    const segment reverse{-1.0, 1.0, 0, 20 * s, 0, 0, 0};
    EXPECT_EQ(after_instant_rate_change(reverse, s, -2.0), std::nullopt);
}

TEST(TimelineMappingTest, PtsTimelineCountsNinetyKilohertzFromItsOrigin) {
    const auto pts = pts_timeline(900'000, 5 * s); // PTS 10 s at position 5 s
    EXPECT_EQ(pts.selector, "urn:dvb:css:timeline:pts");
    EXPECT_EQ(pts.ticks_at(5 * s), 900'000);
    EXPECT_EQ(pts.ticks_at(6 * s), 990'000);
    EXPECT_EQ(pts.ticks_at(4 * s), 810'000);
    EXPECT_EQ(pts.ticks_at(5 * s + 5'555), 900'000); // 0.49995 tick rounds down
    EXPECT_EQ(pts.ticks_at(5 * s + 5'556), 900'001); // 0.50004 tick rounds up
    EXPECT_EQ(pts.position_at(990'000), 6 * s);
    EXPECT_EQ(pts.position_at(900'001), 5 * s + 11'111);
    EXPECT_EQ(pts.position_at(899'999), 5 * s - 11'111);
}

TEST(TimelineMappingTest, BeyondThirtyThreeBitsTheTimelineKeepsCounting) {
    const std::int64_t wrap = std::int64_t{1} << 33;
    const auto pts = pts_timeline(wrap - 90'000, 0);
    EXPECT_EQ(pts.ticks_at(2 * s), wrap + 90'000);
}

TEST(TimelineMappingTest, CtTimelineUsesTheTrackTimescale) {
    const auto ct = ct_timeline(48'000, 1'024, 0);
    EXPECT_EQ(ct.selector, "urn:dvb:css:timeline:ct");
    EXPECT_EQ(ct.units_per_second, 48'000U);
    EXPECT_EQ(ct.ticks_at(s), 49'024);
    EXPECT_EQ(ct.position_at(1'024 + 24'000), s / 2);
}

} // namespace
} // namespace dvbcss::media
