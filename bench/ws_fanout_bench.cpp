// ws_fanout_bench: one CSS-CII change pushed to N connected companions over loopback; how long
// until every one has received it. The server (our cii_server on websocket_server) runs on one
// io_context thread, the N clients (our websocket_client) on another.
//
//   ws_fanout_bench [N ...]        default: 1000 5000
//
// For each N it prints the connection set-up time, then per round the time from set_cii() to the
// first, median, 99th-percentile and last arrival.

#include "bench_support.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/net/cii_server.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

namespace {

using namespace dvbcss;
using clock_type = std::chrono::steady_clock;
using bench::io_thread;
using bench::raise_fd_limit;

double ms(clock_type::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

template <class Predicate>
bool wait_until(Predicate predicate, std::chrono::seconds timeout) {
    const auto end = clock_type::now() + timeout;
    while (!predicate()) {
        if (clock_type::now() > end) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

cii::message programme(int round) {
    cii::message m;
    m.protocol_version = std::string(cii::protocol_version_1_1);
    m.content_id = "dvb://233a.1004.1044;" + std::to_string(round);
    m.content_id_status = cii::id_status::final;
    m.presentation_status = std::vector<std::string>{"okay"};
    return m;
}

int run(std::size_t n) {
    constexpr int rounds = 5;
    io_thread server_io;
    io_thread client_io;
    net::websocket_server server(server_io.context.get_executor(), {});
    net::cii_server cii(server, server_io.context.get_executor());
    if (auto ec = server.start()) {
        std::fprintf(stderr, "cannot listen: %s\n", ec.message().c_str());
        return 1;
    }
    const auto url = "ws://127.0.0.1:" + std::to_string(server.local_endpoint().port()) + "/cii";

    // arrival[i] is written by the client thread; `received` publishes it.
    std::vector<clock_type::time_point> arrival(n);
    std::atomic<std::size_t> received{0};
    std::atomic<std::size_t> opened{0};
    std::atomic<std::size_t> failed{0};
    std::vector<std::unique_ptr<net::websocket_client>> clients;
    clients.reserve(n);

    // Declared last, destroyed first: no callback runs once the objects above start to go.
    struct stopper {
        io_thread& a;
        io_thread& b;

        ~stopper() {
            a.stop();
            b.stop();
        }
    } stop_threads{server_io, client_io};

    const auto connect_start = clock_type::now();
    constexpr std::size_t batch = 500; // stay well inside the listen backlog
    for (std::size_t i = 0; i < n; ++i) {
        net::websocket_client_config config;
        config.url = url;
        net::websocket_client_callbacks callbacks;
        callbacks.on_open = [&opened] {
            opened.fetch_add(1, std::memory_order_relaxed);
        };
        callbacks.on_text = [&arrival, &received, i](std::string_view) {
            arrival[i] = clock_type::now();
            received.fetch_add(1, std::memory_order_release);
        };
        callbacks.on_connect_failed = [&failed](const net::connect_failure&) {
            failed.fetch_add(1, std::memory_order_relaxed);
        };
        clients.push_back(std::make_unique<net::websocket_client>(client_io.context.get_executor(),
                                                                  config, std::move(callbacks)));
        static_cast<void>(clients.back()->start());
        if ((i + 1) % batch == 0 || i + 1 == n) {
            if (!wait_until([&] { return opened.load() + failed.load() >= i + 1; },
                            std::chrono::seconds(60))) {
                std::fprintf(stderr, "connections stalled at %zu\n", opened.load());
                return 1;
            }
        }
    }
    // Every client gets the initial CII on connect.
    if (!wait_until([&] { return received.load() >= opened.load(); }, std::chrono::seconds(60)) ||
        failed.load() != 0) {
        std::fprintf(stderr, "set-up failed: %zu opened, %zu failed\n", opened.load(),
                     failed.load());
        return 1;
    }
    const auto connect_time = clock_type::now() - connect_start;
    std::printf("N=%zu  connections open: %zu in %.0f ms (%.0f per second)\n", n, opened.load(),
                ms(connect_time), static_cast<double>(n) / (ms(connect_time) / 1000.0));

    std::vector<double> lasts;
    for (int round = 1; round <= rounds; ++round) {
        received.store(0);
        const auto t0 = clock_type::now();
        cii.set_cii(programme(round));
        if (!wait_until([&] { return received.load(std::memory_order_acquire) >= n; },
                        std::chrono::seconds(60))) {
            std::fprintf(stderr, "round %d: only %zu of %zu received\n", round, received.load(), n);
            return 1;
        }
        std::vector<double> delays;
        delays.reserve(n);
        for (const auto& t : arrival) {
            delays.push_back(ms(t - t0));
        }
        std::sort(delays.begin(), delays.end());
        const auto at = [&](double q) {
            return delays[std::min(n - 1, static_cast<std::size_t>(q * static_cast<double>(n)))];
        };
        std::printf("N=%zu  round %d: first %.2f ms  median %.2f ms  p99 %.2f ms  all %.2f ms\n", n,
                    round, delays.front(), at(0.5), at(0.99), delays.back());
        lasts.push_back(delays.back());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::sort(lasts.begin(), lasts.end());
    std::printf("N=%zu  time until all %zu received: best %.2f ms, median %.2f ms over %d rounds\n",
                n, n, lasts.front(), lasts[lasts.size() / 2], rounds);
    std::fflush(stdout);

    for (auto& c : clients) {
        c->close();
    }
    server.stop();
    wait_until([&] { return cii.endpoint().connection_count() == 0; }, std::chrono::seconds(20));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    raise_fd_limit();
    net::log::set_level(net::log::level::error);
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) {
        sizes.push_back(static_cast<std::size_t>(std::strtoul(argv[i], nullptr, 10)));
    }
    if (sizes.empty()) {
        sizes = {1000, 5000};
    }
    for (const auto n : sizes) {
        if (n == 0 || run(n) != 0) {
            return 1;
        }
    }
    return 0;
}
