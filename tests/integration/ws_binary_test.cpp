// Binary WebSocket messages and receive times, over loopback: endpoints that refuse binary frames
// (1003) and endpoints that take them, the server's send_binary, the client's on_message, and the
// order of text and binary messages in both directions.
#include "websocket_test_support.hpp"

#include <dvbcss/net/kernel_timestamps.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::test {
namespace {

/// One message as a handler or client saw it, with its receive time.
struct received {
    bool binary = false;
    std::string data;
    std::int64_t received_ns = 0;
};

/// A handler that takes every message through `on_message`, with its receive time.
class message_handler final : public net::websocket_handler {
public:
    void on_open(const net::connection_info& connection) override {
        const std::lock_guard lock(mutex);
        ids.push_back(connection.id);
    }

    void on_text(net::connection_id, std::string_view) override { ++text_calls; }

    void on_message(net::connection_id, const net::incoming_message& message) override {
        const std::lock_guard lock(mutex);
        messages.push_back(
            {message.binary, std::string(message.data), message.received_monotonic_ns});
    }

    void on_close(net::connection_id, const net::close_info& info) override {
        const std::lock_guard lock(mutex);
        closes.push_back(info);
    }

    std::vector<received> all() const {
        const std::lock_guard lock(mutex);
        return messages;
    }

    std::size_t count() const {
        const std::lock_guard lock(mutex);
        return messages.size();
    }

    net::connection_id first_id() const {
        const std::lock_guard lock(mutex);
        return ids.empty() ? 0 : ids.front();
    }

    mutable std::mutex mutex;
    std::vector<net::connection_id> ids;
    std::vector<received> messages;
    std::vector<net::close_info> closes;
    std::atomic<int> text_calls{0};
};

/// A client that takes every message through `on_message`.
class message_client {
public:
    message_client(boost::asio::io_context& context, std::string url) {
        net::websocket_client_config config;
        config.url = std::move(url);
        net::websocket_client_callbacks callbacks;
        callbacks.on_open = [this] {
            opened = true;
        };
        callbacks.on_message = [this](const net::incoming_message& message) {
            const std::lock_guard lock(mutex_);
            messages_.push_back(
                {message.binary, std::string(message.data), message.received_monotonic_ns});
        };
        // Never called while on_message is set.
        callbacks.on_text = [this](std::string_view) {
            ++other_calls;
        };
        callbacks.on_binary = [this](std::size_t) {
            ++other_calls;
        };
        client = std::make_unique<net::websocket_client>(context.get_executor(), std::move(config),
                                                         std::move(callbacks));
    }

    std::vector<received> all() const {
        const std::lock_guard lock(mutex_);
        return messages_;
    }

    std::size_t count() const {
        const std::lock_guard lock(mutex_);
        return messages_.size();
    }

    std::atomic<bool> opened{false};
    std::atomic<int> other_calls{0};
    std::unique_ptr<net::websocket_client> client;

private:
    mutable std::mutex mutex_;
    std::vector<received> messages_;
};

/// Every byte value, then some: a binary payload no text path would carry intact.
std::string all_bytes(std::size_t n = 300) {
    std::string data;
    for (std::size_t i = 0; i < n; ++i) {
        data.push_back(static_cast<char>(i % 256));
    }
    return data;
}

class WsBinaryTest : public ::testing::Test {
protected:
    void start_server(bool accept_binary) {
        io = std::make_unique<io_threads>(1);
        server = std::make_unique<net::websocket_server>(io->context.get_executor(),
                                                         net::websocket_server_config{});
        net::websocket_endpoint_config config;
        config.accept_binary = accept_binary;
        endpoint = &server->add_endpoint("/wc", handler, config);
        ASSERT_FALSE(server->start());
    }

    message_client& connect() {
        clients.push_back(std::make_unique<message_client>(io->context, url_of(*server, "/wc")));
        auto& c = *clients.back();
        EXPECT_FALSE(c.client->start());
        EXPECT_TRUE(eventually([&] { return c.opened.load() && handler.first_id() != 0; }));
        return c;
    }

    void TearDown() override { shut_down(server, io, clients); }

    std::unique_ptr<io_threads> io;
    message_handler handler;
    std::unique_ptr<net::websocket_server> server;
    net::websocket_endpoint* endpoint = nullptr;
    std::vector<std::unique_ptr<message_client>> clients;
};

TEST_F(WsBinaryTest, EndpointWithoutAcceptBinaryStillClosesWith1003) {
    start_server(false);
    auto& c = connect();
    ASSERT_TRUE(c.client->send_binary(all_bytes(8)));
    ASSERT_TRUE(eventually([&] {
        const std::lock_guard lock(handler.mutex);
        return !handler.closes.empty();
    }));
    const std::lock_guard lock(handler.mutex);
    EXPECT_EQ(handler.closes.front().code, net::close_codes::unsupported_data);
    EXPECT_TRUE(handler.messages.empty());
}

TEST_F(WsBinaryTest, BinaryMessageReachesOnMessageWithItsBytesAndReceiveTime) {
    start_server(true);
    auto& c = connect();
    const auto payload = all_bytes();
    const auto before = net::monotonic_now_ns();
    ASSERT_TRUE(c.client->send_binary(payload));
    ASSERT_TRUE(eventually([&] { return handler.count() == 1; }));
    const auto after = net::monotonic_now_ns();
    const auto got = handler.all().front();
    EXPECT_TRUE(got.binary);
    EXPECT_EQ(got.data, payload);
    EXPECT_GE(got.received_ns, before);
    EXPECT_LE(got.received_ns, after);
    EXPECT_EQ(handler.text_calls.load(), 0);
}

TEST_F(WsBinaryTest, DefaultOnMessagePassesTextToOnTextAndDropsBinary) {
    io = std::make_unique<io_threads>(1);
    server = std::make_unique<net::websocket_server>(io->context.get_executor(),
                                                     net::websocket_server_config{});
    recording_handler plain; // overrides on_text only
    net::websocket_endpoint_config config;
    config.accept_binary = true;
    server->add_endpoint("/plain", plain, config);
    ASSERT_FALSE(server->start());
    message_client c(io->context, url_of(*server, "/plain"));
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.opened.load(); }));
    ASSERT_TRUE(c.client->send_binary("\x01\x02"));
    ASSERT_TRUE(c.client->send_text("after the binary"));
    ASSERT_TRUE(eventually([&] {
        const std::lock_guard lock(plain.mutex);
        return plain.texts.size() == 1;
    }));
    {
        const std::lock_guard lock(plain.mutex);
        EXPECT_EQ(plain.texts.begin()->second, std::vector<std::string>{"after the binary"});
        EXPECT_TRUE(plain.closed.empty()); // binary accepted, not closed with 1003
    }
    c.client->close();
    server->stop();
    io->stop(1s);
}

TEST_F(WsBinaryTest, SendBinaryReachesTheClientAsBinaryWithAReceiveTime) {
    start_server(true);
    auto& c = connect();
    const auto payload = all_bytes(32);
    const auto before = net::monotonic_now_ns();
    ASSERT_TRUE(endpoint->send_binary(handler.first_id(), payload));
    ASSERT_TRUE(eventually([&] { return c.count() == 1; }));
    const auto after = net::monotonic_now_ns();
    const auto got = c.all().front();
    EXPECT_TRUE(got.binary);
    EXPECT_EQ(got.data, payload);
    EXPECT_GE(got.received_ns, before);
    EXPECT_LE(got.received_ns, after);
    EXPECT_FALSE(endpoint->send_binary(999999, payload)); // no such connection
}

TEST_F(WsBinaryTest, ClientOnMessageGetsTextAndBinaryWithTimes) {
    start_server(true);
    auto& c = connect();
    const auto id = handler.first_id();
    const auto before = net::monotonic_now_ns();
    ASSERT_TRUE(endpoint->send(id, "{\"hello\":1}"));
    ASSERT_TRUE(endpoint->send_binary(id, all_bytes(4)));
    ASSERT_TRUE(eventually([&] { return c.count() == 2; }));
    const auto after = net::monotonic_now_ns();
    const auto got = c.all();
    EXPECT_FALSE(got[0].binary);
    EXPECT_EQ(got[0].data, "{\"hello\":1}");
    EXPECT_TRUE(got[1].binary);
    EXPECT_EQ(got[1].data, all_bytes(4));
    EXPECT_GE(got[0].received_ns, before);
    EXPECT_LE(got[0].received_ns, got[1].received_ns);
    EXPECT_LE(got[1].received_ns, after);
    EXPECT_EQ(c.other_calls.load(), 0);
}

TEST_F(WsBinaryTest, TextAndBinaryInterleaveInOrderBothWays) {
    start_server(true);
    auto& c = connect();
    const auto id = handler.first_id();
    constexpr int n = 60; // under the default outbox bound (64) on both sides
    const auto payload_of = [](int i) {
        return i % 2 == 0 ? "text " + std::to_string(i)
                          : std::string(1, '\0') + std::to_string(i) + std::string(1, '\xff');
    };
    for (int i = 0; i < n; ++i) {
        if (i % 2 == 0) {
            ASSERT_TRUE(c.client->send_text(payload_of(i)));
            ASSERT_TRUE(endpoint->send(id, payload_of(i)));
        } else {
            ASSERT_TRUE(c.client->send_binary(payload_of(i)));
            ASSERT_TRUE(endpoint->send_binary(id, payload_of(i)));
        }
    }
    ASSERT_TRUE(eventually([&] { return handler.count() == n && c.count() == n; }))
        << handler.count() << " " << c.count();
    const auto at_server = handler.all();
    const auto at_client = c.all();
    for (int i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(i);
        EXPECT_EQ(at_server[k].binary, i % 2 == 1) << i;
        EXPECT_EQ(at_server[k].data, payload_of(i)) << i;
        EXPECT_EQ(at_client[k].binary, i % 2 == 1) << i;
        EXPECT_EQ(at_client[k].data, payload_of(i)) << i;
        if (k > 0) {
            EXPECT_LE(at_server[k - 1].received_ns, at_server[k].received_ns) << i;
            EXPECT_LE(at_client[k - 1].received_ns, at_client[k].received_ns) << i;
        }
    }
}

TEST_F(WsBinaryTest, ClientWithoutOnMessageKeepsOnTextAndOnBinary) {
    start_server(true);
    recording_client c(io->context, [&] {
        net::websocket_client_config config;
        config.url = url_of(*server, "/wc");
        return config;
    }());
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.opens() == 1 && handler.first_id() != 0; }));
    const auto id = handler.first_id();
    ASSERT_TRUE(endpoint->send(id, "text"));
    ASSERT_TRUE(endpoint->send_binary(id, all_bytes(7)));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1 && c.binaries().size() == 1; }));
    EXPECT_EQ(c.texts().front(), "text");
    EXPECT_EQ(c.binaries().front(), 7U);
    c.client->close();
    server->stop();
    io->stop(1s); // the client is destroyed once its io_context no longer runs
}

} // namespace
} // namespace dvbcss::test
