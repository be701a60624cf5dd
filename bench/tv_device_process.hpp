#pragma once

// tv-device as the benchmarks' TV: starting it with its console on a pipe, its process id and
// memory, and a change typed on its console timed by the truth line it prints (--json).

#include "bench_support.hpp"
#include "support/child_process.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/types.h>
#include <unistd.h>

namespace dvbcss::bench {

/// tv-device (found by find_tool in `bin_dir`) started with `args` and its console on stdin;
/// nullptr, after the line "<program>: cannot start <path>" on stderr, if it did not start.
inline std::unique_ptr<test::child_process>
start_tv_device(const std::string& bin_dir, std::vector<std::string> args, const char* program) {
    const auto path = find_tool(bin_dir, "tv-device");
    args.insert(args.begin(), path);
    auto tv = std::make_unique<test::child_process>(std::move(args), /*with_stdin=*/true);
    if (!tv->started()) {
        std::fprintf(stderr, "%s: cannot start %s\n", program, path.c_str());
        return nullptr;
    }
    return tv;
}

/// The process id of our child running `comm` (child_process does not expose it), found in
/// /proc by name (its first 15 characters) and parent; nullopt if there is none.
inline std::optional<pid_t> child_pid(const std::string& comm) {
    namespace fs = std::filesystem;
    const auto me = getpid();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        // pid (comm) state ppid ...
        const auto open = line.find('(');
        const auto close = line.rfind(')');
        if (open == std::string::npos || close == std::string::npos ||
            line.substr(open + 1, close - open - 1) != comm.substr(0, 15)) {
            continue;
        }
        char state = 0;
        int ppid = 0;
        if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == me) {
            return static_cast<pid_t>(std::stol(name));
        }
    }
    return std::nullopt;
}

/// VmRSS of `pid`, KiB (0 if unknown).
inline long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::strtol(line.c_str() + 6, nullptr, 10);
        }
    }
    return 0;
}

/// Types `command` on tv-device's console and waits up to `timeout` for a truth line matching
/// `truth` printed after it; its first group (the change's CLOCK_MONOTONIC ns), or "" if none.
inline std::string console_change(test::child_process& tv, const std::string& command,
                                  const std::regex& truth, std::chrono::milliseconds timeout) {
    const auto from = tv.output().size();
    tv.write_line(command);
    return tv.read_until(truth, timeout, from);
}

} // namespace dvbcss::bench
