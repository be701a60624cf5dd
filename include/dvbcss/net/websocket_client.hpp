#pragma once

/// A WebSocket client for ws:// URLs, with a connect timeout and optional reconnection.

#include <dvbcss/error.hpp>
#include <dvbcss/limits.hpp>
#include <dvbcss/net/websocket_handler.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace dvbcss::net {

/// Settings of a WebSocket client.
struct websocket_client_config {
    /// ws://host[:port][/path]; see `parse_websocket_url`.
    std::string url;
    /// Time allowed for name resolution, TCP connect and the opening handshake together.
    std::chrono::milliseconds connect_timeout{10000};
    /// A connection that receives nothing for this long is dropped; with keep-alive pings a ping
    /// is sent after half of it.
    std::chrono::milliseconds idle_timeout = limits::websocket_ping_timeout;
    bool keep_alive_pings = true;
    /// Time allowed for the closing handshake we start before the socket is dropped.
    std::chrono::milliseconds close_timeout{2000};
    /// Largest message accepted (bytes); a bigger one closes the connection with 1009.
    std::size_t read_message_max = limits::max_json_message_bytes;
    /// Bounds of the outgoing queue; `send_text` fails when either would be exceeded.
    std::size_t max_outbox_messages = limits::max_outbox_messages;
    std::size_t max_outbox_bytes = limits::max_outbox_bytes;
    /// Reconnect after a failed attempt or a lost connection (not after `close()`), waiting
    /// `reconnect_initial_delay`, then multiplying the wait by `reconnect_multiplier` after each
    /// failed attempt up to `reconnect_max_delay`. The wait returns to the initial delay once a
    /// connection opens.
    bool reconnect = false;
    std::chrono::milliseconds reconnect_initial_delay{500};
    std::chrono::milliseconds reconnect_max_delay{30000};
    double reconnect_multiplier = 2.0;
};

/// Why a connection attempt failed.
struct connect_failure {
    error_code error;
    /// The HTTP status if the server answered the upgrade with something other than 101 (e.g.
    /// 403, 404, 503), else 0.
    unsigned http_status = 0;
    /// One line for a user: what failed and why.
    std::string message;
    /// The wait before the next attempt, or zero if no attempt follows.
    std::chrono::milliseconds retry_in{0};
};

/// Callbacks of a WebSocket client; each is optional.
struct websocket_client_callbacks {
    /// A connection opened; `send_text` now works.
    std::function<void()> on_open;
    /// A text message arrived (`text` is valid during the call only).
    std::function<void(std::string_view text)> on_text;
    /// A binary message of `size` bytes arrived (its content is dropped).
    std::function<void(std::size_t size)> on_binary;
    /// An open connection ended (close frame, error or timeout).
    std::function<void(const close_info& info)> on_close;
    /// A connection attempt failed.
    std::function<void(const connect_failure& failure)> on_connect_failed;
    /// The client will make no more attempts: after `close()`, or after a failure or close with
    /// reconnection off. Called once.
    std::function<void()> on_finished;
};

/// A WebSocket client connection (ws:// only) that runs on an Asio executor. Callbacks run on the
/// client's strand, one at a time.
///
/// Thread safety: member functions are safe from any thread. Destroying the client stops it and
/// suppresses later callbacks; destroy it on the thread that runs its io_context (or once that
/// has stopped) so that no callback is running at the time.
class websocket_client {
public:
    websocket_client(boost::asio::any_io_executor executor, websocket_client_config config,
                     websocket_client_callbacks callbacks);
    websocket_client(const websocket_client&) = delete;
    websocket_client& operator=(const websocket_client&) = delete;
    ~websocket_client();

    /// Starts connecting. Returns errc::bad_field_value / value_out_of_range if the URL is not a
    /// valid ws:// URL (nothing is started then). Call once.
    error_code start();

    /// Queues a text message. Returns false if no connection is open or the outbox is full.
    bool send_text(std::string text);

    /// Queues a binary message (for tests of peers that must reject them). As `send_text`.
    bool send_binary(std::string data);

    /// Closes the connection with `code` and stops reconnecting; `on_close` and `on_finished`
    /// follow. Idempotent.
    void close(std::uint16_t code = close_codes::normal, std::string reason = {});

    /// True while a connection is open (between on_open and on_close).
    [[nodiscard]] bool is_open() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace dvbcss::net
