// A bare batched UDP echo: the ceiling a UDP request/response server can reach on this machine.
// One blocking thread dequeues up to --batch datagrams with recvmmsg and sends each one back to its
// sender unchanged with sendmmsg. No parsing, no timestamps, no Asio. bench/wc_throughput compares
// our wall clock server against it.
//
// Usage: udp_echo [--address 127.0.0.1] [--port 0] [--batch 32] [--duration SECONDS]
// Prints "udp_echo listening on <address> <port>" once bound, and the datagram count at the end.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct options {
    std::string address = "127.0.0.1";
    int port = 0;
    unsigned batch = 32;
    double duration_s = 0; // 0: run until killed
};

bool parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--address" && has_value) {
            o.address = argv[++i];
        } else if (a == "--port" && has_value) {
            o.port = std::atoi(argv[++i]);
        } else if (a == "--batch" && has_value) {
            o.batch = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        } else if (a == "--duration" && has_value) {
            o.duration_s = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr,
                         "usage: udp_echo [--address A] [--port P] [--batch N] [--duration S]\n");
            return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse(argc, argv, o)) {
        return 2;
    }
    sockaddr_storage local{};
    socklen_t local_len = 0;
    int family = AF_INET;
    {
        sockaddr_in v4{};
        sockaddr_in6 v6{};
        if (::inet_pton(AF_INET, o.address.c_str(), &v4.sin_addr) == 1) {
            v4.sin_family = AF_INET;
            v4.sin_port = htons(static_cast<std::uint16_t>(o.port));
            std::memcpy(&local, &v4, sizeof v4);
            local_len = sizeof v4;
        } else if (::inet_pton(AF_INET6, o.address.c_str(), &v6.sin6_addr) == 1) {
            v6.sin6_family = AF_INET6;
            v6.sin6_port = htons(static_cast<std::uint16_t>(o.port));
            std::memcpy(&local, &v6, sizeof v6);
            local_len = sizeof v6;
            family = AF_INET6;
        } else {
            std::fprintf(stderr, "udp_echo: bad address %s\n", o.address.c_str());
            return 2;
        }
    }
    const int fd = ::socket(family, SOCK_DGRAM, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0) {
        std::perror("udp_echo: bind");
        return 1;
    }
    const int rcvbuf = 4 * 1024 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{0, 200000}; // wake up regularly to check the duration
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socklen_t len = local_len;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    const int port = family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                                       : ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    std::printf("udp_echo listening on %s %d\n", o.address.c_str(), port);
    std::fflush(stdout);

    constexpr std::size_t max_size = 2048;
    std::vector<mmsghdr> rx(o.batch);
    std::vector<mmsghdr> tx(o.batch);
    std::vector<iovec> rx_iov(o.batch);
    std::vector<iovec> tx_iov(o.batch);
    std::vector<sockaddr_storage> names(o.batch);
    std::vector<std::array<char, max_size>> data(o.batch);
    std::uint64_t echoed = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(o.duration_s));
    while (o.duration_s <= 0 || std::chrono::steady_clock::now() < deadline) {
        for (unsigned i = 0; i < o.batch; ++i) {
            rx_iov[i] = {data[i].data(), max_size};
            rx[i].msg_hdr = msghdr{};
            rx[i].msg_hdr.msg_name = &names[i];
            rx[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            rx[i].msg_hdr.msg_iov = &rx_iov[i];
            rx[i].msg_hdr.msg_iovlen = 1;
        }
        // Block for the first datagram, then take whatever else is already queued.
        const int n = ::recvmmsg(fd, rx.data(), o.batch, MSG_WAITFORONE, nullptr);
        if (n <= 0) {
            continue; // timeout, EINTR or a pending ICMP error: keep echoing
        }
        for (int i = 0; i < n; ++i) {
            tx_iov[i] = {data[i].data(), rx[i].msg_len};
            tx[i].msg_hdr = msghdr{};
            tx[i].msg_hdr.msg_name = &names[i];
            tx[i].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
            tx[i].msg_hdr.msg_iov = &tx_iov[i];
            tx[i].msg_hdr.msg_iovlen = 1;
        }
        int sent = 0;
        while (sent < n) {
            const int s = ::sendmmsg(fd, tx.data() + sent, static_cast<unsigned>(n - sent), 0);
            if (s <= 0) {
                ++sent; // drop the one that failed
                continue;
            }
            sent += s;
        }
        echoed += static_cast<std::uint64_t>(n);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("udp_echo echoed %llu datagrams in %.1f s\n",
                static_cast<unsigned long long>(echoed), secs);
    ::close(fd);
    return 0;
}
