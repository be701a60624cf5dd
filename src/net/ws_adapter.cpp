#include <dvbcss/net/ws_adapter.hpp>

#include <boost/asio/ip/address_v4.hpp>

#include <chrono>
#include <utility>

namespace dvbcss::net::detail {

namespace {

// IPv4-mapped IPv6 addresses (a dual-stack listener) are shown as the IPv4 address the peer used.
boost::asio::ip::address plain(const boost::asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    }
    return address;
}

// The address as an IP literal without brackets; IPv6 with a scope keeps its zone id.
std::string literal(const boost::asio::ip::address& address) {
    auto text = address.to_string();
    if (address.is_v6() && address.to_v6().scope_id() != 0 && text.find('%') == std::string::npos) {
        text += "%" + std::to_string(address.to_v6().scope_id());
    }
    return text;
}

} // namespace

connection_origin origin_of(const connection_info& connection) {
    connection_origin origin;
    origin.local_host = literal(plain(connection.local.address()));
    origin.local_port = connection.local.port();
    origin.remote = describe_endpoint(connection.remote);
    return origin;
}

std::string describe_endpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
    const auto address = plain(endpoint.address());
    const auto host = address.is_v6() ? "[" + literal(address) + "]" : literal(address);
    return host + ":" + std::to_string(endpoint.port());
}

std::int64_t monotonic_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

limited_log::limited_log(std::string logger, int burst, std::chrono::milliseconds interval)
    : logger_(std::move(logger))
    , log_(logger_, burst, std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count()) {
}

void limited_log::write(log::level l, std::string_view message) {
    static_cast<void>(log_.write(l, message, monotonic_ns()));
}

ws_server_gate::ws_server_gate(std::size_t max_queued_messages, const std::string& logger,
                               int burst, std::chrono::milliseconds interval)
    : max_queued_messages_(max_queued_messages)
    , log_(logger, burst, interval) {}

void ws_server_gate::opened(connection_id id) {
    const std::lock_guard lock(mutex_);
    connections_[id] = {};
}

void ws_server_gate::closed(connection_id id) {
    const std::lock_guard lock(mutex_);
    connections_.erase(id);
}

bool ws_server_gate::message_queued(connection_id id) {
    const std::lock_guard lock(mutex_);
    const auto it = connections_.find(id);
    if (it == connections_.end()) {
        return true; // not tracked (cannot happen between opened and closed): let the core decide
    }
    if (it->second.queued_messages >= max_queued_messages_) {
        log_.write(log::level::warning, "connection " + std::to_string(id) + ": " +
                                            std::to_string(it->second.queued_messages) +
                                            " messages wait to be handled; closing with 1008");
        return false;
    }
    ++it->second.queued_messages;
    return true;
}

void ws_server_gate::message_handled(connection_id id) {
    const std::lock_guard lock(mutex_);
    const auto it = connections_.find(id);
    if (it != connections_.end() && it->second.queued_messages > 0) {
        --it->second.queued_messages;
    }
}

} // namespace dvbcss::net::detail
