#pragma once

// The reconnection policy of the companion programs (cii-client --reconnect, ts-client
// --reconnect): a TV that restarts is found again within about a second of its return.

#include <dvbcss/net/websocket_client.hpp>

#include <chrono>

namespace dvbcss::tools {

/// Wait before the first new attempt after a connection to the TV ended or an attempt failed.
inline constexpr std::chrono::milliseconds companion_reconnect_initial_delay{500};

/// Longest wait between two attempts. The wait doubles after each failed attempt up to this, so
/// a TV that comes back is reached at most this long (plus one connection set-up) after it
/// listens again; an unreachable TV costs one refused connection per second per companion.
inline constexpr std::chrono::milliseconds companion_reconnect_max_delay{1000};

/// Turns reconnection on in `config` with the companions' policy (0.5 s, then 1 s between
/// attempts; a connection that ends within 1 s of opening counts as a failed attempt, see
/// `net::websocket_client_config::reconnect`).
inline void use_companion_reconnect(net::websocket_client_config& config) {
    config.reconnect = true;
    config.reconnect_initial_delay = companion_reconnect_initial_delay;
    config.reconnect_max_delay = companion_reconnect_max_delay;
    config.reconnect_multiplier = 2.0;
}

} // namespace dvbcss::tools
