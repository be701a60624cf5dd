#pragma once

/// Options and set-up shared by every program: -q/--quiet, --loglevel, --version, the exit
/// statuses, and the validators that turn a bad argument into one short line a user can act on
/// (never a type's whole range, always the rule and, where one can be guessed, what was meant).

#include <dvbcss/net/log.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::tools {

/// The exit statuses of every program (also in each program's --help and in the README).
namespace exit_status {
inline constexpr int done = 0;   ///< The job was done (or --help / --version).
inline constexpr int failed = 1; ///< It failed at run time: could not bind, never connected, lost
                                 ///< the server for good.
inline constexpr int usage = 2;  ///< A usage error: bad option, argument or URL.
} // namespace exit_status

/// The footer of every program's --help that states the exit statuses.
inline constexpr const char* exit_status_help =
    "Exit status: 0 done, 1 failed at run time (could not bind, never connected, lost the "
    "server), 2 usage error.";

/// The help text of every --duration option: the one rule for all programs.
inline constexpr const char* duration_help =
    "Stop after this many seconds (> 0; leave it out to run until interrupted)";

/// The options every program takes.
struct common_options {
    bool quiet = false;                ///< -q: no banner, no log output.
    std::string log_level = "warning"; ///< --loglevel: debug, info, warning, error, critical.
};

/// Adds -q/--quiet, --loglevel and --version to `app`. The --loglevel default shown in --help is
/// whatever `options.log_level` holds when this is called (programs set the reference's default).
void add_common_options(CLI::App& app, common_options& options);

/// Applies the logging options (call after parsing).
void apply_common_options(const common_options& options);

/// Parses the command line and applies `options`. Returns the exit code when parsing ends the
/// program (0 after --help or --version; exit_status::usage after an error, which has been
/// printed as "<program>: <what is wrong>"); nullopt to go on.
[[nodiscard]] std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                                    const common_options& options);

/// Writes only the log lines `keep` accepts, in the usual "LEVEL:logger:message" form on
/// standard error (the level set by --loglevel still applies first).
void filter_logs(std::function<bool(net::log::level, std::string_view logger)> keep);

/// -Q/--quiet-transport: drops the WebSocket/HTTP transport's log lines (logger
/// "websocket"), keeping every other line.
void quiet_transport_logs();

// ---- Validators. Each returns a message such as "must be >= 0, not -5"; CLI11 prefixes the
// ---- option's name and parse_command_line the program's.

/// A number >= `min` (text is parsed as a decimal number).
[[nodiscard]] CLI::Validator at_least(double min);

/// A number > `min`.
[[nodiscard]] CLI::Validator greater_than(double min);

/// A number in [min, max] (the message names the bound that was crossed: "must be >= 0").
[[nodiscard]] CLI::Validator number_between(double min, double max);

/// An integer in [min, max] (as number_between).
[[nodiscard]] CLI::Validator integer_between(long long min, long long max);

/// A port to bind: 0..65535 (0: any free port).
[[nodiscard]] const CLI::Validator& port_number();

/// A port to send to or connect to: 1..65535 (0 only means something when binding).
[[nodiscard]] const CLI::Validator& destination_port();

/// A limit of companions at once: -1 (no limit) or at least 1 (0 would refuse every one).
[[nodiscard]] const CLI::Validator& connection_limit();

/// --duration: a number of seconds > 0 (see duration_help).
[[nodiscard]] const CLI::Validator& duration_seconds();

/// A host name or IP address argument. Refuses, with the argument the user probably meant:
/// "host:port" ("host and port are separate arguments: H P"), a lone number ("looks like a
/// port"), and a URL. `example` is an address to show in the hint (e.g. "0.0.0.0").
[[nodiscard]] CLI::Validator address_argument(std::string example);

/// A ws:// URL argument (see websocket_url_problem).
[[nodiscard]] const CLI::Validator& websocket_url_argument();

/// Why `url` is not a usable ws:// URL, with a guess at the intended one where there is one
/// ("TLS (wss://) is not supported yet", "did you mean ws://127.0.0.1:7681/cii?"); empty if it is
/// usable.
[[nodiscard]] std::string websocket_url_problem(std::string_view url);

/// Why `text` is not a usable host or address argument (see address_argument); empty if usable.
[[nodiscard]] std::string address_problem(std::string_view text, std::string_view example);

/// Runs `body` and turns an escaping exception into a message on stderr and exit code 1.
int run_main(const std::function<int()>& body);

} // namespace dvbcss::tools
