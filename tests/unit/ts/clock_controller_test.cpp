#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/protocol.hpp>
#include <dvbcss/ts/clock_controller.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <support/fake_time_source.hpp>

namespace clk = dvbcss::clock;
namespace ts = dvbcss::ts;
using dvbcss::errc;
using dvbcss::make_error_code;
using dvbcss::tick_t;

namespace {

static_assert(dvbcss::client_protocol<ts::timeline_follower>);

constexpr double pts_rate = 90000;
constexpr std::int64_t s = 1'000'000'000; // one second in ns

// A fake time source, a system clock in ns, a wall clock (identity on the system clock) and a
// 90 kHz timeline clock on it, as a companion program builds them.
struct rig {
    dvbcss::test::fake_time_source source{0};
    clk::sys_clock sys{source, 1e9};
    clk::correlated_clock wall{sys, 1e9};
    clk::correlated_clock timeline{wall, pts_rate};
};

// Records the controller's callbacks as lines, in order.
struct recorder {
    std::vector<std::string> events;

    ts::clock_controller_handlers handlers() {
        ts::clock_controller_handlers h;
        h.available = [this] {
            events.emplace_back("available");
        };
        h.unavailable = [this] {
            events.emplace_back("unavailable");
        };
        h.timing_change = [this](bool speed_changed) {
            events.push_back(speed_changed ? "timing speed" : "timing");
        };
        return h;
    }

    std::vector<std::string> take() {
        auto out = std::move(events);
        events.clear();
        return out;
    }
};

using lines = std::vector<std::string>;

ts::control_timestamp ct(std::int64_t content, std::int64_t wall_ns, double speed = 1.0) {
    return ts::control_timestamp{content, wall_ns, speed};
}

ts::clock_controller_options threshold(std::int64_t ns) {
    ts::clock_controller_options o;
    o.threshold_ns = ns;
    return o;
}

// At each notification of the timeline clock: whether it was available, and its correlation.
struct snapshot_listener final : clk::clock_listener {
    struct snap {
        bool available;
        clk::correlation c;
        double speed;
    };

    explicit snapshot_listener(clk::correlated_clock& c)
        : clock(&c) {
        c.bind(*this);
    }

    void on_clock_changed(clk::clock_base& /*cause*/) override {
        snaps.push_back({clock->is_available(), clock->correlation(), clock->speed()});
    }

    clk::correlated_clock* clock;
    std::vector<snap> snaps;
};

} // namespace

TEST(TsClockController, MarksTheTimelineClockUnavailableAtConstruction) {
    rig r;
    ASSERT_TRUE(r.timeline.is_available());
    const ts::clock_controller c(r.timeline);
    EXPECT_FALSE(r.timeline.is_available());
    EXPECT_FALSE(c.timeline_available());
    EXPECT_EQ(c.options().threshold_ns, 1'000'000); // 1 ms by default
    EXPECT_EQ(c.status_summary(), "Nothing received from TV yet.");
}

TEST(TsClockController, RejectsATimelineNotOnAWallClock) {
    rig r;
    clk::correlated_clock wrong_parent(r.wall, 1000); // ms ticks
    clk::correlated_clock t(wrong_parent, pts_rate);
    EXPECT_THROW(ts::clock_controller{t}, std::invalid_argument);
    EXPECT_THROW(ts::clock_controller(r.timeline, threshold(-1)), std::invalid_argument);
}

// Reference §5.5 VERIFIED sequence (threshold 0.1 ms), with the first control timestamp now
// reporting "available" because the controller starts from an unavailable clock.
TEST(TsClockController, ReferenceSequence) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, threshold(100'000), rec.handlers());
    const std::int64_t w = 10 * s;
    const std::int64_t us = 1000;

    // The first control timestamp moves the clock far from its initial correlation (0, 0).
    EXPECT_FALSE(c.on_control_timestamp(ct(900000 + 4500, w)));
    EXPECT_EQ(rec.take(), (lines{"timing", "available"}));
    (void)c.on_control_timestamp(ct(900000, w)); // 50 ms back
    EXPECT_EQ(rec.take(), (lines{"timing"}));
    EXPECT_TRUE(r.timeline.is_available());

    (void)c.on_control_timestamp(ct(900000, w + 50 * us)); // 50 us shift
    EXPECT_EQ(rec.take(), lines{});
    EXPECT_EQ(r.timeline.correlation().parent_ticks, static_cast<tick_t>(w));

    (void)c.on_control_timestamp(ct(900000, w + 200 * us)); // 200 us shift
    EXPECT_EQ(rec.take(), lines{"timing"});
    EXPECT_EQ(r.timeline.correlation().parent_ticks, static_cast<tick_t>(w + 200 * us));

    (void)c.on_control_timestamp(ct(900000, w + 200 * us, 0.0)); // pause
    EXPECT_EQ(rec.take(), lines{"timing speed"});

    (void)c.on_control_timestamp(ts::control_timestamp::unavailable(w + 300 * us));
    EXPECT_EQ(rec.take(), lines{"unavailable"});
    EXPECT_FALSE(r.timeline.is_available());

    (void)c.on_control_timestamp(ct(900000, w + 200 * us, 0.0)); // same as before
    EXPECT_EQ(rec.take(), lines{"available"});
    EXPECT_TRUE(r.timeline.is_available());
    EXPECT_EQ(c.timing_changes(), 4U);
}

TEST(TsClockController, FirstControlTimestampIsTakenExactlyEvenWithinTheThreshold) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, {}, rec.handlers()); // 1 ms
    // 900009 ticks at 10 s is 0.1 ms away from the clock's initial correlation (0, 0).
    (void)c.on_control_timestamp(ct(900009, 10 * s));
    EXPECT_EQ(rec.take(), lines{"available"});
    EXPECT_EQ(r.timeline.correlation(),
              (clk::correlation{static_cast<tick_t>(10 * s), 900009, 0, 0}));
    EXPECT_EQ(c.timing_changes(), 0U);

    // Likewise after a period of unavailability.
    (void)c.on_control_timestamp(ts::control_timestamp::unavailable(11 * s));
    (void)c.on_control_timestamp(ct(990018, 11 * s));
    EXPECT_EQ(rec.take(), (lines{"unavailable", "available"}));
    EXPECT_EQ(r.timeline.correlation(),
              (clk::correlation{static_cast<tick_t>(11 * s), 990018, 0, 0}));
    // While available, the same 0.1 ms is below the threshold and ignored.
    (void)c.on_control_timestamp(ct(990027, 11 * s));
    EXPECT_EQ(rec.take(), lines{});
    EXPECT_EQ(r.timeline.correlation().child_ticks, 990018);
}

TEST(TsClockController, ThresholdIgnoresSmallChangesAndAppliesLargeOnes) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, {}, rec.handlers()); // 1 ms
    (void)c.on_control_timestamp(ct(0, 10 * s));
    rec.take();

    (void)c.on_control_timestamp(ct(0, 10 * s + 50'000)); // 50 us: ignored
    EXPECT_EQ(rec.take(), lines{});
    EXPECT_EQ(r.timeline.correlation().parent_ticks, static_cast<tick_t>(10 * s));

    (void)c.on_control_timestamp(ct(0, 10 * s + 2'000'000)); // 2 ms: applied
    EXPECT_EQ(rec.take(), lines{"timing"});
    EXPECT_EQ(r.timeline.correlation().parent_ticks, static_cast<tick_t>(10 * s + 2'000'000));

    // The same 2 ms shift expressed in content time (180 ticks at 90 kHz) is also applied.
    (void)c.on_control_timestamp(ct(180, 10 * s + 2'000'000));
    EXPECT_EQ(rec.take(), lines{"timing"});

    // A change of exactly the threshold is not significant (strictly greater is required).
    (void)c.on_control_timestamp(ct(270, 10 * s + 2'000'000));
    EXPECT_EQ(rec.take(), lines{});
}

TEST(TsClockController, SpeedChangeIsAlwaysApplied) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, threshold(s), rec.handlers()); // a huge 1 s threshold
    (void)c.on_control_timestamp(ct(0, 10 * s));
    rec.take();
    (void)c.on_control_timestamp(ct(0, 10 * s, 1.0001));
    EXPECT_EQ(rec.take(), lines{"timing speed"});
    EXPECT_EQ(r.timeline.speed(), 1.0001);
    (void)c.on_control_timestamp(ct(0, 10 * s, -2.0));
    EXPECT_EQ(rec.take(), lines{"timing speed"});
    EXPECT_EQ(r.timeline.speed(), -2.0);
}

TEST(TsClockController, UnavailableControlTimestampMakesTheClockUnavailable) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, {}, rec.handlers());
    // Unavailable while already unavailable: nothing happens.
    (void)c.on_control_timestamp(ts::control_timestamp::unavailable(5 * s));
    EXPECT_EQ(rec.take(), lines{});
    (void)c.on_control_timestamp(ct(1000, 10 * s));
    rec.take();
    const auto before = r.timeline.correlation();
    (void)c.on_control_timestamp(ts::control_timestamp::unavailable(20 * s));
    EXPECT_EQ(rec.take(), lines{"unavailable"});
    EXPECT_FALSE(r.timeline.is_available());
    EXPECT_FALSE(c.timeline_available());
    EXPECT_EQ(r.timeline.correlation(), before); // its wall clock time is ignored
    EXPECT_EQ(c.latest(), ts::control_timestamp::unavailable(20 * s));
}

TEST(TsClockController, RepeatedControlTimestampChangesNothing) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, threshold(0), rec.handlers());
    (void)c.on_control_timestamp(ct(1000, 10 * s));
    rec.take();
    snapshot_listener l(r.timeline);
    for (int i = 0; i < 3; ++i)
        (void)c.on_control_timestamp(ct(1000, 10 * s));
    EXPECT_EQ(rec.take(), lines{});
    EXPECT_TRUE(l.snaps.empty()); // no notification either
    EXPECT_EQ(c.timing_changes(), 1U);
}

TEST(TsClockController, ClockBecomesAvailableOnlyAfterItsCorrelationIsSet) {
    rig r;
    ts::clock_controller c(r.timeline);
    snapshot_listener l(r.timeline);
    (void)c.on_control_timestamp(ct(900000, 10 * s));
    const clk::correlation expected{static_cast<tick_t>(10 * s), 900000, 0, 0};
    ASSERT_EQ(l.snaps.size(), 2U);
    EXPECT_FALSE(l.snaps[0].available);
    EXPECT_EQ(l.snaps[0].c, expected);
    for (const auto& snap : l.snaps) {
        if (snap.available) {
            EXPECT_EQ(snap.c, expected);
        }
    }
    EXPECT_TRUE(l.snaps[1].available);
}

TEST(TsClockController, TimelineReadsTheExpectedPositionInTicks) {
    rig r;
    ts::clock_controller c(r.timeline);
    (void)c.on_control_timestamp(ct(900000, 10 * s));
    r.source.set_ns(12 * s);
    EXPECT_EQ(r.timeline.ticks(), 1'080'000.0L); // 900000 + 2 s * 90 kHz, exactly
    r.source.set_ns(10 * s - s / 2);
    EXPECT_EQ(r.timeline.ticks(), 855'000.0L);
    // Correlation: zero error and growth; the timeline's dispersion is the wall clock's.
    EXPECT_EQ(r.timeline.correlation(),
              (clk::correlation{static_cast<tick_t>(10 * s), 900000, 0, 0}));
    r.wall.set_correlation(clk::correlation{0, 0, 2500, 0});
    EXPECT_EQ(r.timeline.dispersion_at_time(1'080'000), r.wall.dispersion_at_time(12 * s));
}

TEST(TsClockController, TimelineFollowsAWallClockThatIsNotTheSystemClock) {
    rig r;
    r.wall.set_correlation(clk::correlation{0, 5 * s}); // wall clock = system clock + 5 s
    ts::clock_controller c(r.timeline);
    (void)c.on_control_timestamp(ct(0, 10 * s, 2.0));
    r.source.set_ns(6 * s);                    // wall clock 11 s
    EXPECT_EQ(r.timeline.ticks(), 180'000.0L); // 1 s at double speed
}

TEST(TsClockController, PauseHoldsThePositionAndResumeContinuesFromIt) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, {}, rec.handlers());
    (void)c.on_control_timestamp(ct(900000, 10 * s));
    r.source.set_ns(11 * s);
    EXPECT_EQ(r.timeline.ticks(), 990'000.0L);
    rec.take();

    (void)c.on_control_timestamp(ct(990000, 11 * s, 0.0)); // pause
    EXPECT_EQ(rec.take(), lines{"timing speed"});
    r.source.set_ns(15 * s);
    EXPECT_EQ(r.timeline.ticks(), 990'000.0L);
    EXPECT_TRUE(r.timeline.is_available());
    // Repeating the pause at a later wall clock time is the same pause.
    (void)c.on_control_timestamp(ct(990000, 14 * s, 0.0));
    EXPECT_EQ(rec.take(), lines{});
    // A different paused position (a seek while paused) beyond the threshold is applied.
    (void)c.on_control_timestamp(ct(990000 + 900, 15 * s, 0.0));
    EXPECT_EQ(rec.take(), lines{"timing"});
    EXPECT_EQ(r.timeline.ticks(), 990'900.0L);

    (void)c.on_control_timestamp(ct(990900, 15 * s, 1.0)); // resume
    EXPECT_EQ(rec.take(), lines{"timing speed"});
    r.source.set_ns(16 * s);
    EXPECT_EQ(r.timeline.ticks(), 1'080'900.0L);
}

TEST(TsClockController, DisconnectMakesTheTimelineUnavailable) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, {}, rec.handlers());
    c.on_disconnected(); // not available: nothing to say
    EXPECT_EQ(rec.take(), lines{});
    (void)c.on_control_timestamp(ct(0, 10 * s));
    rec.take();
    c.on_disconnected();
    EXPECT_EQ(rec.take(), lines{"unavailable"});
    EXPECT_FALSE(r.timeline.is_available());
    EXPECT_TRUE(c.latest().has_value());
    // The next connection's first control timestamp reports "available" again.
    (void)c.on_control_timestamp(ct(0, 10 * s));
    EXPECT_EQ(rec.take(), lines{"available"});
}

TEST(TsClockController, NonFiniteSpeedIsIgnored) {
    rig r;
    recorder rec;
    ts::clock_controller c(r.timeline, {}, rec.handlers());
    EXPECT_EQ(c.on_control_timestamp(ct(0, 0, std::numeric_limits<double>::infinity())),
              make_error_code(errc::bad_field_value));
    EXPECT_EQ(rec.take(), lines{});
    EXPECT_EQ(c.latest(), std::nullopt);
    EXPECT_FALSE(r.timeline.is_available());
}

TEST(TsClockController, ActualIsTheTimelinePositionNow) {
    rig r;
    ts::clock_controller c(r.timeline);
    r.source.set_ns(11 * s);
    // Nothing known yet: no actual; earliest and latest at the infinities.
    auto m = c.make_apt_ept_lpt();
    EXPECT_EQ(m.actual, std::nullopt);
    EXPECT_EQ(m.earliest.wall_clock_time, ts::wall_time::minus_infinity());
    EXPECT_EQ(m.latest.wall_clock_time, ts::wall_time::plus_infinity());

    (void)c.on_control_timestamp(ct(900000, 10 * s));
    r.source.set_ns(12 * s + s / 2);
    m = c.make_apt_ept_lpt();
    ASSERT_TRUE(m.actual.has_value());
    EXPECT_EQ(*m.actual,
              (ts::presentation_timestamp{1'125'000, ts::wall_time::at(12 * s + s / 2)}));
    EXPECT_EQ(m.earliest, (ts::presentation_timestamp{1'125'000, ts::wall_time::minus_infinity()}));
    EXPECT_EQ(m.latest, (ts::presentation_timestamp{1'125'000, ts::wall_time::plus_infinity()}));
    EXPECT_EQ(c.make_apt_ept_lpt(false).actual, std::nullopt);
}

TEST(TsClockController, LatestClockAloneIsUsed) { // B8
    rig r;
    clk::correlated_clock latest(r.wall, pts_rate,
                                 clk::correlation{10 * s, 900000 + 9000}); // +100 ms
    ts::clock_controller_options o;
    o.latest = &latest;
    ts::clock_controller c(r.timeline, o);
    (void)c.on_control_timestamp(ct(900000, 10 * s));
    r.source.set_ns(11 * s);
    const auto m = c.make_apt_ept_lpt();
    EXPECT_EQ(m.earliest, (ts::presentation_timestamp{990'000, ts::wall_time::minus_infinity()}));
    EXPECT_EQ(m.latest, (ts::presentation_timestamp{999'000, ts::wall_time::at(11 * s)}));
    EXPECT_EQ(m.actual, (ts::presentation_timestamp{990'000, ts::wall_time::at(11 * s)}));

    // An unavailable latest clock falls back to plus infinity.
    latest.set_availability(false);
    EXPECT_EQ(c.make_apt_ept_lpt().latest,
              (ts::presentation_timestamp{990'000, ts::wall_time::plus_infinity()}));
}

TEST(TsClockController, EarliestClockAloneIsUsed) {
    rig r;
    clk::correlated_clock earliest(r.wall, pts_rate, clk::correlation{10 * s, 900000 - 4500});
    ts::clock_controller_options o;
    o.earliest = &earliest;
    ts::clock_controller c(r.timeline, o);
    (void)c.on_control_timestamp(ct(900000, 10 * s));
    r.source.set_ns(11 * s);
    const auto m = c.make_apt_ept_lpt();
    EXPECT_EQ(m.earliest, (ts::presentation_timestamp{985'500, ts::wall_time::at(11 * s)}));
    EXPECT_EQ(m.latest, (ts::presentation_timestamp{990'000, ts::wall_time::plus_infinity()}));
    // The apt_ept_lpt the controller builds can always be encoded.
    EXPECT_EQ(ts::decode_apt_ept_lpt(ts::encode(m)).value(), m);
}

TEST(TsClockController, StatusSummary) {
    rig r;
    ts::clock_controller c(r.timeline);
    (void)c.on_control_timestamp(ct(900000, 10 * s));
    r.source.set_ns(12 * s + 345 * 1'000'000);
    EXPECT_EQ(c.status_summary(),
              "Status: AVAILABLE.      Speed =  1.00  Timeline position =     12.345 secs");
    (void)c.on_control_timestamp(ts::control_timestamp::unavailable(13 * s));
    EXPECT_EQ(c.status_summary(),
              "Status: NOT available.  Speed = -----  Timeline position = ----------     ");
}

// ---- timeline_follower: the client and the controller as one client_protocol ----

namespace {

struct follower_recorder {
    std::vector<std::string> events;

    ts::client_handlers client() {
        ts::client_handlers h;
        h.connected = [this] {
            events.emplace_back("connected");
        };
        h.disconnected = [this](std::uint16_t code, std::string_view reason) {
            events.push_back("disconnected " + std::to_string(code) + " " + std::string(reason));
        };
        h.control_timestamp = [this](const ts::control_timestamp&) {
            events.emplace_back("ct");
        };
        h.protocol_error = [this](dvbcss::error_code ec, std::string_view) {
            events.push_back("error " + ec.message());
        };
        return h;
    }

    ts::clock_controller_handlers clock() {
        ts::clock_controller_handlers h;
        h.available = [this] {
            events.emplace_back("available");
        };
        h.unavailable = [this] {
            events.emplace_back("unavailable");
        };
        h.timing_change = [this](bool speed_changed) {
            events.push_back(speed_changed ? "timing speed" : "timing");
        };
        return h;
    }
};

ts::setup_data pts_setup() {
    return ts::setup_data{"dvb://", "urn:dvb:css:timeline:pts", std::nullopt};
}

} // namespace

TEST(TsTimelineFollower, FollowsATimelineOverOneConnection) {
    rig r;
    follower_recorder rec;
    ts::timeline_follower f(pts_setup(), r.timeline, {}, rec.client(), rec.clock());
    f.on_open();
    EXPECT_EQ(f.take_pending(), ts::encode(pts_setup()));
    EXPECT_EQ(f.take_pending(), std::nullopt);

    EXPECT_FALSE(f.on_text(ts::encode(ct(900000 + 90000, 10 * s))));
    EXPECT_EQ(rec.events, (lines{"connected", "timing", "available", "ct"}));
    r.source.set_ns(12 * s);
    EXPECT_EQ(r.timeline.ticks(), 1'170'000.0L);
    EXPECT_EQ(f.controller().latest(), ct(990000, 10 * s));
    EXPECT_EQ(f.client().control_timestamps_received(), 1U);

    ASSERT_TRUE(f.send_apt_ept_lpt());
    const auto text = f.take_pending();
    ASSERT_TRUE(text.has_value());
    const auto sent = ts::decode_apt_ept_lpt(*text);
    ASSERT_TRUE(sent.has_value());
    EXPECT_EQ(sent->actual, (ts::presentation_timestamp{1'170'000, ts::wall_time::at(12 * s)}));
    EXPECT_EQ(f.status_summary(),
              "Status: AVAILABLE.      Speed =  1.00  Timeline position =     13.000 secs");
}

TEST(TsTimelineFollower, CloseReportsUnavailableThenDisconnected) { // B7
    rig r;
    follower_recorder rec;
    ts::timeline_follower f(pts_setup(), r.timeline, {}, rec.client(), rec.clock());
    f.on_open();
    (void)f.on_text(ts::encode(ct(0, 10 * s)));
    rec.events.clear();
    f.on_close(1006, "");
    EXPECT_EQ(rec.events, (lines{"unavailable", "disconnected 1006 "}));
    EXPECT_FALSE(r.timeline.is_available());
    EXPECT_FALSE(f.connected());
    EXPECT_FALSE(f.send_apt_ept_lpt());

    // Closing while the timeline is already unavailable still reaches `disconnected`.
    f.on_open();
    rec.events.clear();
    f.on_close(1000, "bye");
    EXPECT_EQ(rec.events, (lines{"disconnected 1000 bye"}));
}

TEST(TsTimelineFollower, BadInputIsReportedAndChangesNothing) {
    rig r;
    follower_recorder rec;
    ts::timeline_follower f(pts_setup(), r.timeline, {}, rec.client(), rec.clock());
    f.on_open();
    rec.events.clear();
    EXPECT_EQ(f.on_text(R"({"contentTime":"1"})"), make_error_code(errc::missing_field));
    EXPECT_EQ(f.on_binary(3), make_error_code(errc::binary_frame));
    EXPECT_EQ(rec.events, (lines{"error " + make_error_code(errc::missing_field).message(),
                                 "error " + make_error_code(errc::binary_frame).message()}));
    EXPECT_FALSE(r.timeline.is_available());
    EXPECT_EQ(f.controller().latest(), std::nullopt);
}

TEST(TsTimelineFollower, AptEptLptQueueStaysBounded) {
    rig r;
    ts::timeline_follower f(pts_setup(), r.timeline);
    f.on_open();
    (void)f.on_text(ts::encode(ct(0, 0)));
    for (int i = 0; i < 100; ++i) {
        r.source.advance_ns(1'000'000);
        ASSERT_TRUE(f.send_apt_ept_lpt());
    }
    EXPECT_NE(f.take_pending(), std::nullopt); // set-up data
    const auto last = f.take_pending();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(ts::decode_apt_ept_lpt(*last).value().actual,
              (ts::presentation_timestamp{9000, ts::wall_time::at(100'000'000)}));
    EXPECT_EQ(f.take_pending(), std::nullopt);
}

TEST(TsClockController, ContentTimeBeyondInt64FallsBackToTheDefaults) {
    rig r;
    ts::clock_controller c(r.timeline);
    constexpr std::int64_t near_max = std::numeric_limits<std::int64_t>::max() - 10;
    (void)c.on_control_timestamp(ct(near_max, 10 * s));
    r.source.set_ns(10 * s);
    auto m = c.make_apt_ept_lpt();
    ASSERT_TRUE(m.actual.has_value());
    EXPECT_EQ(m.actual->content_time, near_max); // exact at the top of the range
    r.source.set_ns(11 * s);                     // 90000 ticks later: beyond int64
    m = c.make_apt_ept_lpt();
    EXPECT_EQ(m.actual, std::nullopt);
    EXPECT_EQ(m.earliest, (ts::presentation_timestamp{0, ts::wall_time::minus_infinity()}));
    EXPECT_EQ(m.latest, (ts::presentation_timestamp{0, ts::wall_time::plus_infinity()}));
}
