// Hostile WebSocket peers against a pretend TV (CSS-CII and CSS-TS on one websocket_server, one
// owner thread as in tv-device), over loopback with frames written by hand: bad JSON of every kind,
// oversized and lying frames, binary frames, fragment floods, ping floods, slowloris upgrades,
// absurd upgrade headers and too many connections. Each test checks the defined answer (ignored
// and counted, a close code, an HTTP status, a dropped socket) and that a CII and a TS companion
// connected throughout still get every change. docs/hostile-input.md lists the rows.
#include "hostile_support.hpp"
#include "support/captured_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// Text messages no core accepts, whatever the protocol: not JSON, wrong JSON types, huge numbers
/// in known properties, nesting past the depth limit (inside and outside the message's object).
std::vector<std::string> bad_json() {
    return {
        "not json at all",
        "",
        "[1,2,3]",
        R"({"contentIdStem":5,"timelineSelector":"urn:dvb:css:timeline:pts"})",
        R"({"contentIdStem":"dvb://","timelineSelector":["urn:dvb:css:timeline:pts"]})",
        R"({"contentIdStem":"dvb://","timelineSelector":null})",
        R"({"contentIdStem":1e400,"timelineSelector":"urn:dvb:css:timeline:pts"})",
        std::string(40000, '['),
        R"({"contentIdStem":"dvb://","timelineSelector":"urn:dvb:css:timeline:pts","deep":)" +
            std::string(40, '[') + std::string(40, ']') + "}",
        "\"just a string\"",
        "{\"contentIdStem\":\"dvb://\",\"timelineSelector\":\"urn:dvb:css:timeline:pts\"",
    };
}

/// AptEptLpt messages that decode to nothing: wrong types, integers beyond 64 bits (2^70),
/// numbers where strings belong, a missing part.
std::vector<std::string> bad_apt_ept_lpt() {
    return {
        "not json",
        R"({"actual":5,"earliest":"minusinfinity","latest":"plusinfinity"})",
        R"({"actual":{"contentTime":"1180591620717411303424","wallClockTime":"0"},)"
        R"("earliest":"minusinfinity","latest":"plusinfinity"})",
        R"({"earliest":{"contentTime":1e400,"wallClockTime":"0"},"latest":"plusinfinity"})",
        R"({"earliest":"minusinfinity"})",
        R"({"earliest":"somewhere","latest":"plusinfinity"})",
    };
}

/// Parameter: the server's session threads (0: sessions on the owner thread; 2: threads of their
/// own, as tv-device runs them).
class HostileWs : public ::testing::TestWithParam<std::size_t> {
protected:
    void start(net::websocket_server_config transport = {},
               net::websocket_endpoint_config cii_endpoint = {},
               net::websocket_endpoint_config ts_endpoint = {}) {
        transport.session_threads = GetParam();
        tv = std::make_unique<pretend_tv>(transport, cii_endpoint, ts_endpoint);
        ASSERT_TRUE(tv->started);
        good = std::make_unique<good_companions>(*tv);
        ASSERT_TRUE(good->ok);
    }

    /// A hostile peer with an open WebSocket on `path`.
    std::unique_ptr<hostile_peer> open_peer(const std::string& path, int receive_buffer = 0) {
        auto peer = std::make_unique<hostile_peer>(tv->endpoint(), receive_buffer);
        EXPECT_TRUE(peer->connected());
        const auto header = peer->upgrade(path);
        EXPECT_EQ(header.rfind("HTTP/1.1 101", 0), 0U) << header;
        return peer;
    }

    ts::server_stats ts_stats() {
        return tv->on_owner([this] { return tv->ts.core().stats(); });
    }

    void TearDown() override {
        if (good) {
            good->close();
        }
        // The companions' clients go while their io_context exists but no longer runs.
        if (tv) {
            tv->server().join();
            tv->io.stop(1s);
        }
        good.reset();
        tv.reset();
    }

    std::unique_ptr<pretend_tv> tv;
    std::unique_ptr<good_companions> good;
};

// ---- JSON the cores cannot use ----

TEST_P(HostileWs, TsIgnoresBadTextBeforeAndAfterSetUpAndKeepsTheConnection) {
    const captured_log log;
    start();
    auto peer = open_peer("/ts");
    const auto bad = bad_json();
    for (const auto& text : bad) {
        ASSERT_TRUE(peer->write(ws_frame(opcode::text, text)));
    }
    ASSERT_TRUE(eventually([&] { return ts_stats().ignored_invalid_setup == bad.size(); }))
        << ts_stats().ignored_invalid_setup;
    EXPECT_EQ(ts_stats().setups_accepted, 1U); // the good companion's only
    EXPECT_FALSE(peer->read_frame(200ms).has_value()) << "a bad setup-data was answered";

    // Unknown properties, whatever their value (a number beyond a double, 2^70, nesting within
    // the limit), are ignored: this setup-data is used.
    ASSERT_TRUE(peer->write(ws_frame(
        opcode::text,
        R"({"contentIdStem":"dvb://","timelineSelector":"urn:dvb:css:timeline:pts",)"
        R"("x-huge":1e400,"x-wide":1180591620717411303424,"x-nest":{"a":[[{"b":[1,2]}]]}})")));
    const auto first = peer->read_frame();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->op, opcode::text);
    EXPECT_TRUE(ts::decode_control_timestamp(first->payload)) << first->payload;
    EXPECT_EQ(ts_stats().setups_accepted, 2U);

    const auto bad_apts = bad_apt_ept_lpt();
    for (const auto& text : bad_apts) {
        ASSERT_TRUE(peer->write(ws_frame(opcode::text, text)));
    }
    ASSERT_TRUE(eventually([&] {
        return ts_stats().ignored_invalid_apt_ept_lpt == bad_apts.size();
    })) << ts_stats().ignored_invalid_apt_ept_lpt;
    EXPECT_EQ(ts_stats().apt_ept_lpts_received, 0U);

    // Nothing closed the hostile connection: it gets the next change like everyone else.
    EXPECT_TRUE(good->still_served());
    const auto next = peer->read_frame();
    ASSERT_TRUE(next.has_value());
    const auto ct = ts::decode_control_timestamp(next->payload);
    ASSERT_TRUE(ct) << next->payload;
    EXPECT_EQ(ct->content_time, 1'000'001);
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 2U);
    // 17 ignored messages, a bounded number of lines (the adapter's burst, then one a second).
    EXPECT_GE(log.count("ts:"), 1U) << log.all();
    EXPECT_LE(log.count("ts:"), 7U) << log.all();
}

TEST_P(HostileWs, CiiIgnoresEveryTextFromACompanionAndKeepsTheConnection) {
    const captured_log log;
    start();
    auto peer = open_peer("/cii");
    const auto initial = peer->read_frame();
    ASSERT_TRUE(initial.has_value());
    EXPECT_NE(initial->payload.find(tv_content), std::string::npos) << initial->payload;
    for (const auto& text : bad_json()) {
        ASSERT_TRUE(peer->write(ws_frame(opcode::text, text)));
    }
    // Even a well-formed CII from a companion is not something a server takes.
    ASSERT_TRUE(
        peer->write(ws_frame(opcode::text, R"({"protocolVersion":"1.1","contentId":"x"})")));
    EXPECT_TRUE(good->still_served());
    const auto next = peer->read_frame();
    ASSERT_TRUE(next.has_value());
    EXPECT_NE(next->payload.find("dvb://good/1"), std::string::npos) << next->payload;
    EXPECT_EQ(tv->cii.endpoint().connection_count(), 2U);
    EXPECT_LE(log.count("cii:"), 7U) << log.all();
}

// ---- frames: too big, lying, binary, broken ----

TEST_P(HostileWs, FramesOverTheMessageLimitAreClosedWith1009) {
    start();
    {
        // A header announcing one byte over the limit: refused before the payload arrives.
        auto peer = open_peer("/ts");
        ASSERT_TRUE(
            peer->write(ws_frame(opcode::text, {}, true, limits::max_json_message_bytes + 1)));
        EXPECT_EQ(peer->read_close(), 1009);
    }
    {
        // A frame claiming 2^62 bytes.
        auto peer = open_peer("/cii");
        ASSERT_TRUE(peer->write(ws_frame(opcode::text, {}, true, std::uint64_t{1} << 62U)));
        EXPECT_EQ(peer->read_close(), 1009);
    }
    {
        // A 64-bit length with its top bit set (not allowed, RFC 6455 §5.2) is refused by its
        // size first: 1009 as well.
        auto peer = open_peer("/cii");
        ASSERT_TRUE(peer->write(ws_frame(opcode::text, {}, true, std::uint64_t{1} << 63U)));
        EXPECT_EQ(peer->read_close(), 1009);
    }
    {
        // A real 1 MiB message, sent whole.
        auto peer = open_peer("/ts");
        peer->write(ws_frame(opcode::text, std::string(1 << 20, ' ')), 2s); // may be cut short
        EXPECT_EQ(peer->read_close(), 1009);
    }
    EXPECT_TRUE(good->still_served());
    ASSERT_TRUE(eventually([&] { return tv->ts.endpoint().connection_count() == 1; }));
    ASSERT_TRUE(eventually([&] { return tv->cii.endpoint().connection_count() == 1; }));
}

TEST_P(HostileWs, BinaryFramesAreClosedWith1003) {
    start();
    for (const char* path : {"/cii", "/ts"}) {
        auto peer = open_peer(path);
        ASSERT_TRUE(peer->write(ws_frame(opcode::binary, std::string("\x00\x01\xff", 3))));
        EXPECT_EQ(peer->read_close(), 1003) << path;
    }
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, BrokenFramingIsClosedWith1002) {
    start();
    const std::vector<std::pair<std::string, std::string>> broken{
        {"continuation with nothing to continue", ws_frame(opcode::continuation, "x")},
        {"text inside a fragmented text",
         ws_frame(opcode::text, "{", false) + ws_frame(opcode::text, "}")},
        {"ping over 125 bytes", ws_frame(opcode::ping, std::string(126, 'p'))},
        {"fragmented ping", ws_frame(opcode::ping, "p", false)},
        {"reserved opcode 3", ws_frame(0x3, "x")},
        {"reserved bit set",
         std::string(1, static_cast<char>(0xC1)) + ws_frame(opcode::text, "x").substr(1)},
        {"unmasked frame", std::string("\x81\x01x", 3)},
    };
    for (const auto& [what, bytes] : broken) {
        auto peer = open_peer("/ts");
        ASSERT_TRUE(peer->write(bytes)) << what;
        EXPECT_EQ(peer->read_close(), 1002) << what;
    }
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, TextThatIsNotUtf8IsClosedWith1007) {
    start();
    for (const char* path : {"/cii", "/ts"}) {
        auto peer = open_peer(path);
        ASSERT_TRUE(peer->write(ws_frame(opcode::text, "{\"a\":\"\xff\xfe\xc0\x80\"}")));
        EXPECT_EQ(peer->read_close(), 1007) << path;
    }
    EXPECT_TRUE(good->still_served());
}

// ---- fragment floods ----

TEST_P(HostileWs, ManyTinyFragmentsMakeOneMessageWithinTheLimit) {
    start();
    auto peer = open_peer("/ts");
    // 20 000 one-byte fragments of leading white space, each followed by an empty continuation,
    // then the setup-data itself: one valid message of about 20 KB in 40 001 frames.
    std::string flood = ws_frame(opcode::text, " ", false);
    for (int i = 1; i < 20000; ++i) {
        flood += ws_frame(opcode::continuation, " ", false);
        flood += ws_frame(opcode::continuation, {}, false);
    }
    flood += ws_frame(opcode::continuation, pts_setup(), true);
    const auto started = clock_type::now();
    ASSERT_TRUE(peer->write(flood));
    const auto answer = peer->read_frame();
    ASSERT_TRUE(answer.has_value());
    EXPECT_TRUE(ts::decode_control_timestamp(answer->payload)) << answer->payload;
    EXPECT_LT(clock_type::now() - started, 10s);
    EXPECT_EQ(ts_stats().setups_accepted, 2U);
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, FragmentsPastTheMessageLimitAreClosedWith1009) {
    start();
    auto peer = open_peer("/cii");
    std::string flood = ws_frame(opcode::text, "x", false);
    for (std::size_t i = 0; i < limits::max_json_message_bytes + 10; ++i) {
        flood += ws_frame(opcode::continuation, "x", false);
    }
    peer->write(flood, 5s); // the server stops reading at the limit
    EXPECT_EQ(peer->read_close(), 1009);
    EXPECT_TRUE(good->still_served());
}

// ---- ping floods ----

TEST_P(HostileWs, PingFloodIsAnsweredPongForPongWithoutDelayingOthers) {
    start();
    auto peer = open_peer("/ts");
    constexpr int batches = 50;
    constexpr int per_batch = 100;
    int pongs = 0;
    for (int b = 0; b < batches; ++b) {
        std::string burst;
        for (int i = 0; i < per_batch; ++i) {
            burst += ws_frame(opcode::ping, std::string(125, static_cast<char>('a' + (i % 26))));
        }
        ASSERT_TRUE(peer->write(burst));
        for (int i = 0; i < per_batch; ++i) {
            const auto f = peer->read_frame();
            ASSERT_TRUE(f.has_value()) << "pong " << pongs;
            ASSERT_EQ(f->op, opcode::pong);
            ASSERT_EQ(f->payload, std::string(125, static_cast<char>('a' + (i % 26))));
            ++pongs;
        }
        if (b % 10 == 0) {
            EXPECT_TRUE(good->still_served(5s)) << "during the flood, batch " << b;
        }
    }
    EXPECT_EQ(pongs, batches * per_batch);
    EXPECT_TRUE(good->still_served());
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 2U);
}

TEST_P(HostileWs, PingFloodFromAPeerThatNeverReadsIsDroppedAtTheIdleTimeout) {
    net::websocket_server_config transport;
    transport.idle_timeout = 2s;
    transport.close_timeout = 500ms;
    start(transport);
    auto peer = open_peer("/ts", 4096);
    ASSERT_TRUE(eventually([&] { return tv->ts.endpoint().connection_count() == 2; }));
    // Pings until the server stops taking them (its pongs fill this peer's small buffer, so its
    // reader waits on a write and reads nothing more): then the idle timeout drops it.
    const auto started = clock_type::now();
    const std::string ping = ws_frame(opcode::ping, std::string(125, 'p'));
    while (clock_type::now() - started < 15s && tv->ts.endpoint().connection_count() == 2) {
        if (!peer->write(ping, 200ms)) {
            std::this_thread::sleep_for(20ms);
        }
    }
    EXPECT_TRUE(eventually([&] { return tv->ts.endpoint().connection_count() == 1; }, 15s));
    EXPECT_LT(clock_type::now() - started, 15s);
    EXPECT_TRUE(peer->closed_by_server(5s));
    EXPECT_TRUE(good->still_served());
}

// ---- HTTP upgrades: slowloris, absurd headers, too many connections ----

TEST_P(HostileWs, SlowlorisUpgradesAreDroppedAtTheHandshakeTimeout) {
    net::websocket_server_config transport;
    transport.handshake_timeout = 1s;
    start(transport);
    const std::string request =
        "GET /ts HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    constexpr int peers = 20;
    std::vector<std::unique_ptr<hostile_peer>> slow;
    for (int i = 0; i < peers; ++i) {
        slow.push_back(std::make_unique<hostile_peer>(tv->endpoint()));
        ASSERT_TRUE(slow.back()->connected());
    }
    // One byte per peer every 50 ms: the whole request would take 8 s; the server allows 1 s.
    const auto started = clock_type::now();
    std::vector<clock_type::duration> closed_after(peers, clock_type::duration::zero());
    for (std::size_t at = 0; at < request.size(); ++at) {
        bool any_open = false;
        for (int i = 0; i < peers; ++i) {
            if (closed_after[i] != clock_type::duration::zero()) {
                continue;
            }
            if (!slow[i]->write(request.substr(at, 1), 100ms) || slow[i]->closed_by_server(0ms)) {
                closed_after[i] = clock_type::now() - started;
                continue;
            }
            any_open = true;
        }
        if (!any_open || clock_type::now() - started > 6s) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    for (int i = 0; i < peers; ++i) {
        EXPECT_NE(closed_after[i], clock_type::duration::zero()) << "peer " << i << " still open";
        EXPECT_GE(closed_after[i], 900ms) << "peer " << i;
        EXPECT_LT(closed_after[i], 5s) << "peer " << i;
        EXPECT_EQ(slow[i]->received().find("HTTP/1.1 101"), std::string::npos);
    }
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 1U);
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, UpgradeWithAHundredKibHeaderGets431) {
    start();
    hostile_peer peer(tv->endpoint());
    ASSERT_TRUE(peer.connected());
    peer.write(
        "GET /ts HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "X-Padding: " +
            std::string(100 * 1024, 'a') + "\r\n\r\n",
        3s);
    // The header limit (8 KiB) is passed: HTTP 431 (and a rate-limited line), then the server
    // closes; nothing is upgraded.
    EXPECT_TRUE(peer.closed_by_server(5s));
    EXPECT_EQ(peer.received().rfind("HTTP/1.1 431", 0), 0U) << peer.received().substr(0, 200);
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 1U);
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, UpgradeWithTenThousandHeadersGets431) {
    start();
    hostile_peer peer(tv->endpoint());
    ASSERT_TRUE(peer.connected());
    std::string request =
        "GET /cii HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (int i = 0; i < 10000; ++i) {
        request += "X-" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
    }
    request += "\r\n";
    peer.write(request, 3s);
    // The header limit (8 KiB) is passed: HTTP 431, then the server closes; nothing is upgraded.
    EXPECT_TRUE(peer.closed_by_server(5s));
    EXPECT_EQ(peer.received().rfind("HTTP/1.1 431", 0), 0U) << peer.received().substr(0, 200);
    EXPECT_EQ(tv->cii.endpoint().connection_count(), 1U);
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, HandshakesPastTheLimitWaitInTheBacklogUntilOneEnds) {
    net::websocket_server_config transport;
    transport.handshake_timeout = 1s;
    transport.max_pending_handshakes = 4;
    start(transport);
    // Four silent connections hold every handshake slot until the handshake timeout drops them.
    std::vector<std::unique_ptr<hostile_peer>> silent;
    for (int i = 0; i < 4; ++i) {
        silent.push_back(std::make_unique<hostile_peer>(tv->endpoint()));
        ASSERT_TRUE(silent.back()->connected());
    }
    std::this_thread::sleep_for(200ms); // the server has accepted all four
    const auto started = clock_type::now();
    hostile_peer waiting(tv->endpoint()); // connects: the kernel's backlog holds it
    ASSERT_TRUE(waiting.connected());
    const auto answer = waiting.upgrade("/ts");
    const auto waited = clock_type::now() - started;
    EXPECT_EQ(answer.rfind("HTTP/1.1 101", 0), 0U) << answer;
    EXPECT_GE(waited, 500ms) << "answered while every handshake slot was taken";
    EXPECT_LT(waited, 5s);
    for (const auto& peer : silent) {
        EXPECT_TRUE(peer->closed_by_server(3s));
    }
    // The server registers the connection just after answering 101.
    EXPECT_TRUE(eventually([&] { return tv->ts.endpoint().connection_count() == 2U; }))
        << tv->ts.endpoint().connection_count();
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, UpgradeCarryingABodyGets400) {
    start();
    hostile_peer peer(tv->endpoint());
    ASSERT_TRUE(peer.connected());
    // Bytes after the header would be read as WebSocket frames: a body on an upgrade is refused.
    const auto answer = peer.upgrade("/ts", "Content-Length: 4\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0U) << answer;
    EXPECT_TRUE(peer.closed_by_server(5s));
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 1U);
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, FramesSentBeforeTheUpgradeAnswerGet400) {
    start();
    for (const auto& early : {ws_frame(opcode::text, pts_setup()),
                              ws_frame(opcode::text, "", true, std::uint64_t{1} << 40U)}) {
        hostile_peer peer(tv->endpoint());
        ASSERT_TRUE(peer.connected());
        // One write: the request and a frame behind it, without waiting for the 101. Those
        // bytes would otherwise vanish with the HTTP read buffer.
        peer.write("GET /ts HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n" +
                   early);
        const auto answer = peer.read_http_header();
        EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0U) << answer;
        EXPECT_TRUE(peer.closed_by_server(5s));
    }
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 1U); // the good companion only
    EXPECT_TRUE(good->still_served());
}

TEST_P(HostileWs, ConnectionsPastTheLimitGet503WhileThoseInKeepTheirService) {
    net::websocket_endpoint_config limited;
    limited.max_connections = 3;
    start({}, limited, limited);
    std::vector<std::unique_ptr<hostile_peer>> in;
    for (int i = 0; i < 2; ++i) { // with the good companion: the limit on each endpoint
        in.push_back(open_peer("/ts"));
        in.push_back(open_peer("/cii"));
    }
    for (int i = 0; i < 20; ++i) {
        for (const char* path : {"/ts", "/cii"}) {
            hostile_peer extra(tv->endpoint());
            const auto answer = extra.upgrade(path);
            EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0U) << path << ": " << answer;
        }
    }
    EXPECT_EQ(tv->ts.endpoint().connection_count(), 3U);
    EXPECT_EQ(tv->cii.endpoint().connection_count(), 3U);
    EXPECT_TRUE(good->still_served());
}

INSTANTIATE_TEST_SUITE_P(Sessions, HostileWs, ::testing::Values(std::size_t{0}, std::size_t{2}),
                         [](const ::testing::TestParamInfo<std::size_t>& p) {
                             return p.param == 0 ? std::string("OnTheOwner")
                                                 : "On" + std::to_string(p.param) + "Threads";
                         });

} // namespace
} // namespace dvbcss::test
