#pragma once

/// The non-template parts of `ws_server_adapter` and `ws_client_adapter`: options, the origin of a
/// connection as a core sees it, and the session-side bookkeeping of a server adapter. Include
/// ws_server_adapter.hpp or ws_client_adapter.hpp instead.

#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_error_log.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/protocol.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dvbcss::net {

/// Settings of a `ws_server_adapter`.
///
/// Thread safety: a value type.
struct ws_server_adapter_options {
    /// Logger name of the adapter's lines: the protocol ("cii", "ts").
    std::string logger = "websocket";
    /// Level of the line written when the core ignores a message (rate-limited, see below).
    log::level ignored_level = log::level::info;
    /// Messages of one connection received but not yet handed to the core (only when the owner
    /// runs on another thread than the connection). One more closes the connection with 1008: a
    /// peer may not queue work on the owner faster than the owner handles it.
    std::size_t max_queued_messages = 256;
    /// Rate limit of every line a peer can cause: `log_burst` lines, then at most one per
    /// `log_interval`, each saying how many were suppressed before it.
    int log_burst = 5;
    std::chrono::milliseconds log_interval{1000};
    /// Settings of the endpoint the adapter adds to the server.
    websocket_endpoint_config endpoint{};
};

/// Settings of a `ws_client_adapter`.
///
/// Thread safety: a value type.
struct ws_client_adapter_options {
    /// Logger name of the adapter's lines: the protocol ("cii-client", "ts-client").
    std::string logger = "websocket-client";
    /// Level of the line written when the core rejects a message (rate-limited).
    log::level ignored_level = log::level::info;
    int log_burst = 5;
    std::chrono::milliseconds log_interval{1000};
};

/// Transport events a client application may want besides what its core reports. Both run on the
/// owner executor.
struct ws_client_events {
    /// A connection attempt failed (see `connect_failure::retry_in`).
    std::function<void(const connect_failure& failure)> connect_failed;
    /// No more attempts will be made (after `close()`, or a failure/close without reconnection).
    std::function<void()> finished;
};

namespace detail {

/// The origin a server core is told about: the local address as an IP literal (an IPv4-mapped
/// IPv6 address as plain IPv4; IPv6 link-local with its zone id, e.g. "fe80::1%eth0") and port,
/// and the remote as "addr:port" / "[v6]:port".
[[nodiscard]] connection_origin origin_of(const connection_info& connection);

/// "addr:port", or "[v6]:port" for IPv6.
[[nodiscard]] std::string describe_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);

/// CLOCK_MONOTONIC in nanoseconds, for the rate-limited logs.
[[nodiscard]] std::int64_t monotonic_ns();

/// A rate-limited log (see `udp_error_log`) that reads the clock itself.
///
/// Thread safety: distinct objects safe; shared objects unsafe.
class limited_log {
public:
    limited_log(std::string logger, int burst, std::chrono::milliseconds interval);

    /// Writes `message` at `l` unless the limit is exhausted.
    void write(log::level l, std::string_view message);

    [[nodiscard]] const std::string& logger() const noexcept { return logger_; }

private:
    std::string logger_;
    udp_error_log log_;
};

/// What a `ws_server_adapter` tracks outside the core, shared by the session strands and the
/// owner: per open connection, how many received messages wait for the owner; and the endpoint,
/// published once under the mutex.
///
/// Thread safety: every member function is safe from any thread (one mutex, never held while the
/// core or the endpoint is called).
class ws_server_gate {
public:
    ws_server_gate(std::size_t max_queued_messages, const std::string& logger, int burst,
                   std::chrono::milliseconds interval);

    /// Held by the adapter's constructor while it adds the endpoint: a connection that opens
    /// meanwhile waits in `opened` until `publish` has run.
    [[nodiscard]] std::unique_lock<std::mutex> setup_lock() { return std::unique_lock(mutex_); }

    /// Stores the endpoint (call once, with `setup_lock` held). Readers that come after an
    /// `opened` call, or after the constructor returned, see it without locking.
    void publish(const websocket_endpoint& endpoint) { endpoint_.emplace(endpoint); }

    [[nodiscard]] websocket_endpoint& endpoint() { return *endpoint_; }

    void opened(connection_id id);
    void closed(connection_id id);

    /// A message arrived on `id`: false if `max_queued_messages` already wait (the caller then
    /// closes the connection and drops the message); the refusal is logged, rate-limited.
    [[nodiscard]] bool message_queued(connection_id id);
    void message_handled(connection_id id);

private:
    struct connection_flags {
        std::size_t queued_messages = 0;
    };

    std::mutex mutex_;
    std::optional<websocket_endpoint> endpoint_;
    std::unordered_map<connection_id, connection_flags> connections_; // guarded by mutex_
    std::size_t max_queued_messages_;
    limited_log log_; // guarded by mutex_
};

} // namespace detail
} // namespace dvbcss::net
