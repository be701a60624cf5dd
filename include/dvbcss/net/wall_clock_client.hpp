#pragma once

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/wc/candidate.hpp>
#include <dvbcss/wc/client.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address_v4.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace dvbcss::net {

namespace detail {
class wall_clock_client_driver;
} // namespace detail

/// How a wall clock client is set up.
///
/// Thread safety: a value type.
struct wall_clock_client_config {
    /// The server to synchronise with.
    udp_socket::endpoint server;
    /// Local address and port to bind (port 0: any free port). Must be of the server's family.
    udp_socket::endpoint bind{boost::asio::ip::address_v4::any(), 0};
    /// Response/follow-up timeouts and back-off (see wc::client_config).
    wc::client_config core{};
};

/// What happened, for programs that print it: either one received datagram (which completed a
/// measurement, or was held or ignored), or, when `status` is set, a timeout or a synchronisation
/// transition reported by the core (`wc::client_event`).
///
/// Thread safety: a value type.
struct wall_clock_client_event {
    /// Set for a timeout or a synchronisation transition (sync_acquired, sync_lost,
    /// sync_regained); then `outcome` is `ignored`, `measurement` empty and `local_ns` the
    /// event's time. Unset for a datagram.
    std::optional<wc::client_event> status;
    wc::client_outcome outcome = wc::client_outcome::ignored;
    /// The measurement, when the datagram completed one (a type-1 response or a follow-up).
    std::optional<wc::candidate> measurement;
    /// Local clock ns at which the datagram arrived (or the status event happened).
    std::int64_t local_ns = 0;
    /// Wall clock minus local clock after the datagram was handled, ns (positive: the wall clock
    /// is ahead of the local clock).
    std::int64_t offset_ns = 0;
    /// Wall clock dispersion after the datagram was handled, ns (+infinity if unsynchronised).
    double dispersion_ns = 0;
};

/// Counters of a wall clock client: the core's plus the transport's.
///
/// Thread safety: a value type.
struct wall_clock_client_statistics {
    wc::client_statistics core{};        ///< Requests, responses, candidates, ignored by reason.
    std::uint64_t datagrams = 0;         ///< Datagrams received.
    std::uint64_t send_failures = 0;     ///< Requests the kernel refused.
    std::uint64_t receive_errors = 0;    ///< Failed receive calls (e.g. ICMP port unreachable).
    std::uint64_t kernel_timestamps = 0; ///< Datagrams stamped by the kernel.
    std::uint64_t user_timestamps = 0;   ///< Datagrams stamped in user space (fallback).
    /// Requests whose t1 is the kernel's transmit timestamp (the rest keep the time read just
    /// before the send call).
    std::uint64_t kernel_transmit_timestamps = 0;
};

/// A CSS-WC client on UDP: drives the sans-I/O `wc::client` against one server, so that the wall
/// clock (a correlated_clock whose parent is the local clock) follows the server's wall clock.
///
/// Requests carry the time read immediately before they are sent in their originate field; when
/// the kernel gives software transmit timestamps (SO_TIMESTAMPING), t1 then becomes the time the
/// request actually left (`wc::client::on_request_sent`), so the send call's own cost (tens of
/// microseconds on a loopback here) no longer biases the offset. Responses are stamped (t4) with
/// the kernel's receive timestamp. Malformed datagrams, datagrams from other sources and socket
/// errors never stop the client (the reference dies on them, B4): they are counted and logged,
/// rate-limited, under the logger "wc.client". So are the core's timeouts (info, at most 3 lines
/// then one per 10 s) and synchronisation transitions (sync_lost at warning, sync_acquired and
/// sync_regained at info); both also reach the event handler. The retry rule and the meaning of
/// "synchronised" are the core's (wc/client.hpp). `stop()` then `start()` again works (B22).
///
/// Lifetime: the wall clock (and its parent) must outlive the client. Destroying the client stops
/// it; handlers still queued afterwards do nothing.
///
/// Thread safety: distinct objects safe; a shared object unsafe: call every member from the
/// executor's thread (or while the executor is not running), as for the clock tree.
class wall_clock_client {
public:
    /// Receives every datagram's outcome.
    using event_handler = std::function<void(const wall_clock_client_event&)>;

    /// Throws std::invalid_argument if `est` is null or `wall_clock` has no parent.
    wall_clock_client(const boost::asio::any_io_executor& executor,
                      clock::correlated_clock& wall_clock, std::unique_ptr<wc::estimator> est,
                      wall_clock_client_config config);
    ~wall_clock_client();
    wall_clock_client(const wall_clock_client&) = delete;
    wall_clock_client& operator=(const wall_clock_client&) = delete;
    wall_clock_client(wall_clock_client&&) = delete;
    wall_clock_client& operator=(wall_clock_client&&) = delete;

    /// Binds and starts requesting. No-op (success) if already running; the bind error otherwise.
    [[nodiscard]] error_code start();

    /// Stops requesting and closes the socket. No-op if not running.
    void stop() noexcept;

    [[nodiscard]] bool running() const noexcept { return socket_.is_open(); }

    /// The bound endpoint; default when stopped.
    [[nodiscard]] udp_socket::endpoint local_endpoint() const { return socket_.local_endpoint(); }

    /// Sets the handler called for every received datagram and every core event (timeouts and
    /// synchronisation transitions, `wall_clock_client_event::status`) (nullptr: none).
    void on_event(event_handler handler);

    /// Wall clock dispersion now, ns (+infinity before the first adopted measurement).
    [[nodiscard]] double dispersion_ns() const;

    /// Wall clock minus local clock now, ns (positive: the wall clock is ahead).
    [[nodiscard]] std::int64_t offset_ns() const;

    /// The wall clock's time now, ns.
    [[nodiscard]] std::int64_t wall_clock_ns() const;

    [[nodiscard]] wall_clock_client_statistics statistics() const;

    /// True while the core counts the wall clock as synchronised (wc::client::synchronised).
    [[nodiscard]] bool synchronised() const noexcept;

    [[nodiscard]] const wc::estimator& current_estimator() const noexcept;

    [[nodiscard]] wc::estimator& current_estimator() noexcept;

    [[nodiscard]] const wall_clock_client_config& config() const noexcept { return config_; }

private:
    void do_wait();
    void on_readable(const error_code& ec);
    void service(); // sends a due request (if running) and re-arms the timer
    void send(const wc::message_bytes& request);
    void handle(const udp_socket::received& d);
    void collect_transmit_time(); // applies the kernel transmit timestamp of the last request
    [[nodiscard]] bool from_server(const udp_socket::endpoint& sender) const;

    wall_clock_client_config config_;
    // The core, its timer, logs and event handler (shared with wall_clock_ws_client).
    std::unique_ptr<detail::wall_clock_client_driver> driver_;
    udp_socket socket_;
    wall_clock_client_statistics stats_;
    // Originate of the last request sent while its transmit timestamp is still to be read.
    std::optional<wc::raw_timestamp> awaiting_tx_;
    std::shared_ptr<int> alive_;
};

} // namespace dvbcss::net
