// cii-client: connects to a CSS-CII server and prints what it says (the reference's
// examples/CIIClient.py).
//
//   cii-client ciiUrl                    e.g. ws://127.0.0.1:7681/cii
//     --json              print each received message as one JSON object per line, nothing else
//     --duration SECONDS  close and exit after this long (default: run until the server closes)
//     --reconnect         keep reconnecting (exponential back-off) instead of exiting
//     -q, --loglevel, --version, --help
//
// Without --json it prints "connected", "disconnected", one "change to <property> property. Value
// is now: <value>" line per changed property, and "CII is now: <the whole CII>".
// Exit status: 0 after a connection ended (or --duration elapsed), 1 if it could not connect.

#include "common/cli.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/net/cii_client.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_url.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

namespace {

struct client_options {
    dvbcss::tools::common_options common{false, "info"};
    std::string url;
    bool json = false;
    double duration_seconds = 0;
    bool reconnect = false;
};

void print_line(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

/// One property's value as JSON text ("okay", null, [...]).
std::string property_json(const dvbcss::cii::message& cii, dvbcss::cii::property p) {
    dvbcss::cii::message only;
    dvbcss::cii::copy_property(only, cii, p);
    const auto text = dvbcss::cii::encode(only); // {"key":value}
    const auto colon = text.find("\":");
    if (colon == std::string::npos || text.size() < colon + 3) {
        return "null";
    }
    return text.substr(colon + 2, text.size() - colon - 3);
}

int run(const client_options& o) {
    using namespace dvbcss;
    boost::asio::io_context io;
    const bool human = !o.json && !o.common.quiet;
    bool ever_connected = false;
    bool connect_failed = false;

    cii::client_handlers handlers;
    handlers.connected = [&] {
        ever_connected = true;
        if (human) {
            print_line("connected");
        }
    };
    handlers.disconnected = [&](std::uint16_t code, std::string_view reason) {
        if (human) {
            print_line("disconnected (" + std::to_string(code) +
                       (reason.empty() ? "" : " " + std::string(reason)) + ")");
        }
    };
    handlers.message_received = [&](const cii::message& received) {
        if (o.json) {
            print_line(cii::encode(received));
        }
    };
    handlers.property_changed = [&](cii::property p, const cii::message& picture) {
        if (human) {
            print_line("change to " + std::string(cii::json_key(p)) +
                       " property. Value is now: " + property_json(picture, p));
        }
    };
    handlers.changed = [&](const cii::property_set&, const cii::message& picture) {
        if (human) {
            print_line("CII is now: " + cii::encode(picture));
        }
    };
    handlers.protocol_error = [&](error_code ec, std::string_view) {
        net::log::write(net::log::level::error, "cii-client",
                        "CII protocol error: " + ec.message() + "; message ignored");
    };

    net::websocket_client_config config;
    config.url = o.url;
    config.reconnect = o.reconnect;
    net::cii_client_events events;
    events.connect_failed = [&](const net::connect_failure& failure) {
        if (!o.reconnect) {
            connect_failed = true;
        }
        if (!o.common.quiet) {
            std::fprintf(stderr, "cii-client: %s\n", failure.message.c_str());
        }
    };
    boost::asio::steady_timer duration(io);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    events.finished = [&] {
        duration.cancel();
        signals.cancel();
    };
    net::cii_client client(io.get_executor(), config, std::move(handlers), std::move(events));
    if (auto ec = client.start()) {
        std::fprintf(stderr, "cii-client: not a valid ws:// URL: %s\n", o.url.c_str());
        return 2;
    }
    if (o.duration_seconds > 0) {
        duration.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o.duration_seconds)));
        duration.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
                client.close();
            }
        });
    }
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            client.close(net::close_codes::going_away);
        }
    });
    io.run();
    return connect_failed && !ever_connected ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    return dvbcss::tools::run_main([&]() -> int {
        client_options o;
        CLI::App app{"CSS-CII client: prints what a TV says it is showing", "cii-client"};
        dvbcss::tools::add_common_options(app, o.common);
        app.add_option("ciiUrl", o.url,
                       "ws:// URL of the CSS-CII server, e.g. ws://127.0.0.1:7681/cii")
            ->required()
            ->check([](const std::string& url) -> std::string {
                return dvbcss::net::parse_websocket_url(url) ? std::string{}
                                                             : "not a valid ws:// URL: " + url;
            });
        app.add_flag("--json", o.json, "Print each received message as one JSON object per line");
        app.add_option("--duration", o.duration_seconds, "Exit after this many seconds")
            ->check(CLI::PositiveNumber);
        app.add_flag("--reconnect", o.reconnect,
                     "Reconnect with exponential back-off when the connection fails or ends");
        if (const auto exit_code = dvbcss::tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        return run(o);
    });
}
