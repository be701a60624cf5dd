#pragma once

/// A CSS-WC client over WebSocket: the counterpart of `wall_clock_client` (UDP) for servers that
/// carry the wall clock protocol on a WebSocket (`wall_clock_ws_server`, the BBC's
/// `dvbcss-protocols` servers), in either framing.

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/wc/client.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dvbcss::net {

/// How CSS-WC messages are carried on the WebSocket.
enum class wall_clock_framing {
    /// The 32-byte message of ETSI TS 103 286-2 §8 in a binary frame.
    binary,
    /// The BBC JSON form (`wc/json_message.hpp`) in a text frame.
    json,
};

/// "binary" or "json".
[[nodiscard]] const char* to_string(wall_clock_framing framing) noexcept;

/// The WebSocket settings a wall clock client starts from: the defaults of
/// `websocket_client_config` with reconnection on.
[[nodiscard]] websocket_client_config default_wall_clock_websocket_config();

/// How a WebSocket wall clock client is set up.
///
/// Thread safety: a value type.
struct wall_clock_ws_client_config {
    /// The server, ws://host[:port]/path (e.g. ws://127.0.0.1:7681/wc). Replaces
    /// `websocket.url`.
    std::string url;
    wall_clock_framing framing = wall_clock_framing::binary;
    /// Timeouts, limits and reconnection (on by default: after a failed attempt or a lost
    /// connection the client retries with the websocket_client's back-off, 0.5 s doubling to
    /// 30 s).
    websocket_client_config websocket = default_wall_clock_websocket_config();
    /// Response/follow-up timeouts and back-off (see wc::client_config).
    wc::client_config core{};
};

/// Counters of a WebSocket wall clock client: the core's plus the transport's.
///
/// Thread safety: a value type.
struct wall_clock_ws_client_statistics {
    wc::client_statistics core{};       ///< Requests, responses, candidates, ignored by reason.
    std::uint64_t messages = 0;         ///< Messages received (either framing).
    std::uint64_t undecodable_json = 0; ///< Text messages that were not a valid JSON message.
    std::uint64_t send_failures = 0;    ///< Requests not queued (no open connection, full outbox).
    std::uint64_t connects = 0;         ///< Connections opened.
    std::uint64_t connect_failures = 0; ///< Connection attempts that failed.
    std::uint64_t disconnects = 0;      ///< Open connections that ended.
    /// The latest connection failure, one line for a user (empty if none).
    std::string last_failure;
};

/// A CSS-WC client on a WebSocket: drives the sans-I/O `wc::client` against one server, so that
/// the wall clock (a correlated_clock whose parent is the local clock) follows the server's.
///
/// Times: t1 is read immediately before the request is queued on the connection (after it is
/// encoded; `wc::client::on_request_sent`), t4 is the message's `received_monotonic_ns` (read as
/// soon as the WebSocket read completed) on the local clock. No kernel timestamps exist for bytes
/// on a TCP stream, so the queueing, the strand hop and the TCP stack on both sides count as
/// round-trip time: the error bound is honest but wider than on UDP.
///
/// JSON responses are decoded (`wc::bytes_from_json`) into the 32-byte form and given to the core
/// as any datagram; the transport holds no estimator logic. Responses in either framing are
/// accepted whatever `framing` says. Malformed messages, responses to nothing, connection
/// failures never stop the client: they are counted and logged (rate-limited) under the logger
/// "wc.ws.client", as are the core's timeouts and synchronisation transitions, which also reach
/// the event handler (the same `wall_clock_client_event` as on UDP). The first request goes when
/// the first connection opens; after a connection is lost, due requests are counted as send
/// failures and time out, so synchronisation is lost by the core's rule and regained once the
/// websocket_client has reconnected.
///
/// Lifetime: the wall clock (and its parent) must outlive the client. Destroying the client
/// closes the connection; handlers still queued afterwards do nothing.
///
/// Thread safety: distinct objects safe; a shared object unsafe: call every member from the
/// thread that runs the executor's io_context (which must be run by that one thread: the
/// WebSocket callbacks run on a strand of the same executor and touch the same state).
class wall_clock_ws_client {
public:
    /// Receives every message's outcome and every core event.
    using event_handler = std::function<void(const wall_clock_client_event&)>;

    /// Throws std::invalid_argument if `est` is null or `wall_clock` has no parent.
    wall_clock_ws_client(const boost::asio::any_io_executor& executor,
                         clock::correlated_clock& wall_clock, std::unique_ptr<wc::estimator> est,
                         wall_clock_ws_client_config config);
    ~wall_clock_ws_client();
    wall_clock_ws_client(const wall_clock_ws_client&) = delete;
    wall_clock_ws_client& operator=(const wall_clock_ws_client&) = delete;
    wall_clock_ws_client(wall_clock_ws_client&&) = delete;
    wall_clock_ws_client& operator=(wall_clock_ws_client&&) = delete;

    /// Starts connecting (and requesting once connected). No-op (success) if already running.
    /// errc::bad_field_value / value_out_of_range if the URL is not a valid ws:// URL.
    [[nodiscard]] error_code start();

    /// Closes the connection (1000) and stops requesting. No-op if not running.
    void stop() noexcept;

    [[nodiscard]] bool running() const noexcept { return ws_ != nullptr; }

    /// True while a connection is open.
    [[nodiscard]] bool connected() const noexcept { return open_; }

    /// Sets the handler called for every received message and every core event (nullptr: none).
    void on_event(event_handler handler);

    /// Wall clock dispersion now, ns (+infinity before the first adopted measurement).
    [[nodiscard]] double dispersion_ns() const;

    /// Wall clock minus local clock now, ns (positive: the wall clock is ahead).
    [[nodiscard]] std::int64_t offset_ns() const;

    /// The wall clock's time now, ns.
    [[nodiscard]] std::int64_t wall_clock_ns() const;

    [[nodiscard]] wall_clock_ws_client_statistics statistics() const;

    /// True while the core counts the wall clock as synchronised (wc::client::synchronised).
    [[nodiscard]] bool synchronised() const noexcept;

    [[nodiscard]] const wc::estimator& current_estimator() const noexcept;

    [[nodiscard]] wc::estimator& current_estimator() noexcept;

    [[nodiscard]] const wall_clock_ws_client_config& config() const noexcept { return config_; }

private:
    void service(); // sends a due request (once a connection has opened) and re-arms the timer
    void send(const wc::message_bytes& request);
    void handle(const incoming_message& message);

    wall_clock_ws_client_config config_;
    boost::asio::any_io_executor executor_;
    // The core, its timer, logs and event handler (shared with wall_clock_client).
    std::unique_ptr<detail::wall_clock_client_driver> driver_;
    std::unique_ptr<websocket_client> ws_;
    wall_clock_ws_client_statistics stats_;
    bool open_ = false;
    std::shared_ptr<int> alive_; // handlers hold a weak_ptr: expired once the client is gone
};

} // namespace dvbcss::net
