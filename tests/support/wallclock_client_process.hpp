#pragma once

// What the tests that run wallclock-client as a process share: its command line and the --json
// summary it prints last.

#include "support/child_process.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace dvbcss::test {

/// wallclock-client (in `programs_dir`) with `args`, stderr merged into the captured output.
inline std::vector<std::string> wallclock_client_command(const std::string& programs_dir,
                                                         const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1",
                                  programs_dir + "/wallclock-client"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

/// The last {"event":"summary",...} line of a client's output (null if none).
inline nlohmann::json summary_of(const std::string& output) {
    nlohmann::json found;
    for (const auto& line : lines_of(output)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == "summary") {
            found = std::move(j);
        }
    }
    return found;
}

} // namespace dvbcss::test
