// cii-server: a CSS-CII server that pretends to show a broadcast programme schedule (the
// reference's examples/CIIServer.py).
//
//   cii-server [cii_addr] [cii_port]          defaults 127.0.0.1 7681 (0: any free port); /cii
//     --max-connections N   companions allowed at once (default 2 as the reference; -1: no
//                           limit; 0 is refused, it would refuse every companion)
//     -Q, --quiet-transport no WebSocket/HTTP transport log lines
//     --dial --interface IFACE [--friendly-name NAME] [--uuid UUID]
//                           be found by DIAL on IFACE (docs/dial.md); without cii_addr it then
//                           listens on IFACE's address instead of 127.0.0.1
//     -q, --loglevel, --version, --help
//
// The CII starts as {"protocolVersion":"1.1"}; then three content ids take turns, each for 7 s:
// 2 s "transitioning", then "okay"; each change is logged (info, logger "cii-server": "content id
// now <id> (transitioning)", "presentation status now okay"). A companion over the limit gets HTTP
// 503 (the transport's log line names the limit). The banner shows the
// real port, and when bound to 0.0.0.0 or :: one URL per interface address.
// Ctrl-C (SIGINT) or SIGTERM closes every connection with 1001 and exits.
// Exit status: 0 stopped by a signal, 1 could not listen, 2 usage error (including an address
// that does not resolve).

#include "common/cli.hpp"
#include "common/dial_options.hpp"
#include "common/heap_retention.hpp"
#include "common/net_setup.hpp"
#include "common/pretend_content.hpp"
#include "common/stop_signals.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/net/cii_server.hpp>
#include <dvbcss/net/dial_server.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/io_context.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace tools = dvbcss::tools;

struct server_options {
    tools::common_options common{false, "info"};
    std::string address = "127.0.0.1";
    int port = 7681;
    int max_connections = 2;
    bool quiet_transport = false;
    bool address_given = false;
    tools::dial_options dial;
};

/// One log line for a step of the pretend schedule.
void log_changes(const dvbcss::cii::message& changes) {
    std::string status = "?";
    if (const auto* values = changes.presentation_status.get_if()) {
        status.clear();
        for (const auto& v : *values) {
            status += (status.empty() ? "" : " ") + v;
        }
    }
    const auto* id = changes.content_id.get_if();
    dvbcss::net::log::write(dvbcss::net::log::level::info, "cii-server",
                            id != nullptr ? "content id now " + *id + " (" + status + ")"
                                          : "presentation status now " + status);
}

int run(const server_options& o) {
    using namespace dvbcss;
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);
    net::websocket_server_config config;
    if (!tools::resolve_address(io, o.address, config.address)) {
        std::fprintf(stderr, "cii-server: cannot resolve %s\n", o.address.c_str());
        return tools::exit_status::usage;
    }
    config.port = static_cast<std::uint16_t>(o.port);
    if (o.dial.enabled && !o.address_given) {
        // Found by DIAL on an interface: listen where peers there can reach us.
        if (const auto iface = net::find_multicast_interface(o.dial.interface_name)) {
            config.address = iface->address;
        }
    }
    std::string dial_error;
    const auto dial_iface = tools::check_dial_options(o.dial, config.address, dial_error);
    if (!dial_error.empty()) {
        std::fprintf(stderr, "cii-server: %s\n", dial_error.c_str());
        return tools::exit_status::usage;
    }
    net::websocket_server server(io.get_executor(), config);
    net::websocket_endpoint_config endpoint;
    endpoint.max_connections = o.max_connections;
    net::cii_server cii(server, io.get_executor(), "/cii", {}, endpoint);
    if (auto ec = server.start()) {
        std::fprintf(stderr, "cii-server: cannot listen on %s port %d: %s\n", o.address.c_str(),
                     o.port, ec.message().c_str());
        return tools::exit_status::failed;
    }
    std::unique_ptr<net::dial_server> dial;
    if (dial_iface) {
        net::dial_server_config dial_config;
        dial_config.iface = *dial_iface;
        dial_config.http_port = server.local_endpoint().port();
        dial_config.cii_port = dial_config.http_port;
        dial_config.cii_path = "/cii";
        dial_config.uuid = o.dial.uuid;
        dial_config.friendly_name =
            o.dial.friendly_name.empty() ? "dvbcss cii-server" : o.dial.friendly_name;
        dial_config.model_name = "cii-server";
        dial = std::make_unique<net::dial_server>(io.get_executor(), server, dial_config);
        if (auto ec = dial->start()) {
            std::fprintf(stderr, "cii-server: cannot start DIAL (SSDP) on %s: %s\n",
                         dial_iface->name.c_str(), ec.message().c_str());
            server.stop();
            return tools::exit_status::failed;
        }
    }
    if (!o.common.quiet) {
        const auto urls =
            tools::endpoint_url_lines("CSS-CII endpoint URL: ", server.local_endpoint(), "/cii");
        const std::string dial_line =
            dial ? "DIAL on " + dial_iface->name + ": device description " + dial->location() +
                       " (uuid:" + dial->uuid() + "), CII for companions " + dial->cii_url() + "\n"
                 : std::string();
        std::printf("----\n%s%s----\n", urls.c_str(), dial_line.c_str());
        std::fflush(stdout);
    }

    tools::pretend_content pretend(io.get_executor(), [&cii](const cii::message& changes) {
        log_changes(changes);
        cii.update(changes);
    });
    pretend.start();

    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            pretend.stop();
            if (dial) {
                dial->stop(); // NOTIFY byebye
            }
            server.stop(); // every companion gets 1001; run() returns when they are gone
        }
    });
    io.run();
    return tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    // Each change fanned out allocates and frees the same lists: keep them (heap_retention.hpp).
    static_cast<void>(dvbcss::tools::retain_freed_heap_memory());
    return tools::run_main([&]() -> int {
        server_options o;
        CLI::App app{"CSS-CII server pretending to show a schedule of broadcast programmes",
                     "cii-server"};
        app.footer(tools::exit_status_help);
        tools::add_common_options(app, o.common);
        auto* address = app.add_option("cii_addr", o.address,
                                       "IP address or host name to listen on (default "
                                       "127.0.0.1; with --dial, the interface's address)")
                            ->check(tools::address_argument("127.0.0.1"));
        app.add_option("cii_port", o.port, "TCP port to listen on (default 7681; 0: any free port)")
            ->check(tools::port_number());
        app.add_option("--max-connections", o.max_connections,
                       "Companions allowed at once (default 2; -1: no limit)")
            ->check(tools::connection_limit());
        app.add_flag("-Q,--quiet-transport", o.quiet_transport,
                     "Suppress the WebSocket/HTTP transport's log lines");
        tools::add_dial_options(app, o.dial);
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        o.address_given = address->count() > 0;
        if (o.quiet_transport) {
            tools::quiet_transport_logs();
        }
        return run(o);
    });
}
