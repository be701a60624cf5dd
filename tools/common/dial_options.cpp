#include "common/dial_options.hpp"

#include <dvbcss/net/dial_server.hpp>

namespace dvbcss::tools {

void add_dial_options(CLI::App& app, dial_options& options) {
    app.add_flag("--dial", options.enabled,
                 "Be found by DIAL (SSDP on --interface, the device description and "
                 "/apps/HbbTV naming the CII URL; docs/dial.md)");
    app.add_option("--interface", options.interface_name,
                   "With --dial: the network interface to answer and announce on, e.g. eth0");
    app.add_option("--friendly-name", options.friendly_name,
                   "With --dial: the name companions show for this TV");
    app.add_option("--uuid", options.uuid,
                   "With --dial: the device's UUID (default: derived from the host name, the "
                   "interface address and the port, so it is stable across restarts)");
}

std::optional<net::network_interface>
check_dial_options(const dial_options& options, const boost::asio::ip::address& http_address,
                   std::string& error) {
    error.clear();
    if (!options.enabled) {
        if (!options.interface_name.empty() || !options.friendly_name.empty() ||
            !options.uuid.empty()) {
            error = "--interface, --friendly-name and --uuid go with --dial";
        }
        return std::nullopt;
    }
    if (options.interface_name.empty()) {
        error = "--dial needs --interface IFACE (multicast goes out where you choose); "
                "multicast-capable interfaces: " +
                net::describe_multicast_interfaces();
        return std::nullopt;
    }
    auto iface = net::find_multicast_interface(options.interface_name);
    if (!iface) {
        error = "--interface " + options.interface_name +
                ": not an interface that is up, multicast-capable and has an IPv4 address; "
                "those are: " +
                net::describe_multicast_interfaces();
        return std::nullopt;
    }
    if (!options.uuid.empty() && !net::is_uuid(options.uuid)) {
        error = "--uuid " + options.uuid +
                ": must be a UUID such as 5f0c7e3a-9b1d-4c2e-8a47-1e2d3c4b5a69 (without uuid:)";
        return std::nullopt;
    }
    const bool reachable = http_address.is_unspecified() ||
                           (http_address.is_v4() && http_address.to_v4() == iface->address) ||
                           (http_address.is_v6() && http_address.to_v6().is_v4_mapped() &&
                            http_address.to_v6().to_v4() == iface->address);
    if (!reachable) {
        error = "--dial on " + iface->name + " (" + iface->address.to_string() +
                ") needs the HTTP server listening where peers there can reach it: listen on "
                "0.0.0.0 or " +
                iface->address.to_string() + ", not " + http_address.to_string();
        return std::nullopt;
    }
    return iface;
}

} // namespace dvbcss::tools
