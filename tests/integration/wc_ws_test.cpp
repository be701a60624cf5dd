// CSS-WC over WebSocket: our client against our server over loopback in both framings (binary
// 32-byte messages and the BBC JSON form), with and without follow-ups; bad messages ignored,
// counted and the connection kept; the client reconnecting after the endpoint went away. Both
// sides read CLOCK_MONOTONIC, so the true offset is 0. Everything runs on one io_context on the
// test thread, which thereby owns both clock trees. Time bounds are generous: the machine is
// shared.

#include "support/io_loop.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_ws_client.hpp>
#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/json_message.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using dvbcss::net::wall_clock_framing;
using dvbcss::net::wall_clock_ws_client;
using dvbcss::net::wall_clock_ws_client_config;
using dvbcss::net::wall_clock_ws_server;
using dvbcss::net::wall_clock_ws_server_config;
using dvbcss::test::quiet_log;
using dvbcss::test::run_until;

/// A WebSocket server on a free loopback port serving the wall clock (CLOCK_MONOTONIC) at /wc.
struct server_side {
    asio::io_context& io;
    dvbcss::clock::sys_clock wall{dvbcss::clock::monotonic_time_source::instance(), 1e9, 500};
    dvbcss::net::websocket_server server;
    wall_clock_ws_server wc;

    explicit server_side(asio::io_context& context, wall_clock_ws_server_config config = {})
        : io(context)
        , server(context.get_executor(), dvbcss::net::websocket_server_config{})
        , wc(server, "/wc", wall, std::move(config)) {}

    [[nodiscard]] std::string url() const {
        return "ws://127.0.0.1:" + std::to_string(server.local_endpoint().port()) + "/wc";
    }
};

/// A client side: local clock on CLOCK_MONOTONIC, wall clock correlated to it, and the client.
struct ws_client_side {
    dvbcss::clock::sys_clock local{dvbcss::clock::monotonic_time_source::instance(), 1e9, 500};
    dvbcss::clock::correlated_clock wall{local, 1e9};
    std::unique_ptr<wall_clock_ws_client> client;

    ws_client_side(asio::io_context& io, const std::string& url, wall_clock_framing framing) {
        dvbcss::wc::estimator_options options;
        options.repeat_interval = 50ms; // quick, for the test
        options.retry_interval = 20ms;
        wall_clock_ws_client_config config;
        config.url = url;
        config.framing = framing;
        config.core.response_timeout = 200ms;
        client = std::make_unique<wall_clock_ws_client>(
            io.get_executor(), wall, dvbcss::wc::make_estimator("lowest-dispersion", wall, options),
            config);
    }
};

void expect_converges(wall_clock_framing framing, bool followup) {
    asio::io_context io;
    wall_clock_ws_server_config server_config;
    server_config.core.followup = followup;
    server_side s(io, server_config);
    ASSERT_FALSE(s.server.start());
    ws_client_side c(io, s.url(), framing);
    ASSERT_FALSE(c.client->start());
    const bool converged = run_until(
        io,
        [&] {
            return c.client->statistics().core.candidates_accepted >= 3 &&
                   c.client->dispersion_ns() < 10e6 && c.client->statistics().core.candidates >= 20;
        },
        15s);
    const auto cs = c.client->statistics();
    const auto ss = s.wc.statistics();
    ASSERT_TRUE(converged) << "requests=" << cs.core.requests << " responses=" << cs.core.responses
                           << " dispersion_ns=" << c.client->dispersion_ns()
                           << " last failure: " << cs.last_failure;
    // True offset 0: both sides read CLOCK_MONOTONIC. Within the client's own error bound, and
    // well under a millisecond on loopback; the bound itself stays small.
    const auto offset = c.client->offset_ns();
    const double dispersion = c.client->dispersion_ns();
    EXPECT_LE(std::abs(static_cast<double>(offset)), dispersion);
    EXPECT_LT(std::abs(offset), 1'000'000);
    EXPECT_LT(dispersion, 5e6);
    EXPECT_TRUE(c.client->synchronised());
    EXPECT_TRUE(c.client->connected());
    EXPECT_EQ(cs.connects, 1U);
    EXPECT_EQ(cs.core.ignored(), 0U);
    EXPECT_EQ(cs.undecodable_json, 0U);
    EXPECT_EQ(cs.core.transmit_times_used, cs.core.requests); // t1 read just before queueing
    EXPECT_EQ(ss.ignored, 0U);
    EXPECT_EQ(ss.core.answered, ss.binary_requests + ss.json_requests);
    if (framing == wall_clock_framing::json) {
        EXPECT_GE(ss.json_requests, 20U);
        EXPECT_EQ(ss.binary_requests, 0U);
    } else {
        EXPECT_GE(ss.binary_requests, 20U);
        EXPECT_EQ(ss.json_requests, 0U);
    }
    if (followup) {
        EXPECT_EQ(cs.core.followups_missing, 0U);
    }
    c.client->stop();
    s.server.stop();
    run_until(
        io, [] { return false; }, 50ms);
}

TEST(WcWebSocket, ConvergesWithBinaryFraming) {
    expect_converges(wall_clock_framing::binary, false);
}

TEST(WcWebSocket, ConvergesWithJsonFraming) {
    expect_converges(wall_clock_framing::json, false);
}

TEST(WcWebSocket, ConvergesWithFollowupsInBothFramings) {
    expect_converges(wall_clock_framing::binary, true);
    expect_converges(wall_clock_framing::json, true);
}

/// A raw WebSocket peer that records what it receives.
struct ws_raw_peer {
    std::vector<std::string> texts;
    std::vector<std::string> binaries;
    bool open = false;
    bool closed = false;
    std::unique_ptr<dvbcss::net::websocket_client> ws;

    ws_raw_peer(asio::io_context& io, const std::string& url) {
        dvbcss::net::websocket_client_config config;
        config.url = url;
        dvbcss::net::websocket_client_callbacks callbacks;
        callbacks.on_open = [this] {
            open = true;
        };
        callbacks.on_close = [this](const dvbcss::net::close_info&) {
            closed = true;
        };
        callbacks.on_message = [this](const dvbcss::net::incoming_message& m) {
            (m.binary ? binaries : texts).emplace_back(m.data);
        };
        ws = std::make_unique<dvbcss::net::websocket_client>(io.get_executor(), config,
                                                             std::move(callbacks));
    }
};

std::string ws_request_bytes(std::uint32_t s, std::uint32_t ns) {
    dvbcss::wc::message m;
    m.originate = {s, ns};
    const auto bytes = dvbcss::wc::encode(m);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST(WcWebSocket, IgnoresBadMessagesAndKeepsTheConnection) {
    const quiet_log quiet;
    asio::io_context io;
    server_side s(io);
    ASSERT_FALSE(s.server.start());
    ws_raw_peer peer(io, s.url());
    ASSERT_FALSE(peer.ws->start());
    ASSERT_TRUE(run_until(
        io, [&] { return peer.open; }, 10s));

    // Seven bad messages: not JSON, v 1, t 7, a JSON response, a 31-byte and a 33-byte binary
    // request, and a binary response (type 1).
    peer.ws->send_text("hello");
    peer.ws->send_text(R"({"v":1,"t":0,"otvs":1,"otvn":2})");
    peer.ws->send_text(R"({"v":0,"t":7,"otvs":1,"otvn":2})");
    peer.ws->send_text(R"({"v":0,"t":1,"p":0,"mfe":0,"otvs":1,"otvn":2,"rt":1,"tt":1})");
    const auto good = ws_request_bytes(5, 6);
    peer.ws->send_binary(good.substr(0, 31));
    peer.ws->send_binary(good + "x");
    auto response = good;
    response[1] = '\x01';
    peer.ws->send_binary(response);
    // Then one good request in each framing.
    peer.ws->send_binary(good);
    peer.ws->send_text(R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":7,"otvn":4294967295,"rt":0,"tt":0})");

    ASSERT_TRUE(run_until(
        io, [&] { return peer.binaries.size() == 1 && peer.texts.size() == 1; }, 10s));
    const auto st = s.wc.statistics();
    EXPECT_EQ(st.ignored, 7U);
    EXPECT_EQ(st.core.wrong_length, 2U);
    EXPECT_EQ(st.core.not_a_request, 2U); // the JSON response and the binary one
    EXPECT_EQ(st.binary_requests, 1U);
    EXPECT_EQ(st.json_requests, 1U);
    EXPECT_TRUE(peer.open);
    EXPECT_FALSE(peer.closed);
    EXPECT_EQ(s.wc.endpoint().connection_count(), 1U);

    // The binary answer: 32 bytes, type 1, originate echoed, t2 <= t3.
    ASSERT_EQ(peer.binaries[0].size(), 32U);
    const auto b = dvbcss::wc::decode(std::as_bytes(std::span(peer.binaries[0])));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->type, dvbcss::wc::message_type::response);
    EXPECT_EQ(b->originate, (dvbcss::wc::raw_timestamp{5, 6}));
    EXPECT_GT(b->receive_ns, 0);
    EXPECT_LE(b->receive_ns, b->transmit_ns);
    // The JSON answer: the BBC form, the non-normalised originate echoed verbatim.
    const auto j = dvbcss::wc::decode_json(peer.texts[0]);
    ASSERT_TRUE(j) << peer.texts[0];
    EXPECT_EQ(j->type, dvbcss::wc::message_type::response);
    EXPECT_EQ(j->originate, (dvbcss::wc::raw_timestamp{7, 4294967295U}));
    EXPECT_GT(j->receive_ns, 0);
    EXPECT_LE(j->receive_ns, j->transmit_ns);
    EXPECT_EQ(peer.texts[0].rfind(R"({"v":0,"t":1,"p":)", 0), 0U) << peer.texts[0];

    peer.ws->close();
    s.server.stop();
    run_until(
        io, [&] { return peer.closed; }, 5s);
}

TEST(WcWebSocket, FollowupModeSendsTwoMessagesPerRequest) {
    asio::io_context io;
    wall_clock_ws_server_config config;
    config.core.followup = true;
    server_side s(io, config);
    ASSERT_FALSE(s.server.start());
    ws_raw_peer peer(io, s.url());
    ASSERT_FALSE(peer.ws->start());
    ASSERT_TRUE(run_until(
        io, [&] { return peer.open; }, 10s));
    peer.ws->send_binary(ws_request_bytes(1, 2));
    peer.ws->send_text(R"({"v":0,"t":0,"otvs":3,"otvn":4})");
    ASSERT_TRUE(run_until(
        io, [&] { return peer.binaries.size() == 2 && peer.texts.size() == 2; }, 10s));
    const auto r = dvbcss::wc::decode(std::as_bytes(std::span(peer.binaries[0])));
    const auto f = dvbcss::wc::decode(std::as_bytes(std::span(peer.binaries[1])));
    ASSERT_TRUE(r && f);
    EXPECT_EQ(r->type, dvbcss::wc::message_type::response_with_followup);
    EXPECT_EQ(f->type, dvbcss::wc::message_type::followup);
    EXPECT_EQ(f->receive_ns, r->receive_ns);
    EXPECT_GE(f->transmit_ns, r->transmit_ns);
    const auto jr = dvbcss::wc::decode_json(peer.texts[0]);
    const auto jf = dvbcss::wc::decode_json(peer.texts[1]);
    ASSERT_TRUE(jr && jf);
    EXPECT_EQ(jr->type, dvbcss::wc::message_type::response_with_followup);
    EXPECT_EQ(jf->type, dvbcss::wc::message_type::followup);
    EXPECT_EQ(jf->originate, (dvbcss::wc::raw_timestamp{3, 4}));
    EXPECT_GE(jf->transmit_ns, jr->transmit_ns);
    peer.ws->close();
    s.server.stop();
    run_until(
        io, [&] { return peer.closed; }, 5s);
}

TEST(WcWebSocket, ClientReconnectsAndResynchronises) {
    const quiet_log quiet;
    asio::io_context io;
    server_side s(io);
    ASSERT_FALSE(s.server.start());
    ws_client_side c(io, s.url(), wall_clock_framing::json);
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(run_until(
        io, [&] { return c.client->synchronised(); }, 10s));

    // The endpoint goes away (connections closed with 1001, new ones refused with 403).
    s.wc.endpoint().set_enabled(false);
    ASSERT_TRUE(run_until(
        io,
        [&] { return !c.client->synchronised() && c.client->statistics().connect_failures >= 1; },
        15s));
    EXPECT_FALSE(c.client->connected());
    EXPECT_GE(c.client->statistics().send_failures, 1U);

    s.wc.endpoint().set_enabled(true);
    ASSERT_TRUE(run_until(
        io, [&] { return c.client->synchronised(); }, 40s));
    const auto cs = c.client->statistics();
    EXPECT_GE(cs.connects, 2U);
    EXPECT_GE(cs.disconnects, 1U);
    EXPECT_GE(cs.core.sync_losses, 1U);
    EXPECT_NE(cs.last_failure, "");
    c.client->stop();
    s.server.stop();
    run_until(
        io, [] { return false; }, 50ms);
}

TEST(WcWebSocket, ClientWaitsForAServerThatIsNotThereYet) {
    const quiet_log quiet;
    asio::io_context io;
    // A port that was free a moment ago: bind a server, read the port, stop it.
    std::uint16_t port = 0;
    {
        dvbcss::net::websocket_server probe(io.get_executor(), {});
        ASSERT_FALSE(probe.start());
        port = probe.local_endpoint().port();
        probe.stop();
    }
    run_until(
        io, [] { return false; }, 20ms);
    const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/wc";
    ws_client_side c(io, url, wall_clock_framing::binary);
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(run_until(
        io, [&] { return c.client->statistics().connect_failures >= 1; }, 10s));
    EXPECT_EQ(c.client->statistics().core.requests, 0U); // nothing sent before a connection
    EXPECT_FALSE(c.client->synchronised());
    c.client->stop();
    run_until(
        io, [] { return false; }, 20ms);
}

TEST(WcWebSocket, ClientRejectsABadUrl) {
    asio::io_context io;
    ws_client_side c(io, "http://127.0.0.1:1/wc", wall_clock_framing::binary);
    EXPECT_TRUE(c.client->start());
    EXPECT_FALSE(c.client->running());
}

} // namespace
