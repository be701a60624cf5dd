#pragma once

/// Receive timestamps taken by the Linux kernel (SO_TIMESTAMPNS software timestamps), and the
/// mapping of those CLOCK_REALTIME instants onto the CLOCK_MONOTONIC timebase that every clock tree
/// of the library reads (dvbcss::clock::monotonic_time_source).
///
/// Why: a user-space receive time includes the wake-up latency of the receiving thread (several
/// microseconds, milliseconds under load). The kernel stamps the packet when the network stack
/// takes it, so the receive time (t2 on a server, t4 on a client) is close to the wire. The kernel
/// only offers software timestamps on CLOCK_REALTIME, so the transport converts them with an
/// offset measured between the two clocks.

#include <dvbcss/error.hpp>
#include <dvbcss/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

struct msghdr;

namespace dvbcss::net {

/// Where a receive time came from.
enum class timestamp_source {
    kernel, ///< The kernel's software receive timestamp, mapped to CLOCK_MONOTONIC.
    user,   ///< CLOCK_MONOTONIC read in user space after the datagram was dequeued (fallback).
};

/// When a datagram arrived, on the CLOCK_MONOTONIC timebase, in nanoseconds.
struct rx_timestamp {
    std::int64_t monotonic_ns = 0; ///< Arrival time, CLOCK_MONOTONIC nanoseconds.
    timestamp_source source = timestamp_source::user;
};

/// Asks the kernel to stamp every received datagram on socket `fd` (SO_TIMESTAMPNS).
[[nodiscard]] error_code enable_receive_timestamps(int fd) noexcept;

/// The kernel receive timestamp carried in the control data of a message returned by
/// recvmsg/recvmmsg, as CLOCK_REALTIME nanoseconds; nullopt when the message carries none.
[[nodiscard]] std::optional<std::int64_t> kernel_realtime_ns(const msghdr& message) noexcept;

/// CLOCK_MONOTONIC now, nanoseconds.
[[nodiscard]] std::int64_t monotonic_now_ns() noexcept;

/// CLOCK_REALTIME now, nanoseconds since the Unix epoch.
[[nodiscard]] std::int64_t realtime_now_ns() noexcept;

/// Bytes of control buffer a receive needs for one kernel timestamp (with room to spare).
inline constexpr std::size_t rx_control_bytes = 128;

/// Maps CLOCK_REALTIME instants onto CLOCK_MONOTONIC.
///
/// The offset (realtime - monotonic, nanoseconds) is measured with the narrowest of three
/// monotonic/realtime/monotonic "sandwiches": the realtime read is assumed to sit in the middle of
/// the two monotonic reads, so the uncertainty of the offset is half the sandwich width (typically
/// 10-30 ns). NTP slews both clocks alike, but a step of CLOCK_REALTIME changes the offset, so it
/// is measured again every `refresh_interval` and whenever a mapped time is implausible (after the
/// moment the datagram was dequeued, or long before it); if it is still implausible, the caller
/// falls back to its user-space time.
///
/// Thread safety: distinct objects safe; shared objects unsafe.
class realtime_to_monotonic {
public:
    explicit realtime_to_monotonic(std::chrono::nanoseconds refresh_interval = std::chrono::seconds{
                                       1});

    /// Measures the offset now.
    void refresh() noexcept;

    /// Refreshes the offset if it is older than the refresh interval; `monotonic_now_ns` is the
    /// current CLOCK_MONOTONIC time (the caller has usually just read it).
    void refresh_if_stale(std::int64_t monotonic_now_ns) noexcept;

    /// The monotonic time of a kernel timestamp `realtime_ns` for a datagram dequeued at
    /// `dequeued_monotonic_ns`; nullopt if the result is implausible even after a fresh measurement
    /// (later than the dequeue time, or more than `max_queueing` before it).
    [[nodiscard]] std::optional<std::int64_t> map(std::int64_t realtime_ns,
                                                  std::int64_t dequeued_monotonic_ns) noexcept;

    /// The best rx timestamp for a datagram: the mapped kernel time if there is a plausible one,
    /// else `dequeued_monotonic_ns` marked as a user-space time.
    [[nodiscard]] rx_timestamp stamp(std::optional<std::int64_t> kernel_realtime,
                                     std::int64_t dequeued_monotonic_ns) noexcept;

    /// Last measured offset realtime - monotonic, nanoseconds.
    [[nodiscard]] std::int64_t offset_ns() const noexcept { return offset_ns_; }

    /// Width of the sandwich that measured the offset (twice its uncertainty), nanoseconds.
    [[nodiscard]] std::int64_t sandwich_width_ns() const noexcept { return width_ns_; }

    /// How many kernel timestamps were rejected as implausible.
    [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }

    /// Longest time a datagram may plausibly wait in the socket queue: 1 s.
    static constexpr std::int64_t max_queueing_ns = 1'000'000'000;

private:
    std::int64_t refresh_interval_ns_;
    std::int64_t offset_ns_ = 0;
    std::int64_t width_ns_ = 0;
    std::int64_t measured_at_ns_ = 0;
    std::uint64_t rejected_ = 0;
};

} // namespace dvbcss::net
