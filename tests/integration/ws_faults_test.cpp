// Transport faults users hit, over loopback: a port already in use, a server that closes every
// connection at once (the reconnect back-off), close codes around resets and framing errors (raw
// TCP peers crafting the frames), and log floods a peer can cause.
#include "support/captured_log.hpp"
#include "websocket_test_support.hpp"

#include <dvbcss/net/log.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

/// A handler that closes every connection as soon as it opens.
class closing_handler final : public net::websocket_handler {
public:
    void on_open(const net::connection_info& connection) override {
        if (send_first) {
            endpoint->send(connection.id, std::string(send_first, 'x'));
        } else {
            endpoint->close(connection.id, net::close_codes::going_away, "not now");
        }
    }

    void on_text(net::connection_id, std::string_view) override {}

    void on_close(net::connection_id, const net::close_info&) override {}

    net::websocket_endpoint* endpoint = nullptr;
    std::size_t send_first = 0; // if set: send a message of this size instead of closing
};

/// A client that records when each connection opened and every reconnection it scheduled.
class timed_client {
public:
    timed_client(asio::io_context& context, net::websocket_client_config config) {
        net::websocket_client_callbacks callbacks;
        callbacks.on_open = [this] {
            const std::lock_guard lock(mutex_);
            opens_.push_back(clock_type::now());
        };
        callbacks.on_close = [this](const net::close_info& info) {
            const std::lock_guard lock(mutex_);
            closes_.push_back(info);
        };
        callbacks.on_retry = [this](const net::reconnect_notice& notice) {
            const std::lock_guard lock(mutex_);
            notices_.push_back(notice);
        };
        client = std::make_unique<net::websocket_client>(context.get_executor(), std::move(config),
                                                         std::move(callbacks));
    }

    std::vector<clock_type::time_point> opens() const {
        const std::lock_guard lock(mutex_);
        return opens_;
    }

    std::vector<net::close_info> closes() const {
        const std::lock_guard lock(mutex_);
        return closes_;
    }

    std::vector<net::reconnect_notice> notices() const {
        const std::lock_guard lock(mutex_);
        return notices_;
    }

    std::unique_ptr<net::websocket_client> client;

private:
    mutable std::mutex mutex_;
    std::vector<clock_type::time_point> opens_;
    std::vector<net::close_info> closes_;
    std::vector<net::reconnect_notice> notices_;
};

/// Reads from a blocking socket until `n` bytes have arrived or the peer stops sending; returns
/// what arrived.
std::string read_bytes(tcp::socket& socket, std::size_t n) {
    std::string data;
    char chunk[256];
    while (data.size() < n) {
        boost::system::error_code ec;
        const auto got = socket.read_some(asio::buffer(chunk), ec);
        if (ec) {
            break;
        }
        data.append(chunk, got);
    }
    return data;
}

/// A masked client frame (mask key 0, so the payload is sent as it is).
std::string client_frame(std::uint8_t first_byte, std::string_view payload) {
    std::string frame;
    frame.push_back(static_cast<char>(first_byte));
    frame.push_back(static_cast<char>(0x80U | payload.size())); // payloads under 126 bytes here
    frame.append(4, '\0');
    frame.append(payload);
    return frame;
}

std::string code_bytes(std::uint16_t code) {
    return {static_cast<char>(code >> 8U), static_cast<char>(code & 0xFFU)};
}

class WsFaultsTest : public ::testing::Test {
protected:
    void start_server(net::websocket_endpoint_config endpoint_config = {}) {
        io = std::make_unique<io_threads>(1);
        server = std::make_unique<net::websocket_server>(io->context.get_executor(),
                                                         net::websocket_server_config{});
        endpoint = &server->add_endpoint("/cii", handler, endpoint_config);
        handler.endpoint = endpoint;
        ASSERT_FALSE(server->start());
    }

    void TearDown() override { shut_down(server, io, clients); }

    std::unique_ptr<io_threads> io;
    recording_handler handler;
    closing_handler closer;
    std::unique_ptr<net::websocket_server> server;
    net::websocket_endpoint* endpoint = nullptr;
    std::vector<std::unique_ptr<timed_client>> clients;
};

// ---- 1. ports in use ----

TEST_F(WsFaultsTest, SecondListenerOnAPortInUseFailsButARestartRebindsAtOnce) {
    start_server();
    const auto port = server->local_endpoint().port();
    // A connection the server closes leaves a TIME_WAIT on the server's side.
    {
        raw_peer peer(server->local_endpoint());
        ASSERT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
        ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
        endpoint->close(handler.ids().at(0), net::close_codes::normal);
        const auto frame = read_bytes(peer.socket(), 4);
        EXPECT_EQ(frame, std::string("\x88\x02", 2) + code_bytes(1000));
        peer.write(client_frame(0x88, code_bytes(1000)));
        ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    }

    net::websocket_server_config same;
    same.port = port;
    net::websocket_server second(io->context.get_executor(), same);
    EXPECT_EQ(second.start(), asio::error::address_in_use);
    net::websocket_server_config any = same;
    any.address = asio::ip::address_v4::any();
    net::websocket_server third(io->context.get_executor(), any);
    EXPECT_EQ(third.start(), asio::error::address_in_use);

    // Stopped, the port is free again for the next server despite the TIME_WAIT connection.
    server->stop();
    ASSERT_TRUE(eventually([&] {
        net::websocket_server probe(io->context.get_executor(), same);
        const bool bound = !probe.start();
        probe.stop();
        return bound;
    }));
}

// ---- 2. reconnecting to a server that closes at once ----

TEST_F(WsFaultsTest, ServerThatClosesAtOnceGetsGrowingGaps) {
    const captured_log log(net::log::level::warning);
    io = std::make_unique<io_threads>(1);
    server = std::make_unique<net::websocket_server>(io->context.get_executor(),
                                                     net::websocket_server_config{});
    closer.endpoint = &server->add_endpoint("/cii", closer);
    ASSERT_FALSE(server->start());

    net::websocket_client_config config;
    config.url = url_of(*server, "/cii");
    config.reconnect = true;
    config.reconnect_initial_delay = 50ms;
    config.reconnect_max_delay = 400ms;
    clients.push_back(std::make_unique<timed_client>(io->context, config));
    auto& c = *clients.back();
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.opens().size() >= 7; }, 20s));

    const std::array<std::chrono::milliseconds, 6> expected{50ms,  100ms, 200ms,
                                                            400ms, 400ms, 400ms};
    const auto opens = c.opens();
    const auto notices = c.notices();
    ASSERT_GE(notices.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto gap =
            std::chrono::duration_cast<std::chrono::milliseconds>(opens.at(i + 1) - opens.at(i));
        EXPECT_GE(gap, expected.at(i)) << "gap " << i;
        EXPECT_LT(gap, expected.at(i) + 250ms) << "gap " << i;
        EXPECT_EQ(notices.at(i).retry_in, expected.at(i)) << "notice " << i;
        EXPECT_TRUE(notices.at(i).after_failure) << "notice " << i;
        EXPECT_EQ(notices.at(i).failures_in_a_row, i + 1);
        EXPECT_NE(notices.at(i).message.find("closed right after opening (1001 not now)"),
                  std::string::npos)
            << notices.at(i).message;
    }
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::going_away);
    // Each retry is logged with its wait.
    EXPECT_EQ(log.matching("closed right after opening (1001 not now); retrying in 0.05 s").size(),
              1U)
        << log.all();
    EXPECT_EQ(log.matching("; retrying in 0.1 s").size(), 1U);
    EXPECT_EQ(log.matching("; retrying in 0.2 s").size(), 1U);
    EXPECT_GE(log.matching("; retrying in 0.4 s").size(), 2U);
}

TEST_F(WsFaultsTest, MessageOverTheLimitRightAfterOpeningCountsAsAFailedAttempt) {
    const captured_log log(net::log::level::error);
    io = std::make_unique<io_threads>(1);
    server = std::make_unique<net::websocket_server>(io->context.get_executor(),
                                                     net::websocket_server_config{});
    closer.endpoint = &server->add_endpoint("/cii", closer);
    closer.send_first = 200;
    ASSERT_FALSE(server->start());

    net::websocket_client_config config;
    config.url = url_of(*server, "/cii");
    config.reconnect = true;
    config.reconnect_initial_delay = 20ms;
    config.reconnect_max_delay = 80ms;
    config.read_message_max = 100;
    clients.push_back(std::make_unique<timed_client>(io->context, config));
    auto& c = *clients.back();
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.notices().size() >= 4; }, 10s));
    const auto notices = c.notices();
    EXPECT_EQ(notices.at(0).retry_in, 20ms);
    EXPECT_EQ(notices.at(1).retry_in, 40ms);
    EXPECT_EQ(notices.at(2).retry_in, 80ms);
    EXPECT_EQ(notices.at(3).retry_in, 80ms);
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::too_big);
}

TEST_F(WsFaultsTest, ConnectionThatLivedPastTheStableTimeStartsTheWaitAgain) {
    start_server();
    net::websocket_client_config config;
    config.url = url_of(*server, "/cii");
    config.reconnect = true;
    config.reconnect_initial_delay = 30ms; // stable after 100 ms (the floor)
    config.reconnect_max_delay = 1s;
    ASSERT_EQ(net::reconnect_stable_time(config), 100ms);
    clients.push_back(std::make_unique<timed_client>(io->context, config));
    auto& c = *clients.back();
    ASSERT_FALSE(c.client->start());
    for (std::size_t round = 1; round <= 3; ++round) {
        ASSERT_TRUE(eventually([&] {
            return handler.opened_count() == round && handler.closed_count() == round - 1;
        })) << round;
        std::this_thread::sleep_for(150ms);
        endpoint->close(handler.ids().at(0), net::close_codes::going_away, "restart");
        ASSERT_TRUE(eventually([&] { return c.notices().size() == round; })) << round;
    }
    for (const auto& notice : c.notices()) {
        EXPECT_EQ(notice.retry_in, 30ms);
        EXPECT_FALSE(notice.after_failure);
        EXPECT_EQ(notice.failures_in_a_row, 0U);
    }
}

// ---- 3. close codes ----

TEST_F(WsFaultsTest, CloseFrameThenResetReportsTheCodeThatArrived) {
    // A server (like the reference TV on a clean stop) sends close 1001 and resets the TCP
    // connection at once: the client reports 1001, not "1006 Connection reset by peer".
    const captured_log log;
    io = std::make_unique<io_threads>(1);
    asio::io_context raw_context;
    tcp::acceptor acceptor(raw_context, {asio::ip::address_v4::loopback(), 0});
    const auto port = acceptor.local_endpoint().port();
    std::thread tv([&] {
        boost::beast::websocket::stream<tcp::socket> ws(acceptor.accept());
        ws.accept();
        auto& socket = ws.next_layer();
        asio::write(socket, asio::buffer(std::string("\x88\x05", 2) + code_bytes(1001) + "bye"));
        socket.set_option(asio::socket_base::linger(true, 0)); // close = RST
        socket.close();
    });

    net::websocket_client_config config;
    config.url = "ws://127.0.0.1:" + std::to_string(port) + "/cii";
    clients.push_back(std::make_unique<timed_client>(io->context, config));
    auto& c = *clients.back();
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return !c.closes().empty(); }));
    tv.join();
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::going_away);
    EXPECT_EQ(c.closes().at(0).reason, "bye");
    EXPECT_EQ(log.matching("closed (1001 bye)").size(), 1U) << log.all();
    EXPECT_TRUE(log.matching("1006").empty()) << log.all();
}

TEST_F(WsFaultsTest, ClientCloseThenResetReportsTheCodeThatArrivedOnTheServer) {
    const captured_log log;
    start_server();
    {
        raw_peer peer(server->local_endpoint());
        ASSERT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
        ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
        peer.write(client_frame(0x88, code_bytes(1001)));
        peer.socket().set_option(asio::socket_base::linger(true, 0));
        peer.socket().close();
    }
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    const auto id = handler.opened.at(0).id; // no more callbacks: reading without the lock is safe
    EXPECT_EQ(handler.close_of(id)->code, net::close_codes::going_away);
    EXPECT_EQ(log.matching("closed by the peer (1001)").size(), 1U) << log.all();
}

TEST_F(WsFaultsTest, UnmaskedClientFrameIsClosedWith1002AndReportedAs1002) {
    const captured_log log;
    start_server();
    raw_peer peer(server->local_endpoint());
    ASSERT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    const auto id = handler.ids().at(0);
    peer.write(std::string("\x81\x02hi", 4)); // a text frame without a mask
    EXPECT_EQ(read_bytes(peer.socket(), 4), std::string("\x88\x02", 2) + code_bytes(1002));
    peer.socket().close(); // the server waits for the TCP close after its close frame
    ASSERT_TRUE(eventually([&] { return handler.close_of(id).has_value(); }));
    EXPECT_EQ(handler.close_of(id)->code, net::close_codes::protocol_error);
    EXPECT_EQ(log.matching("The WebSocket frame was unmasked; closed with 1002").size(), 1U)
        << log.all();
    EXPECT_TRUE(log.matching("1006").empty()) << log.all();
}

TEST_F(WsFaultsTest, UnsendableCodesNeverReachTheWire) {
    start_server();
    // The server side: endpoint close with 1005 and 1006 sends a close frame without a code.
    for (const std::uint16_t code : {net::close_codes::no_status, net::close_codes::abnormal}) {
        raw_peer peer(server->local_endpoint());
        ASSERT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
        ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
        const auto id = handler.ids().at(0);
        endpoint->close(id, code, "must not travel");
        EXPECT_EQ(read_bytes(peer.socket(), 2), std::string("\x88\x00", 2)) << code;
        peer.write(client_frame(0x88, {}));
        ASSERT_TRUE(eventually([&] { return handler.close_of(id).has_value(); }));
        EXPECT_EQ(handler.close_of(id)->code, net::close_codes::no_status) << code;
    }
    // The client side: close(1006) sends no code either; a Beast server would fail a frame that
    // carried 1006 with 1002, so the server's on_close shows what travelled.
    net::websocket_client_config config;
    config.url = url_of(*server, "/cii");
    clients.push_back(std::make_unique<timed_client>(io->context, config));
    auto& c = *clients.back();
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    // Open on the client's side too: a close() while its handshake is still completing abandons
    // the attempt (the server then sees the connection drop, 1006), which is not this case.
    ASSERT_TRUE(eventually([&] { return c.opens().size() == 1; }));
    const auto id = handler.ids().at(0);
    c.client->close(net::close_codes::abnormal, "must not travel");
    ASSERT_TRUE(eventually([&] { return handler.close_of(id).has_value(); }));
    EXPECT_EQ(handler.close_of(id)->code, net::close_codes::no_status);
    ASSERT_TRUE(eventually([&] { return !c.closes().empty(); }));
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::no_status);
}

TEST_F(WsFaultsTest, CloseWithoutAStatusIsToleratedAndLoggedAs1005) {
    const captured_log log;
    start_server();
    {
        raw_peer peer(server->local_endpoint());
        ASSERT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
        ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
        const auto id = handler.ids().at(0);
        peer.write(client_frame(0x88, {})); // a close frame without a code
        // The answer carries 1000 (RFC 6455 §5.5.1 echo), never 1005.
        EXPECT_EQ(read_bytes(peer.socket(), 4), std::string("\x88\x02", 2) + code_bytes(1000));
        peer.socket().close();
        ASSERT_TRUE(eventually([&] { return handler.close_of(id).has_value(); }));
        EXPECT_EQ(handler.close_of(id)->code, net::close_codes::no_status);
        EXPECT_EQ(log.matching("closed by the peer (1005 no status code)").size(), 1U) << log.all();
    }
    {
        // A literal 1005 on the wire is a protocol error: answered with 1002.
        raw_peer peer(server->local_endpoint());
        ASSERT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
        ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
        const auto id = handler.ids().at(0);
        peer.write(client_frame(0x88, code_bytes(1005)));
        EXPECT_EQ(read_bytes(peer.socket(), 4), std::string("\x88\x02", 2) + code_bytes(1002));
        peer.socket().close();
        ASSERT_TRUE(eventually([&] { return handler.close_of(id).has_value(); }));
        EXPECT_EQ(handler.close_of(id)->code, net::close_codes::protocol_error);
    }
}

// ---- 4. log lines a peer can cause are rate-limited ----

TEST_F(WsFaultsTest, ThreeThousandBadRequestsLogABoundedNumberOfLines) {
    const captured_log log(net::log::level::debug);
    start_server();
    const auto started = clock_type::now();
    for (int i = 0; i < 3000; ++i) {
        raw_peer peer(server->local_endpoint());
        switch (i % 3) {
        case 0:
            peer.write("GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n"); // 404
            break;
        case 1:
            peer.write("GET /cii HTTP/1.1\r\nHost: x\r\n\r\n"); // 426
            break;
        default:
            peer.write("NOT HTTP AT ALL\r\n\r\n"); // a failed request
            break;
        }
        static_cast<void>(peer.read_http_header());
    }
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - started).count();
    // One limiter for HTTP-level lines: a burst of 10, then at most one a second.
    const auto lines = log.matching("websocket:");
    EXPECT_LE(lines.size(), static_cast<std::size_t>(10 + seconds + 2)) << log.all();
    EXPECT_GE(lines.size(), 10U);

    // After a quiet second, the next line says how many were dropped.
    std::this_thread::sleep_for(1100ms);
    {
        raw_peer peer(server->local_endpoint());
        peer.write("GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n");
        static_cast<void>(peer.read_http_header());
    }
    ASSERT_TRUE(eventually([&] {
        return !log.matching("lines of this kind suppressed, from any peer").empty();
    })) << log.all();
}

TEST_F(WsFaultsTest, RefusalAtTheConnectionLimitSaysWhichLimit) {
    const captured_log log;
    net::websocket_endpoint_config limited;
    limited.max_connections = 1;
    start_server(limited);
    raw_peer first(server->local_endpoint());
    ASSERT_EQ(first.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    raw_peer second(server->local_endpoint());
    EXPECT_EQ(second.upgrade("/cii").rfind("HTTP/1.1 503", 0), 0U);
    ASSERT_TRUE(eventually([&] { return !log.matching("HTTP 503").empty(); }));
    EXPECT_EQ(log.matching("HTTP 503 (connection limit 1 reached)").size(), 1U) << log.all();
}

} // namespace
} // namespace dvbcss::test
