// wallclock-client: a CSS-WC wall clock client on UDP (the reference's
// examples/WallClockClient.py), or over WebSocket.
//
//   wallclock-client [addr] [port] [bindaddr] [bindport]   defaults 127.0.0.1 6677 0.0.0.0 random
//   wallclock-client ws://host:port/path [--ws-json]        CSS-WC over WebSocket (e.g. the /wc of
//                       wallclock-server --ws-port or tv-device): 32-byte messages in binary
//                       frames, or with --ws-json the BBC JSON form in text frames; reconnects
//                       with back-off (0.5 s doubling to 30 s) when the connection is lost. No
//                       port or bind arguments then. Output, --json lines and exit statuses are
//                       the UDP ones ("datagram" events are then messages), so the two
//                       transports can be compared side by side.
//     --algorithm lowest-dispersion|filter-predict|most-recent   (default lowest-dispersion)
//     --json              one JSON object per line (below) instead of the status lines
//     --duration SECONDS  stop after this long (> 0; default: run until Ctrl-C)
//     --interval SECONDS  wait between requests once a measurement is used (default 1, as the
//                         reference example); after an unused one the client waits the smaller
//                         of this and --timeout
//     --timeout SECONDS   how long to wait for a response (default 0.5, as the reference example)
//     --local-mfe PPM     max frequency error of the local clock (CLOCK_MONOTONIC), ppm (default
//                         500); the error bound grows at this plus the server's rate
//     --distrust-followup-transmit / --trust-followup-transmit
//                         with a follow-up server, take t3 from the type-2 response (default:
//                         it is read before sending, so the bound holds whatever the server
//                         puts in its follow-up) or from the follow-up (the spec's reading;
//                         tighter, but only honest if the server stamps the real departure, as
//                         wallclock-server --fr does with kernel timestamps; an impossible one,
//                         t3 - t2 > t4 - t1, is still discarded). pydvbcss --fr stamps its
//                         follow-up after sending: trusted, its t3 put the true offset (0) outside
//                         the reported bound in 22 of 24 updates on loopback (offset +48 us,
//                         dispersion 27 us); distrusted, in none.
//     -q, --loglevel (default debug, as the reference), --version, --help
//
// Exit status: 0 the clock was synchronised when it stopped; 1 could not bind, never connected
// (WebSocket), never got an answer from the server, or lost it (not synchronised at the end after
// having been; each says so in one line on stderr); 2 usage error (a bad option, an address that
// does not resolve, "host:port" as one argument, destination port 0, a bad ws:// URL, a URL with
// port or bind arguments, --ws-json without a URL).
//
// Retries (the core's one rule, docs/wall-clock.md): with d = min(interval, timeout), after the
// n-th timeout in a row the next request goes d * 2^(n-1) after the timed-out request's deadline,
// capped at max(interval, 2 s). Defaults: requests to a silent server at 0, 1, 2.5, 5, 7.5, 10,
// ... s, so a returning server is noticed within 2.5 s. Synchronisation counts as lost after 3
// requests in a row without a usable response; timeouts (rate-limited) and sync lost / regained
// are logged under "wc.client".
//
// Status lines, every 0.2 s (as the reference):
//   Time=<wall clock, µs> microseconds. Dispersion = <ms> milliseconds
// and every 25th line the worst dispersion of the previous 5 seconds (inf if the clock was
// unsynchronised at any time in them). On exit (Ctrl-C, SIGTERM or --duration) it prints a
// one-line summary: requests, responses, final offset and dispersion.
//
// --json lines, each with "event" first; times and durations in ns, named *_ns; null = unknown
// (offset and dispersion of a never-synchronised clock):
//   {"event":"datagram","wall_clock_ns":..,"offset_ns":..,"dispersion_ns":..,"outcome":"..",
//    then for a measurement "rtt_ns","candidate_offset_ns","t1_ns","t2_ns","t3_ns","t4_ns"}
//   {"event":"timeout"|"sync_acquired"|"sync_lost"|"sync_regained","local_ns":..,
//    "wall_clock_ns":..,"misses":..,"offset_ns":..,"dispersion_ns":..}
//   {"event":"summary","algorithm":"..","requests":..,"responses":..,"timeouts":..,
//    "candidates":..,"candidates_accepted":..,"followup_transmits_rejected":..,"ignored":..,
//    "sync_losses":..,"synchronised":true|false,"offset_ns":..,"dispersion_ns":..}
//   "candidates_accepted" is always a count; "outcome" says what one datagram did.

#include "common/cli.hpp"
#include "common/stop_signals.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/wall_clock_ws_client.hpp>
#include <dvbcss/wc/estimator.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

struct client_options {
    dvbcss::tools::common_options common{false, "debug"};
    std::string server_address = "127.0.0.1";
    int server_port = 6677;
    std::string bind_address = "0.0.0.0";
    std::string bind_port = "random";
    std::string algorithm = "lowest-dispersion";
    bool json = false;
    double duration_s = 0;
    double interval_s = 1.0;
    double timeout_s = 0.5;
    double local_mfe_ppm = 500;
    bool trust_followup_transmit = false; // the honest choice for any server (see above)
    bool ws_json = false;                 // with a ws:// URL: the JSON framing
};

/// True if the server argument is meant as a URL (ws://, or a mistyped or unsupported scheme
/// that deserves the URL checker's hint rather than the address checker's).
bool is_url(const std::string& text) {
    std::string l;
    for (const char c : text.substr(0, 4)) {
        l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return l.rfind("ws:", 0) == 0 || l.rfind("ws/", 0) == 0 || l.rfind("wss:", 0) == 0;
}

/// A finite number as JSON, or null for infinity/NaN (JSON has neither).
std::string json_number(double v) {
    if (!std::isfinite(v)) {
        return "null";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

const char* outcome_name(dvbcss::wc::client_outcome o) {
    switch (o) {
    case dvbcss::wc::client_outcome::ignored:
        return "ignored";
    case dvbcss::wc::client_outcome::awaiting_followup:
        return "awaiting_followup";
    case dvbcss::wc::client_outcome::candidate_not_used:
        return "candidate_not_used";
    case dvbcss::wc::client_outcome::clock_adjusted:
        return "clock_adjusted";
    }
    return "?";
}

/// An offset as JSON: null while the clock has never been synchronised (infinite dispersion).
std::string json_offset(std::int64_t offset_ns, double dispersion_ns) {
    if (!std::isfinite(dispersion_ns)) {
        return "null";
    }
    return std::to_string(offset_ns);
}

void print_event(const dvbcss::net::wall_clock_client_event& e, std::int64_t wall_ns) {
    if (e.status) {
        const auto& st = *e.status;
        std::printf("{\"event\":\"%s\",\"local_ns\":%lld,\"wall_clock_ns\":%lld,\"misses\":%u,"
                    "\"offset_ns\":%s,\"dispersion_ns\":%s}\n",
                    dvbcss::wc::to_string(st.kind), static_cast<long long>(st.local_ns),
                    static_cast<long long>(wall_ns), st.misses,
                    json_offset(e.offset_ns, st.dispersion_ns).c_str(),
                    json_number(st.dispersion_ns).c_str());
        std::fflush(stdout);
        return;
    }
    std::printf("{\"event\":\"datagram\",\"wall_clock_ns\":%lld,\"offset_ns\":%s,"
                "\"dispersion_ns\":%s,\"outcome\":\"%s\"",
                static_cast<long long>(wall_ns), json_offset(e.offset_ns, e.dispersion_ns).c_str(),
                json_number(e.dispersion_ns).c_str(), outcome_name(e.outcome));
    if (e.measurement) {
        const auto& c = *e.measurement;
        std::printf(",\"rtt_ns\":%lld,\"candidate_offset_ns\":%lld,\"t1_ns\":%lld,"
                    "\"t2_ns\":%lld,\"t3_ns\":%lld,\"t4_ns\":%lld",
                    static_cast<long long>(c.rtt_ns()), static_cast<long long>(c.offset_ns()),
                    static_cast<long long>(c.t1), static_cast<long long>(c.t2),
                    static_cast<long long>(c.t3), static_cast<long long>(c.t4));
    }
    std::printf("}\n");
    std::fflush(stdout);
}

/// Runs a started client (UDP or WebSocket) until --duration, SIGINT or SIGTERM: status lines or
/// --json events, then the summary; returns the exit status.
template <class Client>
int drive(boost::asio::io_context& io, dvbcss::tools::stop_signals& signals, Client& client,
          const dvbcss::clock::sys_clock& local_clock, const client_options& o,
          const std::string& server_name) {
    using namespace dvbcss;
    if (o.json) {
        client.on_event([&](const net::wall_clock_client_event& e) {
            if (e.outcome != wc::client_outcome::awaiting_followup) {
                print_event(e, client.wall_clock_ns());
            }
        });
    }

    // Status lines every 0.2 s, worst dispersion every 25th.
    boost::asio::steady_timer status_timer(io);
    int line = 0;
    std::function<void()> status = [&] {
        status_timer.expires_after(std::chrono::milliseconds(200));
        status_timer.async_wait([&](const boost::system::error_code& e) {
            if (e) {
                return;
            }
            if (!o.json) {
                const double disp = client.dispersion_ns();
                std::printf("Time=%20lld microseconds. Dispersion = %15.3f milliseconds\n",
                            static_cast<long long>(client.wall_clock_ns() / 1000), disp / 1e6);
                if (++line % 25 == 0) {
                    const double worst = client.current_estimator().worst_dispersion_ns(
                        static_cast<std::int64_t>(local_clock.nanos()));
                    std::printf("*** Worst dispersion over previous 5 seconds = %15.3f "
                                "milliseconds\n",
                                worst / 1e6);
                }
                std::fflush(stdout);
            }
            status();
        });
    };
    status();

    boost::asio::steady_timer end_timer(io);
    if (o.duration_s > 0) {
        end_timer.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o.duration_s)));
        end_timer.async_wait([&](const boost::system::error_code& e) {
            if (!e) {
                io.stop();
            }
        });
    }
    signals.async_wait([&](const boost::system::error_code& e, int) {
        if (!e) {
            io.stop();
        }
    });
    io.run();

    const auto s = client.statistics();
    const double disp = client.dispersion_ns();
    if (o.json) {
        const auto u = [](std::uint64_t v) {
            return static_cast<unsigned long long>(v);
        };
        std::printf("{\"event\":\"summary\",\"algorithm\":\"%s\",\"requests\":%llu,"
                    "\"responses\":%llu,\"timeouts\":%llu,\"candidates\":%llu,"
                    "\"candidates_accepted\":%llu,\"followup_transmits_rejected\":%llu,"
                    "\"ignored\":%llu,\"sync_losses\":%llu,\"synchronised\":%s,\"offset_ns\":%s,"
                    "\"dispersion_ns\":%s}\n",
                    o.algorithm.c_str(), u(s.core.requests), u(s.core.responses),
                    u(s.core.timeouts), u(s.core.candidates), u(s.core.candidates_accepted),
                    u(s.core.followup_transmits_rejected), u(s.core.ignored()),
                    u(s.core.sync_losses), client.synchronised() ? "true" : "false",
                    json_offset(client.offset_ns(), disp).c_str(), json_number(disp).c_str());
    } else {
        const std::string offset = std::isfinite(disp) ? std::to_string(client.offset_ns()) + " ns"
                                                       : std::string("unknown");
        std::printf("wallclock-client: requests=%llu responses=%llu timeouts=%llu candidates=%llu "
                    "candidates_accepted=%llu sync_losses=%llu offset=%s dispersion=%.3f ms\n",
                    static_cast<unsigned long long>(s.core.requests),
                    static_cast<unsigned long long>(s.core.responses),
                    static_cast<unsigned long long>(s.core.timeouts),
                    static_cast<unsigned long long>(s.core.candidates),
                    static_cast<unsigned long long>(s.core.candidates_accepted),
                    static_cast<unsigned long long>(s.core.sync_losses), offset.c_str(),
                    disp / 1e6);
    }
    std::fflush(stdout);
    client.stop();
    // Let a WebSocket's closing handshake finish (at most a second; nothing else is left to run).
    status_timer.cancel();
    end_timer.cancel();
    signals.cancel();
    io.restart();
    io.run_for(std::chrono::seconds(1));
    if constexpr (std::is_same_v<Client, dvbcss::net::wall_clock_ws_client>) {
        if (s.connects == 0) {
            if (s.last_failure.empty()) {
                std::fprintf(stderr, "wallclock-client: never connected to %s\n",
                             server_name.c_str());
            } else {
                std::fprintf(stderr, "wallclock-client: %s\n", s.last_failure.c_str());
            }
            return tools::exit_status::failed;
        }
    }
    if (s.core.responses == 0) {
        std::fprintf(stderr, "wallclock-client: never got an answer from %s (%llu requests)\n",
                     server_name.c_str(), static_cast<unsigned long long>(s.core.requests));
        return tools::exit_status::failed;
    }
    if (!client.synchronised()) {
        std::fprintf(stderr,
                     s.core.sync_losses > 0
                         ? "wallclock-client: lost the server %s (no usable answer lately)\n"
                         : "wallclock-client: no usable answer from %s\n",
                     server_name.c_str());
        return tools::exit_status::failed;
    }
    return tools::exit_status::done;
}

std::chrono::nanoseconds seconds(double s) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

/// The estimator's pace from --interval and --timeout.
dvbcss::wc::estimator_options estimator_options_of(const client_options& o) {
    dvbcss::wc::estimator_options est_options;
    est_options.repeat_interval = seconds(o.interval_s);
    est_options.retry_interval = seconds(std::min(o.interval_s, o.timeout_s));
    return est_options;
}

/// The core's timeouts and back-off from the options (the same on both transports).
dvbcss::wc::client_config core_config_of(const client_options& o) {
    dvbcss::wc::client_config core;
    core.response_timeout = seconds(o.timeout_s);
    // Back-off cap: never slower than the normal pace, never more than 2 s beyond the timeout.
    core.max_backoff = std::max(seconds(o.interval_s), seconds(2.0));
    core.trust_followup_transmit = o.trust_followup_transmit;
    return core;
}

/// CSS-WC over WebSocket to the URL in `o.server_address`.
int run_websocket(const client_options& o) {
    using namespace dvbcss;
    boost::asio::io_context io;
    dvbcss::tools::stop_signals signals(io); // before the socket, the banner and any thread
    clock::sys_clock local_clock(clock::monotonic_time_source::instance(), 1e9, o.local_mfe_ppm);
    clock::correlated_clock wall_clock(local_clock, 1e9);
    net::wall_clock_ws_client_config config;
    config.url = o.server_address;
    config.framing = o.ws_json ? net::wall_clock_framing::json : net::wall_clock_framing::binary;
    config.core = core_config_of(o);
    net::wall_clock_ws_client client(
        io.get_executor(), wall_clock,
        wc::make_estimator(o.algorithm, wall_clock, estimator_options_of(o)), config);
    if (auto ec = client.start()) {
        std::fprintf(stderr, "wallclock-client: bad URL %s: %s\n", o.server_address.c_str(),
                     ec.message().c_str());
        return tools::exit_status::usage;
    }
    if (!o.common.quiet && !o.json) {
        std::printf("----\nCSS-WC client, server %s (WebSocket, %s framing), algorithm %s\n----\n",
                    o.server_address.c_str(), net::to_string(config.framing), o.algorithm.c_str());
    }
    return drive(io, signals, client, local_clock, o, o.server_address);
}

int run(const client_options& o) {
    using namespace dvbcss;
    if (is_url(o.server_address)) {
        return run_websocket(o);
    }
    auto server =
        net::resolve_udp_endpoint(o.server_address, static_cast<std::uint16_t>(o.server_port));
    if (!server) {
        std::fprintf(stderr, "wallclock-client: cannot resolve %s\n", o.server_address.c_str());
        return tools::exit_status::usage;
    }
    std::string bind_address = o.bind_address;
    if (server->address().is_v6() && bind_address == "0.0.0.0") {
        bind_address = "::"; // the default bind address follows the server's family
    }
    const bool random_port = o.bind_port == "random";
    int bind_port = 0;
    if (!random_port) {
        try {
            bind_port = std::stoi(o.bind_port);
        } catch (const std::exception&) {
            bind_port = -1;
        }
        if (bind_port < 0 || bind_port > 65535) {
            std::fprintf(stderr, "wallclock-client: bad bind port %s\n", o.bind_port.c_str());
            return tools::exit_status::usage;
        }
    }
    auto bind = net::resolve_udp_endpoint(bind_address, static_cast<std::uint16_t>(bind_port));
    if (!bind) {
        std::fprintf(stderr, "wallclock-client: cannot resolve %s\n", bind_address.c_str());
        return tools::exit_status::usage;
    }

    boost::asio::io_context io;
    dvbcss::tools::stop_signals signals(io); // before the socket, the banner and any thread
    clock::sys_clock local_clock(clock::monotonic_time_source::instance(), 1e9, o.local_mfe_ppm);
    clock::correlated_clock wall_clock(local_clock, 1e9);
    const auto est_options = estimator_options_of(o);
    net::wall_clock_client_config config;
    config.server = *server;
    config.bind = *bind;
    config.core = core_config_of(o);

    // "random": a port in 10000..19999 as the reference, retried if it is taken.
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> ports(10000, 19999);
    std::unique_ptr<net::wall_clock_client> client_ptr;
    error_code ec;
    for (int attempt = 0; attempt < (random_port ? 20 : 1); ++attempt) {
        if (random_port) {
            config.bind.port(static_cast<std::uint16_t>(ports(rng)));
        }
        client_ptr = std::make_unique<net::wall_clock_client>(
            io.get_executor(), wall_clock, wc::make_estimator(o.algorithm, wall_clock, est_options),
            config);
        ec = client_ptr->start();
        if (!ec) {
            break;
        }
    }
    if (ec) {
        std::fprintf(stderr, "wallclock-client: cannot bind %s: %s\n", bind_address.c_str(),
                     ec.message().c_str());
        return tools::exit_status::failed;
    }
    net::wall_clock_client& client = *client_ptr;
    if (!o.common.quiet && !o.json) {
        const auto local = client.local_endpoint();
        std::printf("----\nCSS-WC client bound to %s port %u, server %s port %u, algorithm %s\n"
                    "----\n",
                    local.address().to_string().c_str(), static_cast<unsigned>(local.port()),
                    server->address().to_string().c_str(), static_cast<unsigned>(server->port()),
                    o.algorithm.c_str());
    }
    return drive(io, signals, client, local_clock, o,
                 server->address().to_string() + " port " +
                     std::to_string(static_cast<unsigned>(server->port())));
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    return dvbcss::tools::run_main([&]() -> int {
        client_options o;
        CLI::App app{"CSS-WC wall clock client (UDP, or WebSocket with a ws:// URL)",
                     "wallclock-client"};
        app.footer(dvbcss::tools::exit_status_help);
        dvbcss::tools::add_common_options(app, o.common);
        app.add_option("addr", o.server_address,
                       "Server IP address or host name (127.0.0.1), or a ws://host:port/path URL "
                       "for CSS-WC over WebSocket")
            ->check(CLI::Validator(
                [](std::string& v) -> std::string {
                    return is_url(v) ? dvbcss::tools::websocket_url_problem(v)
                                     : dvbcss::tools::address_problem(v, "127.0.0.1");
                },
                "ADDRESS or URL"));
        auto* port = app.add_option("port", o.server_port, "Server UDP port (6677)")
                         ->check(dvbcss::tools::destination_port());
        auto* bind_addr =
            app.add_option("bindaddr", o.bind_address, "Local address to bind (0.0.0.0)")
                ->check(dvbcss::tools::address_argument("0.0.0.0"));
        auto* bind_port =
            app.add_option("bindport", o.bind_port,
                           "Local port to bind, or 'random' for one in 10000..19999 (random)")
                ->check(CLI::Validator(
                    [](std::string& v) -> std::string {
                        if (v == "random") {
                            return {};
                        }
                        return dvbcss::tools::port_number()(v).empty()
                                   ? std::string{}
                                   : "must be a port number 0..65535 or random, not " + v;
                    },
                    "0..65535 or random"));
        std::vector<std::string> names;
        for (auto n : dvbcss::wc::estimator_names()) {
            names.emplace_back(n);
        }
        app.add_option("--algorithm", o.algorithm, "Estimator (default lowest-dispersion)")
            ->check(CLI::IsMember(names));
        app.add_flag("--json", o.json, "One JSON object per measurement, and a JSON summary");
        app.add_option("--interval", o.interval_s,
                       "Seconds between requests after a used measurement (default 1)")
            ->check(dvbcss::tools::number_between(0.001, 3600.0));
        app.add_option("--timeout", o.timeout_s, "Seconds to wait for a response (default 0.5)")
            ->check(dvbcss::tools::number_between(0.001, 60.0));
        app.add_option("--local-mfe", o.local_mfe_ppm,
                       "Max frequency error of the local clock, ppm (default 500)")
            ->check(dvbcss::tools::number_between(0.0, 1e6));
        app.add_flag("--trust-followup-transmit,!--distrust-followup-transmit",
                     o.trust_followup_transmit,
                     "With follow-ups, take t3 from the follow-up (--trust: tighter, honest only "
                     "if the server stamps the real departure; an impossible t3 is discarded) or "
                     "from the type-2 response (--distrust, default: honest with any server, "
                     "e.g. pydvbcss, which stamps its follow-up after sending)");
        app.add_option("--duration", o.duration_s, dvbcss::tools::duration_help)
            ->check(dvbcss::tools::duration_seconds());
        app.add_flag("--ws-json", o.ws_json,
                     "With a ws:// URL, send the BBC JSON form in text frames instead of the "
                     "32-byte message in binary frames");
        if (const auto exit_code = dvbcss::tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        const bool url = is_url(o.server_address);
        if (url && (port->count() + bind_addr->count() + bind_port->count()) > 0) {
            std::fprintf(stderr, "wallclock-client: with a ws:// URL, give no port or bind "
                                 "arguments (the URL names the port)\n");
            return dvbcss::tools::exit_status::usage;
        }
        if (!url && o.ws_json) {
            std::fprintf(stderr, "wallclock-client: --ws-json needs a ws://host:port/path URL "
                                 "as the server\n");
            return dvbcss::tools::exit_status::usage;
        }
        return run(o);
    });
}
