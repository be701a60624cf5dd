#pragma once

/// A WebSocket server on one TCP port serving several endpoints by path ("/cii", "/ts", ...).

#include <dvbcss/error.hpp>
#include <dvbcss/limits.hpp>
#include <dvbcss/net/http_route.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_handler.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dvbcss::net {

/// Transport settings of a WebSocket server.
struct websocket_server_config {
    /// Address to listen on. The IPv6 unspecified address "::" also accepts IPv4 (dual stack).
    boost::asio::ip::address address = boost::asio::ip::address_v4::loopback();
    /// TCP port; 0 lets the OS choose (read it back with `local_endpoint()`).
    std::uint16_t port = 0;
    /// Time allowed for the HTTP request (header and body), the WebSocket opening handshake and
    /// the closing handshake; also how long a route handler's answer is awaited, and how long a
    /// persistent HTTP connection may stay idle between two requests.
    std::chrono::milliseconds handshake_timeout = limits::handshake_timeout;
    /// A connection that receives nothing for this long is dropped. With keep-alive pings on, a
    /// ping is sent after half of it, so a live peer always answers in time.
    std::chrono::milliseconds idle_timeout = limits::websocket_ping_timeout;
    bool keep_alive_pings = true;
    /// Largest message accepted (bytes); a bigger one closes the connection with 1009.
    std::size_t read_message_max = limits::max_json_message_bytes;
    /// Largest HTTP request header accepted (bytes); a larger one gets HTTP 431.
    std::size_t max_http_header_bytes = 8 * 1024;
    /// Connections allowed in their HTTP phase at once (request or upgrade under way); past it
    /// the server stops accepting until one finishes, so further connections wait in the listen
    /// backlog. At least 1.
    std::size_t max_pending_handshakes = limits::max_pending_handshakes;
    /// A write to an open WebSocket connection that has not completed in this time (the peer
    /// stopped reading) drops the socket; `on_close` then reports 1006. Zero: no limit.
    std::chrono::milliseconds write_timeout = limits::websocket_write_timeout;
    /// After the server asks to close a connection (disable, stop, overflow, protocol error),
    /// the socket is dropped if the closing handshake has not finished within this time.
    std::chrono::milliseconds close_timeout{2000};
    /// 0: every connection runs on the executor given to the server, each on a strand of its
    /// own. N > 0: the server runs N threads of its own, each with its own io_context, and gives
    /// each new connection to one of them in turn; a change notified to many connections then
    /// costs one task per thread, not one per connection (`websocket_endpoint::notify`). Handler
    /// callbacks then come from those threads (see `websocket_handler`); the accept loop and the
    /// write watch stay on the given executor. Use `join` before destroying the handlers.
    std::size_t session_threads = 0;
    /// Runs first on each session thread, with its index (0 to session_threads - 1): a place to
    /// name the thread or set its scheduling priority. Optional.
    std::function<void(std::size_t index)> session_thread_start;
};

/// Accepts TCP connections on one port, answers the HTTP upgrade by path, and runs each WebSocket
/// connection as a session with a bounded outbox and its own strand. Unknown paths get HTTP 404, a
/// disabled endpoint 403, a full endpoint 503, a plain HTTP request to a known path 426. Plain
/// HTTP requests to paths added with `add_http_route` are answered by their `http_handler`
/// (WebSocket endpoints match first, then exact routes, then the longest prefix route); a body
/// over the route's limit gets 413, a handler that throws 500. HTTP/1.1 persistent connections
/// serve up to 100 route requests each (see docs/websocket.md, "HTTP routes").
///
/// Close codes it sends: 1001 (endpoint disabled, server stopping), 1002 (a framing error such as
/// an unmasked client frame), 1003 (binary frame), 1007 (text that is not UTF-8), 1009 (message
/// over `read_message_max`), the endpoint's overflow code (1008 by default) when a peer's outbox
/// is full, 1011 if a handler throws. A code that may not be sent on the wire (1005, 1006, 1015,
/// ...) passed to `websocket_endpoint::close` is never sent: the close frame carries no code and
/// `on_close` reports 1005. `on_close` and the log give the code actually exchanged: the one sent,
/// or the one that arrived (even when the peer reset the TCP connection right after its close
/// frame); 1006 only when no close frame was exchanged, 1005 when the peer's carried no code.
///
/// Logging (logger "websocket"): every line a peer can cause (HTTP refusals 403/404/413/426/503 --
/// the 503 line says "connection limit N reached" --, failed requests and handshakes, opens,
/// closes, misbehaviour, route handler failures) is rate-limited per kind: 10 lines, then at most
/// one a second, which says how many similar lines were suppressed.
///
/// Protocol logic lives in `websocket_handler` objects, so the server knows nothing of CSS-CII
/// or CSS-TS.
///
/// Thread safety: all member functions are safe from any thread (`join` not from a callback).
/// The io_context may be run by one thread (the usual case) or several, and sessions may run on
/// session threads of the server's own (`session_threads`); see `websocket_handler` for callback
/// concurrency. Handlers must outlive the server's activity: stop it and let its io_context
/// finish (or destroy the io_context), and `join` its session threads, before destroying them.
class websocket_server {
public:
    websocket_server(boost::asio::any_io_executor executor, websocket_server_config config);
    websocket_server(const websocket_server&) = delete;
    websocket_server& operator=(const websocket_server&) = delete;
    /// Stops the server (see `stop`).
    ~websocket_server();

    /// Serves `path` (exact match, e.g. "/cii") with `handler`. May be called before or after
    /// `start`. Throws std::invalid_argument if the path is already served or does not start
    /// with '/'.
    websocket_endpoint& add_endpoint(std::string path, websocket_handler& handler,
                                     websocket_endpoint_config config = {});

    /// Serves plain HTTP requests for `path` (or every path under it, with `config.prefix`) with
    /// `handler` (see `http_handler`). May be called before or after `start`. Throws
    /// std::invalid_argument if the path is already an HTTP route or does not start with '/'.
    /// `handler` must outlive the server's activity, as endpoint handlers.
    void add_http_route(std::string path, http_handler& handler, http_route_config config = {});

    /// Binds, listens and starts accepting. Returns the error if the address cannot be bound
    /// (`asio::error::address_in_use` if another socket listens on the port: SO_REUSEADDR is
    /// set, which on Linux only allows rebinding over connections in TIME_WAIT),
    /// `asio::error::already_started` if the server was started before, and
    /// `asio::error::operation_aborted` once `stop` has been called (a server is not restartable).
    error_code start();

    /// The bound address and port (after a successful `start`).
    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

    /// Stops accepting and closes every connection with 1001 ("going away"); handshakes in
    /// progress are dropped. Handlers get `on_close` for each open connection as it ends. Once
    /// those complete the server holds no more work on the io_context. Idempotent.
    void stop();

    /// With `session_threads`: stops the server (as `stop`) and waits until every connection has
    /// ended and the session threads have exited (at most the close and handshake timeouts).
    /// Call it before destroying the handlers; the destructor calls it too. Must not be called
    /// from a handler callback. Without session threads it only stops.
    void join();

    struct impl;
    struct session_threads;

private:
    std::shared_ptr<impl> impl_;
    std::unique_ptr<session_threads> threads_;
};

} // namespace dvbcss::net
