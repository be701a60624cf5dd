#pragma once

/// Options and set-up shared by every program: -q/--quiet, --loglevel, --version, address and port
/// validation, and a one-line way to run main() with errors reported.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

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
/// printed); nullopt to go on.
[[nodiscard]] std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                                    const common_options& options);

/// -Q/--quiet-transport: drops the WebSocket/HTTP transport's log lines (logger "websocket"),
/// keeping every other line.
void quiet_transport_logs();

/// Validates a port number 0..65535.
[[nodiscard]] const CLI::Validator& port_number();

/// Runs `body` and turns an escaping exception into a message on stderr and exit code 1.
int run_main(const std::function<int()>& body);

} // namespace dvbcss::tools
