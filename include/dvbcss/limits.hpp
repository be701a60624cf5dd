#pragma once

/// Every defensive limit of the library, with the reason for its value. Transports and protocol
/// logic take their defaults from here; most are overridable through configuration structs.

#include <chrono>
#include <cstddef>

namespace dvbcss::limits {

/// Largest JSON text accepted on CSS-CII/CSS-TS. Real messages are under 4 KiB; 64 KiB leaves room
/// for generous private data while bounding memory per connection.
inline constexpr std::size_t max_json_message_bytes = 64 * 1024;

/// Deepest JSON nesting accepted. Real messages nest under 6 levels; copying or dumping deeply
/// nested values recurses once per level, so depth must be bounded before anything else runs.
inline constexpr int max_json_depth = 32;

/// Messages a WebSocket connection may have queued before it is considered stalled and closed.
inline constexpr std::size_t max_outbox_messages = 64;

/// Bytes a WebSocket connection may have queued before it is considered stalled and closed.
inline constexpr std::size_t max_outbox_bytes = 1024 * 1024;

/// Interval between keep-alive pings on idle WebSocket connections, and the time a peer has to
/// answer before it is considered dead.
inline constexpr std::chrono::seconds websocket_ping_interval{15};
inline constexpr std::chrono::seconds websocket_ping_timeout{30};

/// Time allowed for a WebSocket/HTTP handshake to complete.
inline constexpr std::chrono::seconds handshake_timeout{10};

/// Longest a CSS-WC client waits for a follow-up after a type-2 response (as the BBC JS client).
inline constexpr std::chrono::seconds wc_followup_timeout{3};

} // namespace dvbcss::limits
