#include <dvbcss/net/kernel_timestamps.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <linux/net_tstamp.h>
#include <sys/socket.h>
#include <time.h>

namespace dvbcss::net {
namespace {

std::int64_t to_ns(const timespec& ts) noexcept {
    return static_cast<std::int64_t>(ts.tv_sec) * nanos_per_second +
           static_cast<std::int64_t>(ts.tv_nsec);
}

std::int64_t read_clock(clockid_t id) noexcept {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return to_ns(ts);
}

} // namespace

error_code enable_receive_timestamps(int fd) noexcept {
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
        return {errno, boost::system::system_category()};
    }
    return {};
}

std::optional<std::int64_t> kernel_realtime_ns(const msghdr& message) noexcept {
    if (message.msg_control == nullptr || message.msg_controllen == 0) {
        return std::nullopt;
    }
    // CMSG_NXTHDR takes a non-const msghdr although it only reads it.
    auto& m = const_cast<msghdr&>(message);
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET) {
            continue;
        }
        if (c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return to_ns(ts);
        }
        if (c->cmsg_type == SCM_TIMESTAMPING && c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
            // scm_timestamping: [0] is the software timestamp.
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            if (ts.tv_sec != 0 || ts.tv_nsec != 0) {
                return to_ns(ts);
            }
        }
    }
    return std::nullopt;
}

std::int64_t monotonic_now_ns() noexcept {
    return read_clock(CLOCK_MONOTONIC);
}

std::int64_t realtime_now_ns() noexcept {
    return read_clock(CLOCK_REALTIME);
}

realtime_to_monotonic::realtime_to_monotonic(std::chrono::nanoseconds refresh_interval)
    : refresh_interval_ns_(refresh_interval.count()) {
    refresh();
}

void realtime_to_monotonic::refresh() noexcept {
    std::int64_t best_width = std::numeric_limits<std::int64_t>::max();
    std::int64_t best_offset = 0;
    std::int64_t last_mono = 0;
    for (int i = 0; i < 3; ++i) {
        const std::int64_t before = read_clock(CLOCK_MONOTONIC);
        const std::int64_t real = read_clock(CLOCK_REALTIME);
        const std::int64_t after = read_clock(CLOCK_MONOTONIC);
        const std::int64_t width = after - before;
        if (width < best_width) {
            best_width = width;
            best_offset = real - (before + width / 2);
        }
        last_mono = after;
    }
    offset_ns_ = best_offset;
    width_ns_ = best_width;
    measured_at_ns_ = last_mono;
}

void realtime_to_monotonic::refresh_if_stale(std::int64_t monotonic_now_ns) noexcept {
    if (monotonic_now_ns - measured_at_ns_ >= refresh_interval_ns_) {
        refresh();
    }
}

std::optional<std::int64_t>
realtime_to_monotonic::map(std::int64_t realtime_ns, std::int64_t dequeued_monotonic_ns) noexcept {
    // Allow the offset's own uncertainty as slack on the "not after the dequeue" side.
    const auto plausible = [&](std::int64_t mono) {
        return mono <= dequeued_monotonic_ns + width_ns_ &&
               mono >= dequeued_monotonic_ns - max_queueing_ns;
    };
    std::int64_t mono = realtime_ns - offset_ns_;
    if (plausible(mono)) {
        return std::min(mono, dequeued_monotonic_ns);
    }
    refresh(); // CLOCK_REALTIME may have been stepped since the last measurement.
    mono = realtime_ns - offset_ns_;
    if (plausible(mono)) {
        return std::min(mono, dequeued_monotonic_ns);
    }
    ++rejected_;
    return std::nullopt;
}

rx_timestamp realtime_to_monotonic::stamp(std::optional<std::int64_t> kernel_realtime,
                                          std::int64_t dequeued_monotonic_ns) noexcept {
    if (kernel_realtime) {
        if (auto mono = map(*kernel_realtime, dequeued_monotonic_ns)) {
            return {*mono, timestamp_source::kernel};
        }
    }
    return {dequeued_monotonic_ns, timestamp_source::user};
}

} // namespace dvbcss::net
