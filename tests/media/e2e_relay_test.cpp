// The delaying relay the end-to-end tests put between companion and TV: every TCP chunk and UDP
// datagram arrives 5 +- 2 ms later each way (so a round trip takes 6-14 ms), TCP keeps order.

#include "media/support/delay_relay.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace dvbcss::test::media;
using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

TEST(E2eRelay, DelaysEachWayAndKeepsTcpOrder) {
    boost::asio::io_context io;
    // Echo servers (blocking, one thread each) standing in for the TV.
    tcp::acceptor echo_tcp(io, {boost::asio::ip::address_v4::loopback(), 0});
    udp::socket echo_udp(io, {boost::asio::ip::address_v4::loopback(), 0});
    std::thread tcp_echo([&] {
        tcp::socket s(io);
        echo_tcp.accept(s);
        std::array<char, 4096> b{};
        boost::system::error_code ec;
        while (true) {
            const auto n = s.read_some(boost::asio::buffer(b), ec);
            if (ec) {
                return;
            }
            boost::asio::write(s, boost::asio::buffer(b.data(), n), ec);
        }
    });
    std::thread udp_echo([&] {
        std::array<char, 2048> b{};
        for (int i = 0; i < 20; ++i) {
            udp::endpoint from;
            const auto n = echo_udp.receive_from(boost::asio::buffer(b), from);
            echo_udp.send_to(boost::asio::buffer(b.data(), n), from);
        }
    });

    delay_relay relay(echo_tcp.local_endpoint().port(), echo_udp.local_endpoint().port(), 5.0, 2.0);
    std::vector<double> tcp_rtt;
    std::vector<double> udp_rtt;
    {
        tcp::socket c(io);
        c.connect({boost::asio::ip::address_v4::loopback(), relay.tcp_port()});
        c.set_option(tcp::no_delay(true));
        std::string received;
        for (int i = 0; i < 20; ++i) {
            const std::string message = "message " + std::to_string(100 + i) + ";";
            const auto start = clock_type::now();
            boost::asio::write(c, boost::asio::buffer(message));
            std::string reply(message.size(), '\0');
            boost::asio::read(c, boost::asio::buffer(reply));
            tcp_rtt.push_back(ms_since(start));
            received += reply;
        }
        std::string expected;
        for (int i = 0; i < 20; ++i) {
            expected += "message " + std::to_string(100 + i) + ";";
        }
        EXPECT_EQ(received, expected);
    }
    {
        udp::socket c(io, {boost::asio::ip::address_v4::loopback(), 0});
        for (int i = 0; i < 20; ++i) {
            const auto start = clock_type::now();
            c.send_to(boost::asio::buffer("ping", 4),
                      {boost::asio::ip::address_v4::loopback(), relay.udp_port()});
            std::array<char, 16> b{};
            udp::endpoint from;
            EXPECT_EQ(c.receive_from(boost::asio::buffer(b), from), 4u);
            udp_rtt.push_back(ms_since(start));
        }
    }
    tcp_echo.join();
    udp_echo.join();
    for (const auto* rtt : {&tcp_rtt, &udp_rtt}) {
        const auto [low, high] = std::minmax_element(rtt->begin(), rtt->end());
        EXPECT_GE(*low, 6.0);
        EXPECT_LE(*high, 40.0); // 14 ms plus generous scheduling slack
        EXPECT_GT(*high - *low, 1.0) << "the delay has no jitter";
    }
    EXPECT_GE(relay.datagrams(), 40u);
    EXPECT_GE(relay.tcp_bytes(), 2u * 20u * 11u);
}

} // namespace
