#pragma once

// Close codes shared by the WebSocket server and client (internal to dvbcss::net): which codes may
// travel in a close frame, the frame for a close we start, and how a connection that we did not
// close ended, as its reader saw it.

#include <dvbcss/error.hpp>
#include <dvbcss/net/websocket_handler.hpp>

#include <boost/beast/websocket/rfc6455.hpp>

#include <cstdint>
#include <string>

namespace dvbcss::net::detail {

/// True if `code` may travel in a close frame (RFC 6455 §7.4): 1004-1006, 1014 and 1015 are
/// reserved for local use or unassigned (a Beast peer fails the connection on them), as are codes
/// below 1000, 1016-2999 and from 5000.
[[nodiscard]] bool sendable_close_code(std::uint16_t code) noexcept;

/// The close frame for a close we start: `request.code` must be sendable or 1005 (a frame without
/// a code); the reason is cut to the 123 bytes a control frame can carry, on a UTF-8 boundary.
[[nodiscard]] boost::beast::websocket::close_reason wire_close(const close_info& request);

/// How a connection ended, as far as its reader can tell.
enum class end_kind {
    requested, ///< We asked to close, with the code reported.
    received,  ///< A close frame arrived: the peer's code (even if the TCP connection then broke).
    failed,    ///< The peer broke the protocol: Beast sent a close frame with the code reported.
    dropped,   ///< No close frame either way: the TCP connection failed or timed out (1006).
};

struct connection_end {
    close_info info;
    end_kind kind = end_kind::dropped;
};

/// The code and reason of a connection whose reader ended with `read_error` (not one we closed):
/// the code that arrived or the code Beast sent, never 1006 when a close frame was exchanged. A
/// peer that resets the TCP connection right after its close frame (a TV on a clean stop) fails
/// Beast's echo or teardown: the code that arrived is still what happened.
[[nodiscard]] connection_end classify_end(const error_code& read_error,
                                          const boost::beast::websocket::close_reason& received);

/// "1001 going away", "1005 no status code": a close for a log line.
[[nodiscard]] std::string describe(const close_info& info);

} // namespace dvbcss::net::detail
