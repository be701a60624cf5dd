// cii-client: connects to a CSS-CII server and prints what it says (the reference's
// examples/CIIClient.py).
//
//   cii-client ciiUrl                    e.g. ws://127.0.0.1:7681/cii
//   cii-client --discover --interface IFACE [--name NAME]
//     --discover          find the TV by DIAL on IFACE (the first one with a CSS-CII URL, or
//                         the one whose friendly name is NAME) and use its InterDevSync URL;
//                         --mx S and --discover-timeout S tune the search (see dial-discover)
//     --json              one JSON object per line (below) on stdout, nothing else there (also
//                         with -q, which then only silences the log)
//     --duration SECONDS  close and exit after this long (> 0; default: run until the server
//                         closes, or until interrupted with --reconnect)
//     --reconnect         keep reconnecting instead of exiting (0.5 s, then every 1 s, so a
//                         TV that restarts is reached within about 1 s of its return); each
//                         connection starts from a blank CII, so the first "cii" event after
//                         a return is the TV's whole CII
//     -q, --loglevel, --version, --help
//
// Without --json it prints "connected", "disconnected (<code> <reason>)", one "change to
// <property> property. Value is now: <value>" line per changed property, and "CII is now: <the
// whole CII>".
//
// --json lines, each an object with "event" first, then "monotonic_ns" (CLOCK_MONOTONIC, ns) and
// "time_s" (seconds since the Unix epoch, system clock); null = unknown:
//   {"event":"connected",...,"url":"ws://..."}
//   {"event":"cii",...,"message":{...}}   one CII message exactly as received (only the
//                                          properties it changed); events never carry "message"
//   {"event":"disconnected",...,"code":N,"reason":"..."|null,"closed_by":"client"|"server"}
//                                          (code 1006: the connection dropped without a close)
//   {"event":"connect_failed",...,"error":"...","http_status":N|null,"retry_in_ns":N|null}
//
// Exit status: 0 when it stopped by its own choice (--duration, Ctrl-C/SIGTERM) while connected,
// or after a connection the client closed; 1 never connected ("never connected to <url>"), or the
// server ended the connection (or the connection dropped) and it was not open again at the end
// ("lost the server <url>"), or --discover found no (such) TV in time; 2 usage error (ciiUrl and
// --discover both or neither, a missing or unknown --interface, (a bad URL, wss://, a host that
// does not resolve).

#include "common/cli.hpp"
#include "common/discover_options.hpp"
#include "common/reconnect_policy.hpp"
#include "common/stop_signals.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/cii_client.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_url.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>

namespace {

namespace tools = dvbcss::tools;

struct client_options {
    tools::common_options common{false, "info"};
    std::string url;
    tools::discover_options discover;
    bool json = false;
    double duration_seconds = 0;
    bool reconnect = false;
};

void print_line(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

/// The start of a --json line: event name and both timestamps.
nlohmann::ordered_json event_head(const char* name) {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    nlohmann::ordered_json j;
    j["event"] = name;
    j["monotonic_ns"] = dvbcss::clock::monotonic_time_source::instance().now_ns();
    j["time_s"] = std::chrono::duration<double>(since_epoch).count();
    return j;
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

int run(client_options o) {
    using namespace dvbcss;
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);
    if (o.discover.discover) {
        auto found =
            tools::discover_first_tv(io, "cii-client", o.discover, !o.json && !o.common.quiet);
        if (const auto* status = std::get_if<int>(&found)) {
            return *status;
        }
        o.url = *std::get<net::discovered_tv>(found).inter_dev_sync_url;
        if (const auto problem = tools::websocket_url_problem(o.url); !problem.empty()) {
            std::fprintf(stderr, "cii-client: the TV's InterDevSync URL %s: %s\n", o.url.c_str(),
                         problem.c_str());
            return tools::exit_status::failed;
        }
    }
    {
        // The URL was checked while parsing; its host must resolve now (a typo is a usage error).
        const auto parsed = net::parse_websocket_url(o.url);
        boost::asio::ip::tcp::resolver resolver(io);
        boost::system::error_code ec;
        const auto found = resolver.resolve(parsed->host, std::to_string(parsed->port), ec);
        if (ec || found.empty()) {
            std::fprintf(stderr, "cii-client: cannot resolve %s\n", parsed->host.c_str());
            return tools::exit_status::usage;
        }
    }
    const bool human = !o.json && !o.common.quiet;
    const bool json = o.json; // -q drops logs and the human lines, never the asked-for JSON
    bool ever_connected = false;
    bool open = false;
    bool closing = false; // the client chose to end (duration, signal)
    std::optional<std::uint16_t> lost_code;

    cii::client_handlers handlers;
    handlers.connected = [&] {
        ever_connected = true;
        open = true;
        lost_code.reset();
        if (human) {
            print_line("connected");
        }
        if (json) {
            auto j = event_head("connected");
            j["url"] = o.url;
            print_line(j.dump());
        }
    };
    handlers.disconnected = [&](std::uint16_t code, std::string_view reason) {
        open = false;
        if (!closing) {
            lost_code = code;
        }
        if (human) {
            print_line("disconnected (" + std::to_string(code) +
                       (reason.empty() ? "" : " " + std::string(reason)) + ")");
        }
        if (json) {
            auto j = event_head("disconnected");
            j["code"] = code;
            j["reason"] =
                reason.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(reason);
            j["closed_by"] = closing ? "client" : "server";
            print_line(j.dump());
        }
    };
    handlers.message_received = [&](const cii::message& received) {
        if (json) {
            auto head = event_head("cii").dump();
            head.pop_back(); // the closing brace: the message is appended as received
            print_line(head + ",\"message\":" + cii::encode(received) + "}");
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
    if (o.reconnect) {
        tools::use_companion_reconnect(config);
    }
    net::cii_client_events events;
    std::string last_failure;
    events.connect_failed = [&](const net::connect_failure& failure) {
        // Said once: by the transport's log line for each retry, by the exit line at the end.
        last_failure = failure.message;
        if (json) {
            auto j = event_head("connect_failed");
            j["error"] = failure.message;
            j["http_status"] = failure.http_status != 0
                                   ? nlohmann::ordered_json(failure.http_status)
                                   : nlohmann::ordered_json();
            j["retry_in_ns"] =
                failure.retry_in.count() > 0
                    ? nlohmann::ordered_json(
                          std::chrono::duration_cast<std::chrono::nanoseconds>(failure.retry_in)
                              .count())
                    : nlohmann::ordered_json();
            print_line(j.dump());
        }
    };
    boost::asio::steady_timer duration(io);
    events.finished = [&] {
        duration.cancel();
        signals.cancel();
    };
    net::cii_client client(io.get_executor(), config, std::move(handlers), std::move(events));
    if (auto ec = client.start()) {
        std::fprintf(stderr, "cii-client: not a valid ws:// URL: %s\n", o.url.c_str());
        return tools::exit_status::usage;
    }
    if (o.duration_seconds > 0) {
        duration.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o.duration_seconds)));
        duration.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
                closing = true;
                client.close();
            }
        });
    }
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            closing = true;
            client.close(net::close_codes::going_away);
        }
    });
    io.run();
    if (!ever_connected) {
        if (last_failure.empty()) {
            std::fprintf(stderr, "cii-client: never connected to %s\n", o.url.c_str());
        } else {
            const std::string repeated = "cannot connect to " + o.url + ": ";
            const auto why = last_failure.rfind(repeated, 0) == 0
                                 ? last_failure.substr(repeated.size())
                                 : last_failure;
            std::fprintf(stderr, "cii-client: never connected to %s (%s)\n", o.url.c_str(),
                         why.c_str());
        }
        return tools::exit_status::failed;
    }
    if (lost_code && !open) {
        std::fprintf(stderr, "cii-client: lost the server %s (close code %u)\n", o.url.c_str(),
                     static_cast<unsigned>(*lost_code));
        return tools::exit_status::failed;
    }
    return tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    return tools::run_main([&]() -> int {
        client_options o;
        CLI::App app{"CSS-CII client: prints what a TV says it is showing", "cii-client"};
        app.footer(tools::exit_status_help);
        tools::add_common_options(app, o.common);
        app.add_option("ciiUrl", o.url,
                       "ws:// URL of the CSS-CII server, e.g. ws://127.0.0.1:7681/cii")
            ->check(tools::websocket_url_argument());
        app.add_flag("--discover", o.discover.discover,
                     "Find the TV by DIAL on --interface and use its CSS-CII URL");
        tools::add_discover_options(app, o.discover, "--discover-timeout");
        app.add_flag("--json", o.json,
                     "One JSON object per line: connection events and each CII message received "
                     "(see the program's header comment)");
        app.add_option("--duration", o.duration_seconds, tools::duration_help)
            ->check(tools::duration_seconds());
        app.add_flag("--reconnect", o.reconnect,
                     "Reconnect (0.5 s, then every 1 s) when the connection fails or ends");
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        if (const auto problem =
                tools::discover_usage_problem(o.discover, !o.url.empty(), "ciiUrl");
            !problem.empty()) {
            std::fprintf(stderr, "cii-client: %s\n", problem.c_str());
            return tools::exit_status::usage;
        }
        return run(o);
    });
}
