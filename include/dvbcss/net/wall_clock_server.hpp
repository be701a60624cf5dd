#pragma once

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/udp_error_log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/wall_clock_time.hpp>
#include <dvbcss/wc/server.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address_v4.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace dvbcss::net {

/// How a wall clock server is set up.
///
/// Thread safety: a value type.
struct wall_clock_server_config {
    /// Address and port to bind (port 0: any free port, see `local_endpoint()`). The reference's
    /// default is 0.0.0.0:6677.
    udp_socket::endpoint bind{boost::asio::ip::address_v4::any(), 6677};
    /// Follow-up mode and precision / max frequency error overrides (see wc::server_config).
    wc::server_config core{};
    /// Datagrams dequeued per system call.
    std::size_t batch_size = 32;
    /// Keep a histogram of the processing delay t3 - t2 (wall clock ns between the receive
    /// timestamp and the transmit stamp), for `processing_delay_percentile_ns`.
    bool record_processing_delay = false;
    /// Busy-poll mode: instead of waiting in epoll for the socket to become readable, the
    /// executor's thread spins on non-blocking recvmmsg, which removes the thread's wake-up
    /// latency (about 10 µs on a VM) from t3 - t2. Cost: the thread running the executor is 100 %
    /// busy even when no request comes. Other handlers on the executor still run: the server
    /// spins for `busy_poll_slice` at a time, then re-posts itself behind them.
    bool busy_poll = false;
    /// How long one busy-poll turn spins before yielding to other handlers on the executor.
    std::chrono::nanoseconds busy_poll_slice = std::chrono::microseconds(200);
    /// Value for the socket's SO_BUSY_POLL option, µs (0: leave it unset). It makes the kernel
    /// poll the network device's queue during receive calls; it helps only with NICs whose driver
    /// supports busy polling (not loopback), and values above net.core.busy_read may need
    /// CAP_NET_ADMIN. A refusal is logged and the server runs on.
    unsigned busy_poll_socket_us = 0;
};

/// Which processing delay `wall_clock_server::processing_delay_percentile_ns` reports.
enum class processing_delay {
    /// t3 - t2: from the kernel's receive timestamp to the transmit stamp (what a client sees).
    since_receive,
    /// From the moment user space dequeued the datagram to the transmit stamp (the server's own
    /// work, without the wake-up latency of the thread and the time spent in the socket queue).
    since_dequeue,
};

/// Counters of a wall clock server. Monotonic over the server's life (kept across restarts).
///
/// Thread safety: a value type.
struct wall_clock_server_statistics {
    std::uint64_t datagrams = 0;         ///< Datagrams received.
    std::uint64_t replies_sent = 0;      ///< Responses (type 1 or 2) the kernel accepted.
    std::uint64_t followups_sent = 0;    ///< Follow-ups (type 3) the kernel accepted.
    std::uint64_t send_failures = 0;     ///< Responses or follow-ups dropped by a send error.
    std::uint64_t receive_errors = 0;    ///< Failed receive calls (e.g. pending ICMP errors).
    std::uint64_t truncated = 0;         ///< Datagrams longer than the receive buffer.
    std::uint64_t kernel_timestamps = 0; ///< Datagrams stamped by the kernel.
    std::uint64_t user_timestamps = 0;   ///< Datagrams stamped in user space (fallback).
    /// Follow-ups whose transmit time is the kernel's transmit timestamp of their response.
    std::uint64_t kernel_transmit_timestamps = 0;
    wc::server_statistics core{}; ///< Answered / ignored by reason.
};

/// A CSS-WC server on UDP: binds an address, feeds every datagram with its kernel receive time to
/// the sans-I/O `wc::server`, stamps the transmit time just before the send system call and sends
/// replies (and follow-ups) in batches. In follow-up mode the type-3 follow-up carries the kernel's
/// transmit timestamp of the type-2 response (SO_TIMESTAMPING), so t3 is the time the response
/// really left, not the time the send call returned (the reference's, which on a slow loopback can
/// be tens of microseconds late and make the client's error bound too small).
///
/// Robustness: a malformed datagram, a response sent to the server, a receive or send error never
/// stops the server; each is counted and logged (rate-limited) under the logger "wc.server". An
/// ignored datagram's line gives the reason the core counted it under (`wc::server::on_datagram`'s
/// `why`); the transport never decodes a datagram itself.
/// `stop()` then `start()` again works (the reference's server cannot be restarted, B22).
///
/// Time: the wall clock is read at the receive instant through `wall_clock_time` (exact when the
/// tree's root is a sys_clock on the OS monotonic clock).
///
/// Lifetime: the wall clock must outlive the server. Destroying the server stops it; handlers
/// still queued afterwards do nothing.
///
/// Thread safety: distinct objects safe; a shared object unsafe: call every member from the
/// executor's thread (or while the executor is not running), as for the clock tree.
class wall_clock_server {
public:
    wall_clock_server(const boost::asio::any_io_executor& executor, clock::clock_base& wall_clock,
                      wall_clock_server_config config = {});
    ~wall_clock_server();
    wall_clock_server(const wall_clock_server&) = delete;
    wall_clock_server& operator=(const wall_clock_server&) = delete;
    wall_clock_server(wall_clock_server&&) = delete;
    wall_clock_server& operator=(wall_clock_server&&) = delete;

    /// Binds and starts answering. No-op (success) if already running. The bind error otherwise:
    /// `boost::asio::error::address_in_use` when another socket (e.g. a second server) already
    /// holds the address and port; the error is logged.
    [[nodiscard]] error_code start();

    /// Stops answering and closes the socket. No-op if not running.
    void stop() noexcept;

    [[nodiscard]] bool running() const noexcept { return socket_.is_open(); }

    /// The bound endpoint (with the real port when 0 was asked); default when stopped.
    [[nodiscard]] udp_socket::endpoint local_endpoint() const { return socket_.local_endpoint(); }

    /// True if the kernel timestamps received datagrams.
    [[nodiscard]] bool kernel_timestamps() const noexcept { return socket_.kernel_timestamps(); }

    [[nodiscard]] wall_clock_server_statistics statistics() const;

    /// The processing delay (ns) below which a fraction `p` (0..1) of replies fall; nullopt if
    /// not recorded or no reply yet. Resolution 10 ns below 100 µs, 1 µs up to 10 ms; delays
    /// beyond 10 ms count as 10 ms.
    [[nodiscard]] std::optional<std::int64_t>
    processing_delay_percentile_ns(double p,
                                   processing_delay kind = processing_delay::since_receive) const;

    /// Forgets the processing delay samples.
    void reset_processing_delay();

    /// The processing delay samples recorded since the last reset, for callers that keep their
    /// own windows without resetting (tv-device's status page): one (bin's lower edge in ns,
    /// count) per non-empty bin, in increasing order of delay; empty if not recorded. Bins as for
    /// `processing_delay_percentile_ns`. Costs one pass over the histogram (about 20 000 bins).
    [[nodiscard]] std::vector<std::pair<std::int64_t, std::uint64_t>>
    processing_delay_bins(processing_delay kind = processing_delay::since_receive) const;

    [[nodiscard]] const wall_clock_server_config& config() const noexcept { return config_; }

private:
    struct pending_reply {
        wc::reply reply;
        udp_socket::endpoint destination;
        std::int64_t receive_ns = 0;  ///< t2, wall clock ns
        std::int64_t dequeued_ns = 0; ///< when user space got it, wall clock ns
    };

    void do_wait();
    void on_readable(const error_code& ec);
    void post_poll();
    void poll_turn(std::uint64_t generation);
    std::size_t drain(int max_batches); // datagrams dequeued
    void handle_batch(std::span<const udp_socket::received> batch);
    void send_pending();
    void log_ignored(const udp_socket::received& d, errc why); // the core's reason, rate-limited

    wall_clock_server_config config_;
    wall_clock_time wall_time_;
    wc::server core_;
    udp_socket socket_;
    udp_error_log log_;
    wall_clock_server_statistics stats_;
    std::vector<pending_reply> pending_;
    std::vector<wc::message_bytes> followups_;
    std::vector<udp_socket::outgoing> outgoing_;
    std::vector<std::int64_t> tx_times_;
    std::vector<std::uint64_t> delay_histogram_;   // t3 - t2, 10 ns bins
    std::vector<std::uint64_t> dequeue_histogram_; // t3 - dequeue, 10 ns bins
    std::uint64_t delay_samples_ = 0;
    std::uint64_t generation_ = 0; // bumped by start(): a busy-poll turn of an earlier run ends
    std::shared_ptr<int> alive_;   // handlers hold a weak_ptr: expired once the server is gone
};

} // namespace dvbcss::net
