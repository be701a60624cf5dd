// Throughput of our CSS-WC server against a bare batched UDP echo, on loopback, in the same run.
//
// 1. Starts bench/udp_echo (from the directory this program is in) and our wall_clock_server
//    (in-process, on its own thread, with processing-delay recording).
// 2. For each target, a load generator keeps --window requests in flight (32-byte CSS-WC requests,
//    sent with sendmmsg, replies read with recvmmsg) for --seconds and counts replies per second.
//    The targets alternate for --rounds rounds; the best round of each is reported.
// 3. Prints replies/s for both and their ratio, then the server's processing delay t3 - t2 (its
//    kernel receive timestamp to its transmit stamp) under that load, and again with one request
//    at a time (ping-pong), as p50/p99, with the CPU time the server's thread used (% of one
//    core over the phase), and the CPU it uses while idle for --idle seconds.
// 4. Repeats 3 with a second server in busy-poll mode (spinning on non-blocking recvmmsg instead
//    of waiting in epoll): one load run of --seconds, ping-pong, idle.
//
// Usage: wc_throughput [--seconds 2] [--window 64] [--rounds 2] [--pings 2000] [--idle 1]

#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_server.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct options {
    double seconds = 2;
    unsigned window = 64;
    int rounds = 2;
    int pings = 2000;
    double idle = 1;
};

using steady = std::chrono::steady_clock;

/// A load generator socket aimed at one loopback port.
class generator {
public:
    explicit generator(int port) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
        const int buf = 4 * 1024 * 1024;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        dest_.sin_family = AF_INET;
        dest_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dest_.sin_port = htons(static_cast<std::uint16_t>(port));
    }

    ~generator() { ::close(fd_); }

    generator(const generator&) = delete;
    generator& operator=(const generator&) = delete;
    generator(generator&&) = delete;
    generator& operator=(generator&&) = delete;

    /// Sends `n` requests in one sendmmsg (or a few).
    void send(unsigned n) {
        std::vector<mmsghdr> msgs(n);
        std::vector<iovec> iov(n);
        std::vector<dvbcss::wc::message_bytes> bytes(n);
        for (unsigned i = 0; i < n; ++i) {
            dvbcss::wc::message m;
            m.originate = dvbcss::wc::raw_timestamp::from_ns(static_cast<std::int64_t>(++seq_));
            bytes[i] = dvbcss::wc::encode(m);
            iov[i] = {bytes[i].data(), bytes[i].size()};
            msgs[i].msg_hdr = msghdr{};
            msgs[i].msg_hdr.msg_name = &dest_;
            msgs[i].msg_hdr.msg_namelen = sizeof dest_;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        unsigned sent = 0;
        while (sent < n) {
            const int s = ::sendmmsg(fd_, msgs.data() + sent, n - sent, 0);
            if (s <= 0) {
                break;
            }
            sent += static_cast<unsigned>(s);
        }
    }

    /// Receives whatever is there within `timeout_ms`; returns the count.
    unsigned receive(int timeout_ms) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) {
            return 0;
        }
        constexpr unsigned batch = 64;
        std::array<mmsghdr, batch> msgs{};
        std::array<iovec, batch> iov{};
        std::array<std::array<char, 64>, batch> data{};
        unsigned total = 0;
        for (;;) {
            for (unsigned i = 0; i < batch; ++i) {
                iov[i] = {data[i].data(), data[i].size()};
                msgs[i].msg_hdr = msghdr{};
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            const int n = ::recvmmsg(fd_, msgs.data(), batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) {
                break;
            }
            total += static_cast<unsigned>(n);
        }
        return total;
    }

    /// Replies per second with `window` requests in flight for `seconds`.
    double run(unsigned window, double seconds) {
        receive(0); // drain leftovers
        const auto end = steady::now() + std::chrono::duration_cast<steady::duration>(
                                             std::chrono::duration<double>(seconds));
        std::uint64_t replies = 0;
        send(window);
        const auto start = steady::now();
        while (steady::now() < end) {
            const unsigned got = receive(50);
            if (got == 0) {
                send(window); // losses: refill the window
                continue;
            }
            replies += got;
            send(got);
        }
        const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
        return static_cast<double>(replies) / elapsed;
    }

    /// One request at a time, `n` times, with a short pause between.
    void ping_pong(int n) {
        for (int i = 0; i < n; ++i) {
            send(1);
            receive(100);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }

private:
    int fd_ = -1;
    sockaddr_in dest_{};
    std::uint64_t seq_ = 0;
};

std::int64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Our server on its own io_context and thread, with processing-delay recording; the thread can be
/// paused to read the histogram, and its CPU time is accounted per phase.
class hosted_server {
public:
    explicit hosted_server(bool busy_poll)
        : wall_(dvbcss::clock::monotonic_time_source::instance(), 1e9, 500)
        , server_(io_.get_executor(), wall_, make_config(busy_poll)) {
        ok_ = !server_.start();
        phase_start_ = steady::now();
        resume();
    }

    ~hosted_server() { pause(); }

    hosted_server(const hosted_server&) = delete;
    hosted_server& operator=(const hosted_server&) = delete;
    hosted_server(hosted_server&&) = delete;
    hosted_server& operator=(hosted_server&&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }

    [[nodiscard]] int port() const { return server_.local_endpoint().port(); }

    /// Prints the processing delay and the thread's CPU use since the last report, then resets.
    void report(const char* mode, const char* label, bool delays = true) {
        pause();
        const double wall_s = std::chrono::duration<double>(steady::now() - phase_start_).count();
        using dvbcss::net::processing_delay;
        if (delays) {
            for (auto kind : {processing_delay::since_receive, processing_delay::since_dequeue}) {
                const auto p50 = server_.processing_delay_percentile_ns(0.5, kind);
                const auto p99 = server_.processing_delay_percentile_ns(0.99, kind);
                std::printf("[%s] processing delay %s (%s): p50 %.2f us, p99 %.2f us\n", mode,
                            kind == processing_delay::since_receive ? "t3 - t2 (kernel rx)"
                                                                    : "t3 - dequeue",
                            label, p50 ? static_cast<double>(*p50) / 1e3 : -1.0,
                            p99 ? static_cast<double>(*p99) / 1e3 : -1.0);
            }
        }
        std::printf("[%s] server thread CPU (%s): %.0f %% of one core over %.1f s\n", mode, label,
                    wall_s > 0 ? 100.0 * static_cast<double>(cpu_ns_) / 1e9 / wall_s : 0.0, wall_s);
        server_.reset_processing_delay();
        cpu_ns_ = 0;
        phase_start_ = steady::now();
        resume();
    }

    [[nodiscard]] dvbcss::net::wall_clock_server_statistics statistics() {
        pause();
        auto s = server_.statistics();
        resume();
        return s;
    }

private:
    static dvbcss::net::wall_clock_server_config make_config(bool busy_poll) {
        dvbcss::net::wall_clock_server_config config;
        config.bind =
            dvbcss::net::udp_socket::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
        config.record_processing_delay = true;
        config.busy_poll = busy_poll;
        return config;
    }

    void resume() {
        io_.restart();
        thread_ = std::thread([this] {
            auto guard = boost::asio::make_work_guard(io_);
            const auto start = thread_cpu_ns();
            io_.run();
            cpu_ns_ += thread_cpu_ns() - start;
        });
    }

    void pause() {
        if (thread_.joinable()) {
            io_.stop();
            thread_.join();
        }
    }

    boost::asio::io_context io_;
    dvbcss::clock::sys_clock wall_;
    dvbcss::net::wall_clock_server server_;
    std::thread thread_;
    std::int64_t cpu_ns_ = 0;
    steady::time_point phase_start_;
    bool ok_ = false;
};

std::string directory_of(const char* argv0) {
    std::string s = argv0;
    const auto slash = s.rfind('/');
    return slash == std::string::npos ? "." : s.substr(0, slash);
}

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--seconds") {
            o.seconds = std::atof(argv[i + 1]);
        } else if (a == "--window") {
            o.window = static_cast<unsigned>(std::max(1, std::atoi(argv[i + 1])));
        } else if (a == "--rounds") {
            o.rounds = std::max(1, std::atoi(argv[i + 1]));
        } else if (a == "--pings") {
            o.pings = std::max(1, std::atoi(argv[i + 1]));
        } else if (a == "--idle") {
            o.idle = std::atof(argv[i + 1]);
        }
    }
    dvbcss::net::log::set_level(dvbcss::net::log::level::error);

    // The bare echo, as a separate process (it is the ceiling, and it must not share our thread).
    const double echo_seconds = (o.seconds + 0.5) * (o.rounds * 2) + 3;
    const std::string cmd = directory_of(argv[0]) + "/udp_echo --duration " +
                            std::to_string(echo_seconds) + " --batch 32";
    FILE* echo = ::popen(cmd.c_str(), "r");
    if (echo == nullptr) {
        std::perror("wc_throughput: udp_echo");
        return 1;
    }
    char line[256] = {};
    int echo_port = 0;
    if (std::fgets(line, sizeof line, echo) == nullptr ||
        std::sscanf(line, "udp_echo listening on %*s %d", &echo_port) != 1) {
        std::fprintf(stderr, "wc_throughput: could not start %s\n", cmd.c_str());
        return 1;
    }

    // Our server, on its own thread.
    auto server = std::make_unique<hosted_server>(false);
    if (!server->ok()) {
        std::fprintf(stderr, "wc_throughput: server did not start\n");
        return 1;
    }

    generator to_echo(echo_port);
    generator to_server(server->port());
    double best_echo = 0;
    double best_server = 0;
    for (int r = 0; r < o.rounds; ++r) {
        const double e = to_echo.run(o.window, o.seconds);
        const double s = to_server.run(o.window, o.seconds);
        std::printf("round %d: echo %.0f replies/s, wall clock server %.0f replies/s\n", r + 1, e,
                    s);
        best_echo = std::max(best_echo, e);
        best_server = std::max(best_server, s);
    }
    std::printf("udp_echo (bare recvmmsg/sendmmsg): %.0f replies/s\n", best_echo);
    std::printf("wall_clock_server:                 %.0f replies/s\n", best_server);
    std::printf("ratio server/echo:                 %.1f %%\n",
                best_echo > 0 ? 100.0 * best_server / best_echo : 0.0);

    const auto idle_phase = [&](hosted_server& srv, const char* mode) {
        std::this_thread::sleep_for(std::chrono::duration<double>(o.idle));
        srv.report(mode, "idle", false);
    };
    // The load phase's CPU figure covers the echo rounds too (the server is idle during them).
    server->report("epoll", "under load");
    to_server.ping_pong(o.pings);
    server->report("epoll", "one request at a time");
    idle_phase(*server, "epoll");
    const auto s = server->statistics();
    std::printf("server: datagrams %llu, kernel rx timestamps %llu, user %llu\n",
                static_cast<unsigned long long>(s.datagrams),
                static_cast<unsigned long long>(s.kernel_timestamps),
                static_cast<unsigned long long>(s.user_timestamps));
    server.reset();

    // The same server in busy-poll mode.
    hosted_server busy(true);
    if (!busy.ok()) {
        std::fprintf(stderr, "wc_throughput: busy-poll server did not start\n");
        return 1;
    }
    generator to_busy(busy.port());
    busy.report("busy-poll", "start-up", false);
    const double b = to_busy.run(o.window, o.seconds);
    std::printf("wall_clock_server, busy-poll:      %.0f replies/s (%.1f %% of the echo)\n", b,
                best_echo > 0 ? 100.0 * b / best_echo : 0.0);
    busy.report("busy-poll", "under load");
    to_busy.ping_pong(o.pings);
    busy.report("busy-poll", "one request at a time");
    idle_phase(busy, "busy-poll");
    ::pclose(echo);
    return 0;
}
