// cii-server: a CSS-CII server that pretends to show a broadcast programme schedule (the
// reference's examples/CIIServer.py).
//
//   cii-server [cii_addr] [cii_port]          defaults 127.0.0.1 7681; endpoint /cii
//     --max-connections N   companions allowed at once (default 2 as the reference; -1: no limit)
//     -Q, --quiet-transport no WebSocket/HTTP transport log lines
//     -q, --loglevel, --version, --help
//
// The CII starts as {"protocolVersion":"1.1"}; then three content ids take turns, each for 7 s:
// 2 s "transitioning", then "okay". Port 0 binds any free port; the banner shows the real one.
// Ctrl-C (SIGINT) or SIGTERM closes every connection with 1001 and exits.

#include "common/cli.hpp"
#include "common/pretend_content.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/net/cii_server.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

struct server_options {
    dvbcss::tools::common_options common{false, "info"};
    std::string address = "127.0.0.1";
    int port = 7681;
    int max_connections = 2;
    bool quiet_transport = false;
};

/// The address to bind: a literal IPv4/IPv6 address, or a host name resolved to its first address.
bool resolve_address(boost::asio::io_context& io, const std::string& text,
                     boost::asio::ip::address& out) {
    boost::system::error_code ec;
    out = boost::asio::ip::make_address(text, ec);
    if (!ec) {
        return true;
    }
    boost::asio::ip::tcp::resolver resolver(io);
    const auto results = resolver.resolve(text, "", ec);
    if (ec || results.empty()) {
        return false;
    }
    out = results.begin()->endpoint().address();
    return true;
}

int run(const server_options& o) {
    using namespace dvbcss;
    boost::asio::io_context io;
    net::websocket_server_config config;
    if (!resolve_address(io, o.address, config.address)) {
        std::fprintf(stderr, "cii-server: cannot resolve %s\n", o.address.c_str());
        return 2;
    }
    config.port = static_cast<std::uint16_t>(o.port);
    net::websocket_server server(io.get_executor(), config);
    net::websocket_endpoint_config endpoint;
    endpoint.max_connections = o.max_connections;
    net::cii_server cii(server, io.get_executor(), "/cii", {}, endpoint);
    if (auto ec = server.start()) {
        std::fprintf(stderr, "cii-server: cannot listen on %s port %d: %s\n", o.address.c_str(),
                     o.port, ec.message().c_str());
        return 1;
    }
    if (!o.common.quiet) {
        const auto local = server.local_endpoint();
        auto host = local.address().to_string();
        if (local.address().is_v6()) {
            host = "[" + host + "]";
        }
        std::printf("----\nCSS-CII endpoint URL: ws://%s:%u/cii\n----\n", host.c_str(),
                    static_cast<unsigned>(local.port()));
        std::fflush(stdout);
    }

    tools::pretend_content pretend(io.get_executor(),
                                   [&cii](const cii::message& changes) { cii.update(changes); });
    pretend.start();

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            pretend.stop();
            server.stop(); // every companion gets 1001; run() returns when they are gone
        }
    });
    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return dvbcss::tools::run_main([&]() -> int {
        server_options o;
        CLI::App app{"CSS-CII server pretending to show a schedule of broadcast programmes",
                     "cii-server"};
        dvbcss::tools::add_common_options(app, o.common);
        app.add_option("cii_addr", o.address,
                       "IP address or host name to listen on (default 127.0.0.1)");
        app.add_option("cii_port", o.port, "TCP port to listen on (default 7681; 0: any free port)")
            ->check(dvbcss::tools::port_number());
        app.add_option("--max-connections", o.max_connections,
                       "Companions allowed at once (default 2; -1: no limit)")
            ->check(CLI::Range(-1, 1000000));
        app.add_flag("-Q,--quiet-transport", o.quiet_transport,
                     "Suppress the WebSocket/HTTP transport's log lines");
        if (const auto exit_code = dvbcss::tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        if (o.quiet_transport) {
            dvbcss::net::log::set_sink(
                [](dvbcss::net::log::level l, std::string_view logger, std::string_view message) {
                    if (logger == "websocket") {
                        return;
                    }
                    std::fprintf(stderr, "%.*s:%.*s:%.*s\n",
                                 static_cast<int>(dvbcss::net::log::level_name(l).size()),
                                 dvbcss::net::log::level_name(l).data(),
                                 static_cast<int>(logger.size()), logger.data(),
                                 static_cast<int>(message.size()), message.data());
                });
        }
        return run(o);
    });
}
