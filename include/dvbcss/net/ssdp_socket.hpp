#pragma once

/// UDP sockets for SSDP (DIAL discovery) bound to one network interface chosen by the user:
/// multicast on a multi-homed machine goes out, and is listened for, where the user said.

#include <dvbcss/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::net {

/// A network interface that is up, multicast-capable and has an IPv4 address.
struct network_interface {
    std::string name;                    ///< e.g. "eth0", "lo".
    boost::asio::ip::address_v4 address; ///< Its (first) IPv4 address.
    bool loopback = false;
};

/// Every interface that is up, has IFF_MULTICAST and an IPv4 address, in the order the OS lists
/// them (getifaddrs). Thread safety: safe from any thread.
[[nodiscard]] std::vector<network_interface> multicast_interfaces();

/// The interface named `name` if it is in `multicast_interfaces()`.
[[nodiscard]] std::optional<network_interface> find_multicast_interface(std::string_view name);

/// One line naming every multicast-capable interface with its address, e.g.
/// "lo (127.0.0.1), eth0 (192.0.2.4)", or "none" — for usage errors.
[[nodiscard]] std::string describe_multicast_interfaces();

/// An SSDP socket on one interface, on an Asio executor.
///
/// - `listener`: bound to 0.0.0.0:1900 with SO_REUSEADDR (SSDP's port is shared by design among
///   every UPnP stack on a host: the one port this product binds without exclusivity), joined to
///   239.255.255.250 on the interface's address; receives searches and notifications, and sends
///   unicast answers and multicast NOTIFY from that port.
/// - `searcher`: bound to the interface's address with an ephemeral port; multicasts M-SEARCH
///   and receives the unicast answers.
///
/// Both set IP_MULTICAST_IF to the interface's address, IP_MULTICAST_TTL 2 (UPnP DA 1.1 §1.1.2)
/// and IP_MULTICAST_LOOP on (so a TV and a companion on one host, or in one namespace, see each
/// other). Datagrams longer than `max_datagram` bytes are reported truncated and never parsed.
///
/// Thread safety: distinct objects safe; shared objects unsafe (use from one executor).
class ssdp_socket {
public:
    using endpoint = boost::asio::ip::udp::endpoint;
    enum class role {
        listener,
        searcher
    };

    /// Called for each datagram received, on the socket's executor. `bytes` is valid for the call.
    using receive_handler =
        std::function<void(std::string_view bytes, bool truncated, const endpoint& sender)>;

    ssdp_socket(const boost::asio::any_io_executor& executor, std::size_t max_datagram = 8 * 1024);
    ~ssdp_socket();
    ssdp_socket(const ssdp_socket&) = delete;
    ssdp_socket& operator=(const ssdp_socket&) = delete;

    /// Opens, binds and joins as `which` on `iface`, then delivers every datagram to `on_receive`
    /// until `close`. Errors: the bind or join error (e.g. address_in_use for a searcher's fixed
    /// port, no_such_device when the interface has no multicast route).
    error_code open(role which, const network_interface& iface, receive_handler on_receive);

    /// Sends one datagram now (to the group for multicast, or unicast). Errors come back; nothing
    /// throws.
    error_code send_to(std::string_view datagram, const endpoint& destination);

    /// The group endpoint 239.255.255.250:1900.
    [[nodiscard]] static endpoint multicast_group();

    [[nodiscard]] endpoint local_endpoint() const;

    /// Stops receiving and closes; safe to call twice. No handler runs after it returns when
    /// called on the socket's executor.
    void close();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace dvbcss::net
