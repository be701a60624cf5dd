#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/protocol.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <support/fake_time_source.hpp>

namespace ts = dvbcss::ts;
namespace clk = dvbcss::clock;
using dvbcss::connection_id;
using dvbcss::errc;
using dvbcss::make_error_code;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace {

constexpr const char* pts = "urn:dvb:css:timeline:pts";
constexpr const char* temi = "urn:dvb:css:timeline:temi:1:1";
constexpr const char* content = "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M";

// A source for one selector that records the needed / not-needed notifications it hears and how
// often it was asked. It does not validate what it is given (to test the server's own checks).
class recording_source final : public ts::timeline_source {
public:
    recording_source(std::string selector, std::optional<ts::control_timestamp> ct)
        : selector_(std::move(selector))
        , ct_(ct) {}

    [[nodiscard]] bool recognises(std::string_view selector) const override {
        return selector == selector_;
    }

    [[nodiscard]] std::optional<ts::control_timestamp>
    control_timestamp_for(std::string_view /*selector*/) override {
        ++asked;
        return ct_;
    }

    void selector_needed(std::string_view selector) override {
        events.push_back("+" + std::string(selector));
    }

    void selector_not_needed(std::string_view selector) override {
        events.push_back("-" + std::string(selector));
    }

    /// Sets the value and pushes.
    void set(std::optional<ts::control_timestamp> ct) {
        ct_ = ct;
        notify_changed(selector_);
    }

    /// Sets the value without telling anyone.
    void set_quietly(std::optional<ts::control_timestamp> ct) { ct_ = ct; }

    std::vector<std::string> take_events() {
        auto out = std::move(events);
        events.clear();
        return out;
    }

    std::vector<std::string> events;
    int asked = 0;

private:
    std::string selector_;
    std::optional<ts::control_timestamp> ct_;
};

ts::control_timestamp at(std::int64_t content_time, std::int64_t wall, double speed = 1.0) {
    return ts::control_timestamp{content_time, wall, speed};
}

std::string setup(std::string stem, std::string selector) {
    return ts::encode(ts::setup_data{std::move(stem), std::move(selector), std::nullopt});
}

constexpr std::int64_t start_ns = 1'000'000'000'000; // the wall clock reads 1000 s

struct fixture {
    dvbcss::test::fake_time_source time{start_ns};
    clk::sys_clock wall{time, 1e9};
    ts::server srv{wall, std::string(content)};

    void open(connection_id id) {
        srv.on_open(id, dvbcss::connection_origin{"127.0.0.1", 7681, ""});
    }

    // Opens `id` and sends a valid setup-data; expects it to be used.
    void open_and_setup(connection_id id, const std::string& stem, const std::string& selector) {
        open(id);
        EXPECT_FALSE(srv.on_text(id, setup(stem, selector)));
    }

    // The control timestamp pending on `id`, decoded; fails the test if there is none.
    ts::control_timestamp take(connection_id id) {
        const auto text = srv.take_pending(id);
        EXPECT_TRUE(text.has_value()) << "nothing pending on " << id;
        if (!text) {
            return ts::control_timestamp{};
        }
        const auto ct = ts::decode_control_timestamp(*text);
        EXPECT_TRUE(ct.has_value()) << *text;
        return ct ? *ct : ts::control_timestamp{};
    }

    [[nodiscard]] ts::control_timestamp unavailable_now() const {
        return ts::control_timestamp::unavailable(time.now_ns());
    }
};

} // namespace

static_assert(dvbcss::server_protocol<ts::server>);

// ---- before and during set-up ----

TEST(TsServer, NothingIsSentBeforeSetup) {
    fixture f;
    recording_source src(pts, at(1, 2));
    f.srv.attach(src);
    f.open(1);
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    f.srv.set_content_id(std::string("dvb://other"));
    src.set(at(3, 4));
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    EXPECT_EQ(src.asked, 0);
    EXPECT_EQ(f.srv.connection_count(), 1U);
}

TEST(TsServer, InvalidSetupIsIgnoredAndAValidOneThenWorks) {
    fixture f;
    recording_source src(pts, at(1, 2));
    f.srv.attach(src);
    f.open(1);
    EXPECT_EQ(f.srv.on_text(1, "not json"), make_error_code(errc::bad_json));
    EXPECT_EQ(f.srv.on_text(1, R"({"contentIdStem":""})"), make_error_code(errc::missing_field));
    // An AptEptLpt is not a setup-data either.
    EXPECT_TRUE(f.srv.on_text(1, ts::encode(ts::apt_ept_lpt{})));
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    EXPECT_EQ(f.srv.setup_of(1), std::nullopt);
    EXPECT_THAT(src.events, IsEmpty());
    EXPECT_EQ(f.srv.stats().ignored_invalid_setup, 3U);

    EXPECT_FALSE(f.srv.on_text(1, setup("", pts)));
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), at(1, 2));
    EXPECT_EQ(f.srv.setup_of(1), (ts::setup_data{"", pts, std::nullopt}));
    EXPECT_EQ(f.srv.stats().setups_accepted, 1U);
}

TEST(TsServer, OnTextForAnUnknownConnectionIsIgnored) {
    fixture f;
    EXPECT_EQ(f.srv.on_text(9, setup("", pts)), make_error_code(errc::unexpected_message));
    EXPECT_EQ(f.srv.stats().ignored_unknown_connection, 1U);
    EXPECT_EQ(f.srv.connection_count(), 0U);
    f.srv.on_close(9); // unknown: nothing happens
    EXPECT_EQ(f.srv.take_pending(9), std::nullopt);
}

TEST(TsServer, OpeningAnOpenConnectionAgainIsAProgrammingError) {
    fixture f;
    f.open(1);
    EXPECT_THROW(f.open(1), std::logic_error);
}

// ---- content id and stem ----

TEST(TsServer, StemIsAPrefixTest) {
    fixture f;
    recording_source src(pts, at(10, 20));
    f.srv.attach(src);
    f.open_and_setup(1, "dvb://233a.1004", pts);
    f.open_and_setup(2, content, pts);
    f.open_and_setup(3, "dvb://233a.1005", pts);
    f.open_and_setup(4, std::string(content) + "x", pts);
    EXPECT_EQ(f.take(1), at(10, 20));
    EXPECT_EQ(f.take(2), at(10, 20));
    EXPECT_EQ(f.take(3), f.unavailable_now());
    EXPECT_EQ(f.take(4), f.unavailable_now());
}

TEST(TsServer, EmptyStemMatchesEveryContentIdButNotNoContent) {
    fixture f;
    recording_source src(pts, at(10, 20));
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    EXPECT_EQ(f.take(1), at(10, 20));
    f.srv.set_content_id(std::string("anything at all"));
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt); // same timestamp: nothing to say
    f.srv.set_content_id(std::string(""));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt); // "" still starts with ""
    f.srv.set_content_id(std::nullopt);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), f.unavailable_now());
    EXPECT_TRUE(ts::server::matches_stem(std::string("abc"), ""));
    EXPECT_TRUE(ts::server::matches_stem(std::string("abc"), "ab"));
    EXPECT_FALSE(ts::server::matches_stem(std::string("abc"), "abcd"));
    EXPECT_FALSE(ts::server::matches_stem(std::nullopt, ""));
}

TEST(TsServer, ContentChangeMarksEverySetUpConnectionAndIsIdempotent) {
    fixture f;
    recording_source src(pts, at(10, 20));
    f.srv.attach(src);
    f.open_and_setup(1, content, pts);
    f.open_and_setup(2, "", temi);
    f.open(3);
    EXPECT_THAT(f.srv.take_dirty(), UnorderedElementsAre(1U, 2U));
    EXPECT_EQ(f.take(1), at(10, 20));
    EXPECT_EQ(f.take(2), f.unavailable_now()); // no source for TEMI

    f.srv.set_content_id(std::string(content)); // same value: nothing
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());

    f.srv.set_content_id(std::string("dvb://elsewhere"));
    EXPECT_EQ(f.srv.content_id(), std::optional<std::string>("dvb://elsewhere"));
    EXPECT_THAT(f.srv.take_dirty(), UnorderedElementsAre(1U, 2U));
    f.time.advance_ns(1'000);
    EXPECT_EQ(f.take(1), f.unavailable_now());
    EXPECT_EQ(f.srv.take_pending(2), std::nullopt); // unavailable again: not resent

    f.srv.set_content_id(std::string(content));
    EXPECT_THAT(f.srv.take_dirty(), UnorderedElementsAre(1U, 2U));
    EXPECT_EQ(f.take(1), at(10, 20));
}

TEST(TsServer, StartsWithNoContentByDefault) {
    dvbcss::test::fake_time_source time{5};
    clk::sys_clock wall{time, 1e9};
    ts::server srv{wall};
    EXPECT_EQ(srv.content_id(), std::nullopt);
    recording_source src(pts, at(10, 20));
    srv.attach(src);
    srv.on_open(1, {});
    ASSERT_FALSE(srv.on_text(1, setup("", pts)));
    const auto text = srv.take_pending(1);
    ASSERT_TRUE(text);
    EXPECT_EQ(ts::decode_control_timestamp(*text).value(), ts::control_timestamp::unavailable(5));
    EXPECT_EQ(src.asked, 0);
}

// ---- what is sent, and when ----

TEST(TsServer, UnknownSelectorGetsOneUnavailableTimestampThenNothing) {
    fixture f;
    recording_source src(pts, at(10, 20));
    f.srv.attach(src);
    f.open_and_setup(1, "", "urn:example:unknown");
    EXPECT_EQ(f.take(1), ts::control_timestamp::unavailable(start_ns));
    f.time.advance_ns(5'000'000'000);
    f.srv.refresh();
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    src.set(at(11, 21)); // another selector's change does not concern this connection
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    EXPECT_EQ(f.srv.last_sent(1), ts::control_timestamp::unavailable(start_ns));
}

TEST(TsServer, NotYetSendsNothingUntilTheSourcePushes) {
    fixture f;
    recording_source src(pts, std::nullopt);
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    EXPECT_EQ(src.asked, 1);
    EXPECT_EQ(f.srv.last_sent(1), std::nullopt);

    src.set(at(100, 200));
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), at(100, 200));

    // "Not yet" again keeps the previous timestamp in force: nothing is sent.
    src.set(std::nullopt);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    EXPECT_EQ(f.srv.last_sent(1), at(100, 200));
    src.set(at(100, 200)); // same as the last one sent
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
}

TEST(TsServer, ChangeRules) {
    fixture f;
    recording_source src(pts, ts::control_timestamp::unavailable(7));
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    EXPECT_EQ(f.take(1), ts::control_timestamp::unavailable(7));
    // Unavailable after unavailable is not resent, although the wall clock time differs.
    src.set(ts::control_timestamp::unavailable(8));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    EXPECT_EQ(f.srv.last_sent(1), ts::control_timestamp::unavailable(7));
    // Each field of an available timestamp counts.
    src.set(at(1, 10, 1.0));
    EXPECT_EQ(f.take(1), at(1, 10, 1.0));
    src.set(at(1, 10, 1.0));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    src.set(at(2, 10, 1.0));
    EXPECT_EQ(f.take(1), at(2, 10, 1.0));
    src.set(at(2, 11, 1.0));
    EXPECT_EQ(f.take(1), at(2, 11, 1.0));
    src.set(at(2, 11, 0.5));
    EXPECT_EQ(f.take(1), at(2, 11, 0.5));
    // Available to unavailable is a change.
    src.set(ts::control_timestamp::unavailable(12));
    EXPECT_EQ(f.take(1), ts::control_timestamp::unavailable(12));
    EXPECT_EQ(f.srv.stats().control_timestamps_sent, 6U);
}

TEST(TsServer, MalformedTimestampFromASourceIsSentAsUnavailable) {
    fixture f;
    recording_source src(pts, ts::control_timestamp{5, 6, std::nullopt});
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    EXPECT_EQ(f.take(1), f.unavailable_now());
    src.set(at(5, 6, std::numeric_limits<double>::infinity()));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt); // still unavailable
}

TEST(TsServer, ManyUpdatesBetweenPullsCollapseIntoOneMessage) {
    fixture f;
    recording_source src(pts, at(0, 0));
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    EXPECT_EQ(f.take(1), at(0, 0));
    for (int i = 1; i <= 1000; ++i) {
        src.set(at(i, i * 10));
        f.srv.set_content_id(std::string(i % 2 == 0 ? content : "dvb://x"));
    }
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), at(1000, 10'000));
    EXPECT_EQ(f.srv.take_pending(1), std::nullopt);
    EXPECT_EQ(f.srv.stats().control_timestamps_sent, 2U);
}

TEST(TsServer, TakeDirtyReturnsEachConnectionOnce) {
    fixture f;
    recording_source src(pts, at(0, 0));
    recording_source other(temi, at(0, 0));
    f.srv.attach(src);
    f.srv.attach(other);
    f.open_and_setup(1, "", pts);
    f.open_and_setup(2, "", pts);
    f.open_and_setup(3, "", temi);
    src.set(at(1, 1));
    src.set(at(2, 2));
    f.srv.refresh();
    auto dirty = f.srv.take_dirty();
    std::sort(dirty.begin(), dirty.end());
    EXPECT_THAT(dirty, ElementsAre(1U, 2U, 3U));
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    // Only the connections following the pushed selector become dirty.
    src.set(at(3, 3));
    other.set(at(3, 3));
    src.set(at(4, 4));
    dirty = f.srv.take_dirty();
    std::sort(dirty.begin(), dirty.end());
    EXPECT_THAT(dirty, ElementsAre(1U, 2U, 3U));
    src.set(at(5, 5));
    dirty = f.srv.take_dirty();
    std::sort(dirty.begin(), dirty.end());
    EXPECT_THAT(dirty, ElementsAre(1U, 2U));
    // A closed connection is no longer reported.
    src.set(at(6, 6));
    f.srv.on_close(2);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
}

TEST(TsServer, TakePendingComputesAtTheMomentOfSending) {
    fixture f;
    recording_source src(pts, at(1, 1));
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    src.set_quietly(at(2, 2)); // not pushed, but it is what the source says now
    EXPECT_EQ(f.take(1), at(2, 2));
}

TEST(TsServer, LastAttachedRecognisingSourceWins) {
    fixture f;
    recording_source first(pts, at(1, 1));
    recording_source second(pts, at(2, 2));
    f.srv.attach(first);
    f.srv.attach(second);
    EXPECT_THAT(f.srv.sources(), ElementsAre(&first, &second));
    f.open_and_setup(1, "", pts);
    EXPECT_EQ(f.take(1), at(2, 2));
    EXPECT_EQ(first.asked, 0);
    EXPECT_TRUE(f.srv.detach(second));
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), at(1, 1));
    EXPECT_TRUE(f.srv.attach(second));
    EXPECT_EQ(f.take(1), at(2, 2));
}

// ---- selector reference counting ----

TEST(TsServer, SelectorNeededOnFirstUseAndNotNeededWhenTheLastLeaves) {
    fixture f;
    recording_source src(pts, at(1, 1));
    recording_source bystander(temi, at(1, 1));
    f.srv.attach(src);
    f.srv.attach(bystander);
    f.open_and_setup(1, "", pts);
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("+") + pts));
    // Every attached source hears it, whether or not it recognises the selector.
    EXPECT_THAT(bystander.take_events(), ElementsAre(std::string("+") + pts));
    f.open_and_setup(2, "dvb://", pts);
    EXPECT_THAT(src.take_events(), IsEmpty());
    EXPECT_EQ(f.srv.selector_use_count(pts), 2U);
    f.open_and_setup(3, "", temi);
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("+") + temi));
    EXPECT_THAT(f.srv.needed_selectors(), ElementsAre(std::string(pts), std::string(temi)));

    f.srv.on_close(1);
    EXPECT_THAT(src.take_events(), IsEmpty());
    EXPECT_EQ(f.srv.selector_use_count(pts), 1U);
    f.srv.on_close(2);
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("-") + pts));
    EXPECT_EQ(f.srv.selector_use_count(pts), 0U);
    f.srv.on_close(2); // twice: nothing more
    EXPECT_THAT(src.take_events(), IsEmpty());
    f.srv.on_close(3);
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("-") + temi));
    EXPECT_THAT(f.srv.needed_selectors(), IsEmpty());
}

TEST(TsServer, ConnectionsNeverSetUpDoNotCount) {
    fixture f;
    recording_source src(pts, at(1, 1));
    f.srv.attach(src);
    f.open(1);
    EXPECT_TRUE(f.srv.on_text(1, "{}"));
    f.srv.on_close(1);
    EXPECT_THAT(src.events, IsEmpty());
}

TEST(TsServer, LateAttachedSourceIsToldEveryNeededSelector) {
    fixture f;
    f.open_and_setup(1, "", pts);
    f.open_and_setup(2, "", temi);
    f.open_and_setup(3, "", pts);
    EXPECT_EQ(f.take(1), f.unavailable_now());
    EXPECT_EQ(f.take(2), f.unavailable_now());
    EXPECT_EQ(f.take(3), f.unavailable_now());
    static_cast<void>(f.srv.take_dirty());

    recording_source src(pts, at(5, 5));
    EXPECT_TRUE(f.srv.attach(src));
    EXPECT_FALSE(f.srv.attach(src)); // already attached
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("+") + pts, std::string("+") + temi));
    // The connections following its selector become dirty and get its timestamp.
    auto dirty = f.srv.take_dirty();
    std::sort(dirty.begin(), dirty.end());
    EXPECT_THAT(dirty, ElementsAre(1U, 3U));
    EXPECT_EQ(f.take(1), at(5, 5));
    EXPECT_EQ(f.take(3), at(5, 5));
}

TEST(TsServer, DetachedSourceIsToldNothingIsNeededAnyMore) {
    fixture f;
    recording_source src(pts, at(5, 5));
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    f.open_and_setup(2, "", temi);
    EXPECT_EQ(f.take(1), at(5, 5));
    static_cast<void>(f.srv.take_dirty());
    src.take_events();

    EXPECT_TRUE(f.srv.detach(src));
    EXPECT_FALSE(f.srv.detach(src));
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("-") + pts, std::string("-") + temi));
    EXPECT_EQ(src.sink_count(), 0U);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), f.unavailable_now());
    // A detached source's pushes no longer reach the server.
    src.set(at(6, 6));
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    // Connections leaving later no longer concern it.
    f.srv.on_close(1);
    EXPECT_THAT(src.events, IsEmpty());
}

TEST(TsServer, ClosingEveryConnectionAsWhenTheEndpointIsDisabledReleasesEverySelector) {
    fixture f;
    recording_source src(pts, at(5, 5));
    f.srv.attach(src);
    for (connection_id id = 1; id <= 6; ++id) {
        f.open_and_setup(id, "", id % 2 == 0 ? pts : temi);
    }
    f.open(7); // never set up
    src.take_events();
    // The transport disabling the endpoint calls on_close for each connection (B15).
    for (connection_id id = 1; id <= 7; ++id) {
        f.srv.on_close(id);
    }
    EXPECT_THAT(src.take_events(),
                UnorderedElementsAre(std::string("-") + pts, std::string("-") + temi));
    EXPECT_THAT(f.srv.needed_selectors(), IsEmpty());
    EXPECT_EQ(f.srv.connection_count(), 0U);
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    // Re-enabled: a new connection asks again, and the source hears it again.
    f.open_and_setup(8, "", pts);
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("+") + pts));
}

// ---- lifetimes ----

TEST(TsServer, ADyingSourceDetachesItselfAndConnectionsAreReEvaluated) {
    fixture f;
    auto src = std::make_unique<recording_source>(pts, at(5, 5));
    f.srv.attach(*src);
    f.open_and_setup(1, "", pts);
    EXPECT_EQ(f.take(1), at(5, 5));
    src.reset();
    EXPECT_THAT(f.srv.sources(), IsEmpty());
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.take(1), f.unavailable_now());
    f.srv.on_close(1); // nothing to tell
}

TEST(TsServer, ADyingServerDetachesItsSourcesAndReleasesTheirSelectors) {
    dvbcss::test::fake_time_source time{0};
    clk::sys_clock wall{time, 1e9};
    recording_source src(pts, at(5, 5));
    recording_source other(temi, at(5, 5));
    {
        ts::server srv{wall, std::string(content)};
        srv.attach(src);
        srv.attach(other);
        srv.on_open(1, {});
        ASSERT_FALSE(srv.on_text(1, setup("", pts)));
        EXPECT_EQ(src.sink_count(), 1U);
        src.take_events();
        other.take_events();
    }
    EXPECT_EQ(src.sink_count(), 0U);
    EXPECT_EQ(other.sink_count(), 0U);
    EXPECT_THAT(src.take_events(), ElementsAre(std::string("-") + pts));
    EXPECT_THAT(other.take_events(), ElementsAre(std::string("-") + pts));
    src.set(at(6, 6)); // no sink left to reach
}

TEST(TsServer, OneSourceCanServeTwoServers) {
    dvbcss::test::fake_time_source time{0};
    clk::sys_clock wall{time, 1e9};
    recording_source src(pts, at(5, 5));
    ts::server a{wall, std::string(content)};
    ts::server b{wall, std::string(content)};
    a.attach(src);
    b.attach(src);
    a.on_open(1, {});
    b.on_open(1, {});
    ASSERT_FALSE(a.on_text(1, setup("", pts)));
    ASSERT_FALSE(b.on_text(1, setup("", pts)));
    static_cast<void>(a.take_pending(1));
    static_cast<void>(b.take_pending(1));
    static_cast<void>(a.take_dirty());
    static_cast<void>(b.take_dirty());
    src.set(at(6, 6));
    EXPECT_THAT(a.take_dirty(), ElementsAre(1U));
    EXPECT_THAT(b.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(ts::decode_control_timestamp(a.take_pending(1).value()).value(), at(6, 6));
    EXPECT_EQ(ts::decode_control_timestamp(b.take_pending(1).value()).value(), at(6, 6));
}

// ---- after set-up: AptEptLpt and repeated setup-data ----

TEST(TsServer, AptEptLptIsKeptPerConnectionAndOffered) {
    fixture f;
    std::vector<std::pair<connection_id, ts::apt_ept_lpt>> heard;
    f.srv.set_apt_ept_lpt_handler(
        [&](connection_id id, const ts::apt_ept_lpt& v) { heard.emplace_back(id, v); });
    f.open_and_setup(1, "", pts);
    f.open_and_setup(2, "", pts);
    static_cast<void>(f.srv.take_dirty());
    EXPECT_EQ(f.srv.apt_ept_lpt_of(1), std::nullopt);

    ts::apt_ept_lpt first;
    first.actual = ts::presentation_timestamp{100, ts::wall_time::at(2000)};
    first.earliest = {90, ts::wall_time::at(1900)};
    first.latest = {110, ts::wall_time::plus_infinity()};
    EXPECT_FALSE(f.srv.on_text(1, ts::encode(first)));
    EXPECT_EQ(f.srv.apt_ept_lpt_of(1), first);
    EXPECT_EQ(f.srv.apt_ept_lpt_of(2), std::nullopt);

    ts::apt_ept_lpt second; // defaults: earliest -inf, latest +inf
    EXPECT_FALSE(f.srv.on_text(1, ts::encode(second)));
    EXPECT_EQ(f.srv.apt_ept_lpt_of(1), second);

    // Invalid ones are ignored with the decoder's reason; the latest valid one stays.
    EXPECT_EQ(f.srv.on_text(1, "[1,2"), make_error_code(errc::bad_json));
    EXPECT_EQ(f.srv.on_text(1, R"({"earliest":{"contentTime":"0","wallClockTime":"1"}})"),
              make_error_code(errc::missing_field));
    EXPECT_EQ(f.srv.apt_ept_lpt_of(1), second);

    ASSERT_EQ(heard.size(), 2U);
    EXPECT_EQ(heard[0].first, 1U);
    EXPECT_EQ(heard[0].second, first);
    EXPECT_EQ(heard[1].second, second);
    // Nothing to send because of them.
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    EXPECT_EQ(f.srv.stats().apt_ept_lpts_received, 2U);
    EXPECT_EQ(f.srv.stats().ignored_invalid_apt_ept_lpt, 2U);
}

TEST(TsServer, HandlerMayCloseTheConnectionItIsCalledFor) {
    fixture f;
    f.srv.set_apt_ept_lpt_handler(
        [&](connection_id id, const ts::apt_ept_lpt&) { f.srv.on_close(id); });
    f.open_and_setup(1, "", pts);
    EXPECT_FALSE(f.srv.on_text(1, ts::encode(ts::apt_ept_lpt{})));
    EXPECT_EQ(f.srv.connection_count(), 0U);
}

TEST(TsServer, SecondSetupIsIgnoredAndTheFirstStays) {
    fixture f;
    recording_source src(pts, at(5, 5));
    f.srv.attach(src);
    f.open_and_setup(1, "", pts);
    src.take_events();
    EXPECT_EQ(f.srv.on_text(1, setup("dvb://nothing", temi)),
              make_error_code(errc::unexpected_message));
    EXPECT_EQ(f.srv.setup_of(1), (ts::setup_data{"", pts, std::nullopt}));
    EXPECT_THAT(src.events, IsEmpty());
    EXPECT_EQ(f.srv.selector_use_count(temi), 0U);
    EXPECT_EQ(f.srv.selector_use_count(pts), 1U);
    EXPECT_EQ(f.take(1), at(5, 5));
    EXPECT_EQ(f.srv.stats().ignored_repeated_setup, 1U);
}

TEST(TsServer, ConnectionsWithTheSameSetupShareOneCopyReleasedWithTheLast) {
    fixture f;
    recording_source a(pts, at(5, 5));
    recording_source b(temi, at(7, 7));
    f.srv.attach(a);
    f.srv.attach(b);
    f.open_and_setup(1, "", pts);
    f.open_and_setup(2, "", pts);
    f.open_and_setup(3, "dvb://", pts); // another stem: its own copy
    f.open_and_setup(4, "", temi);
    EXPECT_EQ(f.srv.distinct_setup_count(), 3U);
    // Private data is never shared: compared as a whole it rarely matches another's.
    f.open(5);
    EXPECT_FALSE(
        f.srv.on_text(5, R"({"contentIdStem":"","timelineSelector":"urn:dvb:css:timeline:pts",)"
                         R"("private":[{"type":"urn:example:x"}]})"));
    EXPECT_EQ(f.srv.distinct_setup_count(), 3U);
    ASSERT_TRUE(f.srv.setup_of(5).has_value());
    EXPECT_TRUE(f.srv.setup_of(5)->private_data.has_value());
    EXPECT_EQ(f.srv.setup_of(2), (ts::setup_data{"", pts, std::nullopt}));
    EXPECT_EQ(f.srv.setup_of(3), (ts::setup_data{"dvb://", pts, std::nullopt}));
    for (const connection_id id : {1, 2, 3, 5}) {
        EXPECT_EQ(f.take(id), at(5, 5)) << id;
    }
    EXPECT_EQ(f.take(4), at(7, 7));

    f.srv.on_close(1);
    EXPECT_EQ(f.srv.distinct_setup_count(), 3U); // 2 still holds it
    EXPECT_EQ(f.srv.setup_of(2), (ts::setup_data{"", pts, std::nullopt}));
    a.set(at(6, 6));
    static_cast<void>(f.srv.take_dirty());
    EXPECT_EQ(f.take(2), at(6, 6));
    f.srv.on_close(2);
    f.srv.on_close(3);
    f.srv.on_close(5);
    EXPECT_EQ(f.srv.distinct_setup_count(), 1U);
    EXPECT_EQ(f.srv.selector_use_count(pts), 0U);
    // The same setup again after the last holder left: a fresh copy, found again by the next.
    f.open_and_setup(6, "", pts);
    f.open_and_setup(7, "", pts);
    EXPECT_EQ(f.srv.distinct_setup_count(), 2U);
    EXPECT_EQ(f.take(7), at(6, 6));
    f.srv.on_close(4);
    f.srv.on_close(6);
    f.srv.on_close(7);
    EXPECT_EQ(f.srv.distinct_setup_count(), 0U);
}

TEST(TsServer, ALongStemIsNotSharedSoTheTableKeepsSmallKeys) {
    fixture f;
    recording_source a(pts, at(5, 5));
    f.srv.attach(a);
    const std::string long_stem(600, 'x'); // longer than companions send in practice
    f.open_and_setup(1, long_stem, pts);
    f.open_and_setup(2, long_stem, pts);
    EXPECT_EQ(f.srv.distinct_setup_count(), 0U); // each holds its own copy
    EXPECT_EQ(f.srv.setup_of(2), (ts::setup_data{long_stem, pts, std::nullopt}));
    // The bound counts stem and selector together: 512 bytes are shared, 513 are not.
    const std::size_t selector_bytes = std::string_view(pts).size();
    f.open_and_setup(3, std::string(512 - selector_bytes, 'y'), pts);
    f.open_and_setup(4, std::string(512 - selector_bytes, 'y'), pts);
    EXPECT_EQ(f.srv.distinct_setup_count(), 1U);
    f.open_and_setup(5, std::string(513 - selector_bytes, 'z'), pts);
    EXPECT_EQ(f.srv.distinct_setup_count(), 1U);
    for (const connection_id id : {1, 2, 3, 4, 5}) {
        f.srv.on_close(id);
    }
    EXPECT_EQ(f.srv.distinct_setup_count(), 0U);
}

TEST(TsServer, StatisticsCountIgnoredMessagesByReason) {
    fixture f;
    f.open(1);
    static_cast<void>(f.srv.on_text(1, "x"));
    static_cast<void>(f.srv.on_text(1, "y"));
    static_cast<void>(f.srv.on_text(1, "{}"));
    static_cast<void>(f.srv.on_text(2, "{}"));
    ASSERT_FALSE(f.srv.on_text(1, setup("", pts)));
    static_cast<void>(f.srv.on_text(1, setup("", pts)));
    const auto& s = f.srv.stats();
    EXPECT_EQ(s.ignored_by_reason.at(make_error_code(errc::bad_json)), 2U);
    EXPECT_EQ(s.ignored_by_reason.at(make_error_code(errc::missing_field)), 1U);
    EXPECT_EQ(s.ignored_by_reason.at(make_error_code(errc::unexpected_message)), 2U);
    EXPECT_EQ(s.ignored_invalid_setup, 3U);
    EXPECT_EQ(s.ignored_unknown_connection, 1U);
    EXPECT_EQ(s.ignored_repeated_setup, 1U);
    EXPECT_EQ(s.setups_accepted, 1U);
}

// ---- with a clock timeline source ----

namespace {

struct clock_fixture {
    dvbcss::test::fake_time_source time{start_ns};
    clk::sys_clock wall{time, 1e9};
    clk::correlated_clock pts_clock{wall, 90000, clk::correlation{start_ns, 0}};
    ts::clock_timeline_source source{pts, wall, pts_clock};
    ts::server srv{wall, std::string(content)};

    clock_fixture() {
        srv.attach(source);
        srv.on_open(1, {});
        EXPECT_FALSE(srv.on_text(1, setup("", pts)));
    }

    std::optional<ts::control_timestamp> pending() {
        auto text = srv.take_pending(1);
        if (!text) {
            return std::nullopt;
        }
        return ts::decode_control_timestamp(*text).value();
    }
};

} // namespace

TEST(TsServerWithClockSource, UnchangedClockIsNotResentAndChangesArePushed) {
    clock_fixture f;
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.pending(), at(0, start_ns));
    f.time.advance_ns(10'000'000'000);
    EXPECT_THAT(f.srv.take_dirty(), IsEmpty());
    EXPECT_EQ(f.pending(), std::nullopt); // the timeline moved exactly as described

    // Pause: pushed, and the new timestamp describes it.
    f.pts_clock.set_correlation_and_speed(clk::correlation{start_ns + 10'000'000'000, 900'000},
                                          0.0);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.pending(), at(900'000, start_ns + 10'000'000'000, 0.0));

    // Unavailable, then unavailable again later: sent once.
    f.pts_clock.set_availability(false);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.pending(), ts::control_timestamp::unavailable(start_ns + 10'000'000'000));
    f.time.advance_ns(1'000);
    f.pts_clock.set_correlation(clk::correlation{0, 0});
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    EXPECT_EQ(f.pending(), std::nullopt);

    f.pts_clock.set_availability(true);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    const auto back = f.pending();
    ASSERT_TRUE(back && back->available());
    EXPECT_EQ(back->wall_clock_time, start_ns + 10'000'001'000);
}

TEST(TsServerWithClockSource, ManyClockChangesCollapseIntoOneMessage) {
    clock_fixture f;
    ASSERT_TRUE(f.pending());
    static_cast<void>(f.srv.take_dirty());
    for (int i = 0; i < 100; ++i) {
        f.pts_clock.set_speed(i % 2 == 0 ? 2.0 : 1.0);
        f.time.advance_ns(1'000'000);
    }
    f.pts_clock.set_speed(3.0);
    EXPECT_THAT(f.srv.take_dirty(), ElementsAre(1U));
    const auto ct = f.pending();
    ASSERT_TRUE(ct);
    EXPECT_EQ(ct->timeline_speed_multiplier, 3.0);
    EXPECT_EQ(ct->wall_clock_time, start_ns + 100'000'000);
    EXPECT_EQ(f.pending(), std::nullopt);
    EXPECT_EQ(f.srv.stats().control_timestamps_sent, 2U);
}
