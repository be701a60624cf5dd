// wallclock-server: a CSS-WC wall clock server on UDP (the reference's
// examples/WallClockServer.py).
//
//   wallclock-server [wc_addr] [wc_port]   defaults 0.0.0.0 6677 (port 0: any free port)
//     --mfe/--maxfreqerror PPM   max frequency error of the local oscillator (default 500, >= 0)
//     --fr/--followup-replies    send a type-2 response then a type-3 follow-up
//     --busy-poll                spin on non-blocking receive calls instead of waiting in epoll:
//                                a few µs less processing delay for a whole CPU core kept busy
//     --busy-poll-us US          with --busy-poll, also set SO_BUSY_POLL (NIC driver polling;
//                                not loopback); refused without --busy-poll
//     --ws-port N                also serve CSS-WC over WebSocket at ws://wc_addr:N/wc (0: any
//                                free port; default: off): 32-byte messages in binary frames, the
//                                BBC JSON form in text frames (docs/wall-clock-websocket.md)
//     -q, --loglevel, --version, --help
//
// Bound to 0.0.0.0 or ::, the banner names the address of each interface it can be reached at;
// with --ws-port it also prints "CSS-WC WebSocket endpoint URL: ws://host:port/wc" per address.
// Both transports run on the one io thread that owns the wall clock, each with its own wc::server
// core. Exit status: 0 stopped by a signal, 1 could not bind, 2 usage error (including an address
// that does not resolve, "host:port" as one argument, or a lone number where the address goes).
//
// The wall clock is the OS monotonic clock at 1e9 ticks per second (the reference uses 1e6); the
// precision reported is its measured read precision. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.

#include "common/cli.hpp"
#include "common/net_setup.hpp"
#include "common/stop_signals.hpp"

#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/wall_clock_server.hpp>
#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/io_context.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace {

struct server_options {
    dvbcss::tools::common_options common{false, "info"};
    std::string address = "0.0.0.0";
    int port = 6677;
    double max_freq_error_ppm = 500;
    bool followup = false;
    bool busy_poll = false;
    unsigned busy_poll_us = 0;
    int ws_port = -1; // -1: no WebSocket endpoint
};

int run(const server_options& o) {
    using namespace dvbcss;
    auto endpoint = net::resolve_udp_endpoint(o.address, static_cast<std::uint16_t>(o.port));
    if (!endpoint) {
        std::fprintf(stderr, "wallclock-server: cannot resolve %s\n", o.address.c_str());
        return dvbcss::tools::exit_status::usage;
    }
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);
    clock::sys_clock wall_clock(clock::monotonic_time_source::instance(), 1e9,
                                o.max_freq_error_ppm);
    net::wall_clock_server_config config;
    config.bind = *endpoint;
    config.core.followup = o.followup;
    config.busy_poll = o.busy_poll;
    config.busy_poll_socket_us = o.busy_poll_us;
    net::wall_clock_server server(io.get_executor(), wall_clock, config);
    if (auto ec = server.start()) {
        std::fprintf(stderr, "wallclock-server: cannot bind %s port %d: %s\n", o.address.c_str(),
                     o.port, ec.message().c_str());
        return dvbcss::tools::exit_status::failed;
    }
    // CSS-WC over WebSocket beside UDP, on the same io thread (which owns the wall clock).
    std::unique_ptr<net::websocket_server> ws_server;
    std::unique_ptr<net::wall_clock_ws_server> ws_wc;
    if (o.ws_port >= 0) {
        net::websocket_server_config ws_config;
        ws_config.address = endpoint->address();
        ws_config.port = static_cast<std::uint16_t>(o.ws_port);
        ws_server = std::make_unique<net::websocket_server>(io.get_executor(), ws_config);
        net::wall_clock_ws_server_config wc_config;
        wc_config.core = config.core;
        ws_wc =
            std::make_unique<net::wall_clock_ws_server>(*ws_server, "/wc", wall_clock, wc_config);
        if (auto ec = ws_server->start()) {
            std::fprintf(stderr, "wallclock-server: cannot listen on %s port %d: %s\n",
                         o.address.c_str(), o.ws_port, ec.message().c_str());
            return dvbcss::tools::exit_status::failed;
        }
    }
    if (!o.common.quiet) {
        auto lines = dvbcss::tools::udp_bound_line("CSS-WC endpoint", server.local_endpoint());
        if (ws_server) {
            lines += dvbcss::tools::endpoint_url_lines(
                "CSS-WC WebSocket endpoint URL: ", ws_server->local_endpoint(), "/wc");
        }
        std::printf("----\n%s----\n", lines.c_str());
        std::fflush(stdout);
    }
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            server.stop();
            if (ws_server) {
                ws_server->stop(); // companions get 1001; run() returns when they are gone
            } else {
                io.stop();
            }
        }
    });
    io.run();
    if (!o.common.quiet) {
        const auto s = server.statistics();
        std::printf("wallclock-server: datagrams=%llu answered=%llu followups=%llu ignored=%llu "
                    "send_failures=%llu",
                    static_cast<unsigned long long>(s.datagrams),
                    static_cast<unsigned long long>(s.core.answered),
                    static_cast<unsigned long long>(s.followups_sent),
                    static_cast<unsigned long long>(s.core.ignored()),
                    static_cast<unsigned long long>(s.send_failures));
        if (ws_wc) {
            const auto w = ws_wc->statistics();
            std::printf(" ws_binary=%llu ws_json=%llu ws_ignored=%llu",
                        static_cast<unsigned long long>(w.binary_requests),
                        static_cast<unsigned long long>(w.json_requests),
                        static_cast<unsigned long long>(w.ignored));
        }
        std::printf("\n");
    }
    return dvbcss::tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    return dvbcss::tools::run_main([&]() -> int {
        server_options o;
        CLI::App app{"CSS-WC wall clock server (UDP)", "wallclock-server"};
        app.footer(dvbcss::tools::exit_status_help);
        dvbcss::tools::add_common_options(app, o.common);
        app.add_option("wc_addr", o.address, "IP address or host name to bind (default 0.0.0.0)")
            ->check(dvbcss::tools::address_argument("0.0.0.0"));
        app.add_option("wc_port", o.port, "UDP port to bind (default 6677; 0: any free port)")
            ->check(dvbcss::tools::port_number());
        app.add_option("--mfe,--maxfreqerror", o.max_freq_error_ppm,
                       "Maximum frequency error of the local oscillator, ppm (default 500)")
            ->check(dvbcss::tools::number_between(0, 1e6));
        app.add_flag("--fr,--followup-replies", o.followup,
                     "Send a response with follow-up (type 2) then the follow-up (type 3)");
        auto* busy_poll =
            app.add_flag("--busy-poll", o.busy_poll,
                         "Spin on non-blocking receive calls instead of sleeping until a request "
                         "arrives: lower processing delay, one CPU core fully busy");
        app.add_option("--busy-poll-us", o.busy_poll_us,
                       "With --busy-poll, also set SO_BUSY_POLL to this many microseconds "
                       "(NIC drivers with busy polling; may need CAP_NET_ADMIN)")
            ->check(dvbcss::tools::integer_between(0, 1'000'000))
            ->needs(busy_poll);
        app.add_option("--ws-port", o.ws_port,
                       "Also serve CSS-WC over WebSocket on this TCP port at /wc (0: any free "
                       "port; default: off)")
            ->check(dvbcss::tools::port_number());
        if (const auto exit_code = dvbcss::tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        return run(o);
    });
}
