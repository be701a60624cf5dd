#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <support/fake_time_source.hpp>

namespace ts = dvbcss::ts;
namespace clk = dvbcss::clock;
using dvbcss::tick_t;

namespace {

constexpr const char* pts_selector = "urn:dvb:css:timeline:pts";
constexpr const char* temi_selector = "urn:dvb:css:timeline:temi:1:1";

// Records every push it hears: the source and the selector ("*" for "all").
class recording_sink final : public ts::timeline_sink {
public:
    void on_timeline_changed(ts::timeline_source& source,
                             std::optional<std::string_view> selector) override {
        heard.push_back({&source, selector ? std::string(*selector) : std::string("*")});
    }

    void on_source_destroyed(ts::timeline_source& source) override { destroyed.push_back(&source); }

    struct push {
        const ts::timeline_source* source;
        std::string selector;
    };

    std::size_t take_count() {
        const auto n = heard.size();
        heard.clear();
        return n;
    }

    std::vector<push> heard;
    std::vector<const ts::timeline_source*> destroyed;
};

// A source for every selector, pushing "all" on demand: exercises notify_changed().
class any_selector_source final : public ts::timeline_source {
public:
    [[nodiscard]] bool recognises(std::string_view /*selector*/) const override { return true; }

    [[nodiscard]] std::optional<ts::control_timestamp>
    control_timestamp_for(std::string_view /*selector*/) override {
        return ts::control_timestamp::unavailable(0);
    }

    void push_all() { notify_changed(); }
};

// A wall clock (1e9, child of a system clock on a fake time source) and a PTS clock below it.
struct tree {
    dvbcss::test::fake_time_source time{0};
    clk::sys_clock sys{time, 1e9};
    clk::correlated_clock wall{sys, 1e9, clk::correlation{0, 5'000'000'000}};
    // PTS 0 at wall time 10 s.
    clk::correlated_clock pts{wall, 90000, clk::correlation{10'000'000'000, 0}};

    tree() { time.set_ns(20'000'000'000); } // wall clock 25 s, PTS 15 s = 1350000
};

ts::control_timestamp available(std::int64_t content, std::int64_t wall, double speed) {
    return ts::control_timestamp{content, wall, speed};
}

} // namespace

// ---- timeline_sink / timeline_source attachment ----

TEST(TimelineSource, AttachIsIdempotentAndVisibleFromBothSides) {
    ts::simple_timeline_source src(pts_selector, std::nullopt);
    recording_sink sink;
    src.attach_sink(sink);
    src.attach_sink(sink);
    EXPECT_EQ(src.sink_count(), 1U);
    EXPECT_TRUE(src.has_sink(sink));
    ASSERT_EQ(sink.sources().size(), 1U);
    EXPECT_EQ(sink.sources()[0], &src);
    src.detach_sink(sink);
    src.detach_sink(sink);
    EXPECT_EQ(src.sink_count(), 0U);
    EXPECT_TRUE(sink.sources().empty());
}

TEST(TimelineSource, DyingSourceTellsItsSinksAndIsForgotten) {
    recording_sink a;
    recording_sink b;
    const ts::timeline_source* address = nullptr;
    {
        ts::simple_timeline_source src(pts_selector, std::nullopt);
        address = &src;
        src.attach_sink(a);
        src.attach_sink(b);
    }
    ASSERT_EQ(a.destroyed.size(), 1U);
    EXPECT_EQ(a.destroyed[0], address);
    EXPECT_EQ(b.destroyed.size(), 1U);
    EXPECT_TRUE(a.sources().empty());
    EXPECT_TRUE(b.sources().empty());
}

TEST(TimelineSource, DyingSinkDetachesItself) {
    ts::simple_timeline_source src(pts_selector, std::nullopt);
    {
        recording_sink sink;
        src.attach_sink(sink);
        EXPECT_EQ(src.sink_count(), 1U);
    }
    EXPECT_EQ(src.sink_count(), 0U);
    // Pushing with no sink is harmless.
    src.set_control_timestamp(ts::control_timestamp::unavailable(1));
    EXPECT_EQ(src.control_timestamp_value(), ts::control_timestamp::unavailable(1));
}

TEST(TimelineSource, NotifyAllReachesEverySinkWithoutSelector) {
    any_selector_source src;
    recording_sink a;
    recording_sink b;
    src.attach_sink(a);
    src.attach_sink(b);
    src.push_all();
    ASSERT_EQ(a.heard.size(), 1U);
    EXPECT_EQ(a.heard[0].selector, "*");
    EXPECT_EQ(a.heard[0].source, &src);
    EXPECT_EQ(b.heard.size(), 1U);
}

// ---- simple_timeline_source ----

TEST(SimpleTimelineSource, RecognisesOnlyItsExactSelector) {
    ts::simple_timeline_source src(pts_selector, std::nullopt);
    EXPECT_TRUE(src.recognises(pts_selector));
    EXPECT_FALSE(src.recognises("urn:dvb:css:timeline:pts:"));
    EXPECT_FALSE(src.recognises("urn:dvb:css:timeline:pt"));
    EXPECT_FALSE(src.recognises(""));
    EXPECT_EQ(src.selector(), pts_selector);
}

TEST(SimpleTimelineSource, ReturnsWhatWasSetAndPushesEachSet) {
    ts::simple_timeline_source src(pts_selector, std::nullopt);
    recording_sink sink;
    src.attach_sink(sink);
    EXPECT_EQ(src.control_timestamp_for(pts_selector), std::nullopt);

    src.set_control_timestamp(available(5, 6, 1.0));
    EXPECT_EQ(src.control_timestamp_for(pts_selector), available(5, 6, 1.0));
    ASSERT_EQ(sink.heard.size(), 1U);
    EXPECT_EQ(sink.heard[0].selector, pts_selector);

    src.set_control_timestamp(available(5, 6, 1.0)); // equal: still pushed
    EXPECT_EQ(sink.heard.size(), 2U);
    src.set_control_timestamp(std::nullopt);
    EXPECT_EQ(src.control_timestamp_for(pts_selector), std::nullopt);
    EXPECT_EQ(sink.heard.size(), 3U);
}

TEST(SimpleTimelineSource, RejectsMalformedTimestamps) {
    const ts::control_timestamp half{5, 6, std::nullopt};
    const ts::control_timestamp other_half{std::nullopt, 6, 1.0};
    const ts::control_timestamp infinite{5, 6, std::numeric_limits<double>::infinity()};
    const ts::control_timestamp nan{5, 6, std::numeric_limits<double>::quiet_NaN()};
    EXPECT_THROW(ts::simple_timeline_source(pts_selector, half), std::invalid_argument);
    EXPECT_THROW(ts::simple_timeline_source(pts_selector, other_half), std::invalid_argument);
    EXPECT_THROW(ts::simple_timeline_source(pts_selector, infinite), std::invalid_argument);
    ts::simple_timeline_source src(pts_selector, available(1, 2, 1.0));
    recording_sink sink;
    src.attach_sink(sink);
    EXPECT_THROW(src.set_control_timestamp(nan), std::invalid_argument);
    EXPECT_EQ(src.control_timestamp_value(), available(1, 2, 1.0));
    EXPECT_TRUE(sink.heard.empty());
}

TEST(ControlTimestampHelpers, WellFormed) {
    EXPECT_TRUE(ts::well_formed(ts::control_timestamp::unavailable(3)));
    EXPECT_TRUE(ts::well_formed(available(1, 2, -2.5)));
    EXPECT_FALSE(ts::well_formed(ts::control_timestamp{1, 2, std::nullopt}));
    EXPECT_FALSE(ts::well_formed(ts::control_timestamp{std::nullopt, 2, 0.0}));
    EXPECT_FALSE(ts::well_formed(available(1, 2, -std::numeric_limits<double>::infinity())));
}

TEST(ControlTimestampHelpers, WholeTicksRoundsDownAndRefusesWhatInt64CannotHold) {
    EXPECT_EQ(ts::whole_ticks(0.0L), 0);
    EXPECT_EQ(ts::whole_ticks(1.9L), 1);
    EXPECT_EQ(ts::whole_ticks(-0.5L), -1);
    EXPECT_EQ(ts::whole_ticks(-2.0L), -2);
    EXPECT_EQ(ts::whole_ticks(9223372036854775807.0L), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(ts::whole_ticks(-9223372036854775808.0L), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(ts::whole_ticks(9223372036854775808.0L), std::nullopt);
    EXPECT_EQ(ts::whole_ticks(-9223372036854775809.0L), std::nullopt);
    EXPECT_EQ(ts::whole_ticks(std::numeric_limits<tick_t>::infinity()), std::nullopt);
    EXPECT_EQ(ts::whole_ticks(std::numeric_limits<tick_t>::quiet_NaN()), std::nullopt);
}

// ---- clock_timeline_source ----

TEST(ClockTimelineSource, ReportsTimelineAndWallClockAtOneInstant) {
    tree t;
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts);
    EXPECT_TRUE(src.recognises(pts_selector));
    EXPECT_FALSE(src.recognises(temi_selector));
    EXPECT_EQ(src.control_timestamp_for(pts_selector), available(1'350'000, 25'000'000'000, 1.0));
}

TEST(ClockTimelineSource, ReadsTheRootOnceSoBothValuesBelongToTheSameInstant) {
    tree t;
    // Every read of the time source moves it on by 1 ms: two separate reads would disagree.
    t.time.set_auto_increment_ns(1'000'000);
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts);
    const auto ct = src.control_timestamp_for(pts_selector);
    ASSERT_TRUE(ct && ct->available());
    // PTS = (wall - 10 s) * 90 kHz, exactly, at the reported wall clock time.
    const std::int64_t wall_ns = ct->wall_clock_time;
    const std::int64_t expected = (wall_ns - 10'000'000'000) * 9 / 100'000;
    EXPECT_EQ(*ct->content_time, expected);
}

TEST(ClockTimelineSource, ContentTimeIsRoundedDown) {
    tree t;
    t.time.set_ns(20'000'005'000); // wall 25.000005 s: PTS 1350000.45
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts);
    EXPECT_EQ(src.control_timestamp_for(pts_selector)->content_time, 1'350'000);
    // Before the correlation point, into negative PTS: -0.45 ticks rounds down to -1.
    t.pts.set_correlation(clk::correlation{25'000'010'000, 0});
    EXPECT_EQ(src.control_timestamp_for(pts_selector)->content_time, -1);
}

TEST(ClockTimelineSource, UnchangedClockGivesTheIdenticalTimestampAndNoPush) {
    tree t;
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts);
    recording_sink sink;
    src.attach_sink(sink);
    const auto first = src.control_timestamp_for(pts_selector);
    t.time.advance_ns(3'000'000'000);
    EXPECT_EQ(src.control_timestamp_for(pts_selector), first);
    EXPECT_TRUE(sink.heard.empty());
}

TEST(ClockTimelineSource, PushesAndRecomputesOnCorrelationChange) {
    tree t;
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts);
    recording_sink sink;
    src.attach_sink(sink);
    static_cast<void>(src.control_timestamp_for(pts_selector));
    t.time.advance_ns(1'000'000'000); // wall 26 s
    t.pts.set_correlation(clk::correlation{10'000'000'000, 0});
    ASSERT_EQ(sink.heard.size(), 1U);
    EXPECT_EQ(sink.heard[0].selector, pts_selector);
    EXPECT_EQ(src.control_timestamp_for(pts_selector), available(16 * 90'000, 26'000'000'000, 1.0));
}

TEST(ClockTimelineSource, PushesOnSpeedChangeAndPauseReportsSpeedZero) {
    tree t;
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts);
    recording_sink sink;
    src.attach_sink(sink);
    // Pause at the current position (correlation moved to now, then speed 0).
    t.pts.set_correlation_and_speed(clk::correlation{25'000'000'000, 1'350'000}, 0.0);
    EXPECT_EQ(sink.take_count(), 1U);
    EXPECT_EQ(src.control_timestamp_for(pts_selector), available(1'350'000, 25'000'000'000, 0.0));
    t.time.advance_ns(5'000'000'000);
    // Paused and unchanged: the cached timestamp still describes the timeline exactly.
    EXPECT_EQ(src.control_timestamp_for(pts_selector), available(1'350'000, 25'000'000'000, 0.0));
    t.pts.set_speed(2.0);
    EXPECT_EQ(sink.take_count(), 1U);
    const auto ct = src.control_timestamp_for(pts_selector);
    ASSERT_TRUE(ct && ct->available());
    EXPECT_EQ(ct->timeline_speed_multiplier, 2.0);
    EXPECT_EQ(ct->wall_clock_time, 30'000'000'000);
    // Speed 2 from the correlation point (25 s): 5 s later the timeline moved 10 s.
    EXPECT_EQ(ct->content_time, 1'350'000 + 10 * 90'000);
}

TEST(ClockTimelineSource, ReportsUnavailableWhenTheClockOrAnAncestorIs) {
    tree t;
    clk::correlated_clock temi(t.pts, 1000, clk::correlation{900'000, 0});
    ts::clock_timeline_source src(temi_selector, t.wall, temi);
    recording_sink sink;
    src.attach_sink(sink);
    ASSERT_TRUE(src.control_timestamp_for(temi_selector)->available());

    t.pts.set_availability(false); // an ancestor
    EXPECT_EQ(sink.take_count(), 1U);
    EXPECT_EQ(src.control_timestamp_for(temi_selector),
              ts::control_timestamp::unavailable(25'000'000'000));
    t.pts.set_availability(true);
    EXPECT_EQ(sink.take_count(), 1U);
    EXPECT_TRUE(src.control_timestamp_for(temi_selector)->available());

    temi.set_availability(false); // the clock itself
    EXPECT_EQ(sink.take_count(), 1U);
    EXPECT_FALSE(src.control_timestamp_for(temi_selector)->available());
}

TEST(ClockTimelineSource, ChildTemiClockReportsTheParentPtsSpeed) {
    tree t;
    clk::correlated_clock temi(t.pts, 1000, clk::correlation{900'000, 0});
    ts::clock_timeline_source src(temi_selector, t.wall, temi);
    recording_sink sink;
    src.attach_sink(sink);
    EXPECT_EQ(src.control_timestamp_for(temi_selector)->timeline_speed_multiplier, 1.0);
    // PTS 15 s is 5 s after the TEMI origin (PTS 10 s): 5000 ticks.
    EXPECT_EQ(src.control_timestamp_for(temi_selector)->content_time, 5000);

    t.pts.set_correlation_and_speed(clk::correlation{25'000'000'000, 1'350'000}, 0.0);
    EXPECT_GE(sink.take_count(), 1U); // heard through the TEMI clock (and the PTS parent)
    const auto paused = src.control_timestamp_for(temi_selector);
    EXPECT_EQ(paused->timeline_speed_multiplier, 0.0);
    EXPECT_EQ(temi.speed(), 1.0); // its own speed would have been wrong

    t.pts.set_speed(-1.5);
    EXPECT_EQ(src.control_timestamp_for(temi_selector)->timeline_speed_multiplier, -1.5);
    temi.set_speed(2.0);
    EXPECT_EQ(src.control_timestamp_for(temi_selector)->timeline_speed_multiplier, -3.0);
}

TEST(ClockTimelineSource, SpeedIsRelativeToTheWallClock) {
    tree t;
    // A timeline beside the wall clock (both children of the system clock).
    clk::correlated_clock sibling(t.sys, 90000, clk::correlation{0, 0}, 2.0);
    t.wall.set_speed(4.0);
    ts::clock_timeline_source src(pts_selector, t.wall, sibling);
    EXPECT_EQ(src.control_timestamp_for(pts_selector)->timeline_speed_multiplier, 0.5);
    // A wall clock speed change is heard too.
    recording_sink sink;
    src.attach_sink(sink);
    t.wall.set_speed(1.0);
    EXPECT_EQ(sink.take_count(), 1U);
    EXPECT_EQ(src.control_timestamp_for(pts_selector)->timeline_speed_multiplier, 2.0);
}

TEST(ClockTimelineSource, SpeedSourceCanDifferFromTheTimelineClock) {
    tree t;
    clk::correlated_clock media(t.wall, 1000, clk::correlation{0, 0}, 1.0);
    ts::clock_timeline_source src(pts_selector, t.wall, t.pts, media);
    recording_sink sink;
    src.attach_sink(sink);
    EXPECT_EQ(src.control_timestamp_for(pts_selector)->timeline_speed_multiplier, 1.0);
    media.set_speed(0.5);
    EXPECT_EQ(sink.take_count(), 1U);
    const auto ct = src.control_timestamp_for(pts_selector);
    EXPECT_EQ(ct->timeline_speed_multiplier, 0.5);
    EXPECT_EQ(ct->content_time, 1'350'000); // the PTS clock itself did not change
}

TEST(ClockTimelineSource, TimelineClockInAnotherTreeIsUnavailable) {
    tree t;
    dvbcss::test::fake_time_source other_time{0};
    clk::sys_clock other_root{other_time, 90000};
    ts::clock_timeline_source src(pts_selector, t.wall, other_root);
    EXPECT_EQ(src.control_timestamp_for(pts_selector),
              ts::control_timestamp::unavailable(25'000'000'000));
}

TEST(ClockTimelineSource, ForgetsADestroyedTimelineClockInsteadOfDangling) {
    tree t;
    auto temi = std::make_unique<clk::correlated_clock>(t.pts, 1000);
    ts::clock_timeline_source src(temi_selector, t.wall, *temi);
    recording_sink sink;
    src.attach_sink(sink);
    ASSERT_TRUE(src.control_timestamp_for(temi_selector)->available());
    temi.reset();
    EXPECT_EQ(sink.take_count(), 1U);
    EXPECT_EQ(src.control_timestamp_for(temi_selector),
              ts::control_timestamp::unavailable(25'000'000'000));
}

TEST(ClockTimelineSource, ADestroyedWallClockMeansNotYet) {
    dvbcss::test::fake_time_source time{1'000};
    clk::sys_clock sys{time, 1e9};
    auto wall = std::make_unique<clk::correlated_clock>(sys, 1e9);
    clk::correlated_clock pts(sys, 90000);
    ts::clock_timeline_source src(pts_selector, *wall, pts);
    ASSERT_TRUE(src.control_timestamp_for(pts_selector).has_value());
    wall.reset();
    EXPECT_EQ(src.control_timestamp_for(pts_selector), std::nullopt);
    pts.set_speed(2.0); // still listening to the surviving clock, without touching the dead one
    EXPECT_EQ(src.control_timestamp_for(pts_selector), std::nullopt);
}

TEST(ClockTimelineSource, WallClockAtAnotherTickRateIsConvertedToNanoseconds) {
    dvbcss::test::fake_time_source time{2'000'000'000};
    clk::sys_clock sys{time, 1e6};
    clk::correlated_clock pts(sys, 90000);
    ts::clock_timeline_source src(pts_selector, sys, pts);
    EXPECT_EQ(src.control_timestamp_for(pts_selector), available(180'000, 2'000'000'000, 1.0));
}

TEST(ClockTimelineSource, WallClockTimeIsWhenTheTimelineWasExactlyAtTheReportedTick) {
    tree t;
    // A 50 Hz TEMI timeline, a tick every 20 ms: 13 ms after a tick, the reported pair must still
    // be exact (the tick and the wall clock time at which it was reached), not 13 ms off.
    clk::correlated_clock temi(t.pts, 50, clk::correlation{0, 0});
    t.time.set_ns(20'013'000'000); // wall 25.013 s: PTS 15.013 s, TEMI 750.65 ticks
    ts::clock_timeline_source src(temi_selector, t.wall, temi);
    const auto ct = src.control_timestamp_for(temi_selector);
    ASSERT_TRUE(ct && ct->available());
    EXPECT_EQ(ct->content_time, 750);
    EXPECT_EQ(ct->wall_clock_time, 25'000'000'000); // TEMI 750 = PTS 15 s = wall 25 s
    // Paused: the reading's time is kept (every wall clock time maps to the frozen tick).
    t.pts.set_correlation_and_speed(clk::correlation{25'013'000'000, 1'351'170}, 0.0);
    const auto paused = src.control_timestamp_for(temi_selector);
    ASSERT_TRUE(paused && paused->available());
    EXPECT_EQ(paused->content_time, 750);
    EXPECT_EQ(paused->wall_clock_time, 25'013'000'000);
}
