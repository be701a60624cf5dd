// cii::server rewrites {{host}} and {{port}} inside private data when configured to (a URL for
// browsers, such as tv-device's wall clock over WebSocket), per companion.
#include <dvbcss/cii/server.hpp>
#include <dvbcss/json/private_data.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace cii = dvbcss::cii;

namespace {

constexpr auto entry =
    R"([{"type":"urn:x-dvbcss:wall-clock-websocket","url":"ws://{{host}}:{{port}}/wc"}])";

cii::server_config config_with_private(bool rewrite) {
    cii::server_config config;
    config.initial_cii.private_data = dvbcss::json::private_data::parse(entry).value();
    if (rewrite) {
        cii::add(config.rewrite_host_port, cii::property::private_data);
    }
    return config;
}

nlohmann::json first_message(cii::server& s, cii::connection_id conn, const std::string& host,
                             std::uint16_t port) {
    s.on_open(conn, dvbcss::connection_origin{host, port, "198.51.100.1:4000"});
    static_cast<void>(s.take_dirty());
    const auto text = s.take_pending(conn);
    EXPECT_TRUE(text.has_value());
    return text ? nlohmann::json::parse(*text) : nlohmann::json();
}

TEST(CiiPrivateRewrite, EachCompanionSeesTheAddressItReached) {
    cii::server s(config_with_private(true));
    const auto v4 = first_message(s, 1, "192.0.2.7", 7681);
    EXPECT_EQ(v4["private"][0]["url"], "ws://192.0.2.7:7681/wc") << v4.dump();
    EXPECT_EQ(v4["private"][0]["type"], "urn:x-dvbcss:wall-clock-websocket");
    const auto v6 = first_message(s, 2, "::1", 9000);
    EXPECT_EQ(v6["private"][0]["url"], "ws://[::1]:9000/wc") << v6.dump();
    // The stored CII keeps its templates; cii_for shows one companion's view.
    EXPECT_NE(s.cii().private_data.value().text().find("{{host}}"), std::string::npos);
    const auto view = s.cii_for(1);
    ASSERT_TRUE(view);
    EXPECT_NE(view->private_data.value().text().find("ws://192.0.2.7:7681/wc"), std::string::npos);
    // A later change does not resend the unchanged private data.
    cii::message changes;
    changes.content_id = "dvb://x";
    ASSERT_TRUE(s.update(changes));
    static_cast<void>(s.take_dirty());
    const auto diff = nlohmann::json::parse(s.take_pending(1).value());
    EXPECT_FALSE(diff.contains("private")) << diff.dump();
}

TEST(CiiPrivateRewrite, NotRewrittenUnlessAsked) {
    cii::server s(config_with_private(false));
    const auto m = first_message(s, 1, "192.0.2.7", 7681);
    EXPECT_EQ(m["private"][0]["url"], "ws://{{host}}:{{port}}/wc");
}

} // namespace
