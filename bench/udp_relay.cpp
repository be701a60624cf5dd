// A loopback UDP relay that delays every datagram by a seeded random amount, to run wall clock
// clients "unchanged" over a network with a known delay model. Clients send to the relay; for each
// client address the relay opens its own socket towards the server, so several clients (ours and
// the BBC JS one) can share a relay at once.
//
// Delay model, per datagram: uniform in [delay - jitter, delay + jitter] milliseconds, plus
// asymmetry/2 on the way to the server and minus asymmetry/2 on the way back (so a positive
// asymmetry makes a client's offset estimate err by +asymmetry/2: the server seems ahead). Each
// datagram is lost with probability --loss in each direction.
//
// Usage: udp_relay --server ADDR:PORT [--address 127.0.0.1] [--port 0] [--delay-ms 5]
//                  [--jitter-ms 2] [--asymmetry-ms 0] [--loss 0] [--seed 1] [--duration S]
// Prints "udp_relay listening on <address> <port>" once bound; counts at the end.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

struct options {
    std::string address = "127.0.0.1";
    int port = 0;
    std::string server_address;
    int server_port = 0;
    double delay_ms = 5;
    double jitter_ms = 2;
    double asymmetry_ms = 0;
    double loss = 0;
    unsigned seed = 1;
    double duration_s = 0;
};

bool parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            return false;
        }
        const std::string v = argv[++i];
        if (a == "--server") {
            const auto colon = v.rfind(':');
            if (colon == std::string::npos) {
                return false;
            }
            o.server_address = v.substr(0, colon);
            o.server_port = std::atoi(v.c_str() + colon + 1);
        } else if (a == "--address") {
            o.address = v;
        } else if (a == "--port") {
            o.port = std::atoi(v.c_str());
        } else if (a == "--delay-ms") {
            o.delay_ms = std::atof(v.c_str());
        } else if (a == "--jitter-ms") {
            o.jitter_ms = std::atof(v.c_str());
        } else if (a == "--asymmetry-ms") {
            o.asymmetry_ms = std::atof(v.c_str());
        } else if (a == "--loss") {
            o.loss = std::atof(v.c_str());
        } else if (a == "--seed") {
            o.seed = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
        } else if (a == "--duration") {
            o.duration_s = std::atof(v.c_str());
        } else {
            return false;
        }
    }
    return !o.server_address.empty() && o.server_port > 0;
}

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool make_address(const std::string& host, int port, sockaddr_storage& out, socklen_t& len) {
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    out = sockaddr_storage{};
    if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&out, &v4, sizeof v4);
        len = sizeof v4;
        return true;
    }
    if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&out, &v6, sizeof v6);
        len = sizeof v6;
        return true;
    }
    return false;
}

int open_bound(int family, const sockaddr_storage& local, socklen_t len) {
    const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), len) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// A datagram waiting for its delivery time.
struct pending {
    std::int64_t due_ns;
    std::uint64_t order; // ties keep arrival order
    int fd;              // socket to send it from
    sockaddr_storage to;
    socklen_t to_len;
    std::vector<char> bytes;
};

struct later {
    bool operator()(const pending& a, const pending& b) const {
        return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.order > b.order;
    }
};

/// Key of a client address (family, address and port bytes).
std::string key_of(const sockaddr_storage& a, socklen_t len) {
    return std::string(reinterpret_cast<const char*>(&a), len);
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse(argc, argv, o)) {
        std::fprintf(stderr, "usage: udp_relay --server ADDR:PORT [--address A] [--port P] "
                             "[--delay-ms D] [--jitter-ms J] [--asymmetry-ms A] [--loss P] "
                             "[--seed N] [--duration S]\n");
        return 2;
    }
    sockaddr_storage front_addr{};
    socklen_t front_len = 0;
    sockaddr_storage server_addr{};
    socklen_t server_len = 0;
    if (!make_address(o.address, o.port, front_addr, front_len) ||
        !make_address(o.server_address, o.server_port, server_addr, server_len)) {
        std::fprintf(stderr, "udp_relay: bad address\n");
        return 2;
    }
    const int front = open_bound(front_addr.ss_family, front_addr, front_len);
    if (front < 0) {
        std::perror("udp_relay: bind");
        return 1;
    }
    socklen_t len = front_len;
    ::getsockname(front, reinterpret_cast<sockaddr*>(&front_addr), &len);
    const int port = front_addr.ss_family == AF_INET
                         ? ntohs(reinterpret_cast<sockaddr_in*>(&front_addr)->sin_port)
                         : ntohs(reinterpret_cast<sockaddr_in6*>(&front_addr)->sin6_port);
    std::printf("udp_relay listening on %s %d\n", o.address.c_str(), port);
    std::fflush(stdout);

    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> jitter(-o.jitter_ms, o.jitter_ms);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto delay_ns = [&](bool towards_server) {
        const double ms =
            o.delay_ms + jitter(rng) + (towards_server ? o.asymmetry_ms / 2 : -o.asymmetry_ms / 2);
        return static_cast<std::int64_t>(std::max(0.0, ms) * 1e6);
    };

    struct client {
        int fd;
        sockaddr_storage address;
        socklen_t address_len;
    };

    std::map<std::string, client> clients;   // by client address
    std::map<int, std::string> client_of_fd; // back socket -> client key
    std::priority_queue<pending, std::vector<pending>, later> queue;
    std::uint64_t order = 0;
    std::uint64_t forwarded = 0;
    std::uint64_t returned = 0;
    std::uint64_t lost = 0;
    sockaddr_storage any{};
    socklen_t any_len = 0;
    make_address(front_addr.ss_family == AF_INET ? "127.0.0.1" : "::1", 0, any, any_len);

    const std::int64_t start = now_ns();
    const auto end = start + static_cast<std::int64_t>(o.duration_s * 1e9);
    std::array<char, 2048> buf{};
    while (o.duration_s <= 0 || now_ns() < end) {
        // Deliver everything that is due.
        std::int64_t now = now_ns();
        while (!queue.empty() && queue.top().due_ns <= now) {
            const pending& p = queue.top();
            ::sendto(p.fd, p.bytes.data(), p.bytes.size(), 0,
                     reinterpret_cast<const sockaddr*>(&p.to), p.to_len);
            queue.pop();
        }
        std::vector<pollfd> fds;
        fds.push_back({front, POLLIN, 0});
        for (const auto& [key, c] : clients) {
            fds.push_back({c.fd, POLLIN, 0});
        }
        int timeout_ms = 50;
        if (!queue.empty()) {
            const std::int64_t wait = queue.top().due_ns - now;
            timeout_ms = static_cast<int>(std::clamp<std::int64_t>(wait / 1'000'000, 0, 50));
        }
        ::poll(fds.data(), fds.size(), timeout_ms);
        for (const pollfd& f : fds) {
            if ((f.revents & POLLIN) == 0) {
                continue;
            }
            for (;;) {
                sockaddr_storage from{};
                socklen_t from_len = sizeof from;
                const ssize_t n = ::recvfrom(f.fd, buf.data(), buf.size(), 0,
                                             reinterpret_cast<sockaddr*>(&from), &from_len);
                if (n < 0) {
                    break;
                }
                const bool towards_server = f.fd == front;
                if (unit(rng) < o.loss) {
                    ++lost;
                    continue;
                }
                pending p{};
                p.due_ns = now_ns() + delay_ns(towards_server);
                p.order = order++;
                p.bytes.assign(buf.data(), buf.data() + n);
                if (towards_server) {
                    const std::string key = key_of(from, from_len);
                    auto it = clients.find(key);
                    if (it == clients.end()) {
                        const int back = open_bound(front_addr.ss_family, any, any_len);
                        if (back < 0) {
                            continue;
                        }
                        it = clients.emplace(key, client{back, from, from_len}).first;
                        client_of_fd[back] = key;
                    }
                    p.fd = it->second.fd;
                    p.to = server_addr;
                    p.to_len = server_len;
                    ++forwarded;
                } else {
                    const client& c = clients.at(client_of_fd.at(f.fd));
                    p.fd = front;
                    p.to = c.address;
                    p.to_len = c.address_len;
                    ++returned;
                }
                queue.push(std::move(p));
            }
        }
    }
    std::printf("udp_relay forwarded %llu, returned %llu, lost %llu, clients %zu\n",
                static_cast<unsigned long long>(forwarded),
                static_cast<unsigned long long>(returned), static_cast<unsigned long long>(lost),
                clients.size());
    for (const auto& [key, c] : clients) {
        ::close(c.fd);
    }
    ::close(front);
    return 0;
}
