// Connection churn against a pretend TV over loopback: thousands of CSS-CII and CSS-TS companions
// connect, get their first message (TS after its setup-data, so that the PTS selector is
// referenced), and leave, some with a closing handshake, some by resetting the TCP connection,
// some in the middle of the upgrade. Afterwards the process holds the same descriptors and about
// the same resident memory as before, every connection is forgotten by the endpoints, the
// adapters and the TS core, and the selector reference counts are back to zero (the core's counts
// and the needed / not-needed calls its timeline source heard).
#include "hostile_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <sys/socket.h>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// How one companion leaves.
enum class leave {
    closing_handshake,
    reset,
    mid_upgrade
};

/// One companion's visit on a raw socket; false if something did not happen as it should.
bool visit(pretend_tv& tv, const char* path, leave how) {
    hostile_peer peer(tv.endpoint());
    if (!peer.connected()) {
        return false;
    }
    if (how == leave::mid_upgrade) {
        peer.write("GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs");
        return true; // closed half-way through the request
    }
    if (peer.upgrade(path).rfind("HTTP/1.1 101", 0) != 0) {
        return false;
    }
    if (std::string_view(path) == "/ts" && !peer.write(ws_frame(opcode::text, pts_setup()))) {
        return false;
    }
    const auto first = peer.read_frame(); // the CII, or the TS control timestamp
    if (!first || first->op != opcode::text) {
        return false;
    }
    if (how == leave::reset) {
        const linger hard{1, 0};
        ::setsockopt(peer.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        return true; // the destructor's close sends RST
    }
    std::string code{"\x03\xe8", 2}; // 1000
    return peer.write(ws_frame(opcode::close, code)) && peer.read_close() == 1000;
}

struct owner_view {
    std::size_t cii_adapter_connections = 0;
    std::size_t ts_adapter_connections = 0;
    std::size_t ts_core_connections = 0;
    std::size_t pts_use_count = 0;
    std::size_t needed_selectors = 0;
    std::uint64_t setups_accepted = 0;
};

owner_view look(pretend_tv& tv) {
    return tv.on_owner([&tv] {
        owner_view v;
        v.cii_adapter_connections = tv.cii.adapter().connections().size();
        v.ts_adapter_connections = tv.ts.connections().size();
        v.ts_core_connections = tv.ts.core().connection_count();
        v.pts_use_count = tv.ts.core().selector_use_count(pts_selector);
        v.needed_selectors = tv.ts.core().needed_selectors().size();
        v.setups_accepted = tv.ts.core().stats().setups_accepted;
        return v;
    });
}

/// 4 000 visits (2 000 per endpoint) to a pretend TV whose server has `transport`, after a
/// warm-up: nothing may be left behind.
void churn(const net::websocket_server_config& transport) {
    pretend_tv tv(transport);
    ASSERT_TRUE(tv.started);
    const auto cycle = [&](int i) {
        const auto how = i % 8 == 7   ? leave::mid_upgrade
                         : i % 4 == 1 ? leave::reset
                                      : leave::closing_handshake;
        return visit(tv, i % 2 == 0 ? "/cii" : "/ts", how);
    };
    // A warm-up, so that pools and caches that grow once are grown before the first reading.
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(cycle(i)) << "warm-up cycle " << i;
    }
    const auto settled = [&] {
        return eventually(
            [&] {
                const auto v = look(tv);
                return tv.cii.endpoint().connection_count() == 0 &&
                       tv.ts.endpoint().connection_count() == 0 && v.ts_core_connections == 0 &&
                       v.cii_adapter_connections == 0 && v.ts_adapter_connections == 0;
            },
            15s);
    };
    ASSERT_TRUE(settled());
    std::this_thread::sleep_for(200ms);
    const auto fds_before = open_descriptors();
    const auto rss_before = resident_bytes();
    const auto setups_before = look(tv).setups_accepted;

    constexpr int cycles = 4000; // 2 000 on each endpoint
    const auto started = clock_type::now();
    int failed = 0;
    int ts_visits = 0;
    for (int i = 0; i < cycles; ++i) {
        if (!cycle(i)) {
            ++failed;
        }
        if (i % 2 == 1 && i % 8 != 7) {
            ++ts_visits;
        }
    }
    const auto took = clock_type::now() - started;
    ASSERT_TRUE(settled());
    std::this_thread::sleep_for(300ms); // sockets in the server's close path finish
    const auto fds_after = open_descriptors();
    const auto rss_after = resident_bytes();
    const auto v = look(tv);
    std::cout << "[ figures ] " << cycles << " visits in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
              << " ms; descriptors " << fds_before << " -> " << fds_after << "; resident "
              << rss_before / 1024 << " KiB -> " << rss_after / 1024 << " KiB; selector needed "
              << tv.source.needed.load() << " / not needed " << tv.source.not_needed.load()
              << std::endl;

    EXPECT_EQ(failed, 0);
    EXPECT_EQ(v.setups_accepted - setups_before, static_cast<std::uint64_t>(ts_visits));
    EXPECT_EQ(v.pts_use_count, 0U);
    EXPECT_EQ(v.needed_selectors, 0U);
    EXPECT_GE(tv.source.needed.load(), 1);
    EXPECT_EQ(tv.source.needed.load(), tv.source.not_needed.load());
    EXPECT_LE(fds_after, fds_before + 2);
    if (!sanitized) {
        EXPECT_LT(rss_after, rss_before + 4U * 1024 * 1024);
    }

    // The TV still serves: one more of each works.
    EXPECT_TRUE(visit(tv, "/ts", leave::closing_handshake));
    EXPECT_TRUE(visit(tv, "/cii", leave::closing_handshake));
}

TEST(Churn, ThousandsOfCompanionsComeAndGoLeavingNothingBehind) {
    churn({});
}

TEST(Churn, ThousandsOfCompanionsComeAndGoOnSessionThreadsLeavingNothingBehind) {
    net::websocket_server_config transport;
    transport.session_threads = 2; // as tv-device
    churn(transport);
}

TEST(Churn, OurOwnClientsComeAndGoLeavingNothingBehind) {
    pretend_tv tv;
    ASSERT_TRUE(tv.started);
    const auto visit_with_client = [&](const char* path) {
        net::websocket_client_config config;
        config.url = tv.url(path);
        auto c = std::make_unique<recording_client>(tv.io.context, config);
        const bool ok = !c->client->start() && eventually([&] { return c->opens() == 1; }) &&
                        (std::string_view(path) != "/ts" || c->client->send_text(pts_setup())) &&
                        eventually([&] { return c->text_count() >= 1; });
        c->client->close();
        const bool finished = eventually([&] { return c->finished(); });
        tv.on_owner([&c] { // destroyed on the thread that runs its callbacks
            c.reset();
            return 0;
        });
        return ok && finished;
    };
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(visit_with_client(i % 2 == 0 ? "/cii" : "/ts"));
    }
    ASSERT_TRUE(eventually([&] {
        return tv.cii.endpoint().connection_count() == 0 &&
               tv.ts.endpoint().connection_count() == 0;
    }));
    std::this_thread::sleep_for(200ms);
    const auto fds_before = open_descriptors();
    const auto rss_before = resident_bytes();
    const int cycles = sanitized ? 300 : 1000; // each visit waits on two threads' hops
    int failed = 0;
    for (int i = 0; i < cycles; ++i) {
        if (!visit_with_client(i % 2 == 0 ? "/cii" : "/ts")) {
            ++failed;
        }
    }
    ASSERT_TRUE(eventually([&] {
        return tv.cii.endpoint().connection_count() == 0 &&
               tv.ts.endpoint().connection_count() == 0;
    }));
    std::this_thread::sleep_for(300ms);
    const auto fds_after = open_descriptors();
    const auto rss_after = resident_bytes();
    const auto v = look(tv);
    std::cout << "[ figures ] " << cycles << " websocket_client visits; descriptors " << fds_before
              << " -> " << fds_after << "; resident " << rss_before / 1024 << " KiB -> "
              << rss_after / 1024 << " KiB" << std::endl;
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(v.ts_core_connections, 0U);
    EXPECT_EQ(v.pts_use_count, 0U);
    EXPECT_EQ(tv.source.needed.load(), tv.source.not_needed.load());
    EXPECT_LE(fds_after, fds_before + 2);
    if (!sanitized) {
        EXPECT_LT(rss_after, rss_before + 4U * 1024 * 1024);
    }
}

} // namespace
} // namespace dvbcss::test
