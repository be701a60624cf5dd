#pragma once

// Private to dvbcss_net: what the UDP and WebSocket wall clock clients share, so that both drive
// the sans-I/O wc::client the same way and differ only in how requests leave and responses come.

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/net/udp_error_log.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/wall_clock_time.hpp>
#include <dvbcss/wc/client.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace dvbcss::net::detail {

/// The transport side of a wall clock client, as the driver calls it.
struct wall_clock_transport {
    /// Sends one request the core produced (its originate already holds t1 as read by the core).
    std::function<void(const wc::message_bytes&)> send;
    /// Called when the core's next wakeup is due; the transport decides whether to request now
    /// (then calls `wall_clock_client_driver::service`).
    std::function<void()> wakeup;
};

/// Drives one `wc::client`: the local clock it reads (the wall clock's parent), the timer for its
/// next wakeup, the rate-limited logs of ignored messages, timeouts and synchronisation
/// transitions (the same wording on every transport, naming `peer`), and the event handler.
///
/// Lifetime: the wall clock (and its parent) must outlive the driver; timer handlers still queued
/// after it is destroyed do nothing.
///
/// Thread safety: as the clients that own it (one thread, the executor's).
class wall_clock_client_driver {
public:
    using event_handler = std::function<void(const wall_clock_client_event&)>;

    /// `owner` names the client in the exception thrown if `wall_clock` has no parent (or `est` is
    /// null); `logger` names the source of its log lines; `peer` is the server as log lines name
    /// it.
    wall_clock_client_driver(const boost::asio::any_io_executor& executor, const char* owner,
                             clock::correlated_clock& wall_clock,
                             std::unique_ptr<wc::estimator> est, const wc::client_config& core,
                             std::string logger, std::string peer, wall_clock_transport transport);
    ~wall_clock_client_driver();
    wall_clock_client_driver(const wall_clock_client_driver&) = delete;
    wall_clock_client_driver& operator=(const wall_clock_client_driver&) = delete;
    wall_clock_client_driver(wall_clock_client_driver&&) = delete;
    wall_clock_client_driver& operator=(wall_clock_client_driver&&) = delete;

    void on_event(event_handler handler) { handler_ = std::move(handler); }

    /// Sends a due request through the transport, reports the core's events and re-arms the
    /// timer for the core's next wakeup.
    void service();

    /// Cancels the timer and services at once (the core may want to send now, or later).
    void service_now();

    /// Cancels the pending wakeup.
    void cancel_timer() noexcept;

    /// Gives one response (the 32-byte form) received at local time `t4` to the core, logs it if
    /// ignored (`describe_message` says what it was: "a 32-byte datagram from ..."), hands the
    /// outcome to the handler and reports the core's events.
    void handle_response(std::span<const std::byte> bytes, std::int64_t t4, bool from_server,
                         const std::function<std::string()>& describe_message);

    /// Hands the handler an `ignored` outcome for a message the transport could not give to the
    /// core (it logged why).
    void report_unusable(std::int64_t t4);

    /// Logs one line at `l` under the client's rate limit.
    void write_log(log::level l, std::string_view message);

    [[nodiscard]] wc::client& core() noexcept { return core_; }

    [[nodiscard]] const wc::client& core() const noexcept { return core_; }

    [[nodiscard]] const wall_clock_time& local_time() const noexcept { return local_time_; }

    [[nodiscard]] const std::string& logger() const noexcept { return logger_; }

    [[nodiscard]] const std::string& peer() const noexcept { return peer_; }

    /// Wall clock dispersion now, ns (+infinity before the first adopted measurement).
    [[nodiscard]] double dispersion_ns() const;
    /// Wall clock minus local clock now, ns (positive: the wall clock is ahead).
    [[nodiscard]] std::int64_t offset_ns() const;
    /// The wall clock's time now, ns.
    [[nodiscard]] std::int64_t wall_clock_ns() const;

private:
    void arm_timer();
    void report_core_events(); // logs and hands on the core's timeouts and sync transitions
    void emit(const wall_clock_client_event& event) const;

    clock::correlated_clock& wall_clock_;
    wall_clock_time local_time_; // the wall clock's parent
    wc::client core_;
    boost::asio::steady_timer timer_;
    std::string logger_;
    std::string peer_;
    wall_clock_transport transport_;
    udp_error_log log_;
    udp_error_log timeout_log_;
    event_handler handler_;
    std::shared_ptr<int> alive_; // timer handlers hold a weak_ptr: expired once the driver is gone
};

} // namespace dvbcss::net::detail
