// Spoofed CSS-WC responses against our wall clock client over loopback: before every honest
// answer, a stranger (another port) and the server's own address (with an originate time the
// client never sent) each send a response claiming the wall clock is 10 s ahead. The client
// ignores both (counted as wrong source and wrong originate) and converges on the honest answers.
// Both sides read CLOCK_MONOTONIC, so the true offset is 0. docs/hostile-input.md lists the rows.
#include "support/captured_log.hpp"
#include "support/io_loop.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using udp = asio::ip::udp;

constexpr std::int64_t ten_seconds_ns = 10'000'000'000;

TEST(HostileWc, SpoofedResponsesFromAStrangerOrWithAWrongOriginateAreIgnored) {
    const dvbcss::test::quiet_log quiet;
    asio::io_context io;
    const auto lo = asio::ip::make_address("127.0.0.1");
    udp::socket fake(io, udp::endpoint(lo, 0));     // the "server" the client asks
    udp::socket stranger(io, udp::endpoint(lo, 0)); // same host, another port

    dvbcss::clock::sys_clock local{dvbcss::clock::monotonic_time_source::instance(), 1e9, 500};
    dvbcss::clock::correlated_clock wall{local, 1e9};
    dvbcss::wc::estimator_options options;
    options.repeat_interval = 50ms;
    options.retry_interval = 20ms;
    dvbcss::net::wall_clock_client_config config;
    config.server = fake.local_endpoint();
    config.bind = udp::endpoint(lo, 0);
    config.core.response_timeout = 200ms;
    dvbcss::net::wall_clock_client client(
        io.get_executor(), wall, dvbcss::wc::make_estimator("lowest-dispersion", wall, options),
        config);
    ASSERT_FALSE(client.start());

    std::vector<std::byte> buf(64);
    udp::endpoint from;
    int answered = 0;
    std::function<void()> serve = [&] {
        fake.async_receive_from(
            asio::buffer(buf.data(), buf.size()), from,
            [&](const boost::system::error_code& ec, std::size_t n) {
                if (ec) {
                    return;
                }
                const auto t2 = dvbcss::net::monotonic_now_ns();
                const auto request = dvbcss::wc::decode(std::span<const std::byte>(buf.data(), n));
                if (request) {
                    dvbcss::wc::message lie = *request;
                    lie.type = dvbcss::wc::message_type::response;
                    lie.precision = -30;
                    lie.max_freq_error = dvbcss::wc::encode_max_freq_error(1);
                    lie.receive_ns = t2 + ten_seconds_ns;
                    lie.transmit_ns = t2 + ten_seconds_ns;
                    // 1. The right originate, from the wrong port.
                    const auto from_stranger = dvbcss::wc::encode(lie);
                    stranger.send_to(asio::buffer(from_stranger.data(), from_stranger.size()),
                                     from);
                    // 2. From the server's address, for a request never sent.
                    dvbcss::wc::message forged = lie;
                    forged.originate.seconds += 1;
                    const auto wrong_originate = dvbcss::wc::encode(forged);
                    fake.send_to(asio::buffer(wrong_originate.data(), wrong_originate.size()),
                                 from);
                    // 3. The honest answer.
                    dvbcss::wc::message honest = *request;
                    honest.type = dvbcss::wc::message_type::response;
                    honest.precision = -20;
                    honest.max_freq_error = dvbcss::wc::encode_max_freq_error(50);
                    honest.receive_ns = t2;
                    honest.transmit_ns = dvbcss::net::monotonic_now_ns();
                    const auto bytes = dvbcss::wc::encode(honest);
                    fake.send_to(asio::buffer(bytes.data(), bytes.size()), from);
                    ++answered;
                }
                serve();
            });
    };
    serve();
    ASSERT_TRUE(dvbcss::test::run_until(
        io, [&] { return client.statistics().core.candidates_accepted >= 3 && answered >= 10; },
        10s));
    dvbcss::test::run_for(io, 100ms);
    const auto s = client.statistics().core;
    EXPECT_GE(s.wrong_source, 10U);
    EXPECT_GE(s.wrong_originate, 10U);
    EXPECT_EQ(s.implausible, 0U);
    // Not one of the lies moved the estimate: 10 s off would show at once.
    EXPECT_LT(std::abs(client.offset_ns()), 1'000'000) << client.offset_ns();
}

} // namespace
