#include <dvbcss/net/ssdp_socket.hpp>

#include <algorithm>
#include <cstring>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace dvbcss::net {

std::vector<network_interface> multicast_interfaces() {
    std::vector<network_interface> found;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return found;
    }
    for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET || a->ifa_name == nullptr) {
            continue;
        }
        const unsigned flags = a->ifa_flags;
        if ((flags & IFF_UP) == 0 || (flags & IFF_MULTICAST) == 0) {
            continue;
        }
        const std::string name(a->ifa_name);
        // The first IPv4 address of each interface only.
        if (std::any_of(found.begin(), found.end(),
                        [&](const network_interface& i) { return i.name == name; })) {
            continue;
        }
        sockaddr_in sin{};
        std::memcpy(&sin, a->ifa_addr, sizeof sin);
        network_interface iface;
        iface.name = name;
        iface.address = boost::asio::ip::address_v4(ntohl(sin.sin_addr.s_addr));
        iface.loopback = (flags & IFF_LOOPBACK) != 0;
        found.push_back(std::move(iface));
    }
    ::freeifaddrs(list);
    return found;
}

std::optional<network_interface> find_multicast_interface(std::string_view name) {
    for (auto& iface : multicast_interfaces()) {
        if (iface.name == name) {
            return iface;
        }
    }
    return std::nullopt;
}

std::string describe_multicast_interfaces() {
    std::string out;
    for (const auto& iface : multicast_interfaces()) {
        if (!out.empty()) {
            out += ", ";
        }
        out += iface.name + " (" + iface.address.to_string() + ")";
    }
    return out.empty() ? std::string("none") : out;
}

} // namespace dvbcss::net
