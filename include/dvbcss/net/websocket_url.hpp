#pragma once

/// Parsing of ws:// URLs, as found in CSS-CII's tsUrl or given to the client programs.

#include <dvbcss/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace dvbcss::net {

/// The parts of a ws:// URL that a connection needs.
///
/// Thread safety: a value type.
struct websocket_url {
    /// Host name or address, without brackets for IPv6 literals ("::1", "example.com").
    std::string host;
    /// TCP port; 80 when the URL has none.
    std::uint16_t port = 80;
    /// Request target: path and query, "/" when the URL has no path.
    std::string target = "/";

    /// The value for the HTTP Host header ("host", "host:port", "[v6]:port").
    [[nodiscard]] std::string host_header() const;

    friend bool operator==(const websocket_url&, const websocket_url&) = default;
};

/// Parses `ws://host[:port][/path][?query]` (scheme case-insensitive, IPv6 literals in brackets,
/// no user-info). A fragment is dropped. Errors (never throws): errc::bad_field_value for another
/// scheme (wss:// is not supported), an empty host or a malformed IPv6 literal;
/// errc::value_out_of_range for a port outside 1..65535.
[[nodiscard]] result<websocket_url> parse_websocket_url(std::string_view url);

} // namespace dvbcss::net
