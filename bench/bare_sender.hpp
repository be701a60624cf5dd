#pragma once

// The physical limit of a fan-out on this machine: a forked process that accepts N loopback TCP
// connections, then writes one small buffer to each with plain send(), from one thread or from
// several (each its share of the connections), and says when the first send began. Another
// process (a bare load_receiver) records when each arrives.

#include "bench_support.hpp"
#include "forked_process.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dvbcss::bench {

namespace detail {

struct sender_command {
    char op = 0;          ///< 'A' accept N connections, 'S' send one round
    std::int64_t arg = 0; ///< A: time allowed, ms; S: sending threads
};

/// The child's side: listens, accepts, sends on command. Answers: the port (after start), the
/// number accepted ('A'), the CLOCK_MONOTONIC ns of the first send and of the end of the
/// last ('S').
inline int bare_sender_main(int channel, std::size_t n, std::size_t bytes) {
    raise_fd_limit();
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof at;
    std::uint64_t port = 0;
    if (listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0 &&
        ::listen(listener, 4096) == 0 &&
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&at), &size) == 0) {
        port = ntohs(at.sin_port);
    }
    write_all(channel, &port, sizeof port);
    std::vector<int> fds;
    const std::string buffer(bytes, 'x');
    sender_command c;
    while (read_all(channel, &c, sizeof c, monotonic_ns() + 3'600'000'000'000)) {
        if (c.op == 'A') {
            const auto deadline = monotonic_ns() + c.arg * 1'000'000;
            while (fds.size() < n && monotonic_ns() < deadline) {
                pollfd p{listener, POLLIN, 0};
                if (::poll(&p, 1, 100) <= 0) {
                    continue;
                }
                const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
                if (fd >= 0) {
                    const int one = 1;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    fds.push_back(fd);
                }
            }
            const std::uint64_t accepted = fds.size();
            write_all(channel, &accepted, sizeof accepted);
        } else if (c.op == 'S') {
            const auto threads = static_cast<std::size_t>(std::max<std::int64_t>(1, c.arg));
            std::atomic<bool> go{false};
            std::vector<std::int64_t> first(threads, 0);
            std::vector<std::thread> senders;
            for (std::size_t t = 0; t < threads; ++t) {
                senders.emplace_back([&, t] {
                    while (!go.load(std::memory_order_acquire)) {
                    }
                    const auto from = fds.size() * t / threads;
                    const auto to = fds.size() * (t + 1) / threads;
                    first[t] = monotonic_ns();
                    for (auto i = from; i < to; ++i) {
                        static_cast<void>(
                            ::send(fds[i], buffer.data(), buffer.size(), MSG_NOSIGNAL));
                    }
                });
            }
            go.store(true, std::memory_order_release);
            for (auto& s : senders) {
                s.join();
            }
            const std::int64_t times[2] = {*std::min_element(first.begin(), first.end()),
                                           monotonic_ns()};
            write_all(channel, times, sizeof times);
        } else {
            break;
        }
    }
    for (const int fd : fds) {
        ::close(fd);
    }
    return 0;
}

} // namespace detail

/// The parent's handle of the bare sender process. Calls from one thread.
class bare_sender {
public:
    bare_sender(std::size_t n, std::size_t bytes)
        : process_(
              [n, bytes](int channel) { return detail::bare_sender_main(channel, n, bytes); }) {
        std::uint64_t port = 0;
        if (process_.started() && process_.receive(port, std::chrono::seconds(10))) {
            port_ = static_cast<std::uint16_t>(port);
        }
    }

    /// The loopback port it listens on; 0 if it did not start.
    [[nodiscard]] std::uint16_t port() const { return port_; }

    /// Starts accepting (up to `timeout`); the count comes with `accepted`.
    bool accept(std::chrono::milliseconds timeout) {
        return process_.send(detail::sender_command{'A', timeout.count()});
    }

    /// How many connections it accepted; nullopt if it did not answer within `timeout`.
    std::optional<std::uint64_t> accepted(std::chrono::milliseconds timeout) {
        std::uint64_t count = 0;
        if (!process_.receive(count, timeout)) {
            return std::nullopt;
        }
        return count;
    }

    /// When a round of sends began and when every sending thread had finished
    /// (CLOCK_MONOTONIC ns).
    struct round_times {
        std::int64_t first_send_ns = 0;
        std::int64_t done_ns = 0;
    };

    /// Sends one buffer to every connection from `threads` threads; nullopt if the process did
    /// not answer.
    std::optional<round_times> send_round(int threads) {
        std::int64_t times[2] = {};
        if (!process_.send(detail::sender_command{'S', threads}) ||
            !process_.receive(times, std::chrono::seconds(30))) {
            return std::nullopt;
        }
        return round_times{times[0], times[1]};
    }

private:
    forked_process process_;
    std::uint16_t port_ = 0;
};

} // namespace dvbcss::bench
