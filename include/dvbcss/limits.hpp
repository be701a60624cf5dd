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

/// WebSocket/HTTP connections a server lets be in their HTTP phase (request or upgrade under way)
/// at once. Each holds a descriptor and up to 8 KiB of request header; past this many the server
/// stops accepting (new connections wait in the kernel's listen backlog) until one finishes or
/// times out, so a slowloris crowd cannot take every descriptor. Handshakes finish in well under
/// a millisecond, so 1 024 in flight still admits thousands of companions a second.
inline constexpr std::size_t max_pending_handshakes = 1024;

/// A write to a WebSocket peer that has not completed after this long means the peer stopped
/// reading (its receive window and our send buffer are full): the socket is dropped. A peer that
/// only sends never goes idle, so the idle timeout alone would keep it for ever.
inline constexpr std::chrono::seconds websocket_write_timeout{30};

/// Longest a CSS-WC client waits for a follow-up after a type-2 response (as the BBC JS client).
inline constexpr std::chrono::seconds wc_followup_timeout{3};

} // namespace dvbcss::limits
