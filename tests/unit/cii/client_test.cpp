#include <dvbcss/cii/client.hpp>
#include <dvbcss/cii/server.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace cii = dvbcss::cii;
namespace json = dvbcss::json;
using dvbcss::errc;
using dvbcss::make_error_code;

namespace {

// Records every callback as a line, in order.
struct recorder {
    std::vector<std::string> events;

    cii::client_handlers handlers() {
        cii::client_handlers h;
        h.connected = [this] {
            events.emplace_back("connected");
        };
        h.disconnected = [this](std::uint16_t code, std::string_view reason) {
            events.push_back("disconnected " + std::to_string(code) + " " + std::string(reason));
        };
        h.message_received = [this](const cii::message&) {
            events.emplace_back("rx");
        };
        h.property_changed = [this](cii::property p, const cii::message&) {
            events.push_back("change " + std::string(cii::json_key(p)));
        };
        h.changed = [this](const cii::property_set& set, const cii::message&) {
            events.push_back("changed " + cii::describe(set));
        };
        h.protocol_error = [this](dvbcss::error_code ec, std::string_view) {
            events.push_back("error " + ec.message());
        };
        return h;
    }
};

} // namespace

TEST(CiiClient, StartsWithEveryPropertyNull) {
    cii::client c;
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(c.cii(), cii::message::all_null());
    EXPECT_EQ(c.latest(), std::nullopt);
    EXPECT_EQ(c.status_summary(), "Nothing received from TV yet.");
}

TEST(CiiClient, ReportsChangesInPropertyOrder) {
    recorder r;
    cii::client c(r.handlers());
    c.on_open();
    EXPECT_TRUE(c.connected());
    ASSERT_FALSE(c.on_text(
        R"({"contentId":"dvb://a","protocolVersion":"1.1","contentIdStatus":"partial"})"));
    EXPECT_EQ(c.last_changed().count(), 3U);
    EXPECT_EQ(r.events,
              (std::vector<std::string>{"connected", "rx", "change protocolVersion",
                                        "change contentId", "change contentIdStatus",
                                        "changed protocolVersion, contentId, contentIdStatus"}));
    EXPECT_EQ(c.cii().content_id.value(), "dvb://a");
    EXPECT_TRUE(c.cii().mrs_url.is_null()); // untouched: still null
    EXPECT_EQ(c.messages_received(), 1U);
}

TEST(CiiClient, RepeatedValueIsReceivedButNotAChange) {
    recorder r;
    cii::client c(r.handlers());
    c.on_open();
    (void)c.on_text(R"({"contentId":"dvb://a"})");
    r.events.clear();
    ASSERT_FALSE(c.on_text(R"({"contentId":"dvb://a"})"));
    EXPECT_TRUE(c.last_changed().none());
    EXPECT_EQ(r.events, std::vector<std::string>{"rx"});
}

TEST(CiiClient, NullIsAChangeAndAbsentIsNot) {
    recorder r;
    cii::client c(r.handlers());
    c.on_open();
    (void)c.on_text(R"({"contentId":"dvb://a","mrsUrl":"http://m"})");
    r.events.clear();
    ASSERT_FALSE(c.on_text(R"({"contentId":null})"));
    EXPECT_EQ(cii::describe(c.last_changed()), "contentId");
    EXPECT_TRUE(c.cii().content_id.is_null());
    EXPECT_EQ(c.cii().mrs_url.value(), "http://m");
    EXPECT_EQ(r.events, (std::vector<std::string>{"rx", "change contentId", "changed contentId"}));
    // A first message saying null changes nothing: the client already assumed null.
    ASSERT_FALSE(c.on_text(R"({"teUrl":null})"));
    EXPECT_TRUE(c.last_changed().none());
}

TEST(CiiClient, BadMessageIsAProtocolErrorAndChangesNothing) {
    recorder r;
    cii::client c(r.handlers());
    c.on_open();
    (void)c.on_text(R"({"contentId":"dvb://a"})");
    const auto before = c.cii();
    r.events.clear();
    const auto bad = c.on_text(R"({"contentId":5})");
    EXPECT_EQ(bad, make_error_code(errc::bad_field_type));
    EXPECT_TRUE(c.last_changed().none());
    EXPECT_EQ(c.cii(), before);
    EXPECT_TRUE(c.connected());
    EXPECT_EQ(c.protocol_errors(), 1U);
    EXPECT_EQ(r.events, std::vector<std::string>{"error " + bad.message()});
    EXPECT_EQ(c.on_text("not json"), make_error_code(errc::bad_json));
    EXPECT_EQ(c.on_binary(4), make_error_code(errc::binary_frame));
    EXPECT_EQ(c.protocol_errors(), 3U);
}

TEST(CiiClient, DisconnectAndReconnectResetState) {
    recorder r;
    cii::client c(r.handlers());
    c.on_open();
    (void)c.on_text(R"({"contentId":"dvb://a"})");
    c.on_close(1001, "going away");
    EXPECT_FALSE(c.connected());
    c.on_close(1006); // already closed: no second callback
    EXPECT_EQ(r.events.back(), "disconnected 1001 going away");
    EXPECT_EQ(std::count(r.events.begin(), r.events.end(), "disconnected 1001 going away"), 1);
    c.on_open();
    EXPECT_EQ(c.cii(), cii::message::all_null());
    EXPECT_EQ(c.latest(), std::nullopt);
}

TEST(CiiClient, WorksWithoutHandlers) {
    cii::client c;
    c.on_open();
    EXPECT_FALSE(c.on_text(R"({"protocolVersion":"1.1"})"));
    EXPECT_TRUE(c.on_text("["));
    EXPECT_EQ(c.take_pending(), std::nullopt); // a CII client never sends
    (void)c.on_binary(1);
    c.on_close(1000);
    EXPECT_EQ(c.messages_received(), 1U);
}

TEST(CiiClient, FollowsAServerThroughUpdates) {
    // Server and client cores wired back to back: the client's picture tracks the server's CII
    // as the connection sees it, including removals (sent as null).
    cii::server_config config;
    config.initial_cii.wc_url = "udp://{{host}}:6677";
    config.initial_cii.mrs_url = "http://mrs";
    cii::server s(config);
    cii::client c;
    c.on_open();
    s.on_open(1, dvbcss::connection_origin{"10.1.2.3", 7681, "10.1.2.4:50000"});
    const auto first = s.take_pending(1);
    ASSERT_TRUE(first.has_value());
    ASSERT_FALSE(c.on_text(*first));
    EXPECT_EQ(c.cii().wc_url.value(), "udp://10.1.2.3:6677");

    auto next = s.cii();
    next.content_id = "dvb://x";
    next.content_id_status = cii::id_status::final;
    next.mrs_url = json::absent;
    next.timelines = std::vector<cii::timeline_option>{};
    (void)s.set_cii(next);
    const auto diff = s.take_pending(1);
    ASSERT_TRUE(diff.has_value());
    ASSERT_FALSE(c.on_text(*diff));
    EXPECT_EQ(cii::describe(c.last_changed()), "mrsUrl, contentId, contentIdStatus, timelines");

    auto expected = *s.cii_for(1);
    for (const auto p : cii::all_properties) {
        if (cii::property_state(expected, p) == json::field_state::absent_key)
            cii::set_property_null(expected, p);
    }
    EXPECT_EQ(c.cii(), expected);
    EXPECT_EQ(c.status_summary(), cii::encode(c.cii()));
}
