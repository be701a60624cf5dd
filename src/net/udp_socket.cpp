#include <dvbcss/net/udp_socket.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace dvbcss::net {
namespace {

/// Datagrams per sendmmsg call.
constexpr std::size_t send_chunk = 64;

struct control_slot {
    alignas(cmsghdr) unsigned char bytes[rx_control_bytes];
};

error_code last_errno() {
    return {errno, boost::system::system_category()};
}

} // namespace

struct udp_socket::buffers {
    std::vector<mmsghdr> rx_headers;
    std::vector<iovec> rx_iov;
    std::vector<sockaddr_storage> rx_names;
    std::vector<std::byte> rx_data;
    std::vector<control_slot> rx_control;
    std::vector<mmsghdr> tx_headers;
    std::vector<iovec> tx_iov;
};

udp_socket::udp_socket(const boost::asio::any_io_executor& executor, std::size_t batch_size,
                       std::size_t max_datagram)
    : socket_(executor)
    , batch_size_(std::max<std::size_t>(1, batch_size))
    , max_datagram_(std::max<std::size_t>(1, max_datagram))
    , buffers_(std::make_unique<buffers>()) {
    auto& b = *buffers_;
    b.rx_headers.resize(batch_size_);
    b.rx_iov.resize(batch_size_);
    b.rx_names.resize(batch_size_);
    b.rx_data.resize(batch_size_ * max_datagram_);
    b.rx_control.resize(batch_size_);
    b.tx_headers.resize(send_chunk);
    b.tx_iov.resize(send_chunk);
    received_.reserve(batch_size_);
}

udp_socket::~udp_socket() {
    close();
}

error_code udp_socket::open(const endpoint& local) {
    close();
    error_code ec;
    socket_.open(local.protocol(), ec);
    if (ec) {
        return ec;
    }
    // No SO_REUSEADDR: a UDP port already bound by another socket (another server, or a client
    // with the same fixed local port) must be an error, not a silent theft of its datagrams.
    socket_.bind(local, ec);
    if (!ec) {
        socket_.non_blocking(true, ec);
    }
    if (ec) {
        error_code ignored;
        socket_.close(ignored);
        return ec;
    }
    kernel_timestamps_ = !enable_receive_timestamps(socket_.native_handle());
    clock_map_.refresh();
    return {};
}

error_code udp_socket::enable_transmit_timestamps() {
    if (!socket_.is_open()) {
        return boost::asio::error::bad_descriptor;
    }
    const int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
                      SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
    if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) !=
        0) {
        tx_timestamps_ = false;
        return last_errno();
    }
    tx_timestamps_ = true;
    return {};
}

std::size_t udp_socket::collect_transmit_timestamps(std::span<std::int64_t> out) {
    if (!socket_.is_open()) {
        return 0;
    }
    std::size_t stored = 0;
    std::int64_t dequeued = 0;
    for (int guard = 0; guard < 1024; ++guard) {
        control_slot control{};
        char data[64];
        iovec iov{data, sizeof data};
        msghdr h{};
        h.msg_iov = &iov;
        h.msg_iovlen = 1;
        h.msg_control = control.bytes;
        h.msg_controllen = rx_control_bytes;
        if (::recvmsg(socket_.native_handle(), &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
            break; // EAGAIN: the queue is empty
        }
        std::optional<std::int64_t> realtime;
        bool is_timestamp = false;
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                realtime = kernel_realtime_ns(h);
            } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                       (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
                sock_extended_err err{};
                std::memcpy(&err, CMSG_DATA(c), sizeof err);
                is_timestamp = err.ee_origin == SO_EE_ORIGIN_TIMESTAMPING;
            }
        }
        if (!is_timestamp || !realtime || stored >= out.size()) {
            continue;
        }
        if (dequeued == 0) {
            dequeued = monotonic_now_ns();
        }
        if (auto mono = clock_map_.map(*realtime, dequeued)) {
            out[stored++] = *mono;
        } else {
            return stored; // implausible: let the caller fall back for the rest
        }
    }
    return stored;
}

void udp_socket::discard_transmit_timestamps() {
    if (tx_timestamps_) {
        collect_transmit_timestamps({});
    }
}

void udp_socket::close() noexcept {
    if (socket_.is_open()) {
        error_code ignored;
        socket_.close(ignored);
    }
    tx_timestamps_ = false;
    received_.clear();
}

udp_socket::endpoint udp_socket::local_endpoint() const {
    error_code ec;
    auto ep = socket_.local_endpoint(ec);
    return ec ? endpoint{} : ep;
}

result<std::span<const udp_socket::received>> udp_socket::receive_batch() {
    received_.clear();
    if (!socket_.is_open()) {
        return error_code{boost::asio::error::bad_descriptor};
    }
    auto& b = *buffers_;
    for (std::size_t i = 0; i < batch_size_; ++i) {
        b.rx_iov[i].iov_base = b.rx_data.data() + i * max_datagram_;
        b.rx_iov[i].iov_len = max_datagram_;
        msghdr& h = b.rx_headers[i].msg_hdr;
        h.msg_name = &b.rx_names[i];
        h.msg_namelen = sizeof(sockaddr_storage);
        h.msg_iov = &b.rx_iov[i];
        h.msg_iovlen = 1;
        h.msg_control = b.rx_control[i].bytes;
        h.msg_controllen = rx_control_bytes;
        h.msg_flags = 0;
        b.rx_headers[i].msg_len = 0;
    }
    const int n = ::recvmmsg(socket_.native_handle(), b.rx_headers.data(),
                             static_cast<unsigned int>(batch_size_), MSG_DONTWAIT, nullptr);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return std::span<const received>{};
        }
        return last_errno();
    }
    // One user-space read per batch: the fallback time and the plausibility bound of the kernel's.
    const std::int64_t dequeued = monotonic_now_ns();
    clock_map_.refresh_if_stale(dequeued);
    for (int i = 0; i < n; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        const msghdr& h = b.rx_headers[idx].msg_hdr;
        received r;
        const std::size_t len = std::min<std::size_t>(b.rx_headers[idx].msg_len, max_datagram_);
        r.bytes = std::span<const std::byte>(b.rx_data.data() + idx * max_datagram_, len);
        r.truncated = (h.msg_flags & MSG_TRUNC) != 0;
        if (h.msg_namelen > 0 && h.msg_namelen <= sizeof(sockaddr_storage)) {
            std::memcpy(r.sender.data(), &b.rx_names[idx], h.msg_namelen);
            r.sender.resize(h.msg_namelen);
        }
        r.time = clock_map_.stamp(kernel_realtime_ns(h), dequeued);
        r.dequeued_ns = dequeued;
        if (r.time.source == timestamp_source::user) {
            ++user_timestamps_;
        }
        received_.push_back(r);
    }
    return std::span<const received>(received_);
}

udp_socket::send_report udp_socket::send_batch(std::span<const outgoing> messages) {
    send_report report;
    if (!socket_.is_open()) {
        report.failed = messages.size();
        report.last_error = boost::asio::error::bad_descriptor;
        return report;
    }
    auto& b = *buffers_;
    std::size_t next = 0;
    while (next < messages.size()) {
        const std::size_t count = std::min(send_chunk, messages.size() - next);
        for (std::size_t i = 0; i < count; ++i) {
            const outgoing& m = messages[next + i];
            b.tx_iov[i].iov_base = const_cast<std::byte*>(m.bytes.data());
            b.tx_iov[i].iov_len = m.bytes.size();
            msghdr& h = b.tx_headers[i].msg_hdr;
            h = msghdr{};
            h.msg_name = const_cast<void*>(static_cast<const void*>(m.destination.data()));
            h.msg_namelen = static_cast<socklen_t>(m.destination.size());
            h.msg_iov = &b.tx_iov[i];
            h.msg_iovlen = 1;
        }
        const int n = ::sendmmsg(socket_.native_handle(), b.tx_headers.data(),
                                 static_cast<unsigned int>(count), MSG_DONTWAIT);
        if (n > 0) {
            report.sent += static_cast<std::size_t>(n);
            next += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        // The first datagram of this chunk failed: drop it and carry on with the rest.
        report.last_error = n < 0 ? last_errno() : error_code{boost::asio::error::would_block};
        ++report.failed;
        ++next;
    }
    return report;
}

error_code udp_socket::send_to(std::span<const std::byte> bytes, const endpoint& destination) {
    const outgoing one{bytes, destination};
    const auto report = send_batch(std::span<const outgoing>(&one, 1));
    return report.sent == 1 ? error_code{} : report.last_error;
}

result<udp_socket::endpoint> resolve_udp_endpoint(std::string_view host, std::uint16_t port) {
    const std::string name(host);
    error_code ec;
    const auto address = boost::asio::ip::make_address(name, ec);
    if (!ec) {
        return udp_socket::endpoint(address, port);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* list = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &list) != 0 || list == nullptr) {
        return make_error_code(errc::bad_field_value);
    }
    const addrinfo* chosen = list;
    for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            chosen = a;
            break;
        }
    }
    udp_socket::endpoint ep;
    const bool fits = chosen->ai_addrlen <= ep.capacity();
    if (fits) {
        std::memcpy(ep.data(), chosen->ai_addr, chosen->ai_addrlen);
        ep.resize(chosen->ai_addrlen);
        ep.port(port);
    }
    ::freeaddrinfo(list);
    if (!fits) {
        return make_error_code(errc::bad_field_value);
    }
    return ep;
}

} // namespace dvbcss::net
