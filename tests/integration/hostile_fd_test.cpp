// More connections than tv-device has descriptors for: tv-device runs with a limit of 64 open
// files (soft and hard) while 100 peers connect and send nothing. Accepting fails ("Too many open
// files", logged at a bounded rate), the connections past the limit wait in the kernel's backlog,
// and the companions already connected keep following the TV's changes (made on its console).
// Once the peers leave, the TV accepts again at once and a new companion is served.
// docs/hostile-input.md lists the row.
#include "hostile_support.hpp"
#include "support/child_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// The last control timestamp `c` received is at `seconds` of PTS (within 2 s).
bool ts_at(const recording_client& c, double seconds) {
    const auto texts = c.texts();
    if (texts.empty()) {
        return false;
    }
    const auto ct = ts::decode_control_timestamp(texts.back());
    return ct && ct->content_time &&
           std::abs(static_cast<double>(*ct->content_time) - seconds * 90000) < 90000 * 2.0;
}

TEST(HostileFd, PastItsDescriptorLimitTheTvKeepsServingItsCompanionsAndRecovers) {
    if (sanitized) {
        // The sanitizers' runtimes need descriptors of their own (UBSan tests memory through a
        // pipe): in a process with none left they report errors that are not there.
        GTEST_SKIP() << "a sanitized tv-device cannot run at its descriptor limit";
    }
    child_process tv({"/bin/sh", "-c", "ulimit -n 64 && exec \"$0\" \"$@\" 2>&1",
                      bin_dir + "/tv-device", "127.0.0.1", "0", "127.0.0.1", "0", "--cycle", "0",
                      "--loglevel", "warning"},
                     true);
    const auto p = tv.read_until(std::regex(R"(Companion page: http://127\.0\.0\.1:(\d+)/)"), 10s);
    ASSERT_FALSE(p.empty()) << tv.output();
    const auto port = static_cast<std::uint16_t>(std::stoi(p));
    const asio::ip::tcp::endpoint where(asio::ip::address_v4::loopback(), port);

    std::vector<std::unique_ptr<recording_client>> companions; // destroyed after io has stopped
    io_threads io(1);
    const auto companion = [&](const std::string& path) -> recording_client& {
        net::websocket_client_config config;
        config.url = "ws://127.0.0.1:" + std::to_string(port) + path;
        companions.push_back(std::make_unique<recording_client>(io.context, config));
        EXPECT_FALSE(companions.back()->client->start());
        return *companions.back();
    };
    ts::setup_data setup;
    setup.timeline_selector = pts_selector;
    auto& cii = companion("/cii");
    auto& ts = companion("/ts");
    ASSERT_TRUE(eventually([&] { return cii.opens() == 1 && ts.opens() == 1; }));
    ASSERT_TRUE(ts.client->send_text(ts::encode(setup)));
    ASSERT_TRUE(eventually([&] { return cii.text_count() >= 1 && ts.text_count() >= 1; }));

    // 100 peers that connect and say nothing: far more than 64 descriptors can hold.
    std::vector<std::unique_ptr<hostile_peer>> peers;
    for (int i = 0; i < 100; ++i) {
        peers.push_back(std::make_unique<hostile_peer>(where));
        ASSERT_TRUE(peers.back()->connected()) << i; // the kernel's backlog takes them
    }
    ASSERT_FALSE(tv.read_until(std::regex("accept failed: Too many open files"), 5s).empty())
        << tv.output();

    // At the limit, a change made on the console still reaches both companions.
    ASSERT_TRUE(tv.write_line("seek to 500"));
    EXPECT_TRUE(eventually([&] { return ts_at(ts, 500); })) << tv.output();
    EXPECT_TRUE(cii.client->is_open());
    EXPECT_TRUE(ts.client->is_open());
    // A new companion waits in the backlog meanwhile: no answer yet.
    hostile_peer waiting(where);
    ASSERT_TRUE(waiting.connected());
    waiting.write("GET /cii HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
                  "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(waiting.read_http_header(500ms), "");

    // The peers leave: the TV accepts again, the waiting companion is upgraded, a new one too.
    peers.clear();
    EXPECT_EQ(waiting.read_http_header(10s).rfind("HTTP/1.1 101", 0), 0U);
    auto& late = companion("/ts");
    EXPECT_TRUE(eventually([&] { return late.opens() == 1; }));
    EXPECT_TRUE(late.client->send_text(ts::encode(setup)));
    EXPECT_TRUE(eventually([&] { return ts_at(late, 500); }));
    ASSERT_TRUE(tv.write_line("seek to 900"));
    EXPECT_TRUE(eventually([&] { return ts_at(ts, 900) && ts_at(late, 900); }));
    EXPECT_TRUE(cii.closes().empty());
    EXPECT_TRUE(ts.closes().empty());

    // Bounded logging: a burst, then at most one line a second.
    const auto lines = [&] {
        std::size_t n = 0;
        for (std::size_t at = tv.output().find("accept failed"); at != std::string::npos;
             at = tv.output().find("accept failed", at + 1)) {
            ++n;
        }
        return n;
    }();
    EXPECT_LE(lines, 25U) << tv.output();

    for (auto& c : companions) {
        c->client->close();
    }
    io.stop(1s);
    companions.clear(); // while their io_context exists, no longer running
    tv.signal(SIGTERM);
    EXPECT_EQ(tv.wait_exit(10s), 0) << tv.output();
}

} // namespace
} // namespace dvbcss::test
