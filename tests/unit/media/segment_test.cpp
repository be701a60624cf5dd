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
