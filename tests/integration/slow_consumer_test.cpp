// Companions that stop reading, over loopback, while 20 others follow every change:
// - CSS-CII (output pulled by the adapter): a silent non-reader costs one message and is dropped
//   by the keep-alive; a chatty non-reader (it keeps sending, so it never looks idle) also costs
//   one message, however many changes go by; the 20 others get every change promptly.
// - A pushing endpoint (websocket_endpoint::send): a non-reader's outbox fills and it is closed
//   with the endpoint's configured overflow code; the 20 others get every message.
// Server memory is read as this process's resident size, which also holds the companions: the
// bounds are far below what queuing every message for the non-readers would take.
#include "hostile_support.hpp"

#include <dvbcss/json/private_data.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr int followers = 20;

/// A client that keeps only the count of its messages and the last one (so that 20 of them,
/// given hundreds of large messages, hold little memory themselves).
class latest_client {
public:
    latest_client(boost::asio::io_context& context, const std::string& url) {
        net::websocket_client_config config;
        config.url = url;
        config.read_message_max = 1 << 20;
        net::websocket_client_callbacks callbacks;
        callbacks.on_open = [this] {
            const std::lock_guard lock(mutex_);
            open_ = true;
        };
        callbacks.on_text = [this](std::string_view text) {
            const std::lock_guard lock(mutex_);
            ++count_;
            last_.assign(text.substr(0, 200));
        };
        callbacks.on_close = [this](const net::close_info& info) {
            const std::lock_guard lock(mutex_);
            open_ = false;
            close_code_ = info.code;
        };
        client = std::make_unique<net::websocket_client>(context.get_executor(), config,
                                                         std::move(callbacks));
    }

    std::size_t count() const {
        const std::lock_guard lock(mutex_);
        return count_;
    }

    std::string last() const {
        const std::lock_guard lock(mutex_);
        return last_;
    }

    bool open() const {
        const std::lock_guard lock(mutex_);
        return open_;
    }

    int close_code() const {
        const std::lock_guard lock(mutex_);
        return close_code_;
    }

    std::unique_ptr<net::websocket_client> client;

private:
    mutable std::mutex mutex_;
    bool open_ = false;
    std::size_t count_ = 0;
    std::string last_;
    int close_code_ = 0;
};

/// p-th fraction of `values` (sorted copy).
clock_type::duration percentile(std::vector<clock_type::duration> values, double p) {
    std::sort(values.begin(), values.end());
    const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
    return values.at(at);
}

std::string ms(clock_type::duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100) + " ms";
}

/// Two CSS-CII non-readers beside twenty followers of 300 large changes, on a pretend TV whose
/// sessions run on `session_threads` threads of the server's (0: on the owner).
void non_readers_beside_followers(std::size_t session_threads) {
    std::vector<std::unique_ptr<latest_client>> others; // destroyed once the io thread stopped
    net::websocket_server_config transport;
    transport.idle_timeout = 3s;
    transport.close_timeout = 500ms;
    transport.session_threads = session_threads;
    pretend_tv tv(transport);
    ASSERT_TRUE(tv.started);

    for (int i = 0; i < followers; ++i) {
        others.push_back(std::make_unique<latest_client>(tv.io.context, tv.url("/cii")));
        ASSERT_FALSE(others.back()->client->start());
    }
    ASSERT_TRUE(eventually([&] {
        return std::all_of(others.begin(), others.end(),
                           [](const auto& c) { return c->count() == 1; });
    }));
    // Two non-readers with tiny receive buffers: one silent, one that sends a text every 200 ms.
    hostile_peer silent(tv.endpoint(), 4096);
    ASSERT_EQ(silent.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    hostile_peer chatty(tv.endpoint(), 4096);
    ASSERT_EQ(chatty.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return tv.cii.endpoint().connection_count() == followers + 2; }));

    // 300 changes of about 48 KB each (private data that differs every time): 14 MB per
    // companion in all.
    const auto rss_before = resident_bytes();
    constexpr int changes = 300;
    std::vector<clock_type::duration> latencies;
    auto last_chat = clock_type::now();
    bool silent_dropped_in_time = false;
    const auto started = clock_type::now();
    for (int i = 0; i < changes; ++i) {
        auto m = cii_for("dvb://change/" + std::to_string(i));
        auto data = json::private_data::parse(
            R"([{"type":"urn:test:fill","n":)" + std::to_string(i) + R"(,"pad":")" +
            std::string(48000, static_cast<char>('a' + i % 26)) + R"("}])");
        ASSERT_TRUE(data);
        m.private_data = *data;
        const auto sent = clock_type::now();
        tv.cii.set_cii(m);
        const auto want = static_cast<std::size_t>(i) + 2;
        ASSERT_TRUE(eventually([&] {
            return std::all_of(others.begin(), others.end(),
                               [&](const auto& c) { return c->count() >= want; });
        })) << "change "
            << i << " did not reach every follower";
        latencies.push_back(clock_type::now() - sent);
        for (const auto& c : others) {
            ASSERT_NE(c->last().find("dvb://change/" + std::to_string(i)), std::string::npos);
        }
        if (clock_type::now() - last_chat > 200ms) {
            // Never blocks: a small frame, and the server keeps reading this peer.
            ASSERT_TRUE(chatty.write(ws_frame(opcode::text, "still here"), 2s));
            last_chat = clock_type::now();
        }
        if (!silent_dropped_in_time && tv.cii.endpoint().connection_count() == followers + 1) {
            silent_dropped_in_time = clock_type::now() - started < 10s;
        }
    }
    // Keep the chatty one talking until the silent one has had time to be dropped.
    const auto end = clock_type::now() + 8s;
    while (tv.cii.endpoint().connection_count() > followers + 1 && clock_type::now() < end) {
        ASSERT_TRUE(chatty.write(ws_frame(opcode::text, "still here"), 2s));
        std::this_thread::sleep_for(200ms);
    }
    const auto rss_after = resident_bytes();
    const auto grown = rss_after > rss_before ? rss_after - rss_before : 0;
    std::cout << "[ figures ] " << changes << " CII changes of 48 KB to " << followers
              << " followers: latency p50 " << ms(percentile(latencies, 0.5)) << ", p99 "
              << ms(percentile(latencies, 0.99)) << ", max " << ms(percentile(latencies, 1.0))
              << "; resident memory grew " << grown / 1024 << " KiB" << std::endl;

    EXPECT_LT(percentile(latencies, 0.99), 2s);
    // The silent one is dropped by the keep-alive (3 s without a byte from it).
    EXPECT_EQ(tv.cii.endpoint().connection_count(), static_cast<std::size_t>(followers) + 1);
    EXPECT_TRUE(silent.closed_by_server(5s));
    // The chatty one is still there, holding one message, not 300: had the server queued every
    // change for the two, it would hold 28 MB.
    EXPECT_FALSE(chatty.closed_by_server(0ms));
    if (!sanitized) {
        EXPECT_LT(grown, 12U * 1024 * 1024);
    }
    for (const auto& c : others) {
        EXPECT_TRUE(c->open());
        EXPECT_EQ(c->count(), static_cast<std::size_t>(changes) + 1);
    }
    for (auto& c : others) {
        c->client->close();
    }
    tv.server().join();
    tv.io.stop(1s);
    others.clear(); // while their io_context exists, no longer running
}

TEST(SlowConsumer, CiiNonReadersCostOneMessageEachWhileTwentyOthersGetEveryChange) {
    non_readers_beside_followers(0);
}

TEST(SlowConsumer, OnSessionThreadsCiiNonReadersCostOneMessageEachWhileOthersGetEveryChange) {
    non_readers_beside_followers(2);
}

/// Sends every text it is asked to, to every open connection (a pushing protocol).
class broadcaster final : public net::websocket_handler {
public:
    void on_open(const net::connection_info& c) override {
        const std::lock_guard lock(mutex);
        open.push_back(c.id);
    }

    void on_text(net::connection_id, std::string_view) override {}

    void on_close(net::connection_id id, const net::close_info& info) override {
        const std::lock_guard lock(mutex);
        std::erase(open, id);
        closed[id] = info.code;
    }

    std::mutex mutex;
    std::vector<net::connection_id> open;
    std::map<net::connection_id, int> closed;
};

TEST(SlowConsumer, PushedMessagesCloseANonReaderAtItsOutboxLimitWithTheConfiguredCode) {
    std::vector<std::unique_ptr<latest_client>> others; // destroyed once the io thread stopped
    broadcaster handler;
    io_threads io(1);
    net::websocket_server_config transport;
    transport.close_timeout = 500ms;
    net::websocket_server server(io.context.get_executor(), transport);
    net::websocket_endpoint_config config;
    config.max_outbox_messages = 32;
    config.max_outbox_bytes = 512 * 1024;
    config.overflow_close_code = 4008;
    auto& endpoint = server.add_endpoint("/push", handler, config);
    ASSERT_FALSE(server.start());

    hostile_peer stalled(server.local_endpoint(), 4096);
    ASSERT_EQ(stalled.upgrade("/push").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return endpoint.connection_count() == 1; }));
    const auto stalled_id = endpoint.connections().at(0);
    for (int i = 0; i < followers; ++i) {
        others.push_back(std::make_unique<latest_client>(io.context, url_of(server, "/push")));
        ASSERT_FALSE(others.back()->client->start());
    }
    ASSERT_TRUE(eventually([&] { return endpoint.connection_count() == followers + 1; }));
    ASSERT_TRUE(eventually([&] {
        return std::all_of(others.begin(), others.end(), [](const auto& c) { return c->open(); });
    }));

    const auto rss_before = resident_bytes();
    const std::string payload(32 * 1024, 'x');
    std::size_t sent = 0;
    std::vector<clock_type::duration> latencies;
    const auto started = clock_type::now();
    while (endpoint.connection_count() == followers + 1 && clock_type::now() - started < 20s) {
        const auto at = clock_type::now();
        const auto text = std::to_string(sent) + ":" + payload;
        for (const auto id : endpoint.connections()) {
            endpoint.send(id, text);
        }
        ++sent;
        ASSERT_TRUE(eventually([&] {
            return std::all_of(others.begin(), others.end(),
                               [&](const auto& c) { return c->count() >= sent; });
        })) << "message "
            << sent << " did not reach every follower";
        latencies.push_back(clock_type::now() - at);
    }
    const auto rss_after = resident_bytes();
    ASSERT_TRUE(eventually([&] {
        const std::lock_guard lock(handler.mutex);
        return handler.closed.count(stalled_id) == 1;
    })) << "the non-reader was never closed";
    {
        const std::lock_guard lock(handler.mutex);
        EXPECT_EQ(handler.closed.at(stalled_id), 4008);
        EXPECT_EQ(handler.closed.size(), 1U);
    }
    const auto grown = rss_after > rss_before ? rss_after - rss_before : 0;
    std::cout << "[ figures ] non-reader closed after " << sent << " messages of 32 KiB ("
              << ms(clock_type::now() - started) << "); follower latency p99 "
              << ms(percentile(latencies, 0.99)) << "; resident memory grew " << grown / 1024
              << " KiB" << std::endl;
    // The server held at most its outbox bound (512 KiB) for the non-reader.
    if (!sanitized) {
        EXPECT_LT(grown, 8U * 1024 * 1024);
    }
    EXPECT_LT(percentile(latencies, 0.99), 2s);
    for (const auto& c : others) {
        EXPECT_TRUE(c->open());
        EXPECT_EQ(c->count(), sent);
        EXPECT_EQ(c->last().substr(0, c->last().find(':')), std::to_string(sent - 1));
    }
    for (auto& c : others) {
        c->client->close();
    }
    server.stop();
    io.stop(1s);
    others.clear(); // while their io_context exists, no longer running
}

TEST(SlowConsumer, APeerThatStopsReadingButKeepsSendingIsDroppedAtTheWriteTimeout) {
    broadcaster handler;
    io_threads io(1);
    net::websocket_server_config transport;
    transport.write_timeout = 500ms;
    net::websocket_server server(io.context.get_executor(), transport);
    net::websocket_endpoint_config config;
    config.max_outbox_messages = 1000;          // the outbox never overflows here:
    config.max_outbox_bytes = 64 * 1024 * 1024; // only the write timeout can end it
    auto& endpoint = server.add_endpoint("/push", handler, config);
    ASSERT_FALSE(server.start());

    hostile_peer stalled(server.local_endpoint(), 4096);
    ASSERT_EQ(stalled.upgrade("/push").rfind("HTTP/1.1 101", 0), 0U);
    ASSERT_TRUE(eventually([&] { return endpoint.connection_count() == 1; }));
    const auto id = endpoint.connections().at(0);
    // 8 MiB in four messages: more than the kernel buffers between the two ends hold, so the
    // first write cannot complete while the peer does not read.
    const std::string payload(2 * 1024 * 1024, 'x');
    for (int i = 0; i < 4; ++i) {
        endpoint.send(id, payload);
    }
    const auto started = clock_type::now();
    // The peer keeps sending (pings), so it never looks idle; it just never reads.
    bool closed = false;
    while (!closed && clock_type::now() - started < 10s) {
        stalled.write(ws_frame(opcode::ping, "still here"), 100ms);
        std::this_thread::sleep_for(50ms);
        const std::lock_guard lock(handler.mutex);
        closed = handler.closed.count(id) == 1;
    }
    const auto after = clock_type::now() - started;
    ASSERT_TRUE(closed) << "the non-reader was never dropped";
    {
        const std::lock_guard lock(handler.mutex);
        EXPECT_EQ(handler.closed.at(id), 1006); // dropped: no closing handshake possible
    }
    std::cout << "[ figures ] non-reader dropped " << ms(after) << " after its write stalled"
              << std::endl;
    EXPECT_GE(after, 400ms);
    EXPECT_LT(after, 5s);
    server.stop();
    io.stop(1s);
}

} // namespace
} // namespace dvbcss::test
