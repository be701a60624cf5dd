#pragma once

/// A WebSocket client for ws:// URLs, with a connect timeout and optional reconnection.

#include <dvbcss/error.hpp>
#include <dvbcss/limits.hpp>
#include <dvbcss/net/websocket_handler.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <algorithm>
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
    /// failed attempt up to `reconnect_max_delay` (0.5, 1, 2, 4, 8 ... 30 s by default).
    ///
    /// A connection that ends before it has been open for `reconnect_stable_time(config)` (twice
    /// `reconnect_initial_delay`, at least 100 ms), whatever it received meanwhile, counts as a
    /// failed attempt: a server that accepts the upgrade and then closes at once (1001, a reset,
    /// a message over the size limit) gets ever longer gaps, not a new connection every 0.5 s.
    /// The wait returns to the initial delay only when a connection that lived at least that long
    /// ends. Each retry is logged (warning, rate-limited) as "...; retrying in N s" and reported
    /// through `on_retry`.
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

/// The open time from which a connection's end no longer counts as a failed attempt: twice
/// `config.reconnect_initial_delay`, and at least 100 ms.
[[nodiscard]] inline std::chrono::milliseconds
reconnect_stable_time(const websocket_client_config& config) {
    return std::max(config.reconnect_initial_delay * 2, std::chrono::milliseconds(100));
}

/// A reconnection the client has scheduled (reconnection on): after a failed attempt or after a
/// connection ended, before the wait starts.
struct reconnect_notice {
    /// The wait before the next attempt.
    std::chrono::milliseconds retry_in{0};
    /// True if what preceded counts as a failed attempt: a connection attempt failed, or a
    /// connection ended within `reconnect_stable_time` of opening. False after a connection that
    /// lived longer (the wait is then back at `reconnect_initial_delay`).
    bool after_failure = false;
    /// Failed attempts in a row, this one included (0 when `after_failure` is false).
    unsigned failures_in_a_row = 0;
    /// One line for a user: what happened (the failure, or how the connection closed).
    std::string message;
};

/// Callbacks of a WebSocket client; each is optional.
struct websocket_client_callbacks {
    /// A connection opened; `send_text` now works.
    std::function<void()> on_open;
    /// A text message arrived (`text` is valid during the call only).
    std::function<void(std::string_view text)> on_text;
    /// A binary message of `size` bytes arrived (its content is dropped).
    std::function<void(std::size_t size)> on_binary;
    /// When set, every message (text and binary) goes here, with its content and the
    /// CLOCK_MONOTONIC time its read completed, instead of to `on_text` and `on_binary`.
    std::function<void(const incoming_message& message)> on_message;
    /// An open connection ended (close frame, error or timeout). `info.code` is the code that
    /// was exchanged: the one that arrived (even if the server then reset the TCP connection), the
    /// one Beast sent when the server broke the protocol (1002, 1007, 1009), the one `close()`
    /// sent; 1006 only when no close frame was exchanged; 1005 when the close frame carried no
    /// code.
    std::function<void(const close_info& info)> on_close;
    /// A connection attempt failed.
    std::function<void(const connect_failure& failure)> on_connect_failed;
    /// With reconnection on: the next attempt is scheduled (after `on_close` or
    /// `on_connect_failed`), e.g. to print "retrying in N s".
    std::function<void(const reconnect_notice& notice)> on_retry;
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
    /// follow. Idempotent. A code that may not be sent on the wire (1005, 1006, 1015, below 1000,
    /// 1004, 1014, 1016-2999, 5000 and up) is never sent: the close frame then carries no code and
    /// `on_close` reports 1005.
    void close(std::uint16_t code = close_codes::normal, std::string reason = {});

    /// True while a connection is open (between on_open and on_close).
    [[nodiscard]] bool is_open() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace dvbcss::net
