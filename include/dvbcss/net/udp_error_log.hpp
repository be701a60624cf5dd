#pragma once

#include <dvbcss/net/log.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace dvbcss::net {

/// A rate limiter in front of the transport log, for events that a peer can cause at will (bad
/// datagrams, send failures): each event is logged once, but a flood of them writes at most
/// `burst` lines and then one line per `interval`, saying how many were suppressed in between.
///
/// Time is passed in (CLOCK_MONOTONIC nanoseconds) so the limiter reads no clock itself.
///
/// Thread safety: distinct objects safe; shared objects unsafe.
class udp_error_log {
public:
    /// `logger` names the source in each line; `burst` lines pass before limiting starts; then at
    /// most one line per `interval_ns` nanoseconds.
    explicit udp_error_log(std::string logger, int burst = 10,
                           std::int64_t interval_ns = 1'000'000'000);

    /// Logs `message` at `l` unless the rate limit is exhausted; returns true if it was written.
    bool write(log::level l, std::string_view message, std::int64_t now_ns);

    /// Lines suppressed by the limiter since construction.
    [[nodiscard]] std::uint64_t suppressed_total() const noexcept { return suppressed_total_; }

private:
    std::string logger_;
    int burst_;
    std::int64_t interval_ns_;
    double tokens_;
    std::int64_t last_ns_ = 0;
    bool started_ = false;
    std::uint64_t suppressed_since_last_ = 0;
    std::uint64_t suppressed_total_ = 0;
};

} // namespace dvbcss::net
