#pragma once

/// Small pieces of program set-up shared by the servers: resolving the address to bind, the
/// URLs to print in a banner, and machine-readable timeline truth lines.

#include <dvbcss/clock/clock_base.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace dvbcss::tools {

/// A literal IPv4/IPv6 address, or a host name resolved to its first address. False if neither.
[[nodiscard]] bool resolve_address(boost::asio::io_context& io, const std::string& text,
                                   boost::asio::ip::address& out);

/// "host" for a URL: IPv6 literals bracketed.
[[nodiscard]] std::string url_host(const boost::asio::ip::address& a);

/// One JSON line on stdout describing the state of a timeline clock, for programs and tests that
/// check a companion against the TV's truth:
/// {"event":"timeline","selector":S,"monotonic_ns":N,"wall_clock_ns":N,"content_time":N|null,
///  "speed":X|null,"tick_rate":X,"available":B,"cause":S}
/// The pair (wall_clock_ns, content_time) is read at one instant; with speed it is the timeline's
/// correlation from then on.
void print_timeline_truth(std::string_view selector, const clock::clock_base& wall_clock,
                          const clock::clock_base& timeline, std::string_view cause);

} // namespace dvbcss::tools
