#pragma once

/// Small pieces of program set-up shared by the servers: resolving the address to bind, the
/// URLs to print in a banner, and machine-readable timeline truth lines.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/net/udp_socket.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::tools {

/// A literal IPv4/IPv6 address, or a host name resolved to its first address. False if neither.
[[nodiscard]] bool resolve_address(boost::asio::io_context& io, const std::string& text,
                                   boost::asio::ip::address& out);

/// Where a server program listens: its WebSocket server and its wall clock server.
struct server_addresses {
    boost::asio::ip::address websocket_address;
    std::uint16_t websocket_port = 0;
    net::udp_socket::endpoint wall_clock;
};

/// Resolves a server program's two addresses. If one does not resolve, prints
/// "<program>: cannot resolve <name>" and returns nothing (a usage error).
[[nodiscard]] std::optional<server_addresses>
resolve_server_addresses(boost::asio::io_context& io, std::string_view program,
                         const std::string& ws_address, int ws_port, const std::string& wc_address,
                         int wc_port);

/// `text` as a JSON string literal (quoted and escaped; bytes that are not UTF-8 become U+FFFD).
[[nodiscard]] std::string json_string(std::string_view text);

/// "host" for a URL: IPv6 literals bracketed.
[[nodiscard]] std::string url_host(const boost::asio::ip::address& a);

/// The addresses a peer could reach a socket bound to `bound` at. For a specific address, just
/// that one. For 0.0.0.0, the IPv4 address of every interface that is up (getifaddrs order, so
/// loopback usually first); for ::, the IPv6 and IPv4 ones (the servers' sockets are dual-stack).
/// IPv6 link-local addresses are left out (a URL would need their zone id). If the interfaces
/// cannot be listed, `bound` itself.
[[nodiscard]] std::vector<boost::asio::ip::address>
reachable_addresses(const boost::asio::ip::address& bound);

/// Banner lines naming a WebSocket endpoint, one per reachable address of `local`:
/// "<label>ws://<host>:<port><path>\n", e.g. label "CSS-CII endpoint URL: ", path "/cii".
[[nodiscard]] std::string endpoint_url_lines(std::string_view label,
                                             const boost::asio::ip::tcp::endpoint& local,
                                             std::string_view path);

/// A banner line for a UDP endpoint: "<label> bound to host <addr> on port <port>\n", and for an
/// unspecified address " (reachable at <a>, <b>, ...)" before the newline.
[[nodiscard]] std::string udp_bound_line(std::string_view label,
                                         const boost::asio::ip::udp::endpoint& local);

/// One JSON line on stdout describing the state of a timeline clock, for programs and tests that
/// check a companion against the TV's truth:
/// {"event":"timeline","selector":S,"monotonic_ns":N,"wall_clock_ns":N,"content_time":N|null,
///  "speed":X|null,"tick_rate":X,"available":B,"cause":S}
/// The pair (wall_clock_ns, content_time) is read at one instant; with speed it is the timeline's
/// correlation from then on.
void print_timeline_truth(std::string_view selector, const clock::clock_base& wall_clock,
                          const clock::clock_base& timeline, std::string_view cause);

} // namespace dvbcss::tools
