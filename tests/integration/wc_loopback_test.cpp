// Our CSS-WC client against our CSS-WC server over real loopback sockets: convergence with and
// without follow-ups, hostile datagrams in both directions, and restarts. Both sides read the same
// CLOCK_MONOTONIC, so the true offset between the server's wall clock and the client's local clock
// is 0 and the client's estimate can be checked against it. Time bounds are generous: the machine
// is shared.

#include "support/captured_log.hpp"
#include "support/io_loop.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/wall_clock_server.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/message.hpp>
#include <dvbcss/wc/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using udp = asio::ip::udp;
using dvbcss::net::wall_clock_client;
using dvbcss::net::wall_clock_client_config;
using dvbcss::net::wall_clock_server;
using dvbcss::net::wall_clock_server_config;
using dvbcss::test::captured_log;
using dvbcss::test::quiet_log;
using dvbcss::test::run_for;
using dvbcss::test::run_until;

/// A client side: local clock on CLOCK_MONOTONIC, wall clock correlated to it, and the client.
struct client_side {
    dvbcss::clock::sys_clock local{dvbcss::clock::monotonic_time_source::instance(), 1e9, 500};
    dvbcss::clock::correlated_clock wall{local, 1e9};
    std::unique_ptr<wall_clock_client> client;

    client_side(asio::io_context& io, const udp::endpoint& server,
                const std::string& algorithm = "lowest-dispersion") {
        dvbcss::wc::estimator_options options;
        options.repeat_interval = 50ms; // quick, for the test
        options.retry_interval = 20ms;
        wall_clock_client_config config;
        config.server = server;
        config.bind = udp::endpoint(server.address(), 0);
        config.core.response_timeout = 200ms;
        client = std::make_unique<wall_clock_client>(
            io.get_executor(), wall, dvbcss::wc::make_estimator(algorithm, wall, options), config);
    }
};

/// A blocking raw UDP socket for sending arbitrary bytes to the server.
struct raw_peer {
    asio::io_context io;
    udp::socket socket{io};

    explicit raw_peer(const udp::endpoint& local) {
        socket.open(local.protocol());
        socket.bind(local);
        const timeval tv{0, 300'000}; // 300 ms receive timeout
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    void send(const std::vector<std::byte>& bytes, const udp::endpoint& to) {
        socket.send_to(asio::buffer(bytes.data(), bytes.size()), to);
    }

    /// The next datagram, or nullopt after the timeout. (Plain recv: Asio's blocking receive
    /// would poll again after SO_RCVTIMEO fires.)
    std::optional<std::vector<std::byte>> receive() {
        std::vector<std::byte> buf(2048);
        const auto n = ::recv(socket.native_handle(), buf.data(), buf.size(), 0);
        if (n < 0) {
            return std::nullopt;
        }
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }
};

std::vector<std::byte> request_bytes(std::uint32_t seconds, std::uint32_t nanos) {
    dvbcss::wc::message m;
    m.type = dvbcss::wc::message_type::request;
    m.originate = {seconds, nanos};
    const auto b = dvbcss::wc::encode(m);
    return {b.begin(), b.end()};
}

/// A server running on its own thread, for tests that talk to it with blocking sockets.
struct threaded_server {
    asio::io_context io;
    dvbcss::clock::sys_clock wall{dvbcss::clock::monotonic_time_source::instance(), 1e9, 500};
    wall_clock_server server;
    std::thread thread;

    explicit threaded_server(wall_clock_server_config config)
        : server(io.get_executor(), wall, config) {}

    udp::endpoint start() {
        EXPECT_FALSE(server.start());
        const auto ep = server.local_endpoint();
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
        return ep;
    }

    void join() {
        io.stop();
        if (thread.joinable()) {
            thread.join();
        }
    }

    ~threaded_server() { join(); }

    threaded_server(const threaded_server&) = delete;
    threaded_server& operator=(const threaded_server&) = delete;
    threaded_server(threaded_server&&) = delete;
    threaded_server& operator=(threaded_server&&) = delete;
};

wall_clock_server_config loopback_config(bool followup = false) {
    wall_clock_server_config config;
    config.bind = udp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
    config.core.followup = followup;
    return config;
}

void expect_converges(bool followup, const std::string& algorithm) {
    asio::io_context io;
    dvbcss::clock::sys_clock server_wall(dvbcss::clock::monotonic_time_source::instance(), 1e9,
                                         500);
    wall_clock_server server(io.get_executor(), server_wall, loopback_config(followup));
    ASSERT_FALSE(server.start());
    const auto port = server.local_endpoint().port();
    ASSERT_NE(port, 0);

    client_side c(io, server.local_endpoint(), algorithm);
    ASSERT_FALSE(c.client->start());
    const bool converged = run_until(
        io,
        [&] {
            return c.client->statistics().core.candidates_accepted >= 3 &&
                   c.client->dispersion_ns() < 10e6;
        },
        10s);
    const auto cs = c.client->statistics();
    const auto ss = server.statistics();
    ASSERT_TRUE(converged) << "requests=" << cs.core.requests << " responses=" << cs.core.responses
                           << " dispersion_ns=" << c.client->dispersion_ns();
    // True offset is 0: both sides read CLOCK_MONOTONIC. The estimate must be within its own
    // error bound (and well under a millisecond on loopback).
    const auto offset = c.client->offset_ns();
    EXPECT_LE(std::abs(static_cast<double>(offset)), c.client->dispersion_ns());
    EXPECT_LT(std::abs(offset), 1'000'000);
    EXPECT_GE(ss.core.answered, 3U);
    EXPECT_EQ(cs.core.ignored(), 0U);
    // t1 comes from the kernel's transmit timestamp (loopback has software timestamps).
    EXPECT_GE(cs.kernel_transmit_timestamps, 3U);
    EXPECT_EQ(cs.kernel_transmit_timestamps, cs.core.transmit_times_used);
    if (followup) {
        EXPECT_GE(ss.followups_sent, 3U);
        EXPECT_GE(ss.kernel_transmit_timestamps, 1U) << "follow-ups used no kernel transmit time";
        EXPECT_EQ(cs.core.followups_missing, 0U);
    } else {
        EXPECT_EQ(ss.followups_sent, 0U);
    }
}

TEST(WcLoopback, ClientConvergesWithoutFollowups) {
    expect_converges(false, "lowest-dispersion");
}

TEST(WcLoopback, ClientConvergesWithFollowups) {
    expect_converges(true, "lowest-dispersion");
}

TEST(WcLoopback, EveryEstimatorConverges) {
    for (auto name : dvbcss::wc::estimator_names()) {
        SCOPED_TRACE(std::string(name));
        expect_converges(false, std::string(name));
    }
}

TEST(WcLoopback, ServerAnswersIPv6) {
    asio::io_context io;
    dvbcss::clock::sys_clock wall(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
    wall_clock_server_config config;
    config.bind = udp::endpoint(asio::ip::make_address("::1"), 0);
    wall_clock_server server(io.get_executor(), wall, config);
    if (server.start()) {
        GTEST_SKIP() << "no IPv6 loopback on this machine";
    }
    client_side c(io, server.local_endpoint());
    ASSERT_FALSE(c.client->start());
    EXPECT_TRUE(run_until(
        io, [&] { return c.client->statistics().core.candidates_accepted >= 2; }, 10s));
}

TEST(WcLoopback, ServerKeepsAnsweringBetweenMalformedDatagrams) {
    const quiet_log quiet;
    threaded_server ts(loopback_config());
    const auto server = ts.start();
    raw_peer peer(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));

    std::mt19937 rng(20240611);
    std::vector<std::vector<std::byte>> hostile;
    hostile.emplace_back();                   // empty
    hostile.emplace_back(1, std::byte{0});    // one byte
    hostile.emplace_back(31, std::byte{0});   // short by one
    hostile.emplace_back(33, std::byte{0});   // long by one
    hostile.emplace_back(1200, std::byte{0}); // much longer than the receive buffer
    auto bad_version = request_bytes(1, 2);
    bad_version[0] = std::byte{1};
    hostile.push_back(bad_version);
    auto bad_type = request_bytes(1, 2);
    bad_type[1] = std::byte{4};
    hostile.push_back(bad_type);
    bad_type[1] = std::byte{255};
    hostile.push_back(bad_type);
    for (int type = 1; type <= 3; ++type) { // responses sent to a server
        auto response = request_bytes(1, 2);
        response[1] = static_cast<std::byte>(type);
        hostile.push_back(response);
    }
    for (int i = 0; i < 20; ++i) { // random bytes of random length, never a valid request
        std::vector<std::byte> junk(rng() % 64);
        for (auto& b : junk) {
            b = static_cast<std::byte>(rng());
        }
        if (junk.size() == 32 && junk[0] == std::byte{0} && junk[1] == std::byte{0}) {
            junk[0] = std::byte{9};
        }
        hostile.push_back(junk);
    }

    std::uint32_t n = 0;
    for (const auto& h : hostile) {
        peer.send(h, server);
        ++n;
        const auto valid = request_bytes(1000 + n, 0xFFFFFFFFU - n); // non-normalised nanos
        peer.send(valid, server);
        const auto reply = peer.receive();
        ASSERT_TRUE(reply.has_value()) << "no reply after hostile datagram #" << n;
        ASSERT_EQ(reply->size(), dvbcss::wc::message_size);
        auto decoded = dvbcss::wc::decode(*reply);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(decoded->type, dvbcss::wc::message_type::response);
        // The originate field comes back bit for bit, non-normalised nanoseconds included.
        EXPECT_EQ(decoded->originate, (dvbcss::wc::raw_timestamp{1000 + n, 0xFFFFFFFFU - n}));
        EXPECT_LE(decoded->receive_ns, decoded->transmit_ns);
    }
    EXPECT_FALSE(peer.receive().has_value()) << "a hostile datagram was answered";
    ts.join();
    const auto s = ts.server.statistics();
    EXPECT_EQ(s.core.answered, hostile.size());
    EXPECT_EQ(s.core.ignored(), hostile.size());
    EXPECT_EQ(s.core.not_a_request, 3U);
    EXPECT_EQ(s.core.bad_version, 1U);
    EXPECT_GE(s.core.bad_message_type, 2U);
    EXPECT_GE(s.truncated, 1U);
}

TEST(WcLoopback, ServerRestarts) {
    asio::io_context io;
    dvbcss::clock::sys_clock wall(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
    wall_clock_server server(io.get_executor(), wall, loopback_config());
    raw_peer peer(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.socket.non_blocking(true);

    const auto exchange = [&](const udp::endpoint& to) {
        peer.send(request_bytes(7, 7), to);
        std::optional<std::vector<std::byte>> got;
        run_until(
            io,
            [&] {
                std::vector<std::byte> buf(64);
                udp::endpoint from;
                boost::system::error_code ec;
                const auto n =
                    peer.socket.receive_from(asio::buffer(buf.data(), buf.size()), from, 0, ec);
                if (!ec) {
                    buf.resize(n);
                    got = buf;
                }
                return got.has_value();
            },
            1500ms);
        return got;
    };

    ASSERT_FALSE(server.start());
    const auto first = server.local_endpoint();
    EXPECT_TRUE(exchange(first).has_value());
    EXPECT_FALSE(server.start()) << "start while running is a no-op";
    server.stop();
    EXPECT_FALSE(server.running());
    EXPECT_FALSE(exchange(first).has_value()) << "a stopped server answered";
    server.stop(); // twice is harmless

    ASSERT_FALSE(server.start());
    EXPECT_TRUE(server.running());
    EXPECT_TRUE(exchange(server.local_endpoint()).has_value());
    EXPECT_EQ(server.statistics().core.answered, 2U);
}

TEST(WcLoopback, ClientSurvivesMalformedResponses) {
    // A hostile "server" answers every request with junk (from the server's own address) before
    // the real response: the client must ignore the junk and still converge (reference bug B4).
    const quiet_log quiet;
    asio::io_context io;
    udp::socket fake(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_side c(io, fake.local_endpoint());
    ASSERT_FALSE(c.client->start());

    std::vector<std::byte> buf(64);
    udp::endpoint from;
    std::function<void()> serve = [&] {
        fake.async_receive_from(
            asio::buffer(buf.data(), buf.size()), from,
            [&](const boost::system::error_code& ec, std::size_t n) {
                if (ec) {
                    return;
                }
                const auto now = dvbcss::net::monotonic_now_ns();
                auto req = dvbcss::wc::decode(std::span<const std::byte>(buf.data(), n));
                if (req) {
                    const std::vector<std::vector<std::byte>> junk = {
                        {},
                        std::vector<std::byte>(5, std::byte{1}),
                        std::vector<std::byte>(32, std::byte{0}), // a request (type 0)
                        std::vector<std::byte>(32, std::byte{7})};
                    for (const auto& j : junk) {
                        fake.send_to(asio::buffer(j.data(), j.size()), from);
                    }
                    dvbcss::wc::message resp = *req;
                    resp.type = dvbcss::wc::message_type::response;
                    resp.precision = -20;
                    resp.max_freq_error = dvbcss::wc::encode_max_freq_error(50);
                    resp.receive_ns = now;
                    resp.transmit_ns = dvbcss::net::monotonic_now_ns();
                    const auto bytes = dvbcss::wc::encode(resp);
                    fake.send_to(asio::buffer(bytes.data(), bytes.size()), from);
                }
                serve();
            });
    };
    serve();
    const bool converged = run_until(
        io, [&] { return c.client->statistics().core.candidates_accepted >= 3; }, 10s);
    const auto s = c.client->statistics();
    EXPECT_TRUE(converged) << "responses=" << s.core.responses;
    EXPECT_GE(s.core.malformed, 3U);
    EXPECT_GE(s.core.not_a_response, 1U);
    EXPECT_LT(std::abs(c.client->offset_ns()), 1'000'000);
}

TEST(WcLoopback, ClientIgnoresOtherSourcesAndRestarts) {
    const quiet_log quiet;
    asio::io_context io;
    dvbcss::clock::sys_clock server_wall(dvbcss::clock::monotonic_time_source::instance(), 1e9,
                                         500);
    wall_clock_server server(io.get_executor(), server_wall, loopback_config());
    ASSERT_FALSE(server.start());
    client_side c(io, server.local_endpoint());
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(run_until(
        io, [&] { return c.client->statistics().core.candidates_accepted >= 1; }, 10s));

    // A stranger sends a well-formed response to the client: ignored as "wrong source".
    raw_peer stranger(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto forged = request_bytes(1, 1);
    forged[1] = std::byte{1};
    stranger.send(forged, c.client->local_endpoint());
    ASSERT_TRUE(run_until(
        io, [&] { return c.client->statistics().core.wrong_source >= 1; }, 5s));

    // Stop, then start again: it carries on.
    c.client->stop();
    EXPECT_FALSE(c.client->running());
    run_for(io, 100ms);
    const auto before =
        c.client->statistics().core.candidates_accepted + c.client->statistics().core.candidates;
    ASSERT_FALSE(c.client->start());
    EXPECT_TRUE(run_until(
        io,
        [&] {
            const auto s = c.client->statistics().core;
            return s.candidates_accepted + s.candidates >= before + 4;
        },
        10s));
}

TEST(WcLoopback, ServerRecordsProcessingDelay) {
    asio::io_context io;
    dvbcss::clock::sys_clock wall(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
    auto config = loopback_config();
    config.record_processing_delay = true;
    wall_clock_server server(io.get_executor(), wall, config);
    ASSERT_FALSE(server.start());
    EXPECT_FALSE(server.processing_delay_percentile_ns(0.5).has_value());
    client_side c(io, server.local_endpoint());
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(run_until(
        io, [&] { return server.statistics().core.answered >= 3; }, 10s));
    const auto p50 = server.processing_delay_percentile_ns(0.5);
    const auto p99 = server.processing_delay_percentile_ns(0.99);
    ASSERT_TRUE(p50 && p99);
    EXPECT_GE(*p50, 0);
    EXPECT_LE(*p50, *p99);
    EXPECT_LE(*p99, 10'000'000);
}

TEST(WcLoopback, BusyPollServerSharesItsExecutorAndRestarts) {
    // The busy-polling server spins in slices and re-posts itself, so the client on the same
    // single-threaded io_context still runs, and timers still fire.
    asio::io_context io;
    dvbcss::clock::sys_clock wall(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
    auto config = loopback_config(true);
    config.busy_poll = true;
    config.busy_poll_socket_us = 50; // may be refused without privileges: the server runs on
    config.record_processing_delay = true;
    wall_clock_server server(io.get_executor(), wall, config);
    ASSERT_FALSE(server.start());
    client_side c(io, server.local_endpoint());
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(run_until(
        io,
        [&] {
            return c.client->statistics().core.candidates_accepted >= 3 &&
                   c.client->dispersion_ns() < 10e6;
        },
        10s));
    EXPECT_LE(std::abs(static_cast<double>(c.client->offset_ns())), c.client->dispersion_ns());
    EXPECT_GE(server.statistics().followups_sent, 3U);
    ASSERT_TRUE(server.processing_delay_percentile_ns(0.5).has_value());

    // Stop and start again on the same port: exactly one polling loop runs afterwards.
    server.stop();
    EXPECT_FALSE(server.running());
    run_for(io, 20ms); // the stopped loop's queued turn ends
    ASSERT_FALSE(server.start());
    EXPECT_TRUE(server.running());
    const auto answered = server.statistics().core.answered;
    client_side c2(io, server.local_endpoint());
    ASSERT_FALSE(c2.client->start());
    EXPECT_TRUE(run_until(
        io, [&] { return server.statistics().core.answered >= answered + 3; }, 10s));
    EXPECT_EQ(server.statistics().receive_errors, 0U);
}

} // namespace

// ---- ports in use and the core's reasons in the log ----

TEST(WcLoopback, SecondServerOnTheSamePortFailsAndTheFirstKeepsItsTraffic) {
    const quiet_log quiet;
    threaded_server first(loopback_config());
    const auto bound = first.start();

    asio::io_context io;
    dvbcss::clock::sys_clock wall(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
    auto same = loopback_config();
    same.bind = bound;
    wall_clock_server second(io.get_executor(), wall, same);
    EXPECT_EQ(second.start(), asio::error::address_in_use);
    EXPECT_FALSE(second.running());
    auto any = loopback_config();
    any.bind = udp::endpoint(asio::ip::address_v4::any(), bound.port());
    wall_clock_server third(io.get_executor(), wall, any);
    EXPECT_EQ(third.start(), asio::error::address_in_use) << "0.0.0.0 overlaps 127.0.0.1";

    // The first server still gets (and answers) every request.
    raw_peer peer(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    for (std::uint32_t i = 0; i < 5; ++i) {
        peer.send(request_bytes(i, i), bound);
        ASSERT_TRUE(peer.receive().has_value()) << "request " << i << " not answered";
    }
    first.join();
    EXPECT_EQ(first.server.statistics().core.answered, 5U);
}

TEST(WcLoopback, TwoClientsWithTheSameFixedLocalPortAreRefused) {
    const quiet_log quiet;
    asio::io_context io;
    udp::socket fake_server(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_side a(io, fake_server.local_endpoint());
    ASSERT_FALSE(a.client->start());
    const auto taken = a.client->local_endpoint();

    dvbcss::clock::sys_clock local{dvbcss::clock::monotonic_time_source::instance(), 1e9, 500};
    dvbcss::clock::correlated_clock wall{local, 1e9};
    wall_clock_client_config config;
    config.server = fake_server.local_endpoint();
    config.bind = taken;
    wall_clock_client b(io.get_executor(), wall,
                        dvbcss::wc::make_estimator("lowest-dispersion", wall, {}), config);
    EXPECT_EQ(b.start(), asio::error::address_in_use);
    EXPECT_FALSE(b.running());
    EXPECT_TRUE(a.client->running());
}

TEST(WcLoopback, CoreSaysWhyItIgnoredADatagram) {
    dvbcss::clock::sys_clock wall(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
    dvbcss::wc::server core(wall);
    dvbcss::errc why = dvbcss::errc::ok;
    auto bytes = request_bytes(1, 2);
    EXPECT_TRUE(core.on_datagram(bytes, 1, why));
    EXPECT_EQ(why, dvbcss::errc::ok);
    bytes[1] = std::byte{3}; // a follow-up sent to a server
    EXPECT_FALSE(core.on_datagram(bytes, 1, why));
    EXPECT_EQ(why, dvbcss::errc::not_a_request);
    bytes[1] = std::byte{4};
    EXPECT_FALSE(core.on_datagram(bytes, 1, why));
    EXPECT_EQ(why, dvbcss::errc::bad_message_type);
    bytes[0] = std::byte{1};
    EXPECT_FALSE(core.on_datagram(bytes, 1, why));
    EXPECT_EQ(why, dvbcss::errc::bad_version);
    bytes.pop_back();
    EXPECT_FALSE(core.on_datagram(bytes, 1, why));
    EXPECT_EQ(why, dvbcss::errc::wrong_length);
    EXPECT_EQ(core.statistics().ignored(), 4U);
}

TEST(WcLoopback, ServerLogsTheCoresReasonForEveryIgnoredDatagram) {
    const captured_log log(dvbcss::net::log::level::warning);
    threaded_server ts(loopback_config());
    const auto server = ts.start();
    raw_peer peer(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto followup = request_bytes(1, 2);
    followup[1] = std::byte{3};
    peer.send(followup, server);
    auto short_one = request_bytes(1, 2);
    short_one.pop_back();
    peer.send(short_one, server);
    auto bad_version = request_bytes(1, 2);
    bad_version[0] = std::byte{2};
    peer.send(bad_version, server);
    peer.send(request_bytes(9, 9), server);
    ASSERT_TRUE(peer.receive().has_value());
    ts.join();
    EXPECT_EQ(log.count("wc.server:ignored a 32-byte datagram from 127.0.0.1 port " +
                        std::to_string(peer.socket.local_endpoint().port()) +
                        ": message is not a request"),
              1U);
    EXPECT_EQ(log.count("31-byte datagram from 127.0.0.1 port " +
                        std::to_string(peer.socket.local_endpoint().port()) +
                        ": message is not the length the protocol defines"),
              1U);
    EXPECT_EQ(log.count(": unsupported protocol version"), 1U);
    EXPECT_EQ(log.count("unexpected type"), 0U);
}

TEST(WcLoopback, ClientLogsTheCoresReasonForEveryIgnoredDatagram) {
    // The "server" is a raw socket that answers the first request with a follow-up for a request
    // never sent, a request, and a response with the right originate twice (the second a copy).
    const captured_log log(dvbcss::net::log::level::warning);
    asio::io_context io;
    raw_peer fake(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    fake.socket.non_blocking(true);
    client_side c(io, fake.socket.local_endpoint());
    ASSERT_FALSE(c.client->start());
    std::optional<dvbcss::wc::message> request;
    udp::endpoint client;
    ASSERT_TRUE(run_until(
        io,
        [&] {
            std::vector<std::byte> buf(64);
            boost::system::error_code ec;
            const auto n =
                fake.socket.receive_from(asio::buffer(buf.data(), buf.size()), client, 0, ec);
            if (!ec) {
                auto m = dvbcss::wc::decode(std::span<const std::byte>(buf.data(), n));
                if (m) {
                    request = *m;
                }
            }
            return request.has_value();
        },
        5s));
    auto stale = *request;
    stale.type = dvbcss::wc::message_type::followup;
    stale.originate.seconds ^= 0x5555U;
    const auto stale_bytes = dvbcss::wc::encode(stale);
    auto as_request = *request;
    as_request.type = dvbcss::wc::message_type::request;
    const auto request_copy = dvbcss::wc::encode(as_request);
    auto response = *request;
    response.type = dvbcss::wc::message_type::response;
    response.receive_ns = dvbcss::net::monotonic_now_ns();
    response.transmit_ns = response.receive_ns;
    response.precision = -20;
    const auto response_bytes = dvbcss::wc::encode(response);
    for (const auto* b : {&stale_bytes, &request_copy, &response_bytes, &response_bytes}) {
        fake.socket.send_to(asio::buffer(b->data(), b->size()), client);
    }
    ASSERT_TRUE(run_until(
        io, [&] { return c.client->statistics().core.duplicates >= 1; }, 5s));
    EXPECT_EQ(log.count("originate time matches no recent request"), 1U);
    EXPECT_EQ(log.count("a request, not a response"), 1U);
    EXPECT_EQ(log.count("a second copy of an answered response"), 1U);
    EXPECT_EQ(log.count("unexpected type"), 0U);
}
