// tv::presentation: one content state reaching the CSS-CII and CSS-TS cores in one step.
#include "support/fake_time_source.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/ts/timeline_source.hpp>
#include <dvbcss/tv/presentation.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace {

using namespace dvbcss;

constexpr connection_id cii_conn = 1;
constexpr connection_id ts_conn = 2;
constexpr auto pts = "urn:dvb:css:timeline:pts";

class PresentationTest : public ::testing::Test {
protected:
    PresentationTest() {
        ts_core.attach(source);
        cii_core.on_open(cii_conn, connection_origin{"127.0.0.1", 7681, "127.0.0.1:5000"});
        ts_core.on_open(ts_conn, connection_origin{"127.0.0.1", 7681, "127.0.0.1:5001"});
        EXPECT_FALSE(ts_core.on_text(ts_conn, R"({"contentIdStem":"dvb://a","timelineSelector":")" +
                                                  std::string(pts) + R"("})"));
        drain();
    }

    /// Pulls everything both cores want to send; returns the CII and TS messages.
    std::pair<std::vector<cii::message>, std::vector<ts::control_timestamp>> drain() {
        std::pair<std::vector<cii::message>, std::vector<ts::control_timestamp>> out;
        for (const auto id : cii_core.take_dirty()) {
            if (auto text = cii_core.take_pending(id)) {
                auto m = cii::decode_cii(*text);
                EXPECT_TRUE(m) << *text;
                out.first.push_back(*m);
            }
        }
        for (const auto id : ts_core.take_dirty()) {
            if (auto text = ts_core.take_pending(id)) {
                auto ct = ts::decode_control_timestamp(*text);
                EXPECT_TRUE(ct) << *text;
                out.second.push_back(*ct);
            }
        }
        return out;
    }

    test::fake_time_source time{1'000'000'000};
    clock::sys_clock sys{time, 1e9};
    clock::correlated_clock wall{sys, 1e9};
    cii::server cii_core;
    ts::server ts_core{wall};
    ts::simple_timeline_source source{pts, ts::control_timestamp{90000, 1'000'000'000, 1.0}};
    tv::presentation presentation{cii_core, ts_core};
};

TEST_F(PresentationTest, ContentChangeReachesCiiAndTsTogether) {
    presentation.set_content("dvb://a/event1");
    EXPECT_EQ(ts_core.content_id(), std::optional<std::string>("dvb://a/event1"));
    const auto [cii_messages, cts] = drain();
    ASSERT_EQ(cii_messages.size(), 1U);
    EXPECT_EQ(cii_messages[0].content_id, json::field<std::string>("dvb://a/event1"));
    EXPECT_EQ(cii_messages[0].content_id_status,
              json::field<cii::id_status>(cii::id_status::final));
    ASSERT_EQ(cts.size(), 1U);
    EXPECT_TRUE(cts[0].available());
    EXPECT_EQ(cts[0].content_time, std::optional<std::int64_t>(90000));
}

TEST_F(PresentationTest, ContentThatNoLongerMatchesTheStemMakesTheTimelineUnavailable) {
    presentation.set_content("dvb://a/event1");
    drain();
    presentation.set_content("dvb://b/event2", cii::id_status::partial);
    const auto [cii_messages, cts] = drain();
    ASSERT_EQ(cii_messages.size(), 1U);
    EXPECT_EQ(cii_messages[0].content_id_status,
              json::field<cii::id_status>(cii::id_status::partial));
    ASSERT_EQ(cts.size(), 1U);
    EXPECT_FALSE(cts[0].available());
}

TEST_F(PresentationTest, NoContentIsNullInCiiAndMatchesNoStem) {
    presentation.set_content("dvb://a/event1");
    drain();
    presentation.set_content(std::nullopt);
    EXPECT_EQ(presentation.content_id(), std::nullopt);
    EXPECT_EQ(ts_core.content_id(), std::nullopt);
    const auto [cii_messages, cts] = drain();
    ASSERT_EQ(cii_messages.size(), 1U);
    EXPECT_TRUE(cii_messages[0].content_id.is_null());
    ASSERT_EQ(cts.size(), 1U);
    EXPECT_FALSE(cts[0].available());
}

TEST_F(PresentationTest, PresentationStatusAndTimelinesGoToCiiOnly) {
    presentation.set_presentation_status({"okay"});
    presentation.set_timelines({cii::timeline_option{pts, {1, 90000, std::nullopt}, std::nullopt}});
    const auto [cii_messages, cts] = drain();
    ASSERT_EQ(cii_messages.size(), 1U); // two changes collapse into one pulled diff
    EXPECT_EQ(cii_messages[0].presentation_status,
              json::field<std::vector<std::string>>(std::vector<std::string>{"okay"}));
    ASSERT_TRUE(cii_messages[0].timelines.has_value());
    EXPECT_EQ(cii_messages[0].timelines.value().size(), 1U);
    EXPECT_TRUE(cts.empty());
}

TEST_F(PresentationTest, InvalidChangesThrowAndChangeNothing) {
    EXPECT_THROW(presentation.set_presentation_status({}), std::invalid_argument);
    EXPECT_THROW(presentation.set_presentation_status({"two words"}), std::invalid_argument);
    EXPECT_THROW(
        presentation.set_timelines({cii::timeline_option{"", {0, 0, std::nullopt}, std::nullopt}}),
        std::invalid_argument);
    const auto [cii_messages, cts] = drain();
    EXPECT_TRUE(cii_messages.empty());
    EXPECT_TRUE(cts.empty());
}

TEST_F(PresentationTest, StartsFromTheCiiContentId) {
    cii::server_config config;
    config.initial_cii.content_id = "dvb://a/initial";
    cii::server other_cii(config);
    ts::server other_ts(wall);
    tv::presentation p(other_cii, other_ts);
    EXPECT_EQ(p.content_id(), std::optional<std::string>("dvb://a/initial"));
    EXPECT_EQ(other_ts.content_id(), std::optional<std::string>("dvb://a/initial"));
}

} // namespace
