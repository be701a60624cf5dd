#include "common/net_setup.hpp"

#include <dvbcss/clock/time_source.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace dvbcss::tools {

bool resolve_address(boost::asio::io_context& io, const std::string& text,
                     boost::asio::ip::address& out) {
    boost::system::error_code ec;
    out = boost::asio::ip::make_address(text, ec);
    if (!ec) {
        return true;
    }
    boost::asio::ip::tcp::resolver resolver(io);
    const auto results = resolver.resolve(text, "", ec);
    if (ec || results.empty()) {
        return false;
    }
    out = results.begin()->endpoint().address();
    return true;
}

std::optional<server_addresses> resolve_server_addresses(boost::asio::io_context& io,
                                                         std::string_view program,
                                                         const std::string& ws_address, int ws_port,
                                                         const std::string& wc_address,
                                                         int wc_port) {
    server_addresses out;
    if (!resolve_address(io, ws_address, out.websocket_address)) {
        std::fprintf(stderr, "%.*s: cannot resolve %s\n", static_cast<int>(program.size()),
                     program.data(), ws_address.c_str());
        return std::nullopt;
    }
    out.websocket_port = static_cast<std::uint16_t>(ws_port);
    auto wc = net::resolve_udp_endpoint(wc_address, static_cast<std::uint16_t>(wc_port));
    if (!wc) {
        std::fprintf(stderr, "%.*s: cannot resolve %s\n", static_cast<int>(program.size()),
                     program.data(), wc_address.c_str());
        return std::nullopt;
    }
    out.wall_clock = *wc;
    return out;
}

std::string json_string(std::string_view text) {
    return nlohmann::json(std::string(text))
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string url_host(const boost::asio::ip::address& a) {
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

std::vector<boost::asio::ip::address> reachable_addresses(const boost::asio::ip::address& bound) {
    namespace ip = boost::asio::ip;
    if (!bound.is_unspecified()) {
        return {bound};
    }
    std::vector<ip::address> found;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return {bound};
    }
    for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0) {
            continue;
        }
        ip::address a;
        if (i->ifa_addr->sa_family == AF_INET) {
            sockaddr_in v4{};
            std::memcpy(&v4, i->ifa_addr, sizeof v4);
            a = ip::address_v4(ntohl(v4.sin_addr.s_addr));
        } else if (i->ifa_addr->sa_family == AF_INET6 && bound.is_v6()) {
            sockaddr_in6 v6{};
            std::memcpy(&v6, i->ifa_addr, sizeof v6);
            ip::address_v6::bytes_type bytes{};
            std::memcpy(bytes.data(), &v6.sin6_addr, bytes.size());
            const ip::address_v6 address(bytes);
            if (address.is_link_local()) {
                continue;
            }
            a = address;
        } else {
            continue;
        }
        if (std::find(found.begin(), found.end(), a) == found.end()) {
            found.push_back(a);
        }
    }
    ::freeifaddrs(list);
    if (found.empty()) {
        return {bound};
    }
    return found;
}

std::string endpoint_url_lines(std::string_view label, const boost::asio::ip::tcp::endpoint& local,
                               std::string_view path) {
    std::string lines;
    for (const auto& a : reachable_addresses(local.address())) {
        lines += std::string(label) + "ws://" + url_host(a) + ":" + std::to_string(local.port()) +
                 std::string(path) + "\n";
    }
    return lines;
}

std::string udp_bound_line(std::string_view label, const boost::asio::ip::udp::endpoint& local) {
    std::string line = std::string(label) + " bound to host " + local.address().to_string() +
                       " on port " + std::to_string(local.port());
    if (local.address().is_unspecified()) {
        std::string hosts;
        for (const auto& a : reachable_addresses(local.address())) {
            hosts += (hosts.empty() ? "" : ", ") + a.to_string();
        }
        line += " (reachable at " + hosts + ")";
    }
    return line + "\n";
}

void print_timeline_truth(std::string_view selector, const clock::clock_base& wall_clock,
                          const clock::clock_base& timeline, std::string_view cause) {
    // One reading of the root (CLOCK_MONOTONIC), carried down to both clocks.
    const auto root_ns = clock::monotonic_time_source::instance().now_ns();
    const auto* root = &wall_clock;
    while (root->parent() != nullptr) {
        root = root->parent();
    }
    const auto root_ticks = static_cast<tick_t>(root_ns) * root->tick_rate() / 1e9;
    const auto wall = wall_clock.from_root_ticks(root_ticks);
    const auto wall_ns = static_cast<long long>(std::floor(wall * 1e9 / wall_clock.tick_rate()));
    const bool available = timeline.is_available();
    std::string content = "null";
    std::string speed = "null";
    if (available) {
        content = std::to_string(
            static_cast<long long>(std::floor(timeline.from_root_ticks(root_ticks))));
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g",
                      timeline.effective_speed() / wall_clock.effective_speed());
        speed = buffer;
    }
    std::printf("{\"event\":\"timeline\",\"selector\":\"%.*s\",\"monotonic_ns\":%lld,"
                "\"wall_clock_ns\":%lld,\"content_time\":%s,\"speed\":%s,\"tick_rate\":%.17g,"
                "\"available\":%s,\"cause\":\"%.*s\"}\n",
                static_cast<int>(selector.size()), selector.data(), static_cast<long long>(root_ns),
                wall_ns, content.c_str(), speed.c_str(), timeline.tick_rate(),
                available ? "true" : "false", static_cast<int>(cause.size()), cause.data());
    std::fflush(stdout);
}

} // namespace dvbcss::tools
