#include <dvbcss/dial/ssdp.hpp>
#include <dvbcss/net/ssdp_socket.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/socket_base.hpp>

#include <utility>

#include <netinet/in.h>
#include <sys/socket.h>

namespace dvbcss::net {
namespace {

/// UPnP DA 1.1 §1.1.2: a TTL of 2 by default, so SSDP stays within the home network.
constexpr int ssdp_ttl = 2;

} // namespace

struct ssdp_socket::impl : std::enable_shared_from_this<ssdp_socket::impl> {
    explicit impl(const boost::asio::any_io_executor& executor, std::size_t max)
        : socket(executor)
        , max_datagram(max == 0 ? 1 : max)
        , buffer(max_datagram + 1) {} // one byte more than kept: a full buffer means truncated

    boost::asio::ip::udp::socket socket;
    std::size_t max_datagram;
    std::vector<char> buffer;
    endpoint sender;
    receive_handler on_receive;
    bool closed = true;

    void receive_next() {
        socket.async_receive_from(boost::asio::buffer(buffer), sender,
                                  [self = shared_from_this()](const error_code& ec, std::size_t n) {
                                      self->on_received(ec, n);
                                  });
    }

    void on_received(const error_code& ec, std::size_t n) {
        if (closed || !socket.is_open() || ec == boost::asio::error::operation_aborted) {
            return;
        }
        if (!ec && on_receive) {
            const bool truncated = n > max_datagram;
            const std::size_t kept = truncated ? max_datagram : n;
            // Copy what the callback needs so that it may close the socket from inside.
            const endpoint from = sender;
            const receive_handler handler = on_receive;
            handler(std::string_view(buffer.data(), kept), truncated, from);
            if (closed) {
                return;
            }
        }
        // Other errors (an ICMP "port unreachable" reported on a later receive, for one) are
        // transient for UDP: keep listening.
        receive_next();
    }
};

ssdp_socket::ssdp_socket(const boost::asio::any_io_executor& executor, std::size_t max_datagram)
    : impl_(std::make_shared<impl>(executor, max_datagram)) {}

ssdp_socket::~ssdp_socket() {
    close();
}

ssdp_socket::endpoint ssdp_socket::multicast_group() {
    return {boost::asio::ip::make_address_v4(std::string(dial::ssdp_multicast_address)),
            dial::ssdp_port};
}

error_code ssdp_socket::open(role which, const network_interface& iface,
                             receive_handler on_receive) {
    close();
    auto& s = impl_->socket;
    error_code ec;
    s.open(boost::asio::ip::udp::v4(), ec);
    if (ec) {
        return ec;
    }
    const auto fail = [&](error_code e) {
        error_code ignored;
        s.close(ignored);
        return e;
    };
    if (which == role::listener) {
        // Port 1900 is shared by every SSDP stack on a host by design.
        s.set_option(boost::asio::socket_base::reuse_address(true), ec);
        if (ec) {
            return fail(ec);
        }
        s.bind(endpoint(boost::asio::ip::address_v4::any(), dial::ssdp_port), ec);
        if (ec) {
            return fail(ec);
        }
        // Only the groups this socket joined, on the interface it joined them on (Linux would
        // otherwise deliver every group any socket on the host joined).
        const int off = 0;
        if (::setsockopt(s.native_handle(), IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off) != 0) {
            return fail({errno, boost::system::system_category()});
        }
        s.set_option(boost::asio::ip::multicast::join_group(multicast_group().address().to_v4(),
                                                            iface.address),
                     ec);
        if (ec) {
            return fail(ec);
        }
    } else {
        s.bind(endpoint(iface.address, 0), ec);
        if (ec) {
            return fail(ec);
        }
    }
    s.set_option(boost::asio::ip::multicast::outbound_interface(iface.address), ec);
    if (!ec) {
        s.non_blocking(true, ec); // a full send buffer drops a datagram, never blocks
    }
    if (!ec) {
        s.set_option(boost::asio::ip::multicast::hops(ssdp_ttl), ec);
    }
    if (!ec) {
        s.set_option(boost::asio::ip::multicast::enable_loopback(true), ec);
    }
    if (ec) {
        return fail(ec);
    }
    impl_->on_receive = std::move(on_receive);
    impl_->closed = false;
    impl_->receive_next();
    return {};
}

error_code ssdp_socket::send_to(std::string_view datagram, const endpoint& destination) {
    if (impl_->closed) {
        return boost::asio::error::bad_descriptor;
    }
    error_code ec;
    impl_->socket.send_to(boost::asio::buffer(datagram.data(), datagram.size()), destination, 0,
                          ec);
    return ec;
}

ssdp_socket::endpoint ssdp_socket::local_endpoint() const {
    error_code ec;
    auto ep = impl_->socket.local_endpoint(ec);
    return ec ? endpoint{} : ep;
}

void ssdp_socket::close() {
    if (!impl_) {
        return;
    }
    impl_->closed = true;
    impl_->on_receive = nullptr;
    if (impl_->socket.is_open()) {
        error_code ignored;
        impl_->socket.close(ignored);
    }
}

} // namespace dvbcss::net
