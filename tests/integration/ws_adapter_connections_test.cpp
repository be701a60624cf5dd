// ws_server_adapter::connections(): the owner's list of open connections with the peer's address
// and the time each opened, in the order they opened, agreeing with the core's open/close calls.
#include "websocket_test_support.hpp"

#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/protocol.hpp>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::test {
namespace {

/// A core that only tracks which connections are open (owner only).
class open_set_core {
public:
    void on_open(connection_id id, const connection_origin& /*origin*/) { open.insert(id); }

    error_code on_text(connection_id /*id*/, std::string_view /*text*/) { return {}; }

    void on_close(connection_id id) { open.erase(id); }

    std::vector<connection_id> take_dirty() { return {}; }

    std::optional<std::string> take_pending(connection_id /*id*/) { return std::nullopt; }

    std::set<connection_id> open;
};

static_assert(server_protocol<open_set_core>);

struct snapshot {
    std::vector<net::ws_connection_description> connections;
    std::set<connection_id> core_open;
};

TEST(ws_adapter_connections, ListsOpenConnectionsWithAddressAndOpenTime) {
    io_threads io;
    net::websocket_server_config config;
    config.address = boost::asio::ip::make_address("127.0.0.1");
    net::websocket_server server(io.context.get_executor(), config);
    net::ws_server_adapter<open_set_core> adapter(server, "/p", io.context.get_executor(),
                                                  open_set_core{});
    ASSERT_FALSE(server.start());

    const auto take = [&] {
        std::promise<snapshot> done;
        auto answer = done.get_future();
        boost::asio::post(io.context, [&] {
            done.set_value({adapter.connections(), adapter.core().open});
        });
        return answer.get();
    };
    EXPECT_TRUE(take().connections.empty());

    const auto before = clock::monotonic_time_source::instance().now_ns();
    std::vector<std::unique_ptr<recording_client>> clients;
    for (int i = 0; i < 3; ++i) {
        net::websocket_client_config c;
        c.url = url_of(server, "/p");
        clients.push_back(std::make_unique<recording_client>(io.context, std::move(c)));
        ASSERT_FALSE(clients.back()->client->start());
        // One at a time, so that the opening order is known.
        ASSERT_TRUE(eventually([&] { return take().connections.size() == clients.size(); }));
    }
    const auto after = clock::monotonic_time_source::instance().now_ns();

    auto s = take();
    ASSERT_EQ(s.connections.size(), 3U);
    std::set<std::string> addresses;
    for (std::size_t i = 0; i < s.connections.size(); ++i) {
        const auto& d = s.connections[i];
        EXPECT_TRUE(s.core_open.contains(d.id));
        EXPECT_TRUE(d.remote.starts_with("127.0.0.1:")) << d.remote;
        EXPECT_GE(d.opened_monotonic_ns, before);
        EXPECT_LE(d.opened_monotonic_ns, after);
        addresses.insert(d.remote);
        if (i > 0) {
            EXPECT_GT(d.id, s.connections[i - 1].id);
            EXPECT_GE(d.opened_monotonic_ns, s.connections[i - 1].opened_monotonic_ns);
        }
    }
    EXPECT_EQ(addresses.size(), 3U); // three source ports

    // The middle one leaves: it disappears from both the list and the core.
    const auto leaving = s.connections[1].id;
    clients[1]->client->close();
    ASSERT_TRUE(eventually([&] { return take().connections.size() == 2; }));
    s = take();
    EXPECT_EQ(s.connections[0].id, take().connections[0].id);
    for (const auto& d : s.connections) {
        EXPECT_NE(d.id, leaving);
        EXPECT_TRUE(s.core_open.contains(d.id));
    }
    EXPECT_EQ(s.core_open.size(), 2U);

    server.stop(); // closes the others
    ASSERT_TRUE(eventually([&] { return take().connections.empty(); }));
    io.stop(500ms);
    clients.clear(); // once their io_context no longer runs
}

} // namespace
} // namespace dvbcss::test
