// TEMI timelines from descriptors and their PTS (temi_timelines.hpp): the line each is served
// as, where a stream departs from it, and the mapping onto pipeline positions.
#include <dvbcss/media/temi_timelines.hpp>

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <vector>

namespace dvbcss::media {
namespace {

constexpr std::int64_t wrap = std::int64_t{1} << 33;

pes_pts start(std::int64_t pts, std::uint8_t id, std::uint32_t scale, std::uint64_t stamp,
              std::uint16_t pid = 0x100) {
    temi_timeline_descriptor d;
    d.timeline_id = id;
    d.timescale = scale;
    d.media_timestamp = stamp;
    return pes_pts{pid, 0xC0, pts, {d}};
}

TEST(TemiTimelinesTest, SelectorNamesComponentTagAndTimelineInDecimal) {
    EXPECT_EQ(temi_selector(1, 1), "urn:dvb:css:timeline:temi:1:1");
    EXPECT_EQ(temi_selector(2, 160), "urn:dvb:css:timeline:temi:2:160");
}

TEST(TemiTimelinesTest, PtsDifferenceTakesTheShortWayRoundTheWrap) {
    EXPECT_EQ(pts_difference(100, 40), 60);
    EXPECT_EQ(pts_difference(40, 100), -60);
    EXPECT_EQ(pts_difference(10, wrap - 10), 20);
    EXPECT_EQ(pts_difference(wrap - 10, 10), -20);
}

TEST(TemiTimelinesTest, DescriptorsOnTheLineCountAndTheFirstGivesIt) {
    temi_timeline_finder f;
    // 1 kHz from 0 at PTS 324 000 000 (3600 s), one descriptor per 21.333 ms AAC frame, rounded
    // to the tick as a muxer would.
    for (int i = 0; i < 100; ++i) {
        const std::int64_t pts = 324'000'000 + i * 1920;
        f.add(start(pts, 1, 1000, static_cast<std::uint64_t>((i * 1920 + 45) / 90)), 5);
    }
    ASSERT_EQ(f.timelines().size(), 1U);
    const auto& t = f.timelines()[0];
    EXPECT_EQ(t.component_tag, 5);
    EXPECT_EQ(t.timescale, 1000U);
    EXPECT_EQ(t.first_pts, 324'000'000);
    EXPECT_EQ(t.first_media_timestamp, 0U);
    EXPECT_EQ(t.descriptors, 100U);
    EXPECT_EQ(t.departs_at_pts, std::nullopt);
}

TEST(TemiTimelinesTest, TwoAgreeingDescriptorsOffTheLineAreAJumpOrWhereTheStreamDeparts) {
    // 90 kHz from 1 000 000 at PTS 0, one descriptor a second; from PTS 180 000 on: a jump of 1 ms
    // and a tick (a new line), a pause, or another timescale (departures).
    for (int kind = 0; kind < 3; ++kind) {
        temi_timeline_finder f;
        f.add(start(0, 1, 90'000, 1'000'000), std::nullopt);
        f.add(start(90'000, 1, 90'000, 1'090'000), std::nullopt);
        for (const std::int64_t pts : {180'000, 270'000}) {
            auto next = start(pts, 1, 90'000, 1'000'000 + static_cast<std::uint64_t>(pts));
            auto& d = next.temi[0];
            switch (kind) {
            case 0:
                *d.media_timestamp += 91;
                break;
            case 1:
                d.paused = true;
                *d.media_timestamp = 1'180'000;
                break;
            default:
                d.timescale = 1000;
                *d.media_timestamp = static_cast<std::uint64_t>(pts) / 90;
                break;
            }
            f.add(next, 3);
        }
        f.add(start(360'000, 1, 90'000, 1'000'000), 3); // after a departure: ignored
        ASSERT_EQ(f.timelines().size(), 1U) << kind;
        const auto& t = f.timelines()[0];
        EXPECT_EQ(t.component_tag, 3) << "learnt later" << kind;
        if (kind == 0) {
            EXPECT_EQ(t.departs_at_pts, std::nullopt);
            EXPECT_EQ(t.jumps, (std::vector<temi_jump>{{180'000, 1'180'091}}));
            EXPECT_EQ(t.descriptors, 4U);
            EXPECT_EQ(t.set_aside, 2U) << "the jump's first, and the last off the new line";
        } else {
            EXPECT_EQ(t.departs_at_pts, 180'000) << kind;
            EXPECT_TRUE(t.jumps.empty()) << kind;
            EXPECT_EQ(t.descriptors, 2U) << kind;
        }
    }
}

TEST(TemiTimelinesTest, JumpsAreServedLineByLineOnThePtsPositions) {
    // 1 kHz from 0 at PTS 900 000 (10 s); at PTS 1 800 000 (20 s) it jumps to 500 000 and at
    // 2 700 000 (30 s) back to 0: one descriptor every 0.5 s.
    temi_timeline_finder f;
    const auto stamp_at = [](std::int64_t pts) -> std::uint64_t {
        if (pts < 1'800'000) {
            return static_cast<std::uint64_t>((pts - 900'000) / 90);
        }
        if (pts < 2'700'000) {
            return 500'000 + static_cast<std::uint64_t>((pts - 1'800'000) / 90);
        }
        return static_cast<std::uint64_t>((pts - 2'700'000) / 90);
    };
    for (std::int64_t pts = 900'000; pts < 3'600'000; pts += 45'000) {
        f.add(start(pts, 1, 1000, stamp_at(pts)), 2);
    }
    ASSERT_EQ(f.timelines().size(), 1U);
    const auto& t = f.timelines()[0];
    EXPECT_EQ(t.jumps, (std::vector<temi_jump>{{1'800'000, 500'000}, {2'700'000, 0}}));
    EXPECT_EQ(t.set_aside, 2U) << "the first of each jump's two is set aside until the second";
    // On the PTS timeline of a stream whose first PTS, 900 000, is position 0.
    const auto pts = pts_timeline(900'000, 0);
    ASSERT_EQ(temi_timeline_problem(t, pts, 40'000'000'000), std::nullopt);
    const auto m = temi_timeline(t, pts);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->jumps,
              (std::vector<timeline_jump>{{10'000'000'000, 500'000}, {20'000'000'000, 0}}));
    EXPECT_EQ(m->ticks_at(5'000'000'000), 5'000);
    EXPECT_EQ(m->ticks_at(12'000'000'000), 502'000);
    EXPECT_EQ(m->ticks_at(25'000'000'000), 5'000);
    // 5 000 ticks occur twice: the position nearest the one given (the origin by default).
    EXPECT_EQ(m->position_at(5'000), 5'000'000'000);
    EXPECT_EQ(m->position_at(5'000, 21'000'000'000), 25'000'000'000);
    EXPECT_EQ(m->position_at(502'000, 0), 12'000'000'000);
    EXPECT_EQ(m->next_jump_after(5'000'000'000), 10'000'000'000);
    EXPECT_EQ(m->next_jump_after(10'000'000'000), 20'000'000'000);
    EXPECT_EQ(m->next_jump_after(20'000'000'000), std::nullopt);
    // Within the media's 30 s: values a jump skips, or that come before 0 or after the end, are
    // nowhere.
    constexpr std::int64_t end = 30'000'000'000;
    EXPECT_EQ(m->position_within(300'000, std::nullopt, 0, end), std::nullopt);
    EXPECT_EQ(m->position_within(-1'000, std::nullopt, 0, end), std::nullopt);
    EXPECT_EQ(m->position_within(20'000, std::nullopt, 0, end), std::nullopt);
    EXPECT_EQ(m->position_within(5'000, 21'000'000'000, 0, end), 25'000'000'000);
    EXPECT_EQ(m->position_within(502'000, std::nullopt, 0, std::nullopt), 12'000'000'000);
    // Jumps whose PTS goes back are not served.
    auto back = t;
    back.jumps[1].pts = 1'000'000;
    EXPECT_NE(temi_timeline_problem(back, pts, 40'000'000'000), std::nullopt);
}

TEST(TemiTimelinesTest, OneDamagedDescriptorNeitherSetsTheLineNorEndsIt) {
    temi_timeline_finder f;
    // A damaged first descriptor (timescale 1001 for 1000): the next two agree and are the line.
    f.add(start(0, 1, 1001, 0), 1);
    f.add(start(90'000, 1, 1000, 1000), 1);
    EXPECT_FALSE(f.timelines()[0].confirmed());
    f.add(start(180'000, 1, 1000, 2000), 1);
    ASSERT_TRUE(f.timelines()[0].confirmed());
    EXPECT_EQ(f.timelines()[0].timescale, 1000U);
    EXPECT_EQ(f.timelines()[0].first_pts, 90'000);
    // One off the line between two on it, and a discontinuity flag on values on the line: no
    // departure.
    f.add(start(270'000, 1, 1000, 99'999), 1);
    auto flagged = start(360'000, 1, 1000, 4000);
    flagged.temi[0].discontinuity = true;
    f.add(flagged, 1);
    f.add(start(450'000, 1, 1000, 5000), 1);
    EXPECT_EQ(f.timelines()[0].departs_at_pts, std::nullopt);
    EXPECT_EQ(f.timelines()[0].descriptors, 4U);
    EXPECT_EQ(f.timelines()[0].set_aside, 2U);
    // Two off the line that do not agree with each other: still no departure.
    f.add(start(540'000, 1, 1000, 70'000), 1);
    f.add(start(630'000, 1, 1000, 10), 1);
    EXPECT_EQ(f.timelines()[0].departs_at_pts, std::nullopt);
    // Two agreeing descriptors 11.8 s apart (damaged ids can be) do not vouch for each other.
    temi_timeline_finder far;
    far.add(start(0, 180, 1000, 0), 1);
    far.add(start(11 * 90'000 + 72'000, 180, 1000, 11'800), 1);
    EXPECT_FALSE(far.timelines()[0].confirmed());
    // A timeline seen once is not confirmed, so it is not served.
    temi_timeline_finder once;
    once.add(start(0, 7, 50, 0), 1);
    EXPECT_FALSE(once.timelines()[0].confirmed());
    EXPECT_EQ(temi_timeline(once.timelines()[0], pts_timeline(0, 0)), std::nullopt);
    EXPECT_EQ(temi_timeline_problem(once.timelines()[0], pts_timeline(0, 0), 0),
              "not served (no two descriptors in a row agree on a running line)");
}

TEST(TemiTimelinesTest, TimelinesAreKeptApartByPidAndIdAndDescriptorsWithoutTimesPassedOver) {
    temi_timeline_finder f;
    auto two = start(wrap - 900, 1, 50, 10);
    temi_timeline_descriptor second;
    second.timeline_id = 2;
    second.timescale = 1000;
    second.media_timestamp = 5;
    temi_timeline_descriptor bare; // no timestamp: says nothing about a line
    bare.timeline_id = 3;
    temi_timeline_descriptor zero = second; // timescale 0
    zero.timeline_id = 4;
    zero.timescale = 0;
    two.temi.push_back(second);
    two.temi.push_back(bare);
    two.temi.push_back(zero);
    f.add(two, 1);
    f.add(start(wrap - 900, 1, 50, 99, 0x101), 2);
    // Across the PTS wrap, 1 s later: on the line.
    f.add(start(90'000 - 900, 1, 50, 60), 1);
    ASSERT_EQ(f.timelines().size(), 3U);
    EXPECT_EQ(f.timelines()[0].timeline_id, 1);
    EXPECT_EQ(f.timelines()[0].descriptors, 2U);
    EXPECT_TRUE(f.timelines()[0].confirmed());
    EXPECT_EQ(f.timelines()[0].departs_at_pts, std::nullopt);
    EXPECT_EQ(f.timelines()[1].timeline_id, 2);
    EXPECT_EQ(f.timelines()[2].pid, 0x101);
}

TEST(TemiTimelinesTest, TheFinderFollowsABoundedNumberOfTimelines) {
    temi_timeline_finder f;
    for (int id = 0; id < 200; ++id) {
        f.add(start(0, static_cast<std::uint8_t>(id % 256), 1000, 0,
                    static_cast<std::uint16_t>(0x100 + id / 256)),
              1);
    }
    EXPECT_EQ(f.timelines().size(), temi_timeline_finder::max_timelines);
}

TEST(TemiTimelinesTest, TheMappingPlacesTheFirstDescriptorWhereThePtsTimelinePutsItsPts) {
    // PTS timeline: PTS 324 000 000 at position 0 (mpegtsmux's 3600 s origin).
    const auto pts = pts_timeline(324'000'000, 0);
    temi_timeline_seen seen;
    seen.pid = 0x100;
    seen.timeline_id = 1;
    seen.component_tag = 1;
    seen.timescale = 1000;
    seen.first_pts = 324'000'000 + 45'000; // 0.5 s in
    seen.first_media_timestamp = 10'000;   // 10 s
    seen.descriptors = 2;
    const auto m = temi_timeline(seen, pts);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->selector, "urn:dvb:css:timeline:temi:1:1");
    EXPECT_EQ(m->units_per_second, 1000U);
    EXPECT_EQ(m->units_per_tick, 1U);
    EXPECT_EQ(m->ticks_at(500'000'000), 10'000);
    EXPECT_EQ(m->ticks_at(0), 9'500);
    EXPECT_EQ(m->ticks_at(2'500'000'000), 12'000);

    // A descriptor PTS past the wrap of a timeline that started just before it.
    const auto late = pts_timeline(wrap - 90'000, 1'000'000'000);
    seen.first_pts = 90'000; // 2 s after the origin
    const auto w = temi_timeline(seen, late);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->origin_position_ns, 3'000'000'000);

    seen.component_tag.reset();
    EXPECT_EQ(temi_timeline(seen, pts), std::nullopt) << "no name without a component tag";
    seen.component_tag = 1;
    seen.timescale = 2'000'000'000;
    EXPECT_EQ(temi_timeline(seen, pts), std::nullopt) << "faster than 1 GHz";
    seen.timescale = 1000;
    seen.first_media_timestamp = ~std::uint64_t{0};
    EXPECT_EQ(temi_timeline(seen, pts), std::nullopt) << "past INT64_MAX ticks";
    // Within range at its first descriptor, past it 30 s later.
    seen.timescale = 90'000;
    seen.first_pts = 324'000'000;
    seen.first_media_timestamp = static_cast<std::uint64_t>(INT64_MAX) - 90'000 * 20;
    EXPECT_TRUE(temi_timeline(seen, pts));
    EXPECT_EQ(temi_timeline_problem(seen, pts, 10'000'000'000), std::nullopt);
    EXPECT_EQ(temi_timeline_problem(seen, pts, 30'000'000'000),
              "not served (its media time passes 2^63 - 1 ticks within the media)");
    seen.timescale = 4'294'967'295U;
    seen.first_media_timestamp = 0;
    EXPECT_EQ(temi_timeline_problem(seen, pts, 0),
              "not served (its timescale, 4294967295 ticks/s, is above the 1 GHz a timeline may "
              "tick at)");
}

} // namespace
} // namespace dvbcss::media
