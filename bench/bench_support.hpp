#pragma once

// Pieces shared by the benchmark programs: finding the programs they start, quantiles of
// samples, the first look at the command line and the fan-out options, the open-file limit for
// many connections, an io_context on its own thread, CLOCK_MONOTONIC in nanoseconds, and waiting
// for a condition or a socket.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/resource.h>

namespace dvbcss::bench {

/// The path of the program `name`: in `bin_dir` if given, else beside this program, else in
/// ../tools from it (the build tree's layout).
inline std::string find_tool(const std::string& bin_dir, const std::string& name) {
    namespace fs = std::filesystem;
    if (!bin_dir.empty()) {
        return (fs::path(bin_dir) / name).string();
    }
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    const auto here = ec ? fs::current_path() : self.parent_path();
    for (const auto& candidate : {here / name, here.parent_path() / "tools" / name}) {
        if (fs::exists(candidate, ec)) {
            return candidate.string();
        }
    }
    return (here / name).string();
}

/// Value at quantile q (0..1) of sorted `v`, nearest rank; NaN if `v` is empty.
inline double quantile(const std::vector<double>& v, double q) {
    if (v.empty()) {
        return NAN;
    }
    const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

/// `text` as a whole number, or -1 if it is not one.
inline long long whole_argument(const char* text) {
    char* end = nullptr;
    const long long v = std::strtoll(text, &end, 10);
    return end != text && *end == '\0' ? v : -1;
}

/// The first look at a benchmark's command line: 0 after printing `usage` on stdout when -h or
/// --help is among the arguments, 2 after printing `too_many` and `usage` on stderr when there
/// are more than `max_arguments`, -1 to go on.
inline int help_or_too_many(int argc, char** argv, int max_arguments, const char* too_many,
                            const char* usage) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage, stdout);
            return 0;
        }
    }
    if (argc > max_arguments + 1) {
        std::fprintf(stderr, "%s\n%s", too_many, usage);
        return 2;
    }
    return -1;
}

/// One option of those the fan-out benchmarks share, `arg` with its `value`, read into `o` (a
/// struct with n, rounds, rate and bin_dir): --n N, --rounds R, --rate PER_S, --bin DIR. False
/// if `arg` is none of them; the values are not checked here.
template <class Options>
bool fanout_option(std::string_view arg, const char* value, Options& o) {
    if (arg == "--n") {
        o.n = static_cast<std::size_t>(std::strtoul(value, nullptr, 10));
    } else if (arg == "--rounds") {
        o.rounds = std::atoi(value);
    } else if (arg == "--rate") {
        o.rate = std::strtod(value, nullptr);
    } else if (arg == "--bin") {
        o.bin_dir = value;
    } else {
        return false;
    }
    return true;
}

/// Raises the soft limit of open files to the hard limit (thousands of connections).
inline void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/// CLOCK_MONOTONIC now, nanoseconds (the clock of tv-device's truth lines).
inline std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Polls `predicate` every millisecond until it holds (true) or `timeout` passes (false).
template <class Predicate>
bool wait_until(Predicate predicate, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

/// Waits until `socket` has something to read (true) or CLOCK_MONOTONIC reaches `deadline_ns`
/// (false); at once if the deadline has passed.
inline bool readable_before(int socket, std::int64_t deadline_ns) {
    const auto wait_ns = std::max<std::int64_t>(0, deadline_ns - monotonic_ns());
    const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                           static_cast<long>(wait_ns % 1'000'000'000)};
    pollfd p{socket, POLLIN, 0};
    return ::ppoll(&p, 1, &timeout, nullptr) > 0;
}

/// An io_context run by one thread until stopped.
struct io_thread {
    io_thread()
        : guard(boost::asio::make_work_guard(context))
        , thread([this] { context.run(); }) {}

    ~io_thread() { stop(); }

    void stop() {
        guard.reset();
        context.stop();
        if (thread.joinable()) {
            thread.join();
        }
    }

    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;

    boost::asio::io_context context;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
    std::thread thread;
};

} // namespace dvbcss::bench
