#pragma once

/// The protocol side of a WebSocket endpoint: what a server calls when connections open, receive
/// text and close, and how it pulls pending text when a connection is ready to write.

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::net {

/// Identifies one WebSocket connection for its whole life. A server never reuses an id.
using connection_id = std::uint64_t;

/// WebSocket close status codes (RFC 6455 §7.4.1) used by the library.
namespace close_codes {
inline constexpr std::uint16_t normal = 1000;         ///< Purpose fulfilled.
inline constexpr std::uint16_t going_away = 1001;     ///< Endpoint disabled or server stopping.
inline constexpr std::uint16_t protocol_error = 1002; ///< WebSocket framing error.
inline constexpr std::uint16_t unsupported_data =
    1003;                                          ///< A binary frame where only text is allowed.
inline constexpr std::uint16_t no_status = 1005;   ///< The close frame carried no code.
inline constexpr std::uint16_t abnormal = 1006;    ///< No close frame: the TCP connection dropped.
inline constexpr std::uint16_t bad_payload = 1007; ///< Text that is not valid UTF-8.
inline constexpr std::uint16_t policy_violation = 1008; ///< A peer broke a policy (e.g. stalled).
inline constexpr std::uint16_t too_big = 1009;          ///< A message exceeds the size limit.
inline constexpr std::uint16_t internal_error = 1011;   ///< The server failed unexpectedly.
inline constexpr std::uint16_t try_again_later = 1013;  ///< Temporarily overloaded.
} // namespace close_codes

/// What a protocol handler learns about a connection when it opens.
struct connection_info {
    connection_id id = 0;
    /// The server-side address the peer connected to (the interface address, used for
    /// `{{host}}`/`{{port}}` rewriting in CSS-CII).
    boost::asio::ip::tcp::endpoint local;
    /// The peer's address.
    boost::asio::ip::tcp::endpoint remote;
    /// The request target's path (e.g. "/cii"), without any query.
    std::string path;
};

/// How a connection ended.
struct close_info {
    /// The close code sent or received; `close_codes::abnormal` if no close frame was exchanged.
    std::uint16_t code = close_codes::abnormal;
    /// The close reason text, or a short description of the transport failure.
    std::string reason;
};

/// One complete WebSocket message as it arrived, with the time its last byte was read.
///
/// Thread safety: a view; valid only during the callback that receives it.
struct incoming_message {
    /// True for a binary message (only on endpoints with `accept_binary`), false for text.
    bool binary = false;
    /// The payload (text is valid UTF-8; binary is any bytes).
    std::string_view data;
    /// CLOCK_MONOTONIC nanoseconds read as soon as the read of the message completed: the
    /// closest the WebSocket layer gets to the wire (used as CSS-WC's receive time t2 or t4).
    std::int64_t received_monotonic_ns = 0;
};

/// A protocol served on one WebSocket endpoint (CSS-CII, CSS-TS, ...). The server calls it for
/// every connection of the endpoint; it answers through `websocket_endpoint` (send, close, notify).
///
/// Every connection that reached `on_open` gets exactly one `on_close`, whatever ends it (peer
/// close, error, endpoint disabled, server stopped).
///
/// Thread safety: callbacks for one connection never overlap and run on that connection's strand.
/// With a single-threaded io_context every callback of a server runs on that thread; with more
/// threads, callbacks for different connections can run concurrently and the handler must guard
/// its shared state.
class websocket_handler {
public:
    websocket_handler() = default;
    websocket_handler(const websocket_handler&) = delete;
    websocket_handler& operator=(const websocket_handler&) = delete;
    virtual ~websocket_handler() = default;

    /// A connection completed its opening handshake and may be sent to.
    virtual void on_open(const connection_info& connection) = 0;

    /// A text message arrived. `text` is valid only during the call.
    virtual void on_text(connection_id id, std::string_view text) = 0;

    /// Any message arrived, with its receive time. The server calls this, never `on_text`
    /// directly; the default passes text to `on_text` and drops binary messages (which reach a
    /// handler only on an endpoint whose config has `accept_binary`). Override it to read the
    /// receive time or to take binary messages (CSS-WC over WebSocket).
    virtual void on_message(connection_id id, const incoming_message& message) {
        if (!message.binary) {
            on_text(id, message.data);
        }
    }

    /// The connection has ended; no more callbacks follow for `id`.
    virtual void on_close(connection_id id, const close_info& info) = 0;

    /// Called when the connection's outbox is empty after `websocket_endpoint::notify(id)`: returns
    /// the text to send now, or nothing. Lets state protocols collapse several updates into one
    /// message computed at the moment the socket can take it.
    virtual std::optional<std::string> take_pending(connection_id id) {
        static_cast<void>(id);
        return std::nullopt;
    }

    /// What the server actually calls: `take_pending` as an immutable payload that may be shared
    /// with other connections (a fan-out sends one buffer to all). The default wraps
    /// `take_pending`'s text; override it to hand out shared payloads. Null for nothing.
    virtual std::shared_ptr<const std::string> take_pending_shared(connection_id id) {
        auto text = take_pending(id);
        return text ? std::make_shared<const std::string>(std::move(*text)) : nullptr;
    }

    /// Connection `id` has taken the message `websocket_endpoint::offer` left for it, and an
    /// offer was refused meanwhile (it still held that message): offer it its next one. Runs on
    /// the connection's strand or session thread. The default does nothing.
    virtual void on_ready_for_next(connection_id id) { static_cast<void>(id); }
};

} // namespace dvbcss::net
