#include "common/cli.hpp"

#include <dvbcss/error.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_url.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>

namespace dvbcss::tools {

namespace {

/// A decimal number (a leading '+' allowed), or nullopt.
std::optional<double> parse_number(std::string_view text) {
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

/// A whole number (a leading '+' allowed), or nullopt.
std::optional<long long> parse_integer(std::string_view text) {
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

/// A bound as people write it: 0, 0.5, 3600, 1e+06.
std::string show(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", v);
    return buffer;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return out;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

/// "did you mean ws://...?" when `guess` is a usable URL, else "".
std::string suggestion(const std::string& guess) {
    return net::parse_websocket_url(guess) ? " (did you mean " + guess + "?)" : std::string{};
}

/// Prints parse errors as "<program>: <what>" and the hint to --help.
std::string failure_message(const CLI::App* app, const CLI::Error& e) {
    std::string what = e.what();
    // CLI11 writes a failed check as "<option>: <message>"; ours read better as one phrase.
    if (const auto at = what.find(": must "); at != std::string::npos) {
        what.erase(at, 1);
    }
    return app->get_name() + ": " + what + "\nRun with --help for more information.\n";
}

} // namespace

void add_common_options(CLI::App& app, common_options& options) {
    app.add_flag("-q,--quiet", options.quiet, "Suppress all output and logging");
    app.add_option("--loglevel", options.log_level,
                   "Logging level: debug, info, warning, error, critical")
        ->capture_default_str()
        ->check([](const std::string& v) -> std::string {
            return net::log::parse_level(v)
                       ? std::string{}
                       : "must be debug, info, warning, error or critical, not " + v;
        });
    app.set_version_flag("--version", std::string("dvbcss ") + DVBCSS_VERSION_STRING);
    app.failure_message(failure_message);
}

void apply_common_options(const common_options& options) {
    if (options.quiet) {
        net::log::set_level(net::log::level::off);
        return;
    }
    if (auto level = net::log::parse_level(options.log_level)) {
        net::log::set_level(*level);
    }
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const common_options& options) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end with 0; every usage error with 2 (never CLI11's own numbers).
        return app.exit(e) == 0 ? 0 : exit_status::usage;
    }
    apply_common_options(options);
    return std::nullopt;
}

void filter_logs(std::function<bool(net::log::level, std::string_view logger)> keep) {
    net::log::set_sink([keep = std::move(keep)](net::log::level l, std::string_view logger,
                                                std::string_view message) {
        if (!keep(l, logger)) {
            return;
        }
        const auto name = net::log::level_name(l);
        std::fprintf(stderr, "%.*s:%.*s:%.*s\n", static_cast<int>(name.size()), name.data(),
                     static_cast<int>(logger.size()), logger.data(),
                     static_cast<int>(message.size()), message.data());
    });
}

void quiet_transport_logs() {
    filter_logs([](net::log::level, std::string_view logger) { return logger != "websocket"; });
}

CLI::Validator at_least(double min) {
    return CLI::Validator(
        [min](std::string& text) -> std::string {
            const auto v = parse_number(text);
            if (!v) {
                return "must be a number, not " + text;
            }
            return *v >= min ? std::string{} : "must be >= " + show(min) + ", not " + text;
        },
        ">= " + show(min));
}

CLI::Validator greater_than(double min) {
    return CLI::Validator(
        [min](std::string& text) -> std::string {
            const auto v = parse_number(text);
            if (!v) {
                return "must be a number, not " + text;
            }
            return *v > min ? std::string{} : "must be > " + show(min) + ", not " + text;
        },
        "> " + show(min));
}

CLI::Validator number_between(double min, double max) {
    return CLI::Validator(
        [min, max](std::string& text) -> std::string {
            const auto v = parse_number(text);
            if (!v) {
                return "must be a number, not " + text;
            }
            if (*v < min) {
                return "must be >= " + show(min) + ", not " + text;
            }
            return *v <= max ? std::string{} : "must be <= " + show(max) + ", not " + text;
        },
        show(min) + ".." + show(max));
}

CLI::Validator integer_between(long long min, long long max) {
    return CLI::Validator(
        [min, max](std::string& text) -> std::string {
            const auto v = parse_integer(text);
            if (!v) {
                return "must be a whole number, not " + text;
            }
            if (*v < min) {
                return "must be >= " + std::to_string(min) + ", not " + text;
            }
            return *v <= max ? std::string{}
                             : "must be <= " + std::to_string(max) + ", not " + text;
        },
        std::to_string(min) + ".." + std::to_string(max));
}

const CLI::Validator& port_number() {
    static const CLI::Validator validator(
        [](std::string& text) -> std::string {
            const auto v = parse_integer(text);
            return v && *v >= 0 && *v <= 65535
                       ? std::string{}
                       : "must be a port number 0..65535 (0: any free port), not " + text;
        },
        "0..65535");
    return validator;
}

const CLI::Validator& destination_port() {
    static const CLI::Validator validator(
        [](std::string& text) -> std::string {
            const auto v = parse_integer(text);
            if (v && *v == 0) {
                return "must be a port number 1..65535 (port 0 only means \"any free port\" "
                       "when binding)";
            }
            return v && *v >= 1 && *v <= 65535 ? std::string{}
                                               : "must be a port number 1..65535, not " + text;
        },
        "1..65535");
    return validator;
}

const CLI::Validator& connection_limit() {
    static const CLI::Validator validator(
        [](std::string& text) -> std::string {
            const auto v = parse_integer(text);
            if (v && *v == 0) {
                return "must be -1 (no limit) or at least 1: 0 would refuse every companion";
            }
            return v && (*v == -1 || (*v >= 1 && *v <= 10'000'000))
                       ? std::string{}
                       : "must be -1 (no limit) or a number from 1 to 10000000, not " + text;
        },
        "-1 or >= 1");
    return validator;
}

const CLI::Validator& duration_seconds() {
    static const CLI::Validator validator(
        [](std::string& text) -> std::string {
            const auto v = parse_number(text);
            if (!v) {
                return "must be a number of seconds, not " + text;
            }
            return *v > 0 && *v <= 1e9 ? std::string{}
                                       : "must be > 0, not " + text +
                                             " (leave --duration out to run until interrupted)";
        },
        "> 0");
    return validator;
}

std::string address_problem(std::string_view text, std::string_view example) {
    if (text.empty()) {
        return "must be a host name or IP address, not empty";
    }
    const std::string s(text);
    if (const auto scheme_end = s.find("://"); scheme_end != std::string::npos) {
        const auto rest = s.substr(scheme_end + 3);
        const auto colon = rest.rfind(':');
        if (lower(s.substr(0, scheme_end)) == "udp" && colon != std::string::npos &&
            all_digits(rest.substr(colon + 1)) && colon > 0) {
            auto host = rest.substr(0, colon);
            if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
                host = host.substr(1, host.size() - 2);
            }
            return "must be a host, not a URL: give the host and port of " + s +
                   " as two arguments: " + host + " " + rest.substr(colon + 1);
        }
        return "must be a host name or IP address, not a URL (" + s + ")";
    }
    if (all_digits(s)) {
        return "must be a host name or IP address; " + s +
               " looks like a port (the address comes first: " + std::string(example) + " " + s +
               ")";
    }
    boost::system::error_code ec;
    static_cast<void>(boost::asio::ip::make_address(s, ec));
    if (!ec) {
        return {};
    }
    if (s.front() == '[') {
        const auto close = s.find(']');
        if (close != std::string::npos && close + 1 < s.size() && s[close + 1] == ':' &&
            all_digits(s.substr(close + 2))) {
            return "must be a host alone: host and port are separate arguments: " +
                   s.substr(1, close - 1) + " " + s.substr(close + 2);
        }
        if (close == s.size() - 1) {
            return "must be an IPv6 address without brackets: " + s.substr(1, close - 1);
        }
        return "must be a host name or IP address, not " + s;
    }
    const auto colon = s.find(':');
    if (colon != std::string::npos && colon == s.rfind(':') && colon > 0 &&
        all_digits(s.substr(colon + 1))) {
        return "must be a host alone: host and port are separate arguments: " + s.substr(0, colon) +
               " " + s.substr(colon + 1);
    }
    return {}; // a host name, resolved when the program starts
}

CLI::Validator address_argument(std::string example) {
    return CLI::Validator(
        [example = std::move(example)](std::string& text) -> std::string {
            return address_problem(text, example);
        },
        "HOST");
}

std::string websocket_url_problem(std::string_view url) {
    const std::string s(url);
    const auto l = lower(s);
    if (starts_with(l, "wss://") || starts_with(l, "https://")) {
        return "TLS (wss://) is not supported yet: " + s + " needs a ws:// server";
    }
    if (starts_with(l, "http://")) {
        return "must be a ws:// URL, not http://" + suggestion("ws://" + s.substr(7));
    }
    if (starts_with(l, "ws://")) {
        const auto parsed = net::parse_websocket_url(s);
        if (parsed) {
            return {};
        }
        if (parsed.error() == make_error_code(errc::value_out_of_range)) {
            return "must have a port from 1 to 65535: " + s;
        }
        return "must be a ws://host[:port]/path URL, not " + s;
    }
    // "ws:/host", "ws:host", "ws//host": the scheme's punctuation mistyped.
    if (starts_with(l, "ws:") || starts_with(l, "ws/")) {
        auto rest = s.substr(2);
        rest.erase(0, rest.find_first_not_of(":/"));
        return "must start with ws://, not " + s.substr(0, s.size() - rest.size()) +
               suggestion("ws://" + rest);
    }
    if (const auto scheme_end = s.find("://"); scheme_end != std::string::npos) {
        return "must be a ws:// URL, not " + s.substr(0, scheme_end + 3) + "...";
    }
    return "must be a ws:// URL" + suggestion("ws://" + s);
}

const CLI::Validator& websocket_url_argument() {
    static const CLI::Validator validator(
        [](std::string& text) -> std::string { return websocket_url_problem(text); }, "URL");
    return validator;
}

int run_main(const std::function<int()>& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

} // namespace dvbcss::tools
