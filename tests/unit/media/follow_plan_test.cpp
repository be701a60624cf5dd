#include <dvbcss/media/follow_plan.hpp>

#include <gtest/gtest.h>

namespace dvbcss::media {
namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1'000'000'000;

// The TV shows PTS 900000 + 5 s (position 5 s of the companion's file) at wall clock 100 s.
constexpr std::int64_t first_pts = 900'000;
constexpr std::int64_t latency = 20 * ms;

ts::control_timestamp tv_at(std::int64_t position_ns, std::int64_t wall_ns, double speed = 1.0) {
    return ts::control_timestamp{first_pts + position_ns * 90'000 / s, wall_ns, speed};
}

/// A player rendering position `position_ns` at clock time `now_ns`, segment from 0 at rate 1.
playback_state playing_at(std::int64_t position_ns, std::int64_t now_ns, double rate = 1.0) {
    playback_state p;
    p.playing = true;
    p.seg.rate = rate;
    p.latency_ns = latency;
    p.base_time_ns =
        now_ns - latency - static_cast<std::int64_t>(static_cast<double>(position_ns) / rate);
    return p;
}

follow_input input(ts::control_timestamp tv, playback_state player, std::int64_t now) {
    follow_input in;
    in.tv = tv;
    in.timeline = pts_timeline(first_pts, 0);
    in.player = player;
    in.now_ns = now;
    in.duration_ns = 30 * s;
    return in;
}

/// The clock time at which the player renders `position` (playing).
std::int64_t render_time(const playback_state& p, std::int64_t position) {
    return p.base_time_ns + running_time_linear(p.seg, position) + p.latency_ns;
}

TEST(FollowPlanTest, InStepDoesNothing) {
    const auto plan =
        plan_follow(input(tv_at(5 * s, 100 * s), playing_at(6 * s, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::nothing);
    EXPECT_EQ(plan.offset_ns, 0);
    EXPECT_EQ(plan.should_position_ns, 6 * s);
}

TEST(FollowPlanTest, AValueAJumpingTimelineHasTwiceIsFollowedWhereThePlayerIs) {
    // A TEMI-like timeline at 1 kHz from 0, jumping back to 0 at 20 s: 5 000 ticks is both 5 s
    // and 25 s of the file. The TV shows 5 000 at wall clock 100 s; the player is at 25.2 s.
    auto in = input(ts::control_timestamp{5'000, 100 * s, 1.0}, playing_at(25'200 * ms, 100 * s),
                    100 * s);
    in.timeline = ct_timeline(1000, 0, 0);
    in.timeline.jumps = {{20 * s, 0}};
    auto plan = plan_follow(in);
    EXPECT_EQ(plan.should_position_ns, 25 * s);
    EXPECT_EQ(plan.offset_ns, 200 * ms);
    EXPECT_EQ(plan.action, follow_action::seek);
    // A player near the first occurrence follows that one.
    in.player = playing_at(5 * s, 100 * s);
    plan = plan_follow(in);
    EXPECT_EQ(plan.should_position_ns, 5 * s);
    EXPECT_EQ(plan.action, follow_action::nothing);
}

TEST(FollowPlanTest, SmallErrorSetsTheBaseTimeThatRendersEachPositionWhenTheTvDoes) {
    auto player = playing_at(6 * s - 5 * ms, 101 * s); // 5 ms behind
    const auto plan = plan_follow(input(tv_at(5 * s, 100 * s), player, 101 * s));
    ASSERT_EQ(plan.action, follow_action::set_base_time);
    EXPECT_EQ(plan.offset_ns, -5 * ms);
    ASSERT_TRUE(plan.base_time_ns);
    EXPECT_EQ(*plan.base_time_ns, player.base_time_ns - 5 * ms);
    player.base_time_ns = *plan.base_time_ns;
    // The TV renders 7 s at wall 102 s; so does the player now.
    EXPECT_EQ(render_time(player, 7 * s), 102 * s);
}

TEST(FollowPlanTest, ChangesBelowTheRebaseThresholdAreLeftAlone) {
    const auto plan =
        plan_follow(input(tv_at(5 * s, 100 * s), playing_at(6 * s + 50'000, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::nothing);
    EXPECT_EQ(plan.offset_ns, 50'000);
}

TEST(FollowPlanTest, LargeErrorSeeksToWhereTheTvWillBeAfterThePreroll) {
    auto in = input(tv_at(5 * s, 100 * s), playing_at(6 * s + 100 * ms, 101 * s), 101 * s);
    in.preroll_ns = 400 * ms;
    const auto plan = plan_follow(in);
    ASSERT_EQ(plan.action, follow_action::seek);
    EXPECT_EQ(plan.offset_ns, 100 * ms);
    EXPECT_EQ(plan.stream_time_ns, 6 * s + 400 * ms);
}

TEST(FollowPlanTest, RenderDelayRendersLater) {
    auto player = playing_at(6 * s, 101 * s);
    auto in = input(tv_at(5 * s, 100 * s), player, 101 * s);
    in.render_delay_ns = 10 * ms;
    const auto plan = plan_follow(in);
    ASSERT_EQ(plan.action, follow_action::set_base_time);
    EXPECT_EQ(plan.offset_ns, 10 * ms); // the player is ahead of where it should be
    player.base_time_ns = *plan.base_time_ns;
    EXPECT_EQ(render_time(player, 7 * s), 102 * s + 10 * ms);
}

TEST(FollowPlanTest, PausedOnTheSeekTargetPlaysWithTheRightBaseTime) {
    // After a seek to 6.3 s the player is prerolled there; the TV is at 6.1 s now.
    playback_state player;
    player.seg = segment{1.0, 1.0, 6'300 * ms, std::nullopt, 6'300 * ms, 0, 0};
    player.latency_ns = latency;
    player.paused_position_ns = 6'300 * ms;
    const auto plan = plan_follow(input(tv_at(5 * s, 100 * s), player, 101'100 * ms));
    ASSERT_EQ(plan.action, follow_action::play);
    EXPECT_EQ(plan.offset_ns, 200 * ms);
    player.base_time_ns = *plan.base_time_ns;
    EXPECT_EQ(render_time(player, 6'300 * ms), 101'300 * ms);
    EXPECT_EQ(render_time(player, 9 * s), 104 * s);
}

TEST(FollowPlanTest, PausedTooLateOrTooFarAheadSeeks) {
    playback_state player;
    player.latency_ns = latency;
    player.paused_position_ns = 6 * s - 50 * ms;
    auto plan = plan_follow(input(tv_at(5 * s, 100 * s), player, 101 * s));
    EXPECT_EQ(plan.action, follow_action::seek);
    player.paused_position_ns = 20 * s;
    plan = plan_follow(input(tv_at(5 * s, 100 * s), player, 101 * s));
    EXPECT_EQ(plan.action, follow_action::seek);
    EXPECT_EQ(plan.stream_time_ns, 6'300 * ms);
    player.paused_position_ns = std::nullopt;
    plan = plan_follow(input(tv_at(5 * s, 100 * s), player, 101 * s));
    EXPECT_EQ(plan.action, follow_action::seek);
    EXPECT_FALSE(plan.offset_ns);
}

TEST(FollowPlanTest, TvPausedPausesAtItsPosition) {
    const auto tv = tv_at(7 * s, 100 * s, 0.0);
    auto plan = plan_follow(input(tv, playing_at(8 * s, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::pause_at);
    EXPECT_EQ(plan.stream_time_ns, 7 * s);
    EXPECT_EQ(plan.should_position_ns, 7 * s);
    playback_state paused;
    paused.paused_position_ns = 7 * s + 5 * ms;
    plan = plan_follow(input(tv, paused, 105 * s));
    EXPECT_EQ(plan.action, follow_action::nothing);
    EXPECT_EQ(plan.offset_ns, 5 * ms);
    paused.paused_position_ns = 3 * s;
    plan = plan_follow(input(tv, paused, 105 * s));
    EXPECT_EQ(plan.action, follow_action::pause_at);
    EXPECT_EQ(plan.stream_time_ns, 7 * s);
}

TEST(FollowPlanTest, TvPausedNearThePlayerPausesWithoutSeeking) {
    // The player renders 7.002 s when the TV's pause at 7 s arrives: pause there, no flush.
    const auto tv = tv_at(7 * s, 100 * s, 0.0);
    auto plan = plan_follow(input(tv, playing_at(7 * s + 2 * ms, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::pause_at);
    EXPECT_FALSE(plan.stream_time_ns);
    EXPECT_EQ(plan.offset_ns, 2 * ms);
    // 25 ms off (beyond the 20 ms seek threshold): pause and seek to the TV's position.
    plan = plan_follow(input(tv, playing_at(7 * s - 25 * ms, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::pause_at);
    EXPECT_EQ(plan.stream_time_ns, 7 * s);
}

TEST(FollowPlanTest, UnavailableTimelinePauses) {
    const auto tv = ts::control_timestamp::unavailable(100 * s);
    auto plan = plan_follow(input(tv, playing_at(6 * s, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::pause);
    EXPECT_FALSE(plan.offset_ns);
    playback_state paused;
    plan = plan_follow(input(tv, paused, 101 * s));
    EXPECT_EQ(plan.action, follow_action::nothing);
}

TEST(FollowPlanTest, SpeedChangeChangesTheRateThenFollowsAtIt) {
    const auto tv = tv_at(5 * s, 100 * s, 2.0);
    auto plan = plan_follow(input(tv, playing_at(7 * s, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::change_rate);
    EXPECT_EQ(plan.rate, 2.0);
    // At rate 2 and in step: nothing. TV at 7 s at wall 101 s.
    auto player = playing_at(7 * s, 101 * s, 2.0);
    plan = plan_follow(input(tv, player, 101 * s));
    EXPECT_EQ(plan.action, follow_action::nothing);
    EXPECT_EQ(plan.offset_ns, 0);
    // 10 ms of position behind at rate 2 is 5 ms of time: a base time change, not a seek.
    player = playing_at(7 * s - 30 * ms, 101 * s, 2.0);
    plan = plan_follow(input(tv, player, 101 * s));
    ASSERT_EQ(plan.action, follow_action::set_base_time);
    player.base_time_ns = *plan.base_time_ns;
    EXPECT_EQ(render_time(player, 9 * s), 102 * s);
}

TEST(FollowPlanTest, SpeedChangeFarOffIsOneSeekAtTheNewRate) {
    // The TV at 7 s at rate 2, the player 1 s behind at rate 1: a seek at rate 2 to where the TV
    // will be once the player has prerolled, not a rate change first.
    const auto tv = tv_at(5 * s, 100 * s, 2.0);
    auto in = input(tv, playing_at(6 * s, 101 * s), 101 * s);
    in.preroll_ns = 300 * ms;
    auto plan = plan_follow(in);
    ASSERT_EQ(plan.action, follow_action::seek);
    EXPECT_EQ(plan.rate, 2.0);
    EXPECT_EQ(plan.stream_time_ns, 7 * s + 600 * ms);
    // Paused on the right frame at rate 1 (the TV resumed at rate 2): a seek at rate 2 too.
    playback_state paused;
    paused.paused_position_ns = 7 * s;
    plan = plan_follow(input(tv, paused, 101 * s));
    ASSERT_EQ(plan.action, follow_action::seek);
    EXPECT_EQ(plan.rate, 2.0);
}

TEST(FollowPlanTest, ReverseIsHeldPaused) {
    const auto plan =
        plan_follow(input(tv_at(5 * s, 100 * s, -1.0), playing_at(6 * s, 101 * s), 101 * s));
    EXPECT_EQ(plan.action, follow_action::pause_at);
    EXPECT_TRUE(plan.reverse);
    EXPECT_EQ(plan.stream_time_ns, 4 * s);
}

TEST(FollowPlanTest, ContentOutsideTheMediaIsReported) {
    auto plan = plan_follow(input(tv_at(500 * s, 100 * s), playing_at(6 * s, 101 * s), 101 * s));
    EXPECT_TRUE(plan.outside_media);
    EXPECT_EQ(plan.action, follow_action::pause);
    // A PTS before the file's first PTS.
    const ts::control_timestamp early{first_pts - 90'000 * 60, 100 * s, 1.0};
    plan = plan_follow(input(early, playback_state{}, 101 * s));
    EXPECT_TRUE(plan.outside_media);
    EXPECT_EQ(plan.action, follow_action::nothing);
    // A TV paused at its end of stream 162 ms past this file's duration (30 s): its end, not
    // outside; 0.6 s past it: outside.
    plan =
        plan_follow(input(tv_at(30'162 * ms, 100 * s, 0.0), playing_at(29 * s, 101 * s), 101 * s));
    EXPECT_FALSE(plan.outside_media);
    EXPECT_EQ(plan.action, follow_action::pause_at);
    plan =
        plan_follow(input(tv_at(30'600 * ms, 100 * s, 0.0), playing_at(29 * s, 101 * s), 101 * s));
    EXPECT_TRUE(plan.outside_media);
}

TEST(FollowPlanTest, SegmentAfterASeekKeepsTheArithmetic) {
    // A segment from position 20 s (stream time 20 s), running time restarting at 0.
    playback_state player;
    player.playing = true;
    player.seg = segment{1.0, 1.0, 20 * s, std::nullopt, 20 * s, 0, 0};
    player.latency_ns = latency;
    player.base_time_ns = 200 * s; // 20 s rendered at 200.02 s
    // The TV renders 20.5 s at 200.52 s.
    const auto plan = plan_follow(input(tv_at(20'500 * ms, 200'520 * ms), player, 201 * s));
    EXPECT_EQ(plan.action, follow_action::nothing);
    EXPECT_EQ(plan.offset_ns, 0);
}

TEST(FollowPlanTest, LinearHelpersExtrapolateBeyondTheSegment) {
    const segment seg{2.0, 1.0, 10 * s, 20 * s, 10 * s, 1 * s, 0};
    EXPECT_EQ(running_time_linear(seg, 8 * s), 0);
    EXPECT_EQ(running_time_linear(seg, 24 * s), 8 * s);
    EXPECT_EQ(position_linear(seg, 0), 8 * s);
    EXPECT_EQ(stream_time_linear(seg, 8 * s), 8 * s);
    const segment reverse{-1.0, 1.0, 0, 20 * s, 0, 0, 0};
    EXPECT_EQ(running_time_linear(reverse, 15 * s), 5 * s);
    EXPECT_EQ(position_linear(reverse, 5 * s), 15 * s);
    EXPECT_STREQ(to_string(follow_action::change_rate), "change_rate");
}

} // namespace
} // namespace dvbcss::media
