#pragma once

/// One path of a WebSocket server (e.g. "/cii"), served by a protocol handler.

#include <dvbcss/limits.hpp>
#include <dvbcss/net/websocket_handler.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace dvbcss::net {

namespace detail {
class websocket_endpoint_state;
} // namespace detail

/// Per-endpoint settings.
struct websocket_endpoint_config {
    /// Open (and opening) connections allowed at once; negative means no limit. Requests over
    /// the limit get HTTP 503.
    int max_connections = -1;
    /// A disabled endpoint refuses new connections with HTTP 403.
    bool enabled = true;
    /// A connection whose queued messages would exceed either bound is closed with
    /// `overflow_close_code`: the peer is not reading fast enough. The message being written is
    /// not counted.
    std::size_t max_outbox_messages = limits::max_outbox_messages;
    std::size_t max_outbox_bytes = limits::max_outbox_bytes;
    std::uint16_t overflow_close_code = close_codes::policy_violation;
    /// Binary messages are passed to the handler's `on_message` instead of closing the
    /// connection with 1003 (CSS-WC over WebSocket sends its 32-byte messages in binary frames).
    bool accept_binary = false;
};

/// The handle through which a protocol handler (or its owner) acts on the connections of one
/// endpoint: push text, ask for a pull (`notify`), close, enable or disable, change the limit.
/// Owned by the server; valid as long as the server exists.
///
/// Thread safety: every member function is safe from any thread, including from inside handler
/// callbacks. Actions on a connection are queued to its strand and happen in call order.
class websocket_endpoint {
public:
    explicit websocket_endpoint(std::shared_ptr<detail::websocket_endpoint_state> state);

    /// The path this endpoint serves, e.g. "/cii".
    [[nodiscard]] const std::string& path() const;

    /// Queues `text` for connection `id`. Returns false if the connection is not open. A
    /// connection whose outbox overflows is closed (see `websocket_endpoint_config`).
    bool send(connection_id id, std::string text);
    /// As `send`, with a payload that other connections may share (sent without copying).
    bool send(connection_id id, std::shared_ptr<const std::string> text);
    /// Queues a binary message for connection `id`; otherwise as `send` (same outbox, same order).
    bool send_binary(connection_id id, std::string data);

    /// Marks connection `id` as having pending output: once its outbox is empty, the handler's
    /// `take_pending(id)` is called. Several notifications before then collapse into one call.
    bool notify(connection_id id);

    /// `notify` for each of `ids` (unknown ids are skipped): one registry lookup for all of them,
    /// and with session threads (`websocket_server_config::session_threads`) one task per thread
    /// rather than one per connection: the way a fan-out should call it. Returns how many were
    /// open.
    std::size_t notify(std::span<const connection_id> ids);

    /// `notify` for every open connection.
    void notify_all();

    /// Fan-out without a pull: for each open connection of `ids` whose last offered message has
    /// been taken, calls `compute(id)` (on the calling thread) and leaves the result for the
    /// session, which sends it once its outbox is empty; one registry lookup for all of them and,
    /// with session threads, one task per thread. A connection still holding its last offered
    /// message is not asked: `compute` is not called for it, and once its session takes that
    /// message the handler's `on_ready_for_next(id)` is called, so that the next one is computed
    /// from the state at that moment. A slow companion therefore holds one message, whatever the
    /// rate of change. `compute` may return null (nothing to send). Returns how many messages
    /// were left.
    ///
    /// Thread safety: offers to one endpoint must come from one thread at a time (the protocol
    /// owner, as `ws_server_adapter` does); everything else here stays safe from any thread. If
    /// `compute` throws, the messages left before it are still sent and the exception propagates.
    std::size_t
    offer(std::span<const connection_id> ids,
          const std::function<std::shared_ptr<const std::string>(connection_id)>& compute);

    /// Closes connection `id` with `code` and `reason` (queued text is dropped). The handler gets
    /// `on_close` when the close completes.
    bool close(connection_id id, std::uint16_t code, std::string reason = {});

    /// Disabling refuses new connections (HTTP 403) and closes every open one with 1001; each
    /// such connection gets `on_close`. Enabling accepts connections again.
    void set_enabled(bool enabled);
    [[nodiscard]] bool enabled() const;

    /// Changes the connection limit (negative: none). Existing connections are kept.
    void set_max_connections(int max_connections);
    [[nodiscard]] int max_connections() const;

    /// Connections that have completed their opening handshake and not yet closed.
    [[nodiscard]] std::size_t connection_count() const;
    [[nodiscard]] std::vector<connection_id> connections() const;

private:
    std::shared_ptr<detail::websocket_endpoint_state> state_;
};

} // namespace dvbcss::net
