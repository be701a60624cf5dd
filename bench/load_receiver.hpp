#pragma once

// The lean load generator of the fan-out benchmarks: N client connections to one loopback TCP
// port, held by a forked process with raw non-blocking sockets and one epoll loop (one thread),
// each stamping CLOCK_MONOTONIC when a message arrives. As WebSocket clients (a path is given)
// each does the opening handshake itself (101 expected), sends its set-up data as a masked text
// frame, answers pings with pongs and a close with a close, and counts a message when a final
// text frame arrives; as bare TCP clients (no path: the baseline) every `raw_message_bytes`
// received is a message. Connections are opened at most 256 at a time (inside any listen
// backlog); one that is not open within 20 s counts as refused.
//
// A message's arrival is the kernel's receive timestamp of the segment that completed it
// (SO_TIMESTAMPNS: taken when the loopback stack delivers it, inside the sender's send), not the
// moment this process gets round to reading it: the receiver shares the machine's cores with what
// it measures, and when it is scheduled says nothing about when the sender had delivered.

#include "bench_support.hpp"
#include "forked_process.hpp"
#include "ws_wire.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

namespace dvbcss::bench {

/// What a receiver process connects to.
struct receiver_target {
    std::uint16_t port = 0;
    std::string path;  ///< WebSocket path ("/ts"); empty: bare TCP
    std::string setup; ///< text sent once a WebSocket is open (empty: none)
    std::size_t n = 0;
    std::size_t raw_message_bytes = 120;
};

/// How the set-up of the connections went (CLOCK_MONOTONIC ns; 0: did not happen).
struct receiver_setup {
    std::uint64_t opened = 0;         ///< 101 received (WebSocket) or TCP connected (bare)
    std::uint64_t refused = 0;        ///< failed to connect, not 101, closed or timed out first
    std::uint64_t first_messages = 0; ///< open connections that received their first message
    std::uint64_t closed = 0;         ///< open connections closed since
    std::int64_t started_ns = 0;
    std::int64_t half_open_ns = 0; ///< when half of them were open
    std::int64_t all_open_ns = 0;
    std::int64_t all_first_ns = 0;
    char first_refusal[120] = {}; ///< why the first refused connection was refused
};

/// One round's arrivals: CLOCK_MONOTONIC ns per connection, 0 for none.
struct receiver_round {
    std::uint64_t received = 0;
    std::uint64_t alive = 0;
    std::vector<std::int64_t> arrival_ns;
};

namespace detail {

struct receiver_command {
    char op = 0;          ///< 'C' connect, 'A' arm the next round, 'W' wait for it
    std::int64_t arg = 0; ///< C, W: time allowed, ms
};

/// The child's side: the epoll loop.
class receiver_loop {
public:
    receiver_loop(int channel, const receiver_target& target)
        : channel_(channel)
        , target_(target)
        , conns_(target.n)
        , arrival_(target.n, 0)
        , random_(static_cast<std::uint32_t>(monotonic_ns())) {}

    int run() {
        epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_ < 0 || !watch(channel_, EPOLLIN, control_key)) {
            return 1;
        }
        std::vector<epoll_event> events(1024);
        while (running_) {
            const int count =
                ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms());
            for (int e = 0; e < count; ++e) {
                const auto key = events[static_cast<std::size_t>(e)].data.u64;
                if (key == control_key) {
                    command();
                } else {
                    on_event(static_cast<std::size_t>(key),
                             events[static_cast<std::size_t>(e)].events);
                }
            }
            progress();
        }
        for (auto& c : conns_) {
            if (c.fd >= 0) {
                ::close(c.fd);
            }
        }
        return 0;
    }

private:
    enum class state : std::uint8_t {
        idle,
        connecting,
        upgrading,
        open,
        closed
    };

    struct connection {
        int fd = -1;
        state st = state::idle;
        int round = -1; ///< last round stamped
        std::int64_t since_ns = 0;
        std::uint64_t raw_bytes = 0;
        std::string in;
    };

    static constexpr std::uint64_t control_key = ~std::uint64_t{0};
    static constexpr std::size_t max_in_flight = 256;
    static constexpr std::int64_t open_timeout_ns = 20'000'000'000;

    bool websocket() const { return !target_.path.empty(); }

    bool watch(int fd, std::uint32_t events, std::uint64_t key, int op = EPOLL_CTL_ADD) {
        epoll_event e{};
        e.events = events;
        e.data.u64 = key;
        return ::epoll_ctl(epoll_, op, fd, &e) == 0;
    }

    int timeout_ms() const { return connecting_ || wait_deadline_ns_ != 0 ? 5 : 200; }

    void command() {
        receiver_command c;
        if (!read_all(channel_, &c, sizeof c, monotonic_ns() + 1'000'000'000)) {
            running_ = false; // the parent has gone
            return;
        }
        if (c.op == 'C') {
            connecting_ = true;
            setup_.started_ns = monotonic_ns();
            connect_deadline_ns_ = setup_.started_ns + c.arg * 1'000'000;
        } else if (c.op == 'A') {
            ++round_;
            received_ = 0;
            std::fill(arrival_.begin(), arrival_.end(), 0);
            const char ack = 'a';
            write_all(channel_, &ack, 1);
        } else if (c.op == 'W') {
            wait_deadline_ns_ = monotonic_ns() + c.arg * 1'000'000;
        } else {
            running_ = false;
        }
    }

    void progress() {
        const auto now = monotonic_ns();
        if (connecting_) {
            while (next_ < conns_.size() && in_flight_ < max_in_flight) {
                start(next_++);
            }
            for (std::size_t i = 0; now - last_scan_ns_ > 100'000'000 && i < next_; ++i) {
                auto& c = conns_[i];
                if ((c.st == state::connecting || c.st == state::upgrading) &&
                    now - c.since_ns > open_timeout_ns) {
                    refuse(i, "not open within 20 s");
                }
            }
            if (now - last_scan_ns_ > 100'000'000) {
                last_scan_ns_ = now;
            }
            const bool resolved = setup_.opened + setup_.refused == conns_.size();
            const bool all_first =
                !websocket() || setup_.first_messages + setup_.closed >= setup_.opened;
            if ((resolved && all_first) || now > connect_deadline_ns_) {
                connecting_ = false;
                write_all(channel_, &setup_, sizeof setup_);
            }
        }
        if (wait_deadline_ns_ != 0 && (received_ >= alive() || now > wait_deadline_ns_)) {
            wait_deadline_ns_ = 0;
            const std::uint64_t head[2] = {received_, alive()};
            write_all(channel_, head, sizeof head);
            write_all(channel_, arrival_.data(), arrival_.size() * sizeof arrival_[0]);
        }
    }

    std::uint32_t mask() { return static_cast<std::uint32_t>(random_()); }

    std::uint64_t alive() const { return setup_.opened - setup_.closed; }

    void start(std::size_t i) {
        auto& c = conns_[i];
        c.since_ns = monotonic_ns();
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) {
            refuse(i, std::string("socket: ") + std::strerror(errno));
            return;
        }
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        // Source addresses 127.0.1.0-255, each with its own range of ports: the kernel's search
        // for a free ephemeral port of one address slows down as thousands of them are taken
        // (or wait in TIME_WAIT from an earlier measure), which would be measured as set-up time.
        ::setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr.s_addr = htonl(0x7f000100U + static_cast<std::uint32_t>(i % 256));
        if (::bind(c.fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
            refuse(i, std::string("bind: ") + std::strerror(errno));
            return;
        }
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(target_.port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
            errno != EINPROGRESS) {
            refuse(i, std::string("connect: ") + std::strerror(errno));
            return;
        }
        c.st = state::connecting;
        ++in_flight_;
        watch(c.fd, EPOLLOUT, i);
    }

    void refuse(std::size_t i, const std::string& why) {
        auto& c = conns_[i];
        if (c.st == state::connecting || c.st == state::upgrading) {
            --in_flight_;
        }
        if (setup_.first_refusal[0] == '\0') {
            std::snprintf(setup_.first_refusal, sizeof setup_.first_refusal, "%s", why.c_str());
        }
        ++setup_.refused;
        drop(c);
    }

    void drop(connection& c) {
        if (c.fd >= 0) {
            ::close(c.fd);
        }
        c.fd = -1;
        c.st = state::closed;
        std::string().swap(c.in);
    }

    void opened(std::size_t i) {
        auto& c = conns_[i];
        c.st = state::open;
        --in_flight_;
        ++setup_.opened;
        if (setup_.opened == (conns_.size() + 1) / 2) {
            setup_.half_open_ns = monotonic_ns();
        }
        if (setup_.opened == conns_.size()) {
            setup_.all_open_ns = monotonic_ns();
        }
    }

    void send_text(connection& c, std::string_view bytes) {
        // Small frames on a socket with an empty send buffer: written whole or the peer is gone.
        static_cast<void>(::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL));
    }

    void on_event(std::size_t i, std::uint32_t events) {
        auto& c = conns_[i];
        if (c.st == state::connecting) {
            int error = 0;
            socklen_t size = sizeof error;
            ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
            if (error != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
                refuse(i, std::string("connect: ") + std::strerror(error != 0 ? error : EPIPE));
                return;
            }
            watch(c.fd, EPOLLIN, i, EPOLL_CTL_MOD);
            if (!websocket()) {
                opened(i);
                return;
            }
            c.st = state::upgrading;
            send_text(c, ws_wire::upgrade_request(target_.path, target_.port,
                                                  ws_wire::handshake_key(random_)));
            return;
        }
        read_from(i);
    }

    /// One recv per readiness event: epoll (level-triggered) reports the socket again while
    /// more is waiting, so no second call is spent learning that it is empty.
    void read_from(std::size_t i) {
        auto& c = conns_[i];
        char buffer[65536];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
        iovec io{buffer, sizeof buffer};
        msghdr m{};
        m.msg_iov = &io;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        const auto n = ::recvmsg(c.fd, &m, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return;
        }
        if (n <= 0) {
            lost(i, n == 0 ? "closed by the server" : std::strerror(errno));
            return;
        }
        const auto now = arrival_of(m);
        if (!websocket()) {
            const auto before = c.raw_bytes / target_.raw_message_bytes;
            c.raw_bytes += static_cast<std::uint64_t>(n);
            if (c.raw_bytes / target_.raw_message_bytes > before) {
                message(i, now);
            }
            return;
        }
        c.in.append(buffer, static_cast<std::size_t>(n));
        if (c.st == state::upgrading && !upgrade_answer(i)) {
            return;
        }
        if (c.st == state::open) {
            frames(i, now);
        }
    }

    /// The kernel's receive timestamp of what `m` read (CLOCK_REALTIME) as CLOCK_MONOTONIC ns;
    /// the time now if the kernel gave none.
    static std::int64_t arrival_of(msghdr& m) {
        const auto mono = monotonic_ns();
        for (auto* h = CMSG_FIRSTHDR(&m); h != nullptr; h = CMSG_NXTHDR(&m, h)) {
            if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS) {
                timespec stamp{};
                std::memcpy(&stamp, CMSG_DATA(h), sizeof stamp);
                timespec real{};
                ::clock_gettime(CLOCK_REALTIME, &real);
                const auto ns = [](const timespec& t) {
                    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
                };
                // A stamp from the future (a clock step meanwhile) is taken as now.
                return mono - std::max<std::int64_t>(0, ns(real) - ns(stamp));
            }
        }
        return mono;
    }

    /// False if the connection was refused or the answer is not complete yet.
    bool upgrade_answer(std::size_t i) {
        auto& c = conns_[i];
        const auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (c.in.size() > 16384) {
                refuse(i, "HTTP answer over 16 KiB");
            }
            return false;
        }
        if (c.in.rfind("HTTP/1.1 101", 0) != 0) {
            refuse(i, "answer " + c.in.substr(0, std::min(c.in.find("\r\n"), std::size_t{80})));
            return false;
        }
        c.in.erase(0, end + 4);
        opened(i);
        if (!target_.setup.empty()) {
            send_text(c, ws_wire::masked_frame(ws_wire::opcode::text, target_.setup, mask()));
        }
        return true;
    }

    void frames(std::size_t i, std::int64_t now) {
        auto& c = conns_[i];
        std::size_t at = 0;
        ws_wire::frame f;
        while (c.fd >= 0) {
            const auto status = ws_wire::parse(c.in, at, f);
            if (status == ws_wire::parse_status::need_more) {
                break;
            }
            if (status == ws_wire::parse_status::too_big) {
                lost(i, "frame over 16 MiB");
                return;
            }
            at += f.size;
            switch (f.op) {
            case ws_wire::opcode::text:
            case ws_wire::opcode::continuation:
                if (f.fin) {
                    message(i, now);
                }
                break;
            case ws_wire::opcode::ping:
                send_text(c, ws_wire::masked_frame(ws_wire::opcode::pong, f.payload, mask()));
                break;
            case ws_wire::opcode::close:
                send_text(c, ws_wire::masked_frame(ws_wire::opcode::close, f.payload.substr(0, 2),
                                                   mask()));
                lost(i, "close frame from the server");
                return;
            default:
                break;
            }
        }
        c.in.erase(0, at);
    }

    void message(std::size_t i, std::int64_t now) {
        auto& c = conns_[i];
        if (c.round == round_) {
            return;
        }
        c.round = round_;
        arrival_[i] = now;
        ++received_;
        if (round_ == 0) {
            ++setup_.first_messages;
            if (setup_.first_messages == conns_.size()) {
                setup_.all_first_ns = now;
            }
        }
    }

    void lost(std::size_t i, const std::string& why) {
        auto& c = conns_[i];
        if (c.st == state::open) {
            ++setup_.closed;
            drop(c);
        } else if (c.st != state::closed) {
            refuse(i, why);
        }
    }

    int channel_;
    receiver_target target_;
    std::vector<connection> conns_;
    std::vector<std::int64_t> arrival_;
    std::mt19937 random_;
    int epoll_ = -1;
    bool running_ = true;
    bool connecting_ = false;
    std::size_t next_ = 0;
    std::size_t in_flight_ = 0;
    std::int64_t connect_deadline_ns_ = 0;
    std::int64_t last_scan_ns_ = 0;
    std::int64_t wait_deadline_ns_ = 0;
    int round_ = 0;
    std::uint64_t received_ = 0;
    receiver_setup setup_;
};

} // namespace detail

/// The parent's handle of one receiver process (see the top of this file). Calls from one
/// thread; the process ends when the handle goes.
class load_receiver {
public:
    explicit load_receiver(const receiver_target& target)
        : n_(target.n)
        , process_([target](int channel) {
            raise_fd_limit();
            return detail::receiver_loop(channel, target).run();
        }) {}

    [[nodiscard]] bool started() const { return process_.started(); }

    /// Opens every connection and waits for each one's first message (WebSocket), up to
    /// `timeout`; nullopt if the process did not answer.
    std::optional<receiver_setup> connect(std::chrono::milliseconds timeout) {
        receiver_setup s;
        if (!process_.send(detail::receiver_command{'C', timeout.count()}) ||
            !process_.receive(s, timeout + std::chrono::seconds(10))) {
            return std::nullopt;
        }
        return s;
    }

    /// From now on each connection's next message counts for a new round; true once the
    /// process has taken it.
    bool arm() {
        char ack = 0;
        return process_.send(detail::receiver_command{'A', 0}) &&
               process_.receive(ack, std::chrono::seconds(10)) && ack == 'a';
    }

    /// Waits up to `timeout` until every live connection has its message of this round.
    std::optional<receiver_round> wait_round(std::chrono::milliseconds timeout) {
        std::uint64_t head[2] = {};
        if (!process_.send(detail::receiver_command{'W', timeout.count()}) ||
            !process_.receive(head, timeout + std::chrono::seconds(10))) {
            return std::nullopt;
        }
        receiver_round r{head[0], head[1], std::vector<std::int64_t>(n_)};
        if (!read_all(process_.channel(), r.arrival_ns.data(), n_ * sizeof(std::int64_t),
                      monotonic_ns() + 10'000'000'000)) {
            return std::nullopt;
        }
        return r;
    }

private:
    std::size_t n_;
    forked_process process_;
};

} // namespace dvbcss::bench
