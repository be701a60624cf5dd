// ws:// URL parsing (no sockets).
#include <dvbcss/error.hpp>
#include <dvbcss/net/websocket_url.hpp>

#include <gtest/gtest.h>

namespace dvbcss::net {
namespace {

TEST(WebSocketUrl, ParsesHostPortAndPath) {
    const auto url = parse_websocket_url("ws://192.168.1.5:7681/cii");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "192.168.1.5");
    EXPECT_EQ(url->port, 7681);
    EXPECT_EQ(url->target, "/cii");
    EXPECT_EQ(url->host_header(), "192.168.1.5:7681");
}

TEST(WebSocketUrl, DefaultsPortAndPath) {
    const auto url = parse_websocket_url("WS://tv.local");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "tv.local");
    EXPECT_EQ(url->port, 80);
    EXPECT_EQ(url->target, "/");
    EXPECT_EQ(url->host_header(), "tv.local");
}

TEST(WebSocketUrl, KeepsQueryDropsFragment) {
    const auto url = parse_websocket_url("ws://h:1/ts?a=1&b=2#frag");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->target, "/ts?a=1&b=2");
    const auto bare = parse_websocket_url("ws://h?x");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->target, "/?x");
}

TEST(WebSocketUrl, ParsesBracketedIPv6) {
    const auto url = parse_websocket_url("ws://[::1]:8080/cii");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 8080);
    EXPECT_EQ(url->host_header(), "[::1]:8080");
    const auto no_port = parse_websocket_url("ws://[fe80::1]/x");
    ASSERT_TRUE(no_port);
    EXPECT_EQ(no_port->host, "fe80::1");
    EXPECT_EQ(no_port->port, 80);
}

TEST(WebSocketUrl, RejectsOtherSchemesAndMalformedAuthorities) {
    for (const char* bad : {"wss://h/cii", "http://h/", "ws:/h", "ws://", "ws:///cii", "ws://[::1",
                            "ws://[]:80/", "ws://::1/", "ws://user@h/", "ws://[::1]x/", "h:80"}) {
        const auto url = parse_websocket_url(bad);
        EXPECT_FALSE(url) << bad;
        if (!url) {
            EXPECT_EQ(url.error(), make_error_code(errc::bad_field_value)) << bad;
        }
    }
}

TEST(WebSocketUrl, RejectsPortsOutOfRange) {
    for (const char* bad :
         {"ws://h:0/", "ws://h:65536/", "ws://h:123456/", "ws://h:-1/", "ws://h:8a/", "ws://h:/"}) {
        const auto url = parse_websocket_url(bad);
        EXPECT_FALSE(url) << bad;
        if (!url) {
            EXPECT_EQ(url.error(), make_error_code(errc::value_out_of_range)) << bad;
        }
    }
    const auto max = parse_websocket_url("ws://h:65535/");
    ASSERT_TRUE(max);
    EXPECT_EQ(max->port, 65535);
}

} // namespace
} // namespace dvbcss::net
