#pragma once

/// The one contract between a WebSocket transport and a sans-I/O protocol core (CSS-CII, CSS-TS,
/// either side). The transport adapters in dvbcss::net (`ws_server_adapter`, `ws_client_adapter`)
/// drive any core that models these concepts; no protocol needs its own glue class.

#include <dvbcss/error.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss {

/// Identifies one connection of a server endpoint; chosen by the transport, never reused.
using connection_id = std::uint64_t;

/// The server-side address a companion reached, as text for URL rewriting (`{{host}}`,
/// `{{port}}` in CSS-CII). `local_host` is an IP literal, IPv6 without brackets (with a zone id
/// for link-local addresses, e.g. "fe80::1%eth0").
struct connection_origin {
    std::string local_host;
    std::uint16_t local_port = 0;
    /// The peer's address and port as "addr:port" ("[v6]:port"), for logs.
    std::string remote;
};

/// One encoded message, immutable, shared by every connection that is sent the same bytes: a
/// fan-out to N companions encodes once and holds one copy, whatever N. Null means "nothing".
using shared_text = std::shared_ptr<const std::string>;

/// A server-side protocol core: one object serves every connection of an endpoint.
///
/// - `on_open(id, origin)`: a connection opened. Anything to send first is pulled later.
/// - `on_text(id, text)`: one text message. Returns success if it was used, otherwise the core's
///   own reason for ignoring it (the transport logs that reason, rate-limited; it never decodes
///   the message itself).
/// - `on_close(id)`: the connection ended (whatever the reason). Unknown ids are ignored.
/// - `take_dirty()`: the connections that may have something to send since the last call (after
///   any input, or after the application changed state). Each id at most once.
/// - `take_pending(id)`: the one message to send now on `id`, computed at the moment its socket
///   can take it, and recorded as sent; nothing if there is nothing (left) to say.
///
/// Output is pulled, never queued by the core, so the state kept per connection is bounded
/// whatever the rate of change.
///
/// A core may also offer `take_pending_shared(id)` (see `shared_pending_protocol`): the same
/// message as `take_pending`, as a payload shared with every other connection that is sent the
/// same bytes. Transports use it when present.
template <class P>
concept server_protocol = requires(P& p, connection_id id, const connection_origin& origin,
                                   std::string_view text) {
    { p.on_open(id, origin) } -> std::same_as<void>;
    { p.on_text(id, text) } -> std::same_as<error_code>;
    { p.on_close(id) } -> std::same_as<void>;
    { p.take_dirty() } -> std::same_as<std::vector<connection_id>>;
    { p.take_pending(id) } -> std::same_as<std::optional<std::string>>;
};

/// A server core that hands out shared payloads: `take_pending_shared(id)` has the meaning of
/// `take_pending(id)` (same bytes, recorded as sent the same way) but returns a payload that
/// connections sent the same message share (null for nothing).
template <class P>
concept shared_pending_protocol = server_protocol<P> && requires(P& p, connection_id id) {
    { p.take_pending_shared(id) } -> std::same_as<shared_text>;
};

/// A client-side protocol core: one object per connection to a server.
///
/// - `on_open()`: the connection opened (a core that must speak first has something pending).
/// - `on_text(text)`: one text message; success, or the core's reason for not using it.
/// - `on_binary(size)`: a binary message (a protocol error in CSS-CII and CSS-TS).
/// - `on_close(code, reason)`: the connection ended; 1006 when no close frame arrived.
/// - `take_pending()`: the next message to send, if any (pulled after every call above and
///   after the application changes state).
template <class P>
concept client_protocol = requires(P& p, std::string_view text, std::size_t size,
                                   std::uint16_t code) {
    { p.on_open() } -> std::same_as<void>;
    { p.on_text(text) } -> std::same_as<error_code>;
    { p.on_binary(size) } -> std::same_as<error_code>;
    { p.on_close(code, text) } -> std::same_as<void>;
    { p.take_pending() } -> std::same_as<std::optional<std::string>>;
};

} // namespace dvbcss
