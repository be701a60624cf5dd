// The pieces under the CSS-WC transport: kernel timestamps and their mapping onto CLOCK_MONOTONIC,
// the batched UDP socket, and the rate-limited error log.

#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_error_log.hpp>
#include <dvbcss/net/udp_socket.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using dvbcss::net::udp_socket;

TEST(WcTransport, RealtimeMapsOntoMonotonic) {
    dvbcss::net::realtime_to_monotonic map;
    EXPECT_GE(map.sandwich_width_ns(), 0);
    EXPECT_LT(map.sandwich_width_ns(), 1'000'000) << "three clock reads took over 1 ms";
    const auto real = dvbcss::net::realtime_now_ns();
    const auto mono = dvbcss::net::monotonic_now_ns();
    const auto mapped = map.map(real, mono);
    ASSERT_TRUE(mapped.has_value());
    EXPECT_LE(*mapped, mono);
    EXPECT_LT(mono - *mapped, 1'000'000);
}

TEST(WcTransport, ImplausibleKernelTimesFallBackToUserTime) {
    dvbcss::net::realtime_to_monotonic map;
    const auto mono = dvbcss::net::monotonic_now_ns();
    const auto real = dvbcss::net::realtime_now_ns();
    // From the future, and from long before the datagram could have been queued.
    EXPECT_FALSE(map.map(real + 5'000'000'000, mono).has_value());
    EXPECT_FALSE(map.map(real - 5'000'000'000, mono).has_value());
    EXPECT_EQ(map.rejected(), 2U);
    const auto s = map.stamp(real + 5'000'000'000, mono);
    EXPECT_EQ(s.source, dvbcss::net::timestamp_source::user);
    EXPECT_EQ(s.monotonic_ns, mono);
    const auto none = map.stamp(std::nullopt, mono);
    EXPECT_EQ(none.source, dvbcss::net::timestamp_source::user);
}

TEST(WcTransport, SocketReceivesBatchesWithKernelTimestamps) {
    asio::io_context io;
    udp_socket rx(io.get_executor(), 8, 64);
    udp_socket tx(io.get_executor());
    const auto loopback = asio::ip::make_address("127.0.0.1");
    ASSERT_FALSE(rx.open(udp_socket::endpoint(loopback, 0)));
    ASSERT_FALSE(tx.open(udp_socket::endpoint(loopback, 0)));
    EXPECT_NE(rx.local_endpoint().port(), 0);

    std::vector<std::vector<std::byte>> payloads;
    for (std::size_t n : {0U, 1U, 32U, 64U, 100U}) {
        payloads.emplace_back(n, std::byte{0x5a});
    }
    std::vector<udp_socket::outgoing> out;
    for (const auto& p : payloads) {
        out.push_back({p, rx.local_endpoint()});
    }
    const auto before = dvbcss::net::monotonic_now_ns();
    const auto report = tx.send_batch(out);
    EXPECT_EQ(report.sent, payloads.size());
    EXPECT_EQ(report.failed, 0U);

    std::vector<udp_socket::received> got;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got.size() < payloads.size() && std::chrono::steady_clock::now() < end) {
        auto batch = rx.receive_batch();
        ASSERT_TRUE(batch);
        got.insert(got.end(), batch->begin(), batch->end());
        if (batch->empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    ASSERT_EQ(got.size(), payloads.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto& g = got[i];
        EXPECT_EQ(g.sender.port(), tx.local_endpoint().port());
        EXPECT_EQ(g.truncated, payloads[i].size() > 64) << i;
        EXPECT_EQ(g.bytes.size(), std::min<std::size_t>(payloads[i].size(), 64)) << i;
        EXPECT_GE(g.time.monotonic_ns, before - 1'000'000);
        EXPECT_LE(g.time.monotonic_ns, g.dequeued_ns);
        if (rx.kernel_timestamps()) {
            EXPECT_EQ(g.time.source, dvbcss::net::timestamp_source::kernel) << i;
        }
    }
    // Nothing more: an empty batch, not an error.
    auto empty = rx.receive_batch();
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(WcTransport, TransmitTimestampsAreCollected) {
    asio::io_context io;
    udp_socket rx(io.get_executor());
    udp_socket tx(io.get_executor());
    const auto loopback = asio::ip::make_address("127.0.0.1");
    ASSERT_FALSE(rx.open(udp_socket::endpoint(loopback, 0)));
    ASSERT_FALSE(tx.open(udp_socket::endpoint(loopback, 0)));
    if (tx.enable_transmit_timestamps()) {
        GTEST_SKIP() << "no SO_TIMESTAMPING on this kernel";
    }
    const std::vector<std::byte> payload(32, std::byte{1});
    std::vector<udp_socket::outgoing> out(3, {payload, rx.local_endpoint()});
    const auto before = dvbcss::net::monotonic_now_ns();
    ASSERT_EQ(tx.send_batch(out).sent, 3U);
    const auto after = dvbcss::net::monotonic_now_ns();
    std::vector<std::int64_t> times(3);
    const auto n = tx.collect_transmit_timestamps(times);
    EXPECT_EQ(n, 3U);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_GE(times[i], before - 100'000);
        EXPECT_LE(times[i], after + 100'000);
        if (i > 0) {
            EXPECT_GE(times[i], times[i - 1]);
        }
    }
    EXPECT_EQ(tx.collect_transmit_timestamps(times), 0U) << "the queue was not drained";
}

TEST(WcTransport, SendToClosedSocketReportsAnError) {
    asio::io_context io;
    udp_socket s(io.get_executor());
    const std::vector<std::byte> payload(4);
    EXPECT_TRUE(s.send_to(payload, udp_socket::endpoint(asio::ip::make_address("127.0.0.1"), 9)));
    EXPECT_FALSE(s.receive_batch());
    EXPECT_EQ(s.local_endpoint(), udp_socket::endpoint{});
}

TEST(WcTransport, ResolvesNumericAndNamedHosts) {
    auto v4 = dvbcss::net::resolve_udp_endpoint("127.0.0.1", 6677);
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->port(), 6677);
    EXPECT_TRUE(v4->address().is_v4());
    auto v6 = dvbcss::net::resolve_udp_endpoint("::1", 1);
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->address().is_v6());
    auto named = dvbcss::net::resolve_udp_endpoint("localhost", 80);
    ASSERT_TRUE(named);
    EXPECT_TRUE(named->address().is_loopback());
    EXPECT_FALSE(dvbcss::net::resolve_udp_endpoint("no such host.invalid", 1));
}

TEST(WcTransport, SecondBindOfAUdpPortFails) {
    // No SO_REUSEADDR: a port another socket holds is an error, whoever binds it (a second
    // server, or a client with the same fixed local port), never a silent share of its datagrams.
    asio::io_context io;
    const auto loopback = asio::ip::make_address("127.0.0.1");
    udp_socket first(io.get_executor());
    ASSERT_FALSE(first.open(udp_socket::endpoint(loopback, 0)));
    const auto taken = first.local_endpoint();
    udp_socket second(io.get_executor());
    EXPECT_EQ(second.open(taken), asio::error::address_in_use);
    EXPECT_FALSE(second.is_open());
    EXPECT_EQ(second.open(udp_socket::endpoint(asio::ip::address_v4::any(), taken.port())),
              asio::error::address_in_use);
    // Once the first socket is closed the port is free at once (UDP has no TIME_WAIT).
    first.close();
    EXPECT_FALSE(second.open(taken));
    EXPECT_EQ(second.local_endpoint(), taken);
}

TEST(WcTransport, ErrorLogIsRateLimited) {
    std::vector<std::string> lines;
    dvbcss::net::log::set_sink([&](dvbcss::net::log::level, std::string_view,
                                   std::string_view message) { lines.emplace_back(message); });
    dvbcss::net::udp_error_log log("wc.test", 3, 1'000'000'000);
    std::int64_t t = 1'000'000'000;
    for (int i = 0; i < 100; ++i) { // a flood within one instant
        log.write(dvbcss::net::log::level::warning, "bad datagram", t);
    }
    EXPECT_EQ(lines.size(), 3U);
    EXPECT_EQ(log.suppressed_total(), 97U);
    t += 1'000'000'000; // one interval later: one more line, saying how many were dropped
    EXPECT_TRUE(log.write(dvbcss::net::log::level::warning, "bad datagram", t));
    ASSERT_EQ(lines.size(), 4U);
    EXPECT_NE(lines.back().find("97 lines of this kind suppressed, from any peer"),
              std::string::npos)
        << lines.back();
    dvbcss::net::log::set_sink(nullptr);
}

} // namespace
