// dial_msearch_flood: does a flood of DIAL searches slow a TV's CSS-CII? One tv-device --dial
// --interface lo with N CSS-CII companions; the time a content change takes to reach them all,
// idle and then while a load generator sends M-SEARCH for the DIAL service at a steady rate; and
// how many of those searches the TV answered.
//
//   tests/netns/run_in_netns.sh dial_msearch_flood [--n N] [--rounds R] [--rate PER_S]
//                                                  [--flood-seconds S] [--group] [--bin DIR]
//     --n N              CII companions (default 1000)
//     --rounds R         content changes per phase (default 10)
//     --rate PER_S       M-SEARCH datagrams per second during the flood (default 10000)
//     --flood-seconds S  length of the flood (default 6; the flooded rounds run within it)
//     --group            send the searches to 239.255.255.250:1900 (default: unicast to
//                        127.0.0.1:1900, the TV's SSDP port)
//     --bin DIR          where tv-device is (default: next to this program, or ../tools from it)
//
// It sends SSDP, so it runs only in a network namespace holding lo alone (it checks, and exits 1
// otherwise): run it through tests/netns/run_in_netns.sh, never in the machine's namespace.
//
// Steps: tv-device starts with --json (its truth lines give each change's CLOCK_MONOTONIC time);
// N companions connect to its CII URL (our websocket_client, one io_context thread) and get
// their first CII; (a) idle: R rounds of `content <id>` on its console, each timed from the
// truth line to each companion's receipt of the CII message (CLOCK_MONOTONIC on both sides);
// (b) flood: a thread sends `M-SEARCH` (ST the DIAL service, MX 1) at PER_S from one socket and
// counts the answers that parse as SSDP answers for the DIAL service, while R more rounds run;
// the answers still due are waited for (MX + 1 s) after the flood. Prints figures; exit 0 when
// it could measure, 1 when something did not work (no target is judged), 2 on a usage error.
// Bounded: gives up after 55 s.

#include "bench_support.hpp"
#include "tv_device_process.hpp"
#include "ws_companions.hpp"

#include <dvbcss/dial/ssdp.hpp>
#include <dvbcss/net/log.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using dvbcss::bench::companion_set;
using dvbcss::bench::monotonic_ns;
using dvbcss::bench::quantile;
using dvbcss::bench::raise_fd_limit;
using dvbcss::bench::wait_until;

using namespace dvbcss;
using namespace std::chrono_literals;

constexpr unsigned overall_limit_s = 55;

struct options {
    std::size_t n = 1000;
    int rounds = 10;
    double rate = 10000;
    double flood_seconds = 6;
    bool group = false;
    std::string bin_dir;
};

/// The names of the interfaces other than lo in this network namespace (if_nameindex asks the
/// kernel over netlink, so it sees the namespace this process is in); "?" if it cannot tell.
std::string interfaces_besides_lo() {
    auto* list = if_nameindex();
    if (list == nullptr) {
        return "?";
    }
    std::string others;
    for (auto* i = list; i->if_index != 0 && i->if_name != nullptr; ++i) {
        if (std::string(i->if_name) != "lo") {
            others += (others.empty() ? "" : ", ") + std::string(i->if_name);
        }
    }
    if_freenameindex(list);
    return others;
}

/// M-SEARCH for the DIAL service at a steady rate from one UDP socket on its own thread; the
/// answers that come back are parsed and counted.
class msearch_flood {
public:
    msearch_flood(double rate, bool group)
        : rate_(rate) {
        socket_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to_.sin_family = AF_INET;
        to_.sin_port = htons(1900);
        inet_pton(AF_INET, group ? "239.255.255.250" : "127.0.0.1", &to_.sin_addr);
        const in_addr lo{htonl(INADDR_LOOPBACK)};
        const int big = 4 << 20;
        ok_ = socket_ >= 0 &&
              ::bind(socket_, reinterpret_cast<const sockaddr*>(&from), sizeof from) == 0 &&
              ::setsockopt(socket_, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo) == 0;
        ::setsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        dial::ssdp_search search;
        search.search_target = std::string(dial::dial_search_target);
        search.mx_s = 1;
        search.user_agent = "dvbcss-bench/1 dial_msearch_flood";
        datagram_ = dial::format_ssdp(search);
    }

    ~msearch_flood() {
        stop();
        if (socket_ >= 0) {
            ::close(socket_);
        }
    }

    msearch_flood(const msearch_flood&) = delete;
    msearch_flood& operator=(const msearch_flood&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }

    /// Sends for `seconds`, then goes on receiving until stop().
    void start(double seconds) {
        running_ = true;
        thread_ = std::thread([this, seconds] { loop(seconds); });
    }

    void stop() {
        running_ = false;
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    [[nodiscard]] bool sending() const { return sending_.load(); }

    [[nodiscard]] std::uint64_t sent() const { return sent_.load(); }

    [[nodiscard]] std::uint64_t send_failed() const { return send_failed_.load(); }

    [[nodiscard]] std::uint64_t answered() const { return answered_.load(); }

    [[nodiscard]] std::uint64_t other() const { return other_.load(); }

    [[nodiscard]] double send_seconds() const { return send_seconds_.load(); }

    [[nodiscard]] std::int64_t last_answer_ns() const { return last_answer_ns_.load(); }

private:
    void loop(double seconds) {
        sending_ = true;
        const auto start = monotonic_ns();
        const auto end = start + static_cast<std::int64_t>(seconds * 1e9);
        const double period_ns = 1e9 / rate_;
        std::uint64_t count = 0;
        while (running_) {
            const auto now = monotonic_ns();
            if (sending_ && now >= end) {
                sending_ = false;
                send_seconds_ = static_cast<double>(now - start) / 1e9;
            }
            if (sending_) {
                const auto due =
                    static_cast<std::uint64_t>(static_cast<double>(now - start) / period_ns);
                for (; count < due; ++count) {
                    if (::sendto(socket_, datagram_.data(), datagram_.size(), MSG_DONTWAIT,
                                 reinterpret_cast<const sockaddr*>(&to_),
                                 sizeof to_) == static_cast<ssize_t>(datagram_.size())) {
                        sent_.fetch_add(1, std::memory_order_relaxed);
                    } else {
                        send_failed_.fetch_add(1, std::memory_order_relaxed);
                    }
                }
            }
            const auto next =
                sending_
                    ? start + static_cast<std::int64_t>(static_cast<double>(count + 1) * period_ns)
                    : now + 10'000'000;
            if (dvbcss::bench::readable_before(socket_, next)) {
                drain();
            }
        }
    }

    void drain() {
        std::array<char, 9000> buffer{};
        while (true) {
            const auto n = ::recv(socket_, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) {
                return;
            }
            const auto m =
                dial::parse_ssdp(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            const auto* answer = m ? std::get_if<dial::ssdp_search_response>(&*m) : nullptr;
            if (answer != nullptr && answer->search_target == dial::dial_search_target) {
                answered_.fetch_add(1, std::memory_order_relaxed);
                last_answer_ns_ = monotonic_ns();
            } else {
                other_.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }

    double rate_;
    int socket_ = -1;
    bool ok_ = false;
    sockaddr_in to_{};
    std::string datagram_;
    std::atomic<bool> running_{false};
    std::atomic<bool> sending_{false};
    std::thread thread_;
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> send_failed_{0};
    std::atomic<std::uint64_t> answered_{0};
    std::atomic<std::uint64_t> other_{0};
    std::atomic<double> send_seconds_{0};
    std::atomic<std::int64_t> last_answer_ns_{0};
};

/// Delays (ms) of every companion in every round of one phase, and each round's last.
struct phase_figures {
    std::vector<double> all_ms;
    std::vector<double> last_ms;
};

void print_phase(const char* name, phase_figures f) {
    std::sort(f.all_ms.begin(), f.all_ms.end());
    std::sort(f.last_ms.begin(), f.last_ms.end());
    std::printf("  %-7s %2zu rounds: companion p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms;"
                "  last companion p50 %6.2f ms  max %6.2f ms\n",
                name, f.last_ms.size(), quantile(f.all_ms, 0.5), quantile(f.all_ms, 0.99),
                f.all_ms.empty() ? NAN : f.all_ms.back(), quantile(f.last_ms, 0.5),
                f.last_ms.empty() ? NAN : f.last_ms.back());
}

std::atomic<pid_t> tv_pid{0};

extern "C" void on_alarm(int) {
    static const char message[] = "dial_msearch_flood: gave up after 55 s\n";
    static_cast<void>(::write(STDERR_FILENO, message, sizeof message - 1));
    if (const auto pid = tv_pid.load(); pid > 0) {
        ::kill(pid, SIGKILL);
    }
    ::_exit(1);
}

int run(const options& o) {
    if (const auto others = interfaces_besides_lo(); !others.empty()) {
        std::fprintf(stderr,
                     "dial_msearch_flood: refusing: this network namespace holds %s besides lo; "
                     "run me through tests/netns/run_in_netns.sh\n",
                     others.c_str());
        return 1;
    }
    const auto tv = dvbcss::bench::start_tv_device(o.bin_dir,
                                                   {"127.0.0.1", "0", "127.0.0.1", "0", "--json",
                                                    "--cycle", "0", "--dial", "--interface", "lo",
                                                    "--loglevel", "error", "-Q"},
                                                   "dial_msearch_flood");
    if (!tv) {
        return 1;
    }
    const auto cii_url = tv->read_until(std::regex(R"(CII for companions (ws://\S+))"), 10s);
    if (cii_url.empty()) {
        std::fprintf(stderr, "dial_msearch_flood: tv-device printed no DIAL line:\n%s\n",
                     tv->output().c_str());
        return 1;
    }
    tv_pid = dvbcss::bench::child_pid("tv-device").value_or(0);
    std::printf("dial_msearch_flood: tv-device --dial --interface lo, CII %s; N=%zu CII "
                "companions, %d content changes per phase; flood %.0f M-SEARCH/s (MX 1, %s) for "
                "%.1f s\n",
                cii_url.c_str(), o.n, o.rounds, o.rate,
                o.group ? "to 239.255.255.250:1900" : "unicast to 127.0.0.1:1900", o.flood_seconds);
    std::fflush(stdout);

    // N companions, each counting the first CII message of every round.
    const auto n = o.n;
    companion_set companions(cii_url, n);
    const auto connect_start = std::chrono::steady_clock::now();
    if (!companions.connect(20s, "dial_msearch_flood", "got CII")) {
        return 1;
    }
    const auto connect_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - connect_start)
            .count();
    std::this_thread::sleep_for(200ms);

    const std::regex truth(R"(\{"event":"content","monotonic_ns":(\d+),)");
    int next_round = 0;
    // One content change, timed from the TV's truth line to each companion's CII; false if it
    // did not reach them all in time.
    const auto one_round = [&](phase_figures& f) {
        const int r = ++next_round;
        companions.begin_round(r);
        const auto change = dvbcss::bench::console_change(
            *tv, "content dvb://233a.1004.1044;" + std::to_string(r) + "~bench", truth, 10s);
        if (change.empty() || !companions.wait_all(10s)) {
            std::fprintf(stderr,
                         "dial_msearch_flood: round %d: truth line %s, %zu of %zu got CII\n", r,
                         change.empty() ? "missing" : "seen", companions.received(), n);
            return false;
        }
        double last = 0;
        for (const auto ms : companions.delays_ms(std::stoll(change))) {
            f.all_ms.push_back(ms);
            last = std::max(last, ms);
        }
        f.last_ms.push_back(last);
        return true;
    };

    // (a) Idle.
    phase_figures idle;
    for (int r = 0; r < o.rounds; ++r) {
        if (!one_round(idle)) {
            return 1;
        }
        std::this_thread::sleep_for(150ms);
    }

    // (b) Flood: rounds spread over the flood after its first second.
    msearch_flood flood(o.rate, o.group);
    if (!flood.ok()) {
        std::fprintf(stderr, "dial_msearch_flood: cannot open the search socket\n");
        return 1;
    }
    phase_figures flooded;
    const auto flood_start_ns = monotonic_ns();
    flood.start(o.flood_seconds);
    const auto flood_start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(1s);
    const auto spacing =
        std::chrono::duration<double>(std::max(0.0, o.flood_seconds - 1.5)) / std::max(1, o.rounds);
    int rounds_in_flood = 0;
    for (int r = 0; r < o.rounds; ++r) {
        const auto at =
            flood_start + 1s +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(spacing * r);
        std::this_thread::sleep_until(at);
        if (!flood.sending()) {
            break;
        }
        if (!one_round(flooded)) {
            flood.stop();
            return 1;
        }
        ++rounds_in_flood;
    }
    wait_until([&] { return !flood.sending(); }, 30s);
    std::this_thread::sleep_for(2s); // MX 1 + 1 s: answers still due
    flood.stop();
    const auto answered = flood.answered();
    const auto sent = flood.sent();
    const double last_answer_s =
        flood.last_answer_ns() > 0
            ? static_cast<double>(flood.last_answer_ns() - flood_start_ns) / 1e9
            : NAN;

    std::printf("connections: %zu CII companions with their first CII in %.0f ms\n", n, connect_ms);
    std::printf("M-SEARCH: sent %llu in %.2f s (%.0f/s; %llu sends failed), answered %llu "
                "(%.1f %%), %llu other datagrams back; last answer %.2f s after the flood "
                "began\n",
                static_cast<unsigned long long>(sent), flood.send_seconds(),
                static_cast<double>(sent) / flood.send_seconds(),
                static_cast<unsigned long long>(flood.send_failed()),
                static_cast<unsigned long long>(answered),
                sent > 0 ? 100.0 * static_cast<double>(answered) / static_cast<double>(sent) : NAN,
                static_cast<unsigned long long>(flood.other()), last_answer_s);
    std::printf("CII fan-out (tv-device truth line -> each companion's CII message):\n");
    print_phase("idle:", idle);
    print_phase("flood:", flooded);
    if (rounds_in_flood < o.rounds) {
        std::printf("  (only %d of %d rounds fitted in the flood)\n", rounds_in_flood, o.rounds);
    }
    std::fflush(stdout);

    companions.close_all(10s);
    tv->write_line("quit");
    const int status = tv->wait_exit(10s);
    tv_pid = 0;
    if (status != 0) {
        std::fprintf(stderr, "dial_msearch_flood: tv-device exit status %d\n", status);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    static const char usage[] =
        "usage: dial_msearch_flood [--n N] [--rounds R] [--rate PER_S] [--flood-seconds S] "
        "[--group] [--bin DIR]\n"
        "Run it only inside a network namespace holding lo alone:\n"
        "  tests/netns/run_in_netns.sh dial_msearch_flood\n";
    raise_fd_limit();
    net::log::set_level(net::log::level::error);
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (arg == "--group") {
            o.group = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fputs(usage, stderr);
            return 2;
        }
        const char* value = argv[++i];
        if (dvbcss::bench::fanout_option(arg, value, o)) {
            continue;
        }
        if (arg == "--flood-seconds") {
            o.flood_seconds = std::strtod(value, nullptr);
        } else {
            std::fprintf(stderr, "dial_msearch_flood: unknown option %s\n%s", argv[i - 1], usage);
            return 2;
        }
    }
    if (o.n == 0 || o.rounds <= 0 || !(o.rate > 0) || !(o.flood_seconds >= 2) ||
        o.flood_seconds > 20) {
        std::fprintf(stderr, "dial_msearch_flood: --n, --rounds and --rate must be positive, "
                             "--flood-seconds within 2..20\n");
        return 2;
    }
    std::signal(SIGALRM, on_alarm);
    alarm(overall_limit_s);
    return run(o);
}
