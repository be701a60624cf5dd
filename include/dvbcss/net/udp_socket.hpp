#pragma once

#include <dvbcss/error.hpp>
#include <dvbcss/net/kernel_timestamps.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/socket_base.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace dvbcss::net {

/// A non-blocking UDP socket (IPv4 or IPv6) on an Asio executor that receives and sends in batches
/// (recvmmsg/sendmmsg on the native handle) and stamps every received datagram with its arrival
/// time on CLOCK_MONOTONIC, from the kernel's receive timestamp when there is one.
///
/// Use: `open` binds; `async_wait_readable` waits for data (Asio's reactor); then
/// `receive_batch` dequeues what is there without blocking; `send_batch`/`send_to` send at once.
/// Network errors never throw: they come back as error codes, and a failed datagram never stops
/// the rest of a batch.
///
/// Thread safety: distinct objects safe; shared objects unsafe (use from one executor).
class udp_socket {
public:
    using endpoint = boost::asio::ip::udp::endpoint;

    /// One received datagram. `bytes` views the socket's buffer: valid until the next receive.
    struct received {
        std::span<const std::byte> bytes; ///< Payload (at most max_datagram bytes of it).
        bool truncated = false;           ///< The datagram was longer than max_datagram.
        endpoint sender;                  ///< Where it came from.
        rx_timestamp time;                ///< When it arrived (CLOCK_MONOTONIC).
        std::int64_t dequeued_ns = 0;     ///< When user space got it (CLOCK_MONOTONIC ns).
    };

    /// One datagram to send.
    struct outgoing {
        std::span<const std::byte> bytes;
        endpoint destination;
    };

    /// What a batch send did.
    struct send_report {
        std::size_t sent = 0;   ///< Datagrams the kernel accepted.
        std::size_t failed = 0; ///< Datagrams dropped because of an error.
        error_code last_error;  ///< The last error seen, if any.
    };

    /// `batch_size`: most datagrams dequeued per `receive_batch` (>= 1). `max_datagram`: bytes kept
    /// of each datagram; longer ones are reported truncated.
    explicit udp_socket(const boost::asio::any_io_executor& executor, std::size_t batch_size = 32,
                        std::size_t max_datagram = 256);
    ~udp_socket();
    udp_socket(const udp_socket&) = delete;
    udp_socket& operator=(const udp_socket&) = delete;
    udp_socket(udp_socket&&) = delete;
    udp_socket& operator=(udp_socket&&) = delete;

    /// Opens a socket of the endpoint's family, binds `local` (port 0 picks a free port),
    /// switches to non-blocking mode and enables kernel receive timestamps (if the kernel refuses,
    /// user-space timestamps are used). Closes any previous socket first. SO_REUSEADDR is not
    /// set: an address and port that another socket has bound (on this or an overlapping address,
    /// such as 0.0.0.0) fails with `boost::asio::error::address_in_use`, so two servers, or two
    /// clients with the same fixed local port, never share (and steal) each other's datagrams.
    [[nodiscard]] error_code open(const endpoint& local);

    /// Closes the socket; pending waits complete with operation_aborted. Safe when closed.
    void close() noexcept;

    [[nodiscard]] bool is_open() const noexcept { return socket_.is_open(); }

    /// The bound address and port; a default endpoint when closed.
    [[nodiscard]] endpoint local_endpoint() const;

    /// True if the kernel agreed to timestamp received datagrams.
    [[nodiscard]] bool kernel_timestamps() const noexcept { return kernel_timestamps_; }

    /// Calls `handler(error_code)` once the socket has data to read (or is closed).
    template <class Handler>
    void async_wait_readable(Handler&& handler) {
        socket_.async_wait(boost::asio::socket_base::wait_read, std::forward<Handler>(handler));
    }

    /// Dequeues up to `batch_size` datagrams without blocking. An empty span when there is nothing
    /// to read. An error (e.g. a pending ICMP "port unreachable" reported as connection_refused)
    /// means nothing was dequeued this time; the socket stays usable.
    [[nodiscard]] result<std::span<const received>> receive_batch();

    /// Sends `messages` (any number) with as few system calls as possible. Never blocks: a full
    /// send buffer drops the datagram and is reported in the result.
    send_report send_batch(std::span<const outgoing> messages);

    /// Sends one datagram.
    [[nodiscard]] error_code send_to(std::span<const std::byte> bytes, const endpoint& destination);

    /// Asks the kernel for software transmit timestamps (SO_TIMESTAMPING, TX_SOFTWARE): the time
    /// each datagram was handed to the network device, read back with
    /// `collect_transmit_timestamps`. Receive timestamps keep working. Call after `open`.
    [[nodiscard]] error_code enable_transmit_timestamps();

    [[nodiscard]] bool transmit_timestamps() const noexcept { return tx_timestamps_; }

    /// Reads every transmit timestamp queued since the last call (in transmission order), as
    /// CLOCK_MONOTONIC nanoseconds, into `out` (up to out.size()); returns how many it stored.
    /// Timestamps that do not fit are discarded. Never blocks: a timestamp the kernel has not
    /// produced yet is simply not there.
    std::size_t collect_transmit_timestamps(std::span<std::int64_t> out);

    /// Discards every queued transmit timestamp.
    void discard_transmit_timestamps();

    /// The realtime-to-monotonic mapping used for kernel timestamps.
    [[nodiscard]] realtime_to_monotonic& clock_map() noexcept { return clock_map_; }

    /// Kernel timestamps rejected as implausible plus datagrams that had none (user-space time
    /// used instead).
    [[nodiscard]] std::uint64_t user_timestamps() const noexcept { return user_timestamps_; }

    /// The underlying Asio socket (for options the library does not wrap).
    [[nodiscard]] boost::asio::ip::udp::socket& asio_socket() noexcept { return socket_; }

private:
    struct buffers; // recvmmsg/sendmmsg arrays, kept out of the header

    boost::asio::ip::udp::socket socket_;
    std::size_t batch_size_;
    std::size_t max_datagram_;
    std::unique_ptr<buffers> buffers_;
    std::vector<received> received_;
    realtime_to_monotonic clock_map_;
    bool kernel_timestamps_ = false;
    bool tx_timestamps_ = false;
    std::uint64_t user_timestamps_ = 0;
};

/// Parses a numeric IPv4/IPv6 address, or resolves a host name (first address, IPv4 preferred),
/// into a UDP endpoint. Blocks while resolving a name. errc::bad_field_value if nothing matches.
[[nodiscard]] result<udp_socket::endpoint> resolve_udp_endpoint(std::string_view host,
                                                                std::uint16_t port);

} // namespace dvbcss::net
