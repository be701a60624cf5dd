// ts-server: a CSS-TS server with five pretend timelines and a CSS-WC server (the reference's
// examples/TSServer.py).
//
//   ts-server [ts_addr] [ts_port] [wc_addr] [wc_port]   defaults 127.0.0.1 7681 0.0.0.0 6677
//     --max-connections N   companions allowed at once on /ts (default 3 as the reference; -1: any)
//     --json                also print one JSON line per timeline change (the server's truth)
//     -Q, --quiet-transport no WebSocket/HTTP transport log lines
//     -q, --loglevel, --version, --help
//
// Content id dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M. Timelines (all start at 0):
//   urn:dvb:css:timeline:pts       90 kHz
//   urn:dvb:css:timeline:temi:1:1  1 kHz, child of PTS
//   urn:dvb:css:timeline:temi:1:5  1 kHz, available and unavailable in turn
//   urn:dvb:css:timeline:temi:1:2  1 kHz, answers only 10 s after it is first needed
//   urn:pydvbcss:sporadic          a fixed control timestamp, removed and restored in turn
// A 25 s cycle: 5 s tweak PTS by up to +/-50 ms; 10 s remove sporadic, temi:1:5 available;
// 15 s pause; 20 s temi:1:5 unavailable, sporadic back; 25 s resume.
// The wall clock server runs on its own thread. Ctrl-C / SIGTERM close every connection with 1001.

#include "common/cli.hpp"
#include "common/heap_retention.hpp"
#include "common/net_setup.hpp"
#include "common/stop_signals.hpp"
#include "common/timeline_control.hpp"
#include "common/wall_clock_thread.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <utility>

namespace {

using namespace dvbcss;
using namespace std::chrono_literals;

constexpr const char* content_id = tools::pretend_content_id;
using tools::pts_selector;
using tools::temi_selector;
constexpr const char* sporadic_temi_selector = "urn:dvb:css:timeline:temi:1:5";
constexpr const char* slow_selector = "urn:dvb:css:timeline:temi:1:2";
constexpr const char* sporadic_selector = "urn:pydvbcss:sporadic";

struct server_options {
    tools::common_options common{false, "info"};
    std::string ts_address = "127.0.0.1";
    int ts_port = 7681;
    std::string wc_address = "0.0.0.0";
    int wc_port = 6677;
    int max_connections = 3;
    bool json = false;
    bool quiet_transport = false;
};

/// A clock-backed timeline that answers "not yet" (nothing is sent) until `delay` after its
/// selector is first needed, then behaves as a clock timeline source; when no companion needs it
/// any more it forgets and starts again (the reference's SlowToRespondSimpleClockTimelineSource).
class slow_timeline_source final : public ts::timeline_source, private ts::timeline_sink {
public:
    slow_timeline_source(boost::asio::io_context& io, std::string selector,
                         clock::clock_base& wall_clock, clock::clock_base& timeline,
                         std::chrono::milliseconds delay, std::function<void()> on_ready)
        : inner_(std::move(selector), wall_clock, timeline)
        , on_ready_(std::move(on_ready))
        , timer_(io)
        , delay_(delay) {
        inner_.attach_sink(*this);
    }

    ~slow_timeline_source() override { inner_.detach_sink(*this); }

    slow_timeline_source(const slow_timeline_source&) = delete;
    slow_timeline_source& operator=(const slow_timeline_source&) = delete;

    [[nodiscard]] bool recognises(std::string_view selector) const override {
        return inner_.recognises(selector);
    }

    [[nodiscard]] std::optional<ts::control_timestamp>
    control_timestamp_for(std::string_view selector) override {
        if (!ready_) {
            return std::nullopt;
        }
        return inner_.control_timestamp_for(selector);
    }

    void selector_needed(std::string_view selector) override {
        if (!inner_.recognises(selector)) {
            return;
        }
        timer_.expires_after(delay_);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                ready_ = true;
                net::log::write(net::log::level::info, "ts-server",
                                "timeline " + inner_.selector() + " is now ready");
                notify_changed(inner_.selector());
                if (on_ready_) {
                    on_ready_(); // the program sends what the servers now have to say
                }
            }
        });
    }

    void selector_not_needed(std::string_view selector) override {
        if (inner_.recognises(selector)) {
            timer_.cancel();
            ready_ = false;
        }
    }

private:
    void on_timeline_changed(ts::timeline_source& /*source*/,
                             std::optional<std::string_view> /*selector*/) override {
        if (ready_) {
            notify_changed(inner_.selector());
        }
    }

    ts::clock_timeline_source inner_;
    std::function<void()> on_ready_;
    boost::asio::steady_timer timer_;
    std::chrono::milliseconds delay_;
    bool ready_ = false;
};

int run(const server_options& o) {
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);
    const auto addresses = tools::resolve_server_addresses(io, "ts-server", o.ts_address, o.ts_port,
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

    // The clock tree, on the owner (this thread): wall clock = CLOCK_MONOTONIC in ns.
    constexpr double mfe_ppm = 500;
    clock::sys_clock sys(clock::monotonic_time_source::instance(), 1e9, mfe_ppm);
    clock::correlated_clock wall_clock(sys, 1e9);
    clock::correlated_clock pts(wall_clock, 90000, {wall_clock.ticks(), 0});
    clock::correlated_clock temi(pts, 1000, {pts.ticks(), 0});
    clock::correlated_clock sporadic_temi(pts, 1000, {pts.ticks(), 0});
    const auto now_wall = static_cast<std::int64_t>(wall_clock.ticks());
    ts::clock_timeline_source pts_source(pts_selector, wall_clock, pts);
    ts::clock_timeline_source temi_source(temi_selector, wall_clock, temi, pts);
    ts::clock_timeline_source sporadic_temi_source(sporadic_temi_selector, wall_clock,
                                                   sporadic_temi, pts);
    std::function<void()> flush_ts; // set once the endpoint exists
    slow_timeline_source slow_source(io, slow_selector, wall_clock, temi, 10s, [&flush_ts] {
        if (flush_ts) {
            flush_ts();
        }
    });
    ts::simple_timeline_source sporadic_source(sporadic_selector,
                                               ts::control_timestamp{now_wall, now_wall, 1.0});

    net::websocket_server server(io.get_executor(), ws_config);
    net::ws_server_adapter_options adapter_options;
    adapter_options.logger = "ts";
    adapter_options.endpoint.max_connections = o.max_connections;
    net::ws_server_adapter<ts::server> ts_endpoint(server, "/ts", io.get_executor(),
                                                   adapter_options, std::in_place, wall_clock,
                                                   std::optional<std::string>(content_id));
    auto& ts_core = ts_endpoint.core();
    flush_ts = [&ts_endpoint] {
        ts_endpoint.flush();
    };
    for (ts::timeline_source* s : std::initializer_list<ts::timeline_source*>{
             &pts_source, &temi_source, &sporadic_temi_source, &slow_source, &sporadic_source}) {
        ts_core.attach(*s);
    }

    net::wall_clock_server_config wc_config;
    wc_config.bind = wc_endpoint;
    tools::wall_clock_thread wc(wc_config, mfe_ppm);
    if (auto ec = server.start()) {
        std::fprintf(stderr, "ts-server: cannot listen on %s port %d: %s\n", o.ts_address.c_str(),
                     o.ts_port, ec.message().c_str());
        return tools::exit_status::failed;
    }
    if (auto ec = wc.start()) {
        std::fprintf(stderr, "ts-server: cannot bind the wall clock server to %s port %d: %s\n",
                     o.wc_address.c_str(), o.wc_port, ec.message().c_str());
        server.stop();
        return tools::exit_status::failed;
    }
    if (!o.common.quiet) {
        const auto urls =
            tools::endpoint_url_lines("CSS-TS endpoint URL: ", server.local_endpoint(), "/ts");
        const auto wc_line = tools::udp_bound_line("CSS-WC endpoint", wc.local_endpoint());
        std::printf("----\n%s%sContent ID: %s\n----\n", urls.c_str(), wc_line.c_str(), content_id);
        std::fflush(stdout);
    }

    const auto truth = [&](std::string_view cause) {
        if (o.json && !o.common.quiet) {
            tools::print_timeline_truth(pts_selector, wall_clock, pts, cause);
            tools::print_timeline_truth(temi_selector, wall_clock, temi, cause);
            tools::print_timeline_truth(sporadic_temi_selector, wall_clock, sporadic_temi, cause);
        }
    };
    const auto say = [&](const std::string& line) {
        net::log::write(net::log::level::info, "ts-server", line);
    };
    truth("start");

    // The 25 s cycle, one step every 5 s.
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<std::int64_t> tweak(-4500, 4499);
    boost::asio::steady_timer cycle(io);
    int step = 0;
    std::function<void()> next_step = [&] {
        cycle.expires_after(5s);
        cycle.async_wait([&](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            step = (step + 1) % 5;
            switch (step) {
            case 1: {
                const auto delta = tweak(rng);
                tools::jump_timeline(pts, delta);
                say("tweaked the PTS and TEMI timelines by " + std::to_string(delta) +
                    " ticks of 90 kHz; PTS at " + std::to_string(pts.ticks() / 90000.0) + " s");
                truth("tweak");
                break;
            }
            case 2:
                static_cast<void>(ts_core.detach(sporadic_source));
                sporadic_temi.set_availability(true);
                say("made timeline urn:pydvbcss:sporadic unavailable");
                truth("sporadic removed");
                break;
            case 3:
                tools::pause_timeline(pts);
                say("paused the PTS and TEMI timelines; PTS at " +
                    std::to_string(pts.ticks() / 90000.0) + " s");
                truth("pause");
                break;
            case 4:
                sporadic_temi.set_availability(false);
                static_cast<void>(ts_core.attach(sporadic_source));
                say("made timeline urn:pydvbcss:sporadic available");
                truth("sporadic restored");
                break;
            default:
                tools::set_timeline_speed(pts, 1.0);
                say("resumed the PTS and TEMI timelines from where they paused; PTS at " +
                    std::to_string(pts.ticks() / 90000.0) + " s");
                truth("resume");
                break;
            }
            ts_endpoint.flush();
            next_step();
        });
    };
    next_step();

    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            cycle.cancel();
            server.stop();
            wc.stop();
        }
    });
    io.run();
    wc.stop();
    return tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    // Each change fanned out allocates and frees the same lists: keep them (heap_retention.hpp).
    static_cast<void>(dvbcss::tools::retain_freed_heap_memory());
    return tools::run_main([&]() -> int {
        server_options o;
        CLI::App app{"CSS-TS server with pretend timelines, and a CSS-WC server", "ts-server"};
        app.footer(tools::exit_status_help);
        tools::add_common_options(app, o.common);
        app.add_option("ts_addr", o.ts_address, "Address to serve CSS-TS on (default 127.0.0.1)")
            ->check(tools::address_argument("127.0.0.1"));
        app.add_option("ts_port", o.ts_port, "TCP port for CSS-TS (default 7681; 0: any free)")
            ->check(tools::port_number());
        app.add_option("wc_addr", o.wc_address, "Address for CSS-WC (default 0.0.0.0)")
            ->check(tools::address_argument("0.0.0.0"));
        app.add_option("wc_port", o.wc_port, "UDP port for CSS-WC (default 6677; 0: any free)")
            ->check(tools::port_number());
        app.add_option("--max-connections", o.max_connections,
                       "Companions allowed at once on /ts (default 3; -1: no limit)")
            ->check(tools::connection_limit());
        app.add_flag("--json", o.json,
                     "Also print a JSON line for each timeline change (the server's truth)");
        app.add_flag("-Q,--quiet-transport", o.quiet_transport,
                     "No WebSocket/HTTP transport log lines");
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        return run(o);
    });
}
