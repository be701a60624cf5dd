// tv-device: a pretend TV serving all three companion protocols from one process (the
// reference's examples/TVDevice.py): CSS-CII at /cii and CSS-TS at /ts on one WebSocket port,
// CSS-WC on UDP (on its own thread).
//
//   tv-device [ws_addr] [ws_port] [wc_addr] [wc_port]   defaults 0.0.0.0 7681 0.0.0.0 6677
//     --cycle S             temi:1:1 becomes unavailable for S/2 of every S seconds (default 60,
//                           as the reference; 0: never)
//     --max-cii N, --max-ts N   companions allowed at once per protocol (default -1: no limit)
//     --json                print one JSON line per timeline change (the TV's truth)
//     --no-console          do not read commands from standard input
//     -Q, --quiet-transport no WebSocket/HTTP transport log lines
//     -q, --loglevel, --version, --help
//
// Timelines start at 0 when it starts: urn:dvb:css:timeline:pts (90 kHz) and
// urn:dvb:css:timeline:temi:1:1 (50 Hz, a child of PTS). CII's wcUrl and tsUrl name the address
// and port each companion connected to. Standard input takes commands (pause, play, speed X,
// seek +S, tweak MS, unavailable SEL, available SEL, content ID, stats, help, quit).

#include "common/cli.hpp"
#include "common/net_setup.hpp"
#include "common/timeline_control.hpp"
#include "common/wall_clock_thread.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/net/ws_adapter.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/tv/presentation.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <istream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <unistd.h>

namespace {

using namespace dvbcss;
using namespace std::chrono_literals;

constexpr const char* content_id = tools::pretend_content_id;
using tools::pts_selector;
using tools::temi_selector;

struct device_options {
    tools::common_options common{false, "info"};
    std::string ws_address = "0.0.0.0";
    int ws_port = 7681;
    std::string wc_address = "0.0.0.0";
    int wc_port = 6677;
    double cycle_s = 60;
    int max_cii = -1;
    int max_ts = -1;
    bool json = false;
    bool no_console = false;
    bool quiet_transport = false;
};

/// The CII the TV starts with (URLs are rewritten per companion).
cii::server_config initial_cii(std::uint16_t wc_port) {
    cii::server_config config;
    auto& m = config.initial_cii;
    m.protocol_version = std::string(cii::protocol_version_1_1);
    m.content_id = content_id;
    m.content_id_status = cii::id_status::final;
    m.presentation_status = std::vector<std::string>{"okay"};
    m.ts_url = "ws://{{host}}:{{port}}/ts";
    m.wc_url = "udp://{{host}}:" + std::to_string(wc_port);
    m.timelines = std::vector<cii::timeline_option>{
        {pts_selector, {1, 90000, std::nullopt}, std::nullopt},
        {temi_selector, {1, 50, std::nullopt}, std::nullopt},
    };
    return config;
}

/// Reads console commands from standard input, one line at a time, on the owner executor.
class console {
public:
    using handler = std::function<void(const std::string& line)>;

    console(boost::asio::io_context& io, handler on_line)
        : input_(io, ::dup(STDIN_FILENO))
        , on_line_(std::move(on_line)) {}

    void start() { read(); }

    void stop() {
        boost::system::error_code ignored;
        input_.close(ignored);
    }

private:
    void read() {
        boost::asio::async_read_until(
            input_, buffer_, '\n', [this](const boost::system::error_code& ec, std::size_t) {
                if (ec == boost::asio::error::not_found) {
                    // A line longer than the buffer: drop what has arrived of it and the rest
                    // up to its end, say so, and go on reading commands.
                    buffer_.consume(buffer_.size());
                    skipping_ = true;
                    std::fprintf(stderr,
                                 "tv-device: a command line longer than %zu bytes was "
                                 "ignored\n",
                                 max_line);
                    read();
                    return;
                }
                if (ec) {
                    return; // EOF or closed: no more commands
                }
                std::istream in(&buffer_);
                std::string line;
                std::getline(in, line);
                if (skipping_) {
                    skipping_ = false; // the tail of the over-long line
                } else {
                    on_line_(line);
                }
                read();
            });
    }

    static constexpr std::size_t max_line = 4096;
    boost::asio::posix::stream_descriptor input_;
    boost::asio::streambuf buffer_{max_line};
    handler on_line_;
    bool skipping_ = false;
};

/// One JSON line with the wall clock server's counts and its processing delay t3 - t2 since the
/// last call (then reset): {"event":"wc_stats","answered":N,"processing_delay_p50_ns":N|null,...}
void print_wc_stats(tools::wall_clock_thread& wc) {
    const auto s = wc.statistics();
    const auto percentile = [&](double p) {
        const auto v = wc.processing_delay_percentile_ns(p);
        return v ? std::to_string(*v) : std::string("null");
    };
    std::printf("{\"event\":\"wc_stats\",\"monotonic_ns\":%lld,\"answered\":%llu,"
                "\"processing_delay_p50_ns\":%s,\"processing_delay_p99_ns\":%s,"
                "\"processing_delay_max_ns\":%s}\n",
                static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                static_cast<unsigned long long>(s.core.answered), percentile(0.5).c_str(),
                percentile(0.99).c_str(), percentile(1.0).c_str());
    std::fflush(stdout);
    wc.reset_processing_delay();
}

int run(const device_options& o) {
    boost::asio::io_context io;
    const auto addresses = tools::resolve_server_addresses(io, "tv-device", o.ws_address, o.ws_port,
                                                           o.wc_address, o.wc_port);
    if (!addresses) {
        return tools::exit_status::usage;
    }
    net::websocket_server_config ws_config;
    ws_config.address = addresses->websocket_address;
    ws_config.port = addresses->websocket_port;
    const auto wc_endpoint = addresses->wall_clock;
    if (o.quiet_transport) {
        tools::quiet_transport_logs();
    }

    // The wall clock server binds first, on its own thread: the CII names its real port.
    constexpr double mfe_ppm = 500;
    net::wall_clock_server_config wc_config;
    wc_config.bind = wc_endpoint;
    wc_config.record_processing_delay = true;
    tools::wall_clock_thread wc(wc_config, mfe_ppm);
    if (auto ec = wc.start()) {
        std::fprintf(stderr, "tv-device: cannot bind the wall clock server to %s port %d: %s\n",
                     o.wc_address.c_str(), o.wc_port, ec.message().c_str());
        return tools::exit_status::failed;
    }

    // The owner (this thread): the clock tree, both protocol cores, the content state.
    clock::sys_clock sys(clock::monotonic_time_source::instance(), 1e9, mfe_ppm);
    clock::correlated_clock wall_clock(sys, 1e9);
    clock::correlated_clock pts(wall_clock, 90000, {wall_clock.ticks(), 0});
    clock::correlated_clock temi(pts, 50, {0, 0});
    ts::clock_timeline_source pts_source(pts_selector, wall_clock, pts);
    ts::clock_timeline_source temi_source(temi_selector, wall_clock, temi);

    net::websocket_server server(io.get_executor(), ws_config);
    net::ws_server_adapter_options cii_options;
    cii_options.logger = "cii";
    cii_options.endpoint.max_connections = o.max_cii;
    net::ws_server_adapter<cii::server> cii_endpoint(server, "/cii", io.get_executor(), cii_options,
                                                     std::in_place,
                                                     initial_cii(wc.local_endpoint().port()));
    net::ws_server_adapter_options ts_options;
    ts_options.logger = "ts";
    ts_options.endpoint.max_connections = o.max_ts;
    net::ws_server_adapter<ts::server> ts_endpoint(server, "/ts", io.get_executor(), ts_options,
                                                   std::in_place, wall_clock);
    ts_endpoint.core().attach(pts_source);
    ts_endpoint.core().attach(temi_source);
    // What companions say they present (remote input: rate-limited, 5 lines then 1 a second).
    net::detail::limited_log presented("tv-device", 5, std::chrono::seconds(1));
    ts_endpoint.core().set_apt_ept_lpt_handler(
        [&presented](connection_id id, const ts::apt_ept_lpt& m) {
            if (m.actual && m.actual->wall_clock_time.finite() &&
                net::log::enabled(net::log::level::debug)) {
                presented.write(net::log::level::debug,
                                "companion " + std::to_string(id) + " presents content time " +
                                    std::to_string(m.actual->content_time) + " at wall clock " +
                                    std::to_string(m.actual->wall_clock_time.ns) + " ns");
            }
        });
    tv::presentation presentation(cii_endpoint.core(), ts_endpoint.core());
    const auto flush = [&] {
        cii_endpoint.flush();
        ts_endpoint.flush();
    };

    if (auto ec = server.start()) {
        std::fprintf(stderr, "tv-device: cannot listen on %s port %d: %s\n", o.ws_address.c_str(),
                     o.ws_port, ec.message().c_str());
        wc.stop();
        return tools::exit_status::failed;
    }

    // Catch signals before the banner: a script may send one as soon as it reads the banner.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    const auto local = server.local_endpoint();
    const auto wc_local = wc.local_endpoint();
    if (!o.common.quiet) {
        const auto host = tools::url_host(tools::reachable_addresses(local.address()).front());
        const auto port = static_cast<unsigned>(local.port());
        const auto cii_urls = tools::endpoint_url_lines("CSS-CII endpoint URL: ", local, "/cii");
        const auto ts_urls = tools::endpoint_url_lines("CSS-TS  endpoint URL: ", local, "/ts");
        const auto wc_line = tools::udp_bound_line("CSS-WC  endpoint", wc_local);
        std::printf("----\n%s%s%s"
                    "Content ID: %s\n"
                    "Timelines: %s (90 kHz), %s (50 Hz)\n"
                    "A companion follows it with: ts-client --cii ws://%s:%u/cii\n"
                    "----\n",
                    cii_urls.c_str(), ts_urls.c_str(), wc_line.c_str(), content_id, pts_selector,
                    temi_selector, host.c_str(), port);
        std::fflush(stdout);
    }

    const auto say = [&](const std::string& line) {
        net::log::write(net::log::level::info, "tv-device", line);
    };
    const auto truth = [&](std::string_view cause) {
        if (o.json && !o.common.quiet) {
            tools::print_timeline_truth(pts_selector, wall_clock, pts, cause);
            tools::print_timeline_truth(temi_selector, wall_clock, temi, cause);
        }
    };
    truth("start");

    // The reference's cycle: temi:1:1 unavailable for half of every cycle.
    boost::asio::steady_timer cycle(io);
    std::function<void()> next_half = [&] {
        if (o.cycle_s <= 0) {
            return;
        }
        cycle.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o.cycle_s / 2)));
        cycle.async_wait([&](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            const bool now_available = !temi.is_available();
            temi.set_availability(now_available);
            say(std::string("timeline ") + temi_selector +
                (now_available ? " is available again" : " made unavailable"));
            truth(now_available ? "temi available" : "temi unavailable");
            flush();
            next_half();
        });
    };
    next_half();

    std::unique_ptr<console> commands;
    const auto shut_down = [&] {
        cycle.cancel();
        signals.cancel();
        if (commands) {
            commands->stop();
        }
        server.stop();
        wc.stop();
    };
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            shut_down();
        }
    });

    const auto timeline_named = [&](const std::string& name) -> clock::correlated_clock* {
        const auto ends_with = [&](std::string_view full) {
            return full == name ||
                   (full.size() > name.size() && full.substr(full.size() - name.size()) == name &&
                    full[full.size() - name.size() - 1] == ':');
        };
        if (ends_with(pts_selector)) {
            return &pts;
        }
        if (ends_with(temi_selector)) {
            return &temi;
        }
        return nullptr;
    };
    const auto on_command = [&](const std::string& line) {
        std::string error;
        const auto parsed = tools::parse_console_command(line, error);
        if (!parsed) {
            if (!error.empty()) {
                std::fprintf(stderr, "tv-device: %s\n", error.c_str());
            }
            return;
        }
        std::visit(
            [&](const auto& c) {
                using C = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<C, tools::command::pause>) {
                    tools::pause_timeline(pts);
                    say("paused");
                    truth("pause");
                } else if constexpr (std::is_same_v<C, tools::command::play>) {
                    tools::set_timeline_speed(pts, 1.0);
                    say("playing");
                    truth("play");
                } else if constexpr (std::is_same_v<C, tools::command::speed>) {
                    tools::set_timeline_speed(pts, c.value);
                    say("speed " + std::to_string(c.value));
                    truth("speed");
                } else if constexpr (std::is_same_v<C, tools::command::seek_by>) {
                    tools::jump_timeline(pts, static_cast<std::int64_t>(c.seconds * 90000.0));
                    say("moved the timelines by " + std::to_string(c.seconds) + " s");
                    truth("seek");
                } else if constexpr (std::is_same_v<C, tools::command::availability>) {
                    if (auto* timeline = timeline_named(c.selector)) {
                        timeline->set_availability(c.available);
                        say("timeline " + c.selector +
                            (c.available ? " available" : " unavailable"));
                        truth(c.available ? "available" : "unavailable");
                    } else {
                        std::fprintf(stderr, "tv-device: no timeline %s (pts, temi:1:1)\n",
                                     c.selector.c_str());
                    }
                } else if constexpr (std::is_same_v<C, tools::command::content>) {
                    if (c.content_id.empty()) {
                        presentation.set_content(std::nullopt);
                        say("no content");
                    } else {
                        presentation.set_content(c.content_id);
                        say("content id " + c.content_id);
                    }
                    if (o.json && !o.common.quiet) {
                        // Which companions still see the timelines depends on their stems.
                        std::printf("{\"event\":\"content\",\"monotonic_ns\":%lld,"
                                    "\"content_id\":%s}\n",
                                    static_cast<long long>(
                                        clock::monotonic_time_source::instance().now_ns()),
                                    c.content_id.empty()
                                        ? "null"
                                        : tools::json_string(c.content_id).c_str());
                        std::fflush(stdout);
                    }
                } else if constexpr (std::is_same_v<C, tools::command::stats>) {
                    print_wc_stats(wc);
                } else if constexpr (std::is_same_v<C, tools::command::help>) {
                    const auto help = tools::console_help();
                    std::fwrite(help.data(), 1, help.size(), stderr);
                } else {
                    shut_down();
                }
            },
            *parsed);
        flush();
    };
    // A background job that read its terminal would be stopped by SIGTTIN: only a foreground
    // process, or one whose input is not a terminal, reads commands.
    const bool foreground = ::isatty(STDIN_FILENO) == 0 || ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
    if (!o.no_console && foreground) {
        commands = std::make_unique<console>(io, on_command);
        commands->start();
    }

    io.run();
    wc.stop();
    if (!o.common.quiet) {
        const auto s = wc.statistics();
        std::printf("tv-device: wall clock requests answered=%llu\n",
                    static_cast<unsigned long long>(s.core.answered));
    }
    return tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    return tools::run_main([&]() -> int {
        device_options o;
        CLI::App app{"A pretend TV: CSS-CII, CSS-TS and CSS-WC servers in one process",
                     "tv-device"};
        app.footer(std::string("Commands on standard input: pause, play, speed X, seek +S, "
                               "tweak MS, unavailable SEL, available SEL, content ID, stats, help, "
                               "quit.\n") +
                   tools::exit_status_help);
        tools::add_common_options(app, o.common);
        app.add_option("ws_addr", o.ws_address,
                       "Address for the CII and TS WebSocket server (default 0.0.0.0)")
            ->check(tools::address_argument("0.0.0.0"));
        app.add_option("ws_port", o.ws_port, "TCP port for CII and TS (default 7681; 0: any free)")
            ->check(tools::port_number());
        app.add_option("wc_addr", o.wc_address, "Address for CSS-WC (default 0.0.0.0)")
            ->check(tools::address_argument("0.0.0.0"));
        app.add_option("wc_port", o.wc_port, "UDP port for CSS-WC (default 6677; 0: any free)")
            ->check(tools::port_number());
        app.add_option("--cycle", o.cycle_s,
                       "Seconds per cycle of temi:1:1 availability (default 60; 0: never)")
            ->check(tools::number_between(0.0, 86400.0));
        app.add_option("--max-cii", o.max_cii, "CII companions allowed at once (-1: no limit)")
            ->check(tools::connection_limit());
        app.add_option("--max-ts", o.max_ts, "TS companions allowed at once (-1: no limit)")
            ->check(tools::connection_limit());
        app.add_flag("--json", o.json, "Print a JSON line for each timeline change (the truth)");
        app.add_flag("--no-console", o.no_console, "Do not read commands from standard input");
        app.add_flag("-Q,--quiet-transport", o.quiet_transport,
                     "No WebSocket/HTTP transport log lines");
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        return run(o);
    });
}
