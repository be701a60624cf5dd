#pragma once

// A server program's open-file limit: every companion connection is one descriptor, so a TV
// that serves thousands of companions raises its soft limit to the hard one at start and says,
// with the numbers, when the connections it was asked to allow cannot fit.

#include <cstdint>
#include <optional>
#include <string>

namespace dvbcss::tools {

/// The descriptor limits of this process before and after `raise_descriptor_limit`.
struct descriptor_limit {
    std::uint64_t soft_before = 0;
    std::uint64_t soft = 0; ///< Now in force.
    std::uint64_t hard = 0; ///< The most this process may ever hold (RLIM_INFINITY: UINT64_MAX).
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit (never lowers it). Nothing if the limits
/// cannot be read; a limit that cannot be raised is reported as it stands.
std::optional<descriptor_limit> raise_descriptor_limit();

/// Descriptors a server process holds besides its companions' connections (standard streams,
/// listening and UDP sockets, epoll, timers, eventfds), with a margin.
inline constexpr std::uint64_t descriptors_besides_connections = 32;

/// One line for people when `companions` connections (plus the process's own descriptors) do
/// not fit in `limit.soft`, else nothing. `companions` < 0 means "no limit was asked for".
std::optional<std::string> descriptor_shortfall(const descriptor_limit& limit,
                                                std::int64_t companions);

} // namespace dvbcss::tools
