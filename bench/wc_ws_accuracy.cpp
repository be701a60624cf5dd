// CSS-WC over UDP and over WebSocket, side by side on loopback: one server thread serves the same
// wall clock (CLOCK_MONOTONIC at 1 GHz) on UDP (kernel timestamps) and on a WebSocket endpoint
// (both framings), and our client runs against each transport in turn. Client and server read the
// same CLOCK_MONOTONIC, so the client's estimated offset (wall clock minus local clock) is its
// true error. Prints, per transport, percentiles over every response after the first 2 s: round
// trip, reported dispersion (the error bound) and |true error|, the mean error (bias) and how
// often the error exceeded the bound. Plain program; the figures go into
// docs/wall-clock-websocket.md.
//
// Usage: wc_ws_accuracy [SECONDS=20] [INTERVAL_MS=100]   (-h/--help; exit 2 on a bad argument)

#include "bench_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/wall_clock_server.hpp>
#include <dvbcss/net/wall_clock_ws_client.hpp>
#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/wc/estimator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* usage =
    "Usage: wc_ws_accuracy [SECONDS] [INTERVAL_MS]\n"
    "CSS-WC on loopback over UDP and over WebSocket (binary and JSON framings), our client "
    "against\n"
    "our server in another thread: round trip, dispersion and true error per transport.\n"
    "  SECONDS      run time per transport, a whole number > 2 (default 20)\n"
    "  INTERVAL_MS  time between requests, ms, a whole number >= 10 (default 100)\n"
    "Exit status: 0 done, 1 a server could not start, 2 usage error.\n";

/// What one response left behind, ns.
struct sample {
    double rtt = 0;
    double dispersion = 0;
    double error = 0; // signed: wall clock minus local clock, whose truth is 0
};

struct figures {
    std::vector<double> rtt;
    std::vector<double> dispersion;
    std::vector<double> abs_error;
    double mean_error = 0;
    std::size_t over_bound = 0;
    std::size_t requests = 0;
    std::size_t responses = 0;
};

figures summarise(const std::vector<sample>& samples) {
    figures f;
    double sum = 0;
    for (const auto& s : samples) {
        f.rtt.push_back(s.rtt);
        f.dispersion.push_back(s.dispersion);
        f.abs_error.push_back(std::fabs(s.error));
        sum += s.error;
        if (std::fabs(s.error) > s.dispersion) {
            ++f.over_bound;
        }
    }
    std::sort(f.rtt.begin(), f.rtt.end());
    std::sort(f.dispersion.begin(), f.dispersion.end());
    std::sort(f.abs_error.begin(), f.abs_error.end());
    f.mean_error = samples.empty() ? NAN : sum / static_cast<double>(samples.size());
    return f;
}

/// Runs `client` (started) on `io` for `seconds`, recording a sample per adopted or considered
/// measurement after the first 2 s.
template <class Client>
figures run_client(asio::io_context& io, Client& client, long long seconds) {
    std::vector<sample> samples;
    const auto start = std::chrono::steady_clock::now();
    client.on_event([&](const dvbcss::net::wall_clock_client_event& e) {
        if (!e.measurement || std::chrono::steady_clock::now() - start < 2s ||
            !std::isfinite(e.dispersion_ns)) {
            return;
        }
        samples.push_back({static_cast<double>(e.measurement->rtt_ns()), e.dispersion_ns,
                           static_cast<double>(e.offset_ns)});
    });
    io.restart();
    io.run_for(std::chrono::seconds(seconds));
    client.on_event(nullptr);
    auto f = summarise(samples);
    const auto s = client.statistics();
    f.requests = s.core.requests;
    f.responses = s.core.responses;
    client.stop();
    io.restart();
    io.run_for(200ms); // a WebSocket's closing handshake
    return f;
}

void print_row(const char* name, const figures& f) {
    using dvbcss::bench::quantile;
    const auto us = [](double ns) {
        return ns / 1e3;
    };
    std::printf("%-18s %6zu/%-6zu %8.1f %8.1f %9.1f %9.1f %9.1f %9.1f %+9.1f %6zu\n", name,
                f.responses, f.requests, us(quantile(f.rtt, 0.5)), us(quantile(f.rtt, 0.99)),
                us(quantile(f.dispersion, 0.5)), us(quantile(f.dispersion, 0.99)),
                us(quantile(f.abs_error, 0.5)), us(quantile(f.abs_error, 0.99)), us(f.mean_error),
                f.over_bound);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    if (const int status = dvbcss::bench::help_or_too_many(
            argc, argv, 2, "wc_ws_accuracy: at most two arguments", usage);
        status >= 0) {
        return status;
    }
    const long long seconds = argc > 1 ? dvbcss::bench::whole_argument(argv[1]) : 20;
    const long long interval_ms = argc > 2 ? dvbcss::bench::whole_argument(argv[2]) : 100;
    if (seconds <= 2 || interval_ms < 10 || seconds > 86400 || interval_ms > 60'000) {
        std::fprintf(stderr, "wc_ws_accuracy: bad arguments\n%s", usage);
        return 2;
    }
    dvbcss::net::log::set_level(dvbcss::net::log::level::error);

    // The server side, on its own thread: UDP and WebSocket on one io_context and one wall clock.
    dvbcss::bench::io_thread server_thread;
    dvbcss::clock::sys_clock server_wall(dvbcss::clock::monotonic_time_source::instance(), 1e9,
                                         500);
    dvbcss::net::wall_clock_server_config udp_config;
    udp_config.bind = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
    dvbcss::net::wall_clock_server udp_server(server_thread.context.get_executor(), server_wall,
                                              udp_config);
    dvbcss::net::websocket_server ws_server(server_thread.context.get_executor(), {});
    dvbcss::net::wall_clock_ws_server ws_wc(ws_server, "/wc", server_wall);
    {
        std::promise<bool> started;
        asio::post(server_thread.context,
                   [&] { started.set_value(!udp_server.start() && !ws_server.start()); });
        if (!started.get_future().get()) {
            std::fprintf(stderr, "wc_ws_accuracy: cannot start the servers\n");
            return 1;
        }
    }
    const auto udp_endpoint = udp_server.local_endpoint();
    const std::string url =
        "ws://127.0.0.1:" + std::to_string(ws_server.local_endpoint().port()) + "/wc";

    std::printf("CSS-WC on loopback, UDP vs WebSocket: %lld s per transport, a request every %lld "
                "ms, lowest-dispersion, local and server mfe 500 ppm; figures over the responses "
                "after the first 2 s, in microseconds.\n",
                seconds, interval_ms);
    std::printf("error = wall clock minus local clock (truth 0, both read CLOCK_MONOTONIC); "
                "disp = the client's reported bound; >bound = responses after which |error| > "
                "disp.\n\n");
    std::printf("%-18s %13s %8s %8s %9s %9s %9s %9s %9s %6s\n", "transport", "answered", "rtt p50",
                "rtt p99", "disp p50", "disp p99", "|err| p50", "|err| p99", "mean err", ">bound");

    dvbcss::wc::estimator_options est_options;
    est_options.repeat_interval = std::chrono::milliseconds(interval_ms);
    est_options.retry_interval = std::chrono::milliseconds(interval_ms);
    asio::io_context io;
    {
        dvbcss::clock::sys_clock local(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
        dvbcss::clock::correlated_clock wall(local, 1e9);
        dvbcss::net::wall_clock_client_config config;
        config.server = udp_endpoint;
        config.bind = asio::ip::udp::endpoint(udp_endpoint.address(), 0);
        dvbcss::net::wall_clock_client client(
            io.get_executor(), wall,
            dvbcss::wc::make_estimator("lowest-dispersion", wall, est_options), config);
        if (!client.start()) {
            print_row("udp", run_client(io, client, seconds));
        }
    }
    for (const auto framing :
         {dvbcss::net::wall_clock_framing::binary, dvbcss::net::wall_clock_framing::json}) {
        dvbcss::clock::sys_clock local(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500);
        dvbcss::clock::correlated_clock wall(local, 1e9);
        dvbcss::net::wall_clock_ws_client_config config;
        config.url = url;
        config.framing = framing;
        dvbcss::net::wall_clock_ws_client client(
            io.get_executor(), wall,
            dvbcss::wc::make_estimator("lowest-dispersion", wall, est_options), config);
        if (!client.start()) {
            const std::string name = std::string("websocket ") + dvbcss::net::to_string(framing);
            print_row(name.c_str(), run_client(io, client, seconds));
        }
    }

    const auto st = ws_wc.statistics();
    std::printf("\nWebSocket server: %llu binary and %llu JSON requests answered, %llu ignored.\n",
                static_cast<unsigned long long>(st.binary_requests),
                static_cast<unsigned long long>(st.json_requests),
                static_cast<unsigned long long>(st.ignored));
    std::promise<void> stopped;
    asio::post(server_thread.context, [&] {
        udp_server.stop();
        ws_server.stop();
        stopped.set_value();
    });
    stopped.get_future().get();
    std::this_thread::sleep_for(200ms);
    server_thread.stop();
    return 0;
}
