#pragma once

/// Options and set-up shared by every program: -q/--quiet, --loglevel, --version, address and port
/// validation, and a one-line way to run main() with errors reported.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace dvbcss::tools {

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
/// program (--help, --version, or an error, which CLI11 has already printed); nullopt to go on.
[[nodiscard]] std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                                    const common_options& options);

/// Validates a port number 0..65535.
[[nodiscard]] const CLI::Validator& port_number();

/// Runs `body` and turns an escaping exception into a message on stderr and exit code 1.
int run_main(const std::function<int()>& body);

} // namespace dvbcss::tools
