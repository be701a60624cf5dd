#pragma once

/// Plain HTTP requests served beside the WebSocket endpoints of a `websocket_server`: a
/// companion web page, its scripts, a status page and its JSON, a control interface.

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dvbcss::net {

/// One HTTP request as the server read it (header and body complete).
///
/// Thread safety: a value type.
struct http_request {
    std::string method; ///< "GET", "HEAD", "POST", ... as sent.
    std::string target; ///< The request target as sent, e.g. "/status.json?x=1".
    std::string path;   ///< `target` up to the first '?'.
    std::string query;  ///< After the first '?', without it; empty if none.
    /// Header fields in arrival order (names as sent; compare case-insensitively).
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;                      ///< At most `http_route_config::max_body_bytes`.
    boost::asio::ip::tcp::endpoint local;  ///< The server address the peer connected to.
    boost::asio::ip::tcp::endpoint remote; ///< The peer.

    /// The value of the first header named `name` (case-insensitive), or empty.
    [[nodiscard]] std::string header(std::string_view name) const;
};

/// The answer to one HTTP request.
///
/// Thread safety: a value type.
struct http_response {
    /// 200-599; anything else is answered as 500. 204 and 304 are sent without a body.
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    /// Further header fields (e.g. "Cache-Control", "Allow"). The server sets Server,
    /// Content-Type, Content-Length and Connection itself.
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Sends the response to one request. Call it exactly once, from any thread, now or later (after
/// a hop to the thread that owns the state the answer describes). If it is never called the
/// connection is dropped after the server's handshake timeout; calling it after the connection
/// ended does nothing.
using http_responder = std::function<void(http_response)>;

/// Settings of one HTTP route.
struct http_route_config {
    /// The route serves every path that starts with its path (e.g. "/companion/"), not only the
    /// exact path. The longest matching prefix wins; exact routes and WebSocket endpoints are
    /// matched first.
    bool prefix = false;
    /// Largest request body accepted; a larger one gets 413 without reaching the handler.
    std::size_t max_body_bytes = 64 * 1024;
};

/// Serves plain HTTP requests on one path (or path prefix) of a `websocket_server`.
///
/// The server reads the request (header within `max_http_header_bytes`, body within the route's
/// `max_body_bytes`, both within the handshake timeout; a larger body gets 413 and never reaches
/// the handler), calls `on_request` on the connection's strand, and writes what the responder is
/// given. A handler that throws gets its request answered with 500 (and an error log line). HEAD
/// is answered as GET without the body (the handler sees "HEAD" and answers as for GET). A
/// WebSocket upgrade request to a route's path gets 404 (routes serve no WebSocket). The handler
/// decides which methods it takes (405 with an "Allow" header for others is its job). HTTP/1.1
/// connections persist across requests unless the peer asks otherwise (RFC 9112 §9.3).
///
/// Thread safety: as `websocket_handler`: calls for one connection never overlap; with a
/// multi-threaded io_context, calls for different connections may run at once.
class http_handler {
public:
    http_handler() = default;
    http_handler(const http_handler&) = delete;
    http_handler& operator=(const http_handler&) = delete;
    virtual ~http_handler() = default;

    /// Answers `request` through `respond` (once). Must not block.
    virtual void on_request(const http_request& request, http_responder respond) = 0;
};

/// An `http_handler` made from a function, for routes that need no state of their own.
class http_function_handler final : public http_handler {
public:
    using function = std::function<void(const http_request&, http_responder)>;

    explicit http_function_handler(function f)
        : f_(std::move(f)) {}

    void on_request(const http_request& request, http_responder respond) override {
        f_(request, std::move(respond));
    }

private:
    function f_;
};

} // namespace dvbcss::net
