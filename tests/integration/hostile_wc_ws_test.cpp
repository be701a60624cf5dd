// Hostile peers against CSS-WC over WebSocket (/wc, the one endpoint that answers every request
// with a message of its own, so its outbox is where a non-reader shows), over loopback with
// frames written by hand: JSON requests the codec cannot use are ignored and counted while the
// connection stays; a requester that never reads its answers is closed at its outbox bound with
// 1008; five well-behaved requesters get every answer throughout. docs/hostile-input.md lists the
// rows.
#include "hostile_support.hpp"
#include "support/captured_log.hpp"

#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/wc/message.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// A binary CSS-WC request with originate time `n` seconds.
std::string wc_request(std::uint32_t n) {
    wc::message m;
    m.type = wc::message_type::request;
    m.originate = {n, 1};
    const auto bytes = wc::encode(m);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

/// The wall clock over WebSocket at /wc, on one io thread that owns its clock.
class wc_ws_tv {
public:
    explicit wc_ws_tv(net::websocket_server_config transport = {})
        : server_(io_.context.get_executor(), transport)
        , wc(server_, "/wc", wall_) {
        started = !server_.start();
    }

    ~wc_ws_tv() {
        server_.stop();
        io_.stop(1s);
    }

    wc_ws_tv(const wc_ws_tv&) = delete;
    wc_ws_tv& operator=(const wc_ws_tv&) = delete;
    wc_ws_tv(wc_ws_tv&&) = delete;
    wc_ws_tv& operator=(wc_ws_tv&&) = delete;

    [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const {
        return server_.local_endpoint();
    }

private:
    io_threads io_{1};
    clock::sys_clock wall_{clock::monotonic_time_source::instance(), 1e9, 500};
    net::websocket_server server_;

public:
    net::wall_clock_ws_server wc;
    bool started = false;
};

/// A requester that reads every answer: true if request `n` is answered (a 32-byte binary
/// response echoing its originate) within `timeout`.
bool ask(hostile_peer& peer, std::uint32_t n, std::chrono::milliseconds timeout = 5s) {
    if (!peer.write(ws_frame(opcode::binary, wc_request(n)))) {
        return false;
    }
    const auto f = peer.read_frame(timeout);
    if (!f || f->op != opcode::binary || f->payload.size() != wc::message_size) {
        return false;
    }
    const auto m = wc::decode(std::span<const std::byte>(
        reinterpret_cast<const std::byte*>(f->payload.data()), f->payload.size()));
    return m && m->type == wc::message_type::response && m->originate.seconds == n;
}

TEST(HostileWcWs, JsonRequestsTheCodecCannotUseAreIgnoredAndTheConnectionStays) {
    wc_ws_tv tv;
    ASSERT_TRUE(tv.started);
    hostile_peer peer(tv.endpoint());
    ASSERT_EQ(peer.upgrade("/wc").rfind("HTTP/1.1 101", 0), 0U);
    const std::vector<std::string> bad{
        std::string(40000, '['),
        R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":1e400,"otvn":2,"rt":0,"tt":0})",
        R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":1180591620717411303424,"otvn":2,"rt":0,"tt":0})",
        R"({"v":"0","t":0,"p":0,"mfe":0,"otvs":1,"otvn":2,"rt":0,"tt":0})",
        R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":1,"otvn":2,"rt":0,"tt":0,"x":)" +
            std::string(40, '[') + std::string(40, ']') + "}",
        "[]",
    };
    for (const auto& text : bad) {
        ASSERT_TRUE(peer.write(ws_frame(opcode::text, text)));
    }
    ASSERT_TRUE(eventually([&] { return tv.wc.statistics().ignored == bad.size(); }))
        << tv.wc.statistics().ignored;
    // Unknown properties are ignored whatever their value: this request is answered.
    ASSERT_TRUE(peer.write(ws_frame(
        opcode::text,
        R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":7,"otvn":8,"rt":0,"tt":0,"x":{"y":[1e400]}})")));
    const auto answer = peer.read_frame();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->op, opcode::text);
    EXPECT_NE(answer->payload.find("\"otvs\":7"), std::string::npos) << answer->payload;
    EXPECT_TRUE(ask(peer, 99));
    EXPECT_EQ(tv.wc.endpoint().connection_count(), 1U);
}

TEST(HostileWcWs, ARequesterThatNeverReadsIsClosedAtItsOutboxBoundWith1008) {
    const captured_log log(net::log::level::warning);
    net::websocket_server_config transport;
    transport.close_timeout = 500ms;
    wc_ws_tv tv(transport);
    ASSERT_TRUE(tv.started);
    std::vector<std::unique_ptr<hostile_peer>> good;
    for (int i = 0; i < 5; ++i) {
        good.push_back(std::make_unique<hostile_peer>(tv.endpoint()));
        ASSERT_EQ(good.back()->upgrade("/wc").rfind("HTTP/1.1 101", 0), 0U);
    }
    hostile_peer greedy(tv.endpoint(), 4096);
    ASSERT_EQ(greedy.upgrade("/wc").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return tv.wc.endpoint().connection_count() == 6; }));

    // Requests in batches of 1 000 (38 KB), never reading an answer, while each good requester
    // asks once per batch and must be answered.
    std::string batch;
    for (std::uint32_t n = 0; n < 1000; ++n) {
        batch += ws_frame(opcode::binary, wc_request(n));
    }
    std::uint32_t asked = 0;
    std::uint32_t answered = 0;
    const auto started = clock_type::now();
    while (tv.wc.endpoint().connection_count() == 6 && clock_type::now() - started < 15s) {
        greedy.write(batch, 200ms); // stops being taken once the server stops reading it
        for (auto& g : good) {
            ++asked;
            answered += ask(*g, asked) ? 1U : 0U;
        }
    }
    ASSERT_TRUE(eventually([&] { return tv.wc.endpoint().connection_count() == 5; }))
        << "the non-reader was never closed";
    EXPECT_LT(clock_type::now() - started, 15s);
    EXPECT_EQ(answered, asked);
    ASSERT_TRUE(eventually([&] { return log.count("closing with 1008") == 1; })) << log.all();
    EXPECT_EQ(log.count("peer is not reading"), 1U) << log.all();
    for (std::uint32_t i = 0; i < good.size(); ++i) {
        EXPECT_TRUE(ask(*good[i], 100000 + i)) << "good requester " << i;
    }
    std::cout << "[ figures ] non-reader closed after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started)
                     .count()
              << " ms; " << tv.wc.statistics().binary_requests << " requests answered, " << answered
              << " of them to the good requesters" << std::endl;
}

} // namespace
} // namespace dvbcss::test
