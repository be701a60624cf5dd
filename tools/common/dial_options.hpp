#pragma once

/// The DIAL options of the TV programs (tv-device, cii-server): --dial, --interface IFACE,
/// --friendly-name NAME, --uuid UUID, and the checks that turn a bad combination into one usage
/// line (docs/dial.md, "TV side").

#include <dvbcss/net/ssdp_socket.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::tools {

/// What the user asked for.
struct dial_options {
    bool enabled = false;       ///< --dial
    std::string interface_name; ///< --interface
    std::string friendly_name;  ///< --friendly-name (empty: the program's default)
    std::string uuid;           ///< --uuid (empty: derived from host, address and port)
};

/// Adds --dial, --interface, --friendly-name and --uuid to `app`.
void add_dial_options(CLI::App& app, dial_options& options);

/// Checks the options after parsing, against the address the program's HTTP server listens on.
/// Returns the interface to use when --dial is given and usable; nullopt when --dial is not
/// given. Sets `error` to the one-line reason (without the program's name) for a usage error:
/// --interface, --friendly-name or --uuid without --dial; --dial without --interface; an
/// interface that is not up, multicast-capable and IPv4 (the line lists the ones that are, with
/// their addresses); a --uuid that is not 8-4-4-4-12 hex; an HTTP listen address that a peer on
/// the interface cannot reach (it must be 0.0.0.0, ::, or the interface's own address).
[[nodiscard]] std::optional<net::network_interface>
check_dial_options(const dial_options& options, const boost::asio::ip::address& http_address,
                   std::string& error);

} // namespace dvbcss::tools
