// The WebSocket server with session threads of its own
// (`websocket_server_config::session_threads`): where callbacks run, batch notification, join and
// destruction with connections open.
#include "websocket_test_support.hpp"

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

/// The distinct threads among the values of `threads`.
template <class Key>
std::set<std::thread::id> distinct_threads(const std::map<Key, std::thread::id>& threads) {
    std::set<std::thread::id> out;
    for (const auto& [key, thread] : threads) {
        out.insert(thread);
    }
    return out;
}

/// Records which thread each callback ran on, beside what `recording_handler` records.
class thread_recording_handler final : public net::websocket_handler {
public:
    void on_open(const net::connection_info& connection) override {
        {
            const std::lock_guard lock(mutex);
            open_threads[connection.id] = std::this_thread::get_id();
        }
        inner.on_open(connection);
    }

    void on_text(net::connection_id id, std::string_view text) override { inner.on_text(id, text); }

    void on_close(net::connection_id id, const net::close_info& info) override {
        inner.on_close(id, info);
    }

    std::optional<std::string> take_pending(net::connection_id id) override {
        return inner.take_pending(id);
    }

    std::set<std::thread::id> threads_used() const {
        const std::lock_guard lock(mutex);
        return distinct_threads(open_threads);
    }

    recording_handler inner;
    mutable std::mutex mutex;
    std::map<net::connection_id, std::thread::id> open_threads;
};

class WebSocketSessionThreadsTest : public ::testing::Test {
protected:
    void start_server(std::size_t session_threads) {
        io = std::make_unique<io_threads>(1);
        // Shared: the io thread may still be inside set_value when get returns.
        auto io_thread_id = std::make_shared<std::promise<std::thread::id>>();
        boost::asio::post(io->context,
                          [io_thread_id] { io_thread_id->set_value(std::this_thread::get_id()); });
        io_thread = io_thread_id->get_future().get();
        net::websocket_server_config config;
        config.session_threads = session_threads;
        config.session_thread_start = [this](std::size_t index) {
            const std::lock_guard lock(mutex);
            started[index] = std::this_thread::get_id();
        };
        server = std::make_unique<net::websocket_server>(io->context.get_executor(), config);
        endpoint = &server->add_endpoint("/state", handler);
        handler.inner.endpoint = endpoint;
        ASSERT_FALSE(server->start());
    }

    void connect(std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            net::websocket_client_config config;
            config.url = url_of(*server, "/state");
            clients.push_back(std::make_unique<recording_client>(io->context, std::move(config)));
            EXPECT_FALSE(clients.back()->client->start());
        }
        // Both ends' open: the server may see a connection open before its client does.
        ASSERT_TRUE(eventually([&] {
            return handler.inner.open_count() == count &&
                   std::all_of(clients.begin(), clients.end(),
                               [](const auto& c) { return c->opens() == 1; });
        }));
    }

    std::set<std::thread::id> session_thread_ids() const {
        const std::lock_guard lock(mutex);
        return distinct_threads(started);
    }

    void TearDown() override { shut_down(server, io, clients); }

    std::unique_ptr<io_threads> io;
    std::thread::id io_thread;
    thread_recording_handler handler;
    std::unique_ptr<net::websocket_server> server;
    net::websocket_endpoint* endpoint = nullptr;
    std::vector<std::unique_ptr<recording_client>> clients;
    mutable std::mutex mutex;
    std::map<std::size_t, std::thread::id> started;
};

TEST_F(WebSocketSessionThreadsTest, ConnectionsAreSharedAmongTheSessionThreads) {
    start_server(2);
    ASSERT_TRUE(eventually([&] { return session_thread_ids().size() == 2; }));
    connect(10);
    const auto used = handler.threads_used();
    // Every callback ran on a session thread, never on the thread running the given executor,
    // and connections went to both threads in turn.
    EXPECT_EQ(used, session_thread_ids());
    EXPECT_EQ(used.count(io_thread), 0U);
}

TEST_F(WebSocketSessionThreadsTest, ANotifyToManyConnectionsReachesEachOnce) {
    start_server(2);
    std::atomic<int> version{0};
    handler.inner.pending_text = [&](net::connection_id) {
        return std::optional<std::string>("v" + std::to_string(version.load()));
    };
    connect(40);
    const auto ids = handler.inner.ids();
    version = 1;
    EXPECT_EQ(endpoint->notify(std::span<const net::connection_id>(ids)), ids.size());
    ASSERT_TRUE(eventually([&] {
        return std::all_of(clients.begin(), clients.end(),
                           [](const auto& c) { return c->text_count() == 1; });
    }));
    version = 2;
    endpoint->notify_all();
    ASSERT_TRUE(eventually([&] {
        return std::all_of(clients.begin(), clients.end(),
                           [](const auto& c) { return c->text_count() == 2; });
    }));
    std::this_thread::sleep_for(50ms); // nothing more arrives
    for (const auto& c : clients) {
        EXPECT_EQ(c->texts(), (std::vector<std::string>{"v1", "v2"}));
    }
    const std::lock_guard lock(handler.inner.mutex);
    for (const auto id : ids) {
        EXPECT_EQ(handler.inner.takes[id], 2) << "connection " << id;
    }
}

TEST_F(WebSocketSessionThreadsTest, EchoFromASessionThreadArrives) {
    start_server(2);
    handler.inner.echo = true;
    connect(4);
    for (const auto& c : clients) {
        EXPECT_TRUE(c->client->send_text("ping"));
    }
    ASSERT_TRUE(eventually([&] {
        return std::all_of(clients.begin(), clients.end(),
                           [](const auto& c) { return c->text_count() == 1; });
    }));
    EXPECT_EQ(clients.front()->texts().at(0), "ping");
}

TEST_F(WebSocketSessionThreadsTest, JoinReturnsOnceEveryConnectionHasEnded) {
    start_server(2);
    connect(8);
    const auto begin = std::chrono::steady_clock::now();
    server->join();
    const auto took = std::chrono::steady_clock::now() - begin;
    // No waiting: every connection has had its on_close (1001, the server stopping) when join
    // returns, and the clients answered the closing handshake well within the close timeout.
    EXPECT_EQ(handler.inner.closed_count(), 8U);
    EXPECT_EQ(handler.inner.open_count(), 0U);
    for (const auto& [id, info] : handler.inner.closed) {
        EXPECT_EQ(info.code, net::close_codes::going_away);
    }
    EXPECT_LT(took, 2s);
    server->join(); // idempotent
}

TEST_F(WebSocketSessionThreadsTest, DestroyingTheServerEndsItsConnectionsFirst) {
    start_server(3);
    connect(6);
    server.reset();
    EXPECT_EQ(handler.inner.closed_count(), 6U);
}

TEST_F(WebSocketSessionThreadsTest, ZeroSessionThreadsKeepsCallbacksOnTheGivenExecutor) {
    start_server(0);
    connect(3);
    EXPECT_EQ(handler.threads_used(), std::set<std::thread::id>{io_thread});
    EXPECT_TRUE(session_thread_ids().empty());
}

} // namespace
} // namespace dvbcss::test
