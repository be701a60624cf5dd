// wake_latency: how late a thread that sleeps 1 ms at a time wakes up on a core another thread
// keeps busy, for each way the CSS-WC thread could be scheduled. It is the machine's share of the
// wall clock server's t3 - t2 during a fan-out (docs/architecture.md): what the scheduler does,
// with none of our code in the way.
//
//   wake_latency [--wakeups N] [--connections N]
//     --wakeups N      wake-ups timed per case (default 3000, about 3.3 s a case)
//     --connections N  loopback TCP connections the sending load writes to (default 2000)
//
// The sleeper and the load share core 0. Two loads: "busy" loops on a cheap system call, so it
// returns to user space every microsecond or so; "sends" writes 120 bytes to each of N loopback
// TCP connections in a burst every 20 ms (a fan-out in small), read by a thread on core 1. The
// sleeper runs as an ordinary thread, with a 0.1 ms EEVDF time slice (what tv-device's CSS-WC
// thread asks for), at nice -20 and under SCHED_FIFO 10 (both need privilege; a case the kernel
// refuses says so), without timer slack. For each it prints the lateness p50 / p99 / max in µs.
// Exit status 0 when every case ran (refused ones included), 1 if the machine has fewer than two
// cores or the loopback connections could not be made, 2 for usage errors.

#include "bench_support.hpp"
#include "common/thread_priority.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

using dvbcss::bench::monotonic_ns;
using dvbcss::bench::quantile;

constexpr const char* usage = "usage: wake_latency [--wakeups N] [--connections N]\n";

struct options {
    int wakeups = 3000;
    int connections = 2000;
};

void pin_to(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    static_cast<void>(::pthread_setaffinity_np(::pthread_self(), sizeof set, &set));
}

/// Loopback TCP connections: `writers` on one side, `readers` on the other.
struct connection_set {
    std::vector<int> writers;
    std::vector<int> readers;

    connection_set() = default;
    connection_set(const connection_set&) = delete;
    connection_set& operator=(const connection_set&) = delete;

    ~connection_set() {
        for (const int fd : writers) {
            ::close(fd);
        }
        for (const int fd : readers) {
            ::close(fd);
        }
    }

    /// False if any of the `n` could not be made.
    bool open(int n) {
        const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof at;
        const bool listening =
            listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0 &&
            ::listen(listener, 4096) == 0 &&
            ::getsockname(listener, reinterpret_cast<sockaddr*>(&at), &size) == 0;
        const int one = 1;
        for (int i = 0; listening && i < n; ++i) {
            const int reader = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (reader < 0 ||
                ::connect(reader, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
                if (reader >= 0) {
                    ::close(reader);
                }
                break;
            }
            readers.push_back(reader);
            const int writer = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (writer < 0) {
                break;
            }
            ::setsockopt(writer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            writers.push_back(writer);
        }
        if (listener >= 0) {
            ::close(listener);
        }
        return static_cast<int>(writers.size()) == n;
    }
};

/// One load on core 0 (and, for "sends", its reader on core 1) while `body` runs.
class load {
public:
    load(bool sends, connection_set& connections)
        : sends_(sends)
        , connections_(connections) {}

    void run_while(const std::function<void()>& body) {
        stop_ = false;
        std::thread reader;
        if (sends_) {
            reader = std::thread([this] { read_all(); });
        }
        std::thread busy([this] { sends_ ? send_bursts() : spin(); });
        body();
        stop_ = true;
        busy.join();
        if (reader.joinable()) {
            reader.join();
        }
    }

private:
    void spin() {
        pin_to(0);
        while (!stop_.load(std::memory_order_relaxed)) {
            static_cast<void>(::getppid());
        }
    }

    void send_bursts() {
        pin_to(0);
        const char message[120] = {};
        while (!stop_.load(std::memory_order_relaxed)) {
            for (const int fd : connections_.writers) {
                static_cast<void>(::send(fd, message, sizeof message, MSG_NOSIGNAL));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void read_all() {
        pin_to(1);
        const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
        for (std::size_t i = 0; i < connections_.readers.size(); ++i) {
            epoll_event e{};
            e.events = EPOLLIN;
            e.data.u64 = i;
            ::epoll_ctl(epoll, EPOLL_CTL_ADD, connections_.readers[i], &e);
        }
        std::vector<epoll_event> events(512);
        char buffer[4096];
        while (!stop_.load(std::memory_order_relaxed)) {
            const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 10);
            for (int i = 0; i < n; ++i) {
                const auto index =
                    static_cast<std::size_t>(events[static_cast<std::size_t>(i)].data.u64);
                static_cast<void>(
                    ::recv(connections_.readers[index], buffer, sizeof buffer, MSG_DONTWAIT));
            }
        }
        ::close(epoll);
    }

    bool sends_;
    connection_set& connections_;
    std::atomic<bool> stop_{false};
};

/// How the sleeper is scheduled; `apply` runs on it and returns false if the kernel refused.
struct sleeper_class {
    const char* name;
    bool (*apply)();
};

const sleeper_class classes[] = {
    {"ordinary",
     [] {
         return true;
     }},
    {"0.1 ms slice",
     [] {
         return dvbcss::tools::request_time_slice(std::chrono::microseconds(100));
     }},
    {"nice -20",
     [] {
         return dvbcss::tools::set_thread_niceness(-20);
     }},
    {"SCHED_FIFO 10",
     [] {
         sched_param p{};
         p.sched_priority = 10;
         return ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &p) == 0;
     }},
};

/// Sleeps 1 ms `wakeups` times on core 0 scheduled as `c`; the lateness of each wake-up (µs),
/// empty if the class was refused.
std::vector<double> time_wakeups(const sleeper_class& c, int wakeups) {
    std::vector<double> late;
    std::thread sleeper([&] {
        pin_to(0);
        // No timer slack (50 µs by default for ordinary threads): the lateness is the scheduler's.
        static_cast<void>(::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL));
        if (!c.apply()) {
            return;
        }
        late.reserve(static_cast<std::size_t>(wakeups));
        for (int i = 0; i < wakeups; ++i) {
            const auto due = monotonic_ns() + 1'000'000;
            const timespec t{static_cast<time_t>(due / 1'000'000'000), due % 1'000'000'000};
            ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr);
            late.push_back(static_cast<double>(monotonic_ns() - due) / 1e3);
        }
    });
    sleeper.join();
    std::sort(late.begin(), late.end());
    return late;
}

int run(const options& o) {
    if (std::thread::hardware_concurrency() < 2) {
        std::fprintf(stderr, "wake_latency: needs two cores\n");
        return 1;
    }
    dvbcss::bench::raise_fd_limit();
    connection_set connections;
    if (!connections.open(o.connections)) {
        std::fprintf(stderr, "wake_latency: could only open %zu of %d loopback connections\n",
                     connections.writers.size(), o.connections);
        return 1;
    }
    std::printf("wake_latency: a thread sleeping 1 ms at a time, %d wake-ups, on a core shared "
                "with a load\n",
                o.wakeups);
    for (const bool sends : {false, true}) {
        load l(sends, connections);
        for (const auto& c : classes) {
            std::vector<double> late;
            l.run_while([&] { late = time_wakeups(c, o.wakeups); });
            const auto what = std::string(
                sends ? "sends to " + std::to_string(o.connections) + " connections" : "busy");
            if (late.empty()) {
                std::printf("  load %-28s sleeper %-14s refused by the kernel\n", what.c_str(),
                            c.name);
                continue;
            }
            std::printf(
                "  load %-28s sleeper %-14s late p50 %7.1f us  p99 %7.1f us  max %8.1f us\n",
                what.c_str(), c.name, quantile(late, 0.5), quantile(late, 0.99), late.back());
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (const int early = dvbcss::bench::help_or_too_many(
            argc, argv, 4, "wake_latency: too many arguments", usage);
        early >= 0) {
        return early;
    }
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--wakeups" || a == "--connections") && i + 1 < argc) {
            const auto value = dvbcss::bench::whole_argument(argv[++i]);
            if (value < 1 || value > 100000) {
                std::fprintf(stderr, "wake_latency: %s must be 1 to 100000\n%s", a.c_str(), usage);
                return 2;
            }
            (a == "--wakeups" ? o.wakeups : o.connections) = static_cast<int>(value);
        } else {
            std::fprintf(stderr, "wake_latency: unknown argument %s\n%s", a.c_str(), usage);
            return 2;
        }
    }
    return run(o);
}
