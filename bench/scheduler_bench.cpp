// scheduler_bench: how late the Asio scheduler driver wakes up, in real time on the system clock.
//
//   scheduler_bench [wake-ups (default 2000)] [gap in microseconds (default 1000)]
//
// For each configuration it chains `wake-ups` wake-ups, each `gap` (plus 0-250 us of seeded
// jitter, so wake-ups do not lock to the kernel's timer phase) after the previous one, on a
// sys_clock rooted in CLOCK_MONOTONIC, and prints lateness percentiles in microseconds (actual
// time the work started minus the deadline; never negative) and the CPU time the process used
// per wake-up. Two paths are measured: `run_at` (work called from the timer handler) and
// `sleep_until` (a coroutine resumed, one extra hop through the executor), each without and with
// a spin stretch (the timer wakes early and the last stretch is polled, busily or with
// sched_yield).
// It prints figures and never fails.

#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/net/asio_scheduler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

namespace asio = boost::asio;
using dvbcss::tick_t;
using dvbcss::clock::sys_clock;
using dvbcss::net::asio_scheduler;
using dvbcss::net::asio_scheduler_options;

enum class path {
    run_at,
    sleep_until
};

struct figures {
    std::vector<std::int64_t> lateness_ns;
    double cpu_us_per_wakeup = 0;
};

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// A chain of run_at tasks, each scheduling the next from inside its work.
struct chain {
    asio_scheduler& sched;
    sys_clock& root;
    figures& out;
    int count;
    std::function<tick_t()> next;

    void arm(tick_t when) {
        sched.run_at(root, when, [this, when] {
            out.lateness_ns.push_back(asio_scheduler::now_ns() - static_cast<std::int64_t>(when));
            if (static_cast<int>(out.lateness_ns.size()) < count) {
                arm(next());
            }
        });
    }
};

figures measure(path p, std::chrono::nanoseconds spin, dvbcss::net::spin_wait style, int count,
                std::int64_t gap_ns) {
    asio::io_context io;
    sys_clock root; // 1e9 ticks per second: ticks are monotonic nanoseconds
    asio_scheduler_options options;
    options.spin = spin;
    options.spin_style = style;
    asio_scheduler sched(io.get_executor(), options);
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<std::int64_t> jitter(0, 250'000);
    figures out;
    out.lateness_ns.reserve(static_cast<std::size_t>(count));
    const auto next_deadline = [&] {
        return root.ticks() + static_cast<tick_t>(gap_ns + jitter(rng));
    };

    // run_at: each task schedules the next one from inside its work.
    chain c{sched, root, out, count, next_deadline};
    if (p == path::run_at) {
        c.arm(next_deadline());
    } else {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < count; ++i) {
                    const tick_t when = next_deadline();
                    co_await sched.sleep_until(root, when);
                    out.lateness_ns.push_back(asio_scheduler::now_ns() -
                                              static_cast<std::int64_t>(when));
                }
            },
            asio::detached);
    }
    const double cpu0 = cpu_seconds();
    io.run();
    out.cpu_us_per_wakeup = (cpu_seconds() - cpu0) * 1e6 / count;
    return out;
}

double percentile_us(std::vector<std::int64_t> v, double q) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(std::lround(q * static_cast<double>(v.size() - 1)));
    return static_cast<double>(v[i]) / 1e3;
}

} // namespace

int main(int argc, char** argv) try {
    const int count = argc > 1 ? std::atoi(argv[1]) : 2000;
    const std::int64_t gap_us = argc > 2 ? std::atoll(argv[2]) : 1000;
    if (count <= 0 || gap_us <= 0) {
        std::fprintf(stderr, "usage: scheduler_bench [wake-ups > 0] [gap in microseconds > 0]\n");
        return 2;
    }
    std::printf("scheduler_bench: %d wake-ups per row, %lld us apart (+0..250 us jitter)\n", count,
                static_cast<long long>(gap_us));
    std::printf("%-12s %8s %6s %9s %9s %9s %9s %12s\n", "path", "spin_us", "style", "p50_us",
                "p90_us", "p99_us", "max_us", "cpu_us/wake");
    using dvbcss::net::spin_wait;
    using std::chrono::microseconds;

    struct row {
        path p;
        microseconds spin;
        spin_wait style;
    };

    const std::vector<row> rows{
        {path::run_at, microseconds(0), spin_wait::busy},
        {path::run_at, microseconds(50), spin_wait::busy},
        {path::run_at, microseconds(200), spin_wait::busy},
        {path::run_at, microseconds(500), spin_wait::busy},
        {path::run_at, microseconds(200), spin_wait::yield},
        {path::sleep_until, microseconds(0), spin_wait::busy},
        {path::sleep_until, microseconds(200), spin_wait::busy},
    };
    for (const auto& r : rows) {
        const auto f = measure(r.p, r.spin, r.style, count, gap_us * 1000);
        std::printf("%-12s %8lld %6s %9.1f %9.1f %9.1f %9.1f %12.1f\n",
                    r.p == path::run_at ? "run_at" : "sleep_until",
                    static_cast<long long>(r.spin.count()),
                    r.spin.count() == 0 ? "-" : (r.style == spin_wait::busy ? "busy" : "yield"),
                    percentile_us(f.lateness_ns, 0.5), percentile_us(f.lateness_ns, 0.9),
                    percentile_us(f.lateness_ns, 0.99), percentile_us(f.lateness_ns, 1.0),
                    f.cpu_us_per_wakeup);
    }
    return 0;

} catch (const std::exception& e) {

    std::fprintf(stderr, "scheduler_bench: %s\n", e.what());
    return 1;
}
