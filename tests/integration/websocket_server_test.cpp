// The generic WebSocket server and client over loopback: routing, refusals, limits, close codes,
// slow peers, keep-alive, reconnection and stop.
#include "websocket_test_support.hpp"

#include <dvbcss/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

class WebSocketServerTest : public ::testing::Test {
protected:
    void start_server(net::websocket_server_config config = {}, int threads = 1) {
        io = std::make_unique<io_threads>(threads);
        server = std::make_unique<net::websocket_server>(io->context.get_executor(), config);
    }

    net::websocket_endpoint& add(const std::string& path, recording_handler& h,
                                 net::websocket_endpoint_config config = {}) {
        auto& endpoint = server->add_endpoint(path, h, config);
        h.endpoint = &endpoint;
        return endpoint;
    }

    void listen() { ASSERT_FALSE(server->start()); }

    recording_client& connect(const std::string& path, net::websocket_client_config config = {}) {
        config.url = url_of(*server, path);
        clients.push_back(std::make_unique<recording_client>(io->context, std::move(config)));
        EXPECT_FALSE(clients.back()->client->start());
        return *clients.back();
    }

    void TearDown() override { shut_down(server, io, clients); }

    // Destroyed in reverse order: clients and server before the handlers, the io_context last.
    std::unique_ptr<io_threads> io;
    recording_handler handler;
    recording_handler other_handler;
    std::unique_ptr<net::websocket_server> server;
    std::vector<std::unique_ptr<recording_client>> clients;
};

TEST_F(WebSocketServerTest, EchoesTextAndReportsOpenAndClose) {
    start_server();
    handler.echo = true;
    add("/echo", handler);
    listen();
    ASSERT_NE(server->local_endpoint().port(), 0);

    auto& c = connect("/echo");
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));
    ASSERT_TRUE(c.client->send_text("hello"));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_EQ(c.texts().at(0), "hello");

    ASSERT_EQ(handler.opened_count(), 1U);
    const auto info = handler.opened.at(0);
    EXPECT_EQ(info.path, "/echo");
    EXPECT_EQ(info.local.port(), server->local_endpoint().port());
    EXPECT_TRUE(info.remote.address().is_loopback());

    c.client->close(net::close_codes::normal, "bye");
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    EXPECT_EQ(handler.close_of(info.id)->code, net::close_codes::normal);
    EXPECT_EQ(handler.close_of(info.id)->reason, "bye");
    ASSERT_TRUE(eventually([&] { return c.finished(); }));
    ASSERT_EQ(c.closes().size(), 1U);
}

TEST_F(WebSocketServerTest, RoutesByPathToSeparateHandlers) {
    start_server();
    add("/cii", handler);
    add("/ts", other_handler);
    listen();
    auto& a = connect("/cii");
    auto& b = connect("/ts?x=1");
    ASSERT_TRUE(eventually([&] { return a.client->is_open() && b.client->is_open(); }));
    a.client->send_text("to cii");
    b.client->send_text("to ts");
    ASSERT_TRUE(eventually([&] {
        const std::lock_guard l1(handler.mutex);
        const std::lock_guard l2(other_handler.mutex);
        return handler.texts.size() == 1 && other_handler.texts.size() == 1;
    }));
    EXPECT_EQ(handler.texts.begin()->second.at(0), "to cii");
    EXPECT_EQ(other_handler.texts.begin()->second.at(0), "to ts");
    EXPECT_EQ(other_handler.opened.at(0).path, "/ts");
}

TEST_F(WebSocketServerTest, UnknownPathGets404) {
    start_server();
    add("/cii", handler);
    listen();
    auto& c = connect("/nothing-here");
    ASSERT_TRUE(eventually([&] { return c.finished(); }));
    ASSERT_EQ(c.failures().size(), 1U);
    EXPECT_EQ(c.failures().at(0).http_status, 404U);
    EXPECT_EQ(c.opens(), 0);
    EXPECT_EQ(handler.opened_count(), 0U);
}

TEST_F(WebSocketServerTest, PlainHttpRequestsGetStatusLines) {
    start_server();
    add("/cii", handler);
    listen();
    {
        raw_peer peer(server->local_endpoint());
        peer.write("GET /cii HTTP/1.1\r\nHost: localhost\r\n\r\n");
        EXPECT_EQ(peer.read_http_header().rfind("HTTP/1.1 426", 0), 0U);
    }
    {
        raw_peer peer(server->local_endpoint());
        peer.write("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n");
        EXPECT_EQ(peer.read_http_header().rfind("HTTP/1.1 404", 0), 0U);
    }
    {
        raw_peer peer(server->local_endpoint());
        EXPECT_EQ(peer.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    }
    {
        // A header block over the limit is refused without an answer; the server carries on.
        raw_peer peer(server->local_endpoint());
        peer.write("GET /cii HTTP/1.1\r\nX-Long: " + std::string(20000, 'a') + "\r\n\r\n");
        EXPECT_EQ(peer.read_http_header().find("HTTP/1.1 101"), std::string::npos);
    }
    auto& c = connect("/cii");
    EXPECT_TRUE(eventually([&] { return c.client->is_open(); }));
}

TEST_F(WebSocketServerTest, ConnectionLimitGives503AndFreesSlotsOnClose) {
    start_server();
    net::websocket_endpoint_config config;
    config.max_connections = 2;
    add("/cii", handler, config);
    listen();
    auto& a = connect("/cii");
    auto& b = connect("/cii");
    ASSERT_TRUE(eventually([&] { return a.client->is_open() && b.client->is_open(); }));
    auto& refused = connect("/cii");
    ASSERT_TRUE(eventually([&] { return refused.finished(); }));
    ASSERT_EQ(refused.failures().size(), 1U);
    EXPECT_EQ(refused.failures().at(0).http_status, 503U);

    a.client->close();
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    auto& later = connect("/cii");
    EXPECT_TRUE(eventually([&] { return later.client->is_open(); }));
    EXPECT_EQ(handler.open_count(), 2U);
}

TEST_F(WebSocketServerTest, ConnectionLimitIsExactUnderConcurrency) {
    start_server({}, 2);
    net::websocket_endpoint_config config;
    config.max_connections = 5;
    auto& endpoint = add("/cii", handler, config);
    listen();
    constexpr int attempts = 40;
    for (int i = 0; i < attempts; ++i) {
        connect("/cii");
    }
    ASSERT_TRUE(eventually([&] {
        return std::all_of(clients.begin(), clients.end(),
                           [](const auto& c) { return c->opens() == 1 || !c->failures().empty(); });
    }));
    int opened = 0;
    int refused = 0;
    for (const auto& c : clients) {
        opened += c->opens();
        const auto failures = c->failures();
        if (!failures.empty()) {
            EXPECT_EQ(failures.at(0).http_status, 503U);
            ++refused;
        }
    }
    EXPECT_EQ(opened, 5);
    EXPECT_EQ(refused, attempts - 5);
    EXPECT_EQ(endpoint.connection_count(), 5U);
    EXPECT_EQ(handler.opened_count(), 5U);
}

TEST_F(WebSocketServerTest, DisablingClosesWith1001AndReportsEveryDisconnect) {
    start_server();
    auto& endpoint = add("/cii", handler);
    listen();
    for (int i = 0; i < 3; ++i) {
        connect("/cii");
    }
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 3; }));

    endpoint.set_enabled(false);
    EXPECT_FALSE(endpoint.enabled());
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 3; }));
    for (const auto& [id, info] : handler.closed) {
        EXPECT_EQ(info.code, net::close_codes::going_away) << "connection " << id;
    }
    for (const auto& c : clients) {
        ASSERT_TRUE(eventually([&] { return c->closes().size() == 1; }));
        EXPECT_EQ(c->closes().at(0).code, net::close_codes::going_away);
    }
    EXPECT_EQ(endpoint.connection_count(), 0U);

    auto& refused = connect("/cii");
    ASSERT_TRUE(eventually([&] { return refused.finished(); }));
    EXPECT_EQ(refused.failures().at(0).http_status, 403U);

    endpoint.set_enabled(true);
    auto& again = connect("/cii");
    EXPECT_TRUE(eventually([&] { return again.client->is_open(); }));
}

TEST_F(WebSocketServerTest, BinaryFrameIsClosedWith1003) {
    start_server();
    add("/cii", handler);
    listen();
    auto& c = connect("/cii");
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));
    ASSERT_TRUE(c.client->send_binary(std::string("\x01\x02\x03", 3)));
    ASSERT_TRUE(eventually([&] { return c.closes().size() == 1; }));
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::unsupported_data);
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    EXPECT_EQ(handler.closed.begin()->second.code, net::close_codes::unsupported_data);
    const std::lock_guard lock(handler.mutex);
    EXPECT_TRUE(handler.texts.empty());
}

TEST_F(WebSocketServerTest, OversizeMessageIsClosedWith1009) {
    net::websocket_server_config config;
    config.read_message_max = 1024;
    start_server(config);
    handler.echo = true;
    add("/cii", handler);
    listen();
    auto& c = connect("/cii");
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));
    ASSERT_TRUE(c.client->send_text(std::string(1024, 'a')));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    ASSERT_TRUE(c.client->send_text(std::string(1025, 'b')));
    ASSERT_TRUE(eventually([&] { return c.closes().size() == 1; }));
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::too_big);
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    EXPECT_EQ(handler.closed.begin()->second.code, net::close_codes::too_big);
}

// The server reads a message in steps of a few hundred bytes (so that an idle connection's pending
// read holds little memory): messages around and far above that step still arrive whole, in order.
TEST_F(WebSocketServerTest, MessagesOfAnySizeArriveWholeAndInOrder) {
    start_server();
    handler.echo = true;
    add("/cii", handler);
    listen();
    auto& c = connect("/cii");
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));
    std::vector<std::string> sent;
    for (const std::size_t size : {1U, 255U, 256U, 257U, 512U, 5000U, 60000U, 3U}) {
        std::string text(size, 'a');
        for (std::size_t i = 0; i < size; ++i) {
            text[i] = static_cast<char>('a' + (i * 7 + size) % 26);
        }
        ASSERT_TRUE(c.client->send_text(text));
        sent.push_back(std::move(text));
    }
    ASSERT_TRUE(eventually([&] { return c.text_count() == sent.size(); }));
    EXPECT_EQ(c.texts(), sent);
    const std::lock_guard lock(handler.mutex);
    ASSERT_EQ(handler.texts.size(), 1U);
    EXPECT_EQ(handler.texts.begin()->second, sent);
}

TEST_F(WebSocketServerTest, StalledPeerOverflowsItsOutboxWithoutHoldingBackOthers) {
    net::websocket_server_config config;
    config.close_timeout = 300ms;
    start_server(config);
    net::websocket_endpoint_config endpoint_config;
    endpoint_config.max_outbox_messages = 8;
    auto& endpoint = add("/push", handler, endpoint_config);
    listen();

    raw_peer stalled(server->local_endpoint(), 4096);
    ASSERT_EQ(stalled.upgrade("/push").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    const auto stalled_id = handler.ids().at(0);

    net::websocket_client_config fast_config;
    fast_config.read_message_max = 1 << 20;
    auto& fast = connect("/push", fast_config);
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 2; }));
    const auto fast_id = handler.ids().at(1);

    const std::string payload(32 * 1024, 'x');
    std::size_t sent = 0;
    const auto start = std::chrono::steady_clock::now();
    while (!handler.close_of(stalled_id) && std::chrono::steady_clock::now() - start < 20s) {
        endpoint.send(stalled_id, payload);
        ASSERT_TRUE(endpoint.send(fast_id, payload));
        ++sent;
        // Paced by the fast peer, not by a fixed period: it has every message before the next is
        // queued, so its outbox never fills however slowly this machine runs (sanitizers, load),
        // while the stalled peer's kernel buffers and then its outbox keep growing.
        ASSERT_TRUE(eventually([&] { return fast.text_count() == sent; }))
            << "message " << sent << " never reached the fast peer";
    }
    ASSERT_TRUE(handler.close_of(stalled_id).has_value()) << "stalled peer never closed";
    EXPECT_EQ(handler.close_of(stalled_id)->code, net::close_codes::policy_violation);
    // Every message to the fast peer arrived, and it is still connected.
    ASSERT_TRUE(eventually([&] { return fast.text_count() == sent; }));
    EXPECT_TRUE(fast.client->is_open());
    EXPECT_FALSE(handler.close_of(fast_id).has_value());
}

TEST_F(WebSocketServerTest, KeepAliveDropsASilentPeerButKeepsALiveOne) {
    net::websocket_server_config config;
    config.idle_timeout = 400ms;
    start_server(config);
    add("/cii", handler);
    listen();
    raw_peer silent(server->local_endpoint());
    ASSERT_EQ(silent.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    auto& live = connect("/cii");
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 2; }));
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }, 5s));
    EXPECT_EQ(handler.closed.begin()->second.code, net::close_codes::abnormal);
    std::this_thread::sleep_for(1s); // more than two idle periods: the live peer answers pings
    EXPECT_TRUE(live.client->is_open());
    EXPECT_EQ(handler.open_count(), 1U);
}

TEST_F(WebSocketServerTest, PendingOutputIsPulledWhenTheSocketIsReady) {
    start_server();
    auto& endpoint = add("/state", handler);
    std::atomic<int> version{0};
    handler.pending_text = [&](net::connection_id) {
        return std::optional<std::string>("v" + std::to_string(version.load()));
    };
    listen();
    auto& c = connect("/state");
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    const auto id = handler.ids().at(0);
    version = 1;
    ASSERT_TRUE(endpoint.notify(id));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_EQ(c.texts().at(0), "v1");
    version = 2;
    endpoint.notify_all();
    ASSERT_TRUE(eventually([&] { return c.text_count() == 2; }));
    EXPECT_EQ(c.texts().at(1), "v2");
    EXPECT_FALSE(endpoint.notify(id + 1000));
}

TEST_F(WebSocketServerTest, OfferedMessagesAreSentAndANullOneIsNot) {
    start_server();
    auto& endpoint = add("/state", handler);
    listen();
    auto& c = connect("/state");
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    const auto id = handler.ids().at(0);
    std::atomic<int> computed{0};
    const auto message = [&](std::string text) {
        return [&computed, text = std::move(text)](net::connection_id) {
            ++computed;
            return std::make_shared<const std::string>(text);
        };
    };
    const net::connection_id ids[] = {id, id + 1000}; // the second is not open: skipped
    EXPECT_EQ(endpoint.offer(ids, message("a")), 1U);
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_EQ(c.texts().at(0), "a");
    // Null from compute: nothing is sent and the slot stays free.
    EXPECT_EQ(endpoint.offer(ids, [](net::connection_id) { return nullptr; }), 0U);
    EXPECT_EQ(endpoint.offer(ids, message("b")), 1U);
    ASSERT_TRUE(eventually([&] { return c.text_count() == 2; }));
    EXPECT_EQ(c.texts().at(1), "b");
    EXPECT_EQ(computed, 2);
    EXPECT_EQ(handler.ready_for_next_count(id), 0);
}

TEST_F(WebSocketServerTest, AnOfferToAConnectionStillHoldingOneIsNotComputedButAskedForLater) {
    start_server();
    net::websocket_endpoint_config config;
    config.max_outbox_bytes = 16 * 1024 * 1024;
    auto& endpoint = add("/state", handler, config);
    listen();
    raw_peer slow(server->local_endpoint(), 4096);
    ASSERT_EQ(slow.upgrade("/state").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    const auto id = handler.ids().at(0);
    // A message the peer does not read, larger than the kernel's buffers take (4 MiB of send
    // buffer at most here), keeps the writer busy: what is offered next waits.
    ASSERT_TRUE(endpoint.send(id, std::string(8 * 1024 * 1024, 'x')));
    std::this_thread::sleep_for(200ms);
    int computed = 0;
    const auto message = [&computed](net::connection_id) {
        ++computed;
        return std::make_shared<const std::string>("offered");
    };
    const net::connection_id ids[] = {id};
    EXPECT_EQ(endpoint.offer(ids, message), 1U); // left in the slot
    EXPECT_EQ(endpoint.offer(ids, message), 0U); // the slot is full: not computed, marked
    EXPECT_EQ(endpoint.offer(ids, message), 0U);
    EXPECT_EQ(computed, 1);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(handler.ready_for_next_count(id), 0); // still not taken
    // The peer reads everything: the session takes the offered message, and the handler is asked
    // once for the next.
    std::string received;
    char chunk[65536];
    while (received.find("offered") == std::string::npos) {
        boost::system::error_code ec;
        const auto n = slow.socket().read_some(boost::asio::buffer(chunk), ec);
        ASSERT_FALSE(ec) << ec.message();
        received.append(chunk, n);
    }
    ASSERT_TRUE(eventually([&] { return handler.ready_for_next_count(id) == 1; }));
    EXPECT_EQ(endpoint.offer(ids, message), 1U); // free again
    EXPECT_EQ(computed, 2);
}

TEST_F(WebSocketServerTest, ServerCloseReachesClientWithCodeAndReason) {
    start_server();
    auto& endpoint = add("/cii", handler);
    listen();
    auto& c = connect("/cii");
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    ASSERT_TRUE(endpoint.close(handler.ids().at(0), net::close_codes::try_again_later, "later"));
    ASSERT_TRUE(eventually([&] { return c.closes().size() == 1; }));
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::try_again_later);
    EXPECT_EQ(c.closes().at(0).reason, "later");
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
}

TEST_F(WebSocketServerTest, StopClosesEveryConnectionWith1001AndLetsTheContextFinish) {
    start_server();
    add("/cii", handler);
    listen();
    auto& a = connect("/cii");
    auto& b = connect("/cii");
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 2; }));
    raw_peer half_open(server->local_endpoint()); // connected, never sends a request
    server->stop();
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 2; }));
    for (const auto& [id, info] : handler.closed) {
        EXPECT_EQ(info.code, net::close_codes::going_away);
    }
    ASSERT_TRUE(eventually([&] { return a.finished() && b.finished(); }));
    EXPECT_EQ(a.closes().at(0).code, net::close_codes::going_away);
    // With the clients finished and the server stopped, nothing is left to run.
    io->stop(5s);
    EXPECT_TRUE(io->context.stopped());
}

TEST_F(WebSocketServerTest, ServesIPv6Loopback) {
    net::websocket_server_config config;
    config.address = boost::asio::ip::address_v6::loopback();
    start_server(config);
    add("/cii", handler);
    if (server->start()) {
        GTEST_SKIP() << "no IPv6 loopback on this machine";
    }
    handler.echo = true;
    auto& c = connect("/cii");
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));
    c.client->send_text("six");
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_TRUE(handler.opened.at(0).local.address().is_v6());
}

TEST_F(WebSocketServerTest, DualStackServerAcceptsIPv4) {
    net::websocket_server_config config;
    config.address = boost::asio::ip::address_v6::any();
    start_server(config);
    add("/cii", handler);
    if (server->start()) {
        GTEST_SKIP() << "no IPv6 on this machine";
    }
    net::websocket_client_config client_config;
    client_config.url =
        "ws://127.0.0.1:" + std::to_string(server->local_endpoint().port()) + "/cii";
    clients.push_back(std::make_unique<recording_client>(io->context, client_config));
    ASSERT_FALSE(clients.back()->client->start());
    EXPECT_TRUE(eventually([&] { return clients.back()->client->is_open(); }));
}

TEST_F(WebSocketServerTest, AddEndpointRejectsBadOrDuplicatePaths) {
    start_server();
    add("/cii", handler);
    EXPECT_THROW(server->add_endpoint("/cii", other_handler), std::invalid_argument);
    EXPECT_THROW(server->add_endpoint("cii", other_handler), std::invalid_argument);
}

TEST_F(WebSocketServerTest, BindFailureIsReported) {
    start_server();
    add("/cii", handler);
    listen();
    net::websocket_server_config config;
    config.port = server->local_endpoint().port();
    net::websocket_server second(io->context.get_executor(), config);
    // SO_REUSEADDR on Linux allows rebinding over TIME_WAIT connections only, never a second
    // listener on a port in use.
    EXPECT_EQ(second.start(), boost::asio::error::address_in_use);
    EXPECT_EQ(second.local_endpoint().port(), 0);
}

TEST_F(WebSocketServerTest, StartsOnceAndNotAfterStop) {
    start_server();
    add("/cii", handler);
    listen();
    const auto port = server->local_endpoint().port();
    EXPECT_EQ(server->start(), boost::asio::error::already_started);
    EXPECT_EQ(server->local_endpoint().port(), port);
    auto& c = connect("/cii");
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));

    net::websocket_server stopped(io->context.get_executor(), {});
    stopped.stop();
    EXPECT_EQ(stopped.start(), boost::asio::error::operation_aborted);
    EXPECT_EQ(stopped.local_endpoint().port(), 0);
}

TEST_F(WebSocketServerTest, StartRacingStopFromAnotherThreadLeavesNothingListening) {
    // Either order is allowed; whichever wins, the server ends up stopped with no accept loop,
    // and (under ThreadSanitizer) the acceptor is never touched by two threads at once.
    io = std::make_unique<io_threads>(2);
    for (int round = 0; round < 50; ++round) {
        net::websocket_server racing(io->context.get_executor(), {});
        std::atomic<bool> go{false};
        std::thread stopper([&] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            racing.stop();
        });
        go.store(true);
        const auto ec = racing.start();
        stopper.join();
        if (ec) {
            EXPECT_EQ(ec, boost::asio::error::operation_aborted);
            continue;
        }
        // Started first: the acceptor close that stop posted runs after the accept loop was
        // spawned, so the port soon refuses connections.
        const auto bound = racing.local_endpoint();
        ASSERT_NE(bound.port(), 0);
        ASSERT_TRUE(eventually([&] {
            boost::asio::io_context probe_context;
            boost::asio::ip::tcp::socket probe(probe_context);
            boost::system::error_code probe_ec;
            probe.connect(bound, probe_ec);
            return probe_ec == boost::asio::error::connection_refused;
        })) << "round "
            << round << ": still listening after stop";
    }
}

// ---- client ----

TEST_F(WebSocketServerTest, ClientConnectTimeoutWhenServerNeverAnswers) {
    io = std::make_unique<io_threads>(1);
    boost::asio::ip::tcp::acceptor mute(io->context, {boost::asio::ip::address_v4::loopback(), 0});
    net::websocket_client_config config;
    config.url = "ws://127.0.0.1:" + std::to_string(mute.local_endpoint().port()) + "/cii";
    config.connect_timeout = 300ms;
    clients.push_back(std::make_unique<recording_client>(io->context, config));
    auto& c = *clients.back();
    const auto start = std::chrono::steady_clock::now();
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.finished(); }));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    ASSERT_EQ(c.failures().size(), 1U);
    EXPECT_EQ(c.failures().at(0).error, make_error_code(errc::timeout));
}

TEST_F(WebSocketServerTest, ClientRejectsNonWsUrls) {
    io = std::make_unique<io_threads>(1);
    net::websocket_client_config config;
    config.url = "wss://example.com/cii";
    recording_client c(io->context, config);
    EXPECT_TRUE(c.client->start());
}

TEST_F(WebSocketServerTest, ClientReconnectsWithExponentialBackoff) {
    start_server();
    add("/cii", handler);
    listen();
    net::websocket_client_config config;
    config.reconnect = true;
    config.reconnect_initial_delay = 50ms;
    config.reconnect_max_delay = 200ms;
    config.connect_timeout = 1s;
    auto& c = connect("/cii", config);
    ASSERT_TRUE(eventually([&] { return c.opens() == 1; }));

    server->stop(); // the client loses its connection, then finds nobody listening
    ASSERT_TRUE(eventually([&] { return c.failures().size() >= 4; }));
    const auto failures = c.failures();
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::going_away);
    EXPECT_EQ(failures.at(0).retry_in, 100ms); // 50 ms after the close, then doubled
    EXPECT_EQ(failures.at(1).retry_in, 200ms);
    EXPECT_EQ(failures.at(2).retry_in, 200ms); // capped
    EXPECT_FALSE(c.finished());
    c.client->close();
    EXPECT_TRUE(eventually([&] { return c.finished(); }));
}

TEST_F(WebSocketServerTest, ClientReconnectsToARestartedServer) {
    start_server();
    add("/cii", handler);
    listen();
    const auto port = server->local_endpoint().port();
    net::websocket_client_config config;
    config.reconnect = true;
    config.reconnect_initial_delay = 50ms;
    config.reconnect_max_delay = 100ms;
    auto& c = connect("/cii", config);
    ASSERT_TRUE(eventually([&] { return c.opens() == 1; }));
    server->stop();
    ASSERT_TRUE(eventually([&] { return !c.failures().empty(); }));

    net::websocket_server_config again;
    again.port = port;
    net::websocket_server second(io->context.get_executor(), again);
    second.add_endpoint("/cii", other_handler);
    ASSERT_FALSE(second.start());
    EXPECT_TRUE(eventually([&] { return c.opens() == 2; }));
    c.client->close();
    EXPECT_TRUE(eventually([&] { return other_handler.closed_count() == 1; }));
    second.stop();
}

TEST_F(WebSocketServerTest, ClientOutboxIsBounded) {
    start_server();
    add("/cii", handler);
    listen();
    net::websocket_client_config config;
    config.max_outbox_messages = 4;
    auto& c = connect("/cii", config);
    EXPECT_FALSE(c.client->send_text("too early"));
    ASSERT_TRUE(eventually([&] { return c.client->is_open(); }));
    // All 100 in one handler on the client's own (only) io thread: its writer cannot drain the
    // outbox in between, however the machine schedules the threads.
    std::promise<int> accepted_promise;
    boost::asio::post(io->context, [&] {
        int accepted = 0;
        for (int i = 0; i < 100; ++i) {
            accepted += c.client->send_text("m") ? 1 : 0;
        }
        accepted_promise.set_value(accepted);
    });
    const int accepted = accepted_promise.get_future().get();
    EXPECT_GE(accepted, 4);
    EXPECT_LE(accepted, 5); // the outbox's 4, and one already being written
}

} // namespace
} // namespace dvbcss::test
