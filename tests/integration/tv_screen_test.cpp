// tv-device's screen (tools/tv/screen) driven by plain calls into the CSS-CII and CSS-TS cores (no
// sockets): a timeline added while the content is shown, as `tv-device --media` adds a TEMI
// timeline its background read of the file finds, reaches the CII companions already connected
// as a change and is served to a TS companion that asked for it before it existed.
#include "tv/screen.hpp"

#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/tv/scenario.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dvbcss::test {
namespace {

constexpr const char* pts = "urn:dvb:css:timeline:pts";
constexpr const char* late = "urn:dvb:css:timeline:temi:1:2";

tv::scenario one_content() {
    tv::scenario s;
    tv::content_spec c;
    c.id = "file:///media/late.ts";
    tv::timeline_spec t;
    t.selector = pts;
    t.tick_rate = 90000;
    c.timelines.push_back(t);
    s.contents.push_back(c);
    return s;
}

/// The selectors a CII message (JSON) lists, or nothing if it has no "timelines".
std::optional<std::vector<std::string>> selectors_of(const std::string& text) {
    const auto j = nlohmann::json::parse(text);
    if (!j.contains("timelines")) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& t : j["timelines"]) {
        out.push_back(t.at("timelineSelector").get<std::string>());
    }
    return out;
}

cii::server_config initial_cii() {
    cii::server_config c;
    c.initial_cii = tools::cii_for(one_content().contents.at(0));
    return c;
}

/// The cores as tv-device makes them (CII first holding what the screen starts with).
struct screen_with_companions {
    clock::sys_clock wall_clock;
    cii::server cii{initial_cii()};
    ts::server ts{wall_clock};
    tools::tv_screen screen{one_content(), wall_clock, cii, ts};
};

TEST(TvScreen, ATimelineAddedWhileShownIsACiiChangeAndIsServed) {
    screen_with_companions tv;
    const connection_origin origin{"127.0.0.1", 7681, "127.0.0.1:50000"};
    tv.cii.on_open(1, origin);
    static_cast<void>(tv.cii.take_dirty());
    const auto first = tv.cii.take_pending(1);
    ASSERT_TRUE(first);
    EXPECT_EQ(selectors_of(*first), (std::vector<std::string>{pts}));

    // A TS companion asks for the timeline before the TV has it: unavailable.
    tv.ts.on_open(2, origin);
    ASSERT_FALSE(tv.ts.on_text(2, std::string(R"({"contentIdStem":"","timelineSelector":")") +
                                      late + R"("})"));
    static_cast<void>(tv.ts.take_dirty());
    const auto before = tv.ts.take_pending(2);
    ASSERT_TRUE(before);
    EXPECT_EQ(nlohmann::json::parse(*before).at("contentTime"), nullptr) << *before;

    tv::timeline_spec added;
    added.selector = late;
    added.tick_rate = 90000;
    added.start_ticks = 900000;
    tv.screen.add_timeline(added);

    // CII: the connected companion is told the longer list, as a change.
    const auto cii_dirty = tv.cii.take_dirty();
    EXPECT_NE(std::find(cii_dirty.begin(), cii_dirty.end(), 1U), cii_dirty.end());
    const auto change = tv.cii.take_pending(1);
    ASSERT_TRUE(change);
    EXPECT_EQ(selectors_of(*change), (std::vector<std::string>{pts, late})) << *change;
    EXPECT_FALSE(nlohmann::json::parse(*change).contains("contentId")) << "only what changed";
    // TS: the companion gets the timeline, from its start value.
    const auto ts_dirty = tv.ts.take_dirty();
    EXPECT_NE(std::find(ts_dirty.begin(), ts_dirty.end(), 2U), ts_dirty.end());
    const auto after = tv.ts.take_pending(2);
    ASSERT_TRUE(after);
    const auto ct = nlohmann::json::parse(*after);
    ASSERT_TRUE(ct.at("contentTime").is_string()) << *after;
    EXPECT_NEAR(std::stod(ct.at("contentTime").get<std::string>()), 900000.0, 90000.0) << *after;

    // The screen lists it after the others; its selector is now taken, and a timeline added
    // while shown cannot follow another.
    const auto shown = tv.screen.timelines();
    ASSERT_EQ(shown.size(), 2U);
    EXPECT_EQ(shown[1].selector, late);
    EXPECT_EQ(tv.screen.scenario().contents.at(0).timelines.size(), 2U);
    EXPECT_THROW(tv.screen.add_timeline(added), std::invalid_argument);
    tv::timeline_spec child;
    child.selector = "urn:dvb:css:timeline:temi:1:3";
    child.parent = pts;
    EXPECT_THROW(tv.screen.add_timeline(child), std::invalid_argument);
}

TEST(TvScreen, TimelinesAddedOneAfterAnotherKeepTheirOwnClocks) {
    screen_with_companions tv;
    for (int i = 1; i <= 20; ++i) { // enough to move the scenario's timeline list in memory
        tv::timeline_spec t;
        t.selector = "urn:dvb:css:timeline:temi:1:" + std::to_string(i);
        t.tick_rate = 1000;
        t.start_ticks = i * 1000;
        tv.screen.add_timeline(t);
    }
    const auto shown = tv.screen.timelines();
    ASSERT_EQ(shown.size(), 21U);
    EXPECT_EQ(shown[0].selector, pts);
    for (int i = 1; i <= 20; ++i) {
        EXPECT_EQ(shown[static_cast<std::size_t>(i)].selector,
                  "urn:dvb:css:timeline:temi:1:" + std::to_string(i));
        EXPECT_EQ(shown[static_cast<std::size_t>(i)].tick_rate, 1000U);
    }
    // The truth document reads every timeline through its (re-pointed) spec.
    const auto truth = nlohmann::json::parse(tv.screen.state_json());
    ASSERT_EQ(truth.at("timelines").size(), 21U);
    EXPECT_EQ(truth["timelines"][20].at("selector"), "urn:dvb:css:timeline:temi:1:20");
}

} // namespace
} // namespace dvbcss::test
