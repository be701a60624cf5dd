#pragma once

// A helper process of a benchmark: forked (not exec'd) with a stream socket pair to its parent,
// over which the two exchange fixed-size records. Used by the lean load generator and the bare
// sender, which need descriptors of their own (a process may hold at most its hard limit).
// Fork only while the parent runs no other thread.

#include "bench_support.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <type_traits>

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dvbcss::bench {

/// Moves exactly `size` bytes from `data` to `fd` (`writing`) or from `fd` into `data`, waiting
/// until CLOCK_MONOTONIC `deadline_ns` at most; false on end of file, error or time out.
inline bool transfer_all(int fd, char* data, std::size_t size, bool writing,
                         std::int64_t deadline_ns) {
    while (size > 0) {
        const auto left_ms = (deadline_ns - monotonic_ns()) / 1'000'000;
        pollfd waiting{fd, static_cast<short>(writing ? POLLOUT : POLLIN), 0};
        if (left_ms <= 0 || ::poll(&waiting, 1, static_cast<int>(left_ms)) <= 0) {
            return false;
        }
        const auto n = writing ? ::write(fd, data, size) : ::read(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

/// Writes all of `size` bytes to `fd` within 10 s; false on error.
inline bool write_all(int fd, const void* data, std::size_t size) {
    // write() does not change the bytes: the cast only lets one loop serve both directions.
    return transfer_all(fd, static_cast<char*>(const_cast<void*>(data)), size, true,
                        monotonic_ns() + 10'000'000'000);
}

/// Reads exactly `size` bytes from `fd`, waiting until CLOCK_MONOTONIC `deadline_ns` at most;
/// false on end of file, error or time out.
inline bool read_all(int fd, void* data, std::size_t size, std::int64_t deadline_ns) {
    return transfer_all(fd, static_cast<char*>(data), size, false, deadline_ns);
}

/// A forked child running `body(channel)` then `_exit(0)`; the parent talks to it on
/// `channel()`. Destroying the handle closes the channel (the child is expected to exit on end
/// of file), waits up to 10 s, then kills it.
class forked_process {
public:
    explicit forked_process(const std::function<int(int)>& body) {
        int pair[2] = {-1, -1};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            return;
        }
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(pair[0]);
            // Only the channel and the standard streams: no pipe of the parent's stays open here.
            const auto channel = static_cast<unsigned>(pair[1]);
            if (channel > 3) {
                ::close_range(3, channel - 1, 0);
            }
            ::close_range(channel + 1, ~0U, 0);
            ::_exit(body(pair[1]));
        }
        ::close(pair[1]);
        if (pid_ < 0) {
            ::close(pair[0]);
            return;
        }
        channel_ = pair[0];
    }

    ~forked_process() {
        if (channel_ >= 0) {
            ::close(channel_);
        }
        if (pid_ > 0) {
            for (int i = 0; i < 1000; ++i) {
                if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                    return;
                }
                ::usleep(10'000);
            }
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    forked_process(const forked_process&) = delete;
    forked_process& operator=(const forked_process&) = delete;

    [[nodiscard]] bool started() const { return channel_ >= 0; }

    [[nodiscard]] int channel() const { return channel_; }

    /// Sends one record to the child.
    template <class Record>
    bool send(const Record& r) {
        static_assert(std::is_trivially_copyable_v<Record>);
        return write_all(channel_, &r, sizeof r);
    }

    /// Receives one record from the child within `timeout`.
    template <class Record>
    bool receive(Record& r, std::chrono::milliseconds timeout) {
        static_assert(std::is_trivially_copyable_v<Record>);
        return read_all(channel_, &r, sizeof r,
                        monotonic_ns() + std::chrono::nanoseconds(timeout).count());
    }

private:
    pid_t pid_ = -1;
    int channel_ = -1;
};

} // namespace dvbcss::bench
