#pragma once

/// DIAL discovery for the programs: the options (--interface, --name, --mx, ...), the usage
/// error that lists the interfaces a user can choose, and "find the first TV" for the clients
/// that take --discover (cii-client, ts-client).

#include "common/cli.hpp"

#include <dvbcss/net/dial_discovery.hpp>
#include <dvbcss/net/ssdp_socket.hpp>

#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace dvbcss::tools {

/// What the user asked discovery to do.
struct discover_options {
    bool discover = false; ///< --discover (clients only).
    std::string interface; ///< --interface IFACE: where to search (required).
    std::string name;      ///< --name NAME: only the TV with this friendly name (empty: any).
    int mx_s = 1;          ///< --mx S: TVs answer within this (1..5 s).
    double timeout_s = 0;  ///< --timeout S (dial-discover) / --discover-timeout S (clients);
                           ///< 0: MX + 2 s.
};

/// Adds --interface, --name, --mx and the timeout option (named `timeout_option`, e.g.
/// "--timeout" or "--discover-timeout") to `app`.
void add_discover_options(CLI::App& app, discover_options& options,
                          const std::string& timeout_option);

/// For the clients: why the combination of --discover, its options and the positional URL
/// (named `url_name`, given when `has_url`) is a usage error, or empty. Both a URL and
/// --discover, neither, or --interface/--name/--mx/--discover-timeout without --discover.
[[nodiscard]] std::string discover_usage_problem(const discover_options& options, bool has_url,
                                                 std::string_view url_name);

/// The interface the user named, or nullopt after printing the usage error
/// "<program>: <what is wrong>; multicast-capable interfaces: lo (127.0.0.1), ...".
[[nodiscard]] std::optional<net::network_interface>
choose_interface(std::string_view program, const discover_options& options);

/// The discovery settings for `options` on `iface`.
[[nodiscard]] net::dial_discovery_config discovery_config(const discover_options& options,
                                                          const net::network_interface& iface);

/// Runs a discovery on `io` (which must have no other work) until the first TV that has an
/// InterDevSync (CSS-CII) URL and, with --name, that friendly name; returns it, or an exit
/// status after printing one line why (2: a usage error such as a bad interface; 1: no such TV
/// answered in time, or the search socket could not be opened). Leaves `io` restarted, ready
/// for the program's own work.
[[nodiscard]] std::variant<net::discovered_tv, int>
discover_first_tv(boost::asio::io_context& io, std::string_view program,
                  const discover_options& options, bool print_found);

/// A readable block about one TV (lines end in '\n').
[[nodiscard]] std::string describe_tv(const net::discovered_tv& tv);

/// One JSON object (one line, no newline) about one TV: friendly_name, udn, location,
/// application_url, inter_dev_sync_url, app2app_url, user_agent, address, found_after_s; null
/// for unknown.
[[nodiscard]] std::string tv_json(const net::discovered_tv& tv);

} // namespace dvbcss::tools
