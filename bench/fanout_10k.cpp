// fanout_10k: tv-device with up to 10 000 companions per protocol on loopback, beside the
// physical limit of this machine measured in the same run over as many connections.
//
//   fanout_10k [--n N] [--rounds R] [--mode baseline|ts|cii|both|all] [--rate PER_S]
//              [--wc-seconds S] [--bin DIR] [--json]
//     --n N          connections per protocol (default 10000; "both" holds 9/10 N of each)
//     --rounds R     changes per measure (default 8)
//     --mode M       what to measure (default all: baseline, ts, cii, both)
//     --rate PER_S   CSS-WC requests per second to the TV while it is measured (default 2000)
//     --wc-seconds S the wall clock server idle, before the companions connect (default 3)
//     --bin DIR      where tv-device is (default: next to this program, or ../tools from it)
//     --json         also one JSON line per result
//
// The companions are not library clients: a forked process per 9 000-10 000 connections holds
// them as raw non-blocking sockets in one epoll loop (load_receiver.hpp), so that the load
// generator costs the two cores little. Measures:
//   baseline  a bare sender process writes one 120-byte buffer with send() to each of N TCP
//             connections of a receiver process, from one thread and from two; from the first
//             send to each arrival, R rounds; the baseline is the better median time to the last
//             arrival (and that thread count's per-connection p99, every round pooled)
//   ts        N CSS-TS companions (set-up data for the PTS timeline); their set-up rate, the time
//             until all have their first control timestamp, tv-device's VmRSS per connection;
//             R rounds of `tweak 10` timed from tv-device's truth line to each arrival
//   cii       N CSS-CII companions; R rounds of `content ...` timed the same way
//   both      9/10 N of each at once (one receiver process each); R rounds of each change
// Each TV measure times its R rounds twice: first with nothing else asking the TV for anything
// (as the baseline's sender: the ratio to the baseline compares like with like), then again
// while CSS-WC requests arrive at --rate; the wall clock server's t3 - t2 (tv-device's `stats`)
// is reported idle and during that second set of rounds. If tv-device cannot hold the connections,
// the numbers say so and the next measure runs. Each set of rounds is compared with the baseline
// by the same statistic on both sides: one change's p99 (median over the rounds) against the time
// to the last arrival (median over the baseline's rounds), and the p99 of all rounds pooled
// against the baseline's pooled p99. Exit status 0 when every measure completed, 1
// otherwise, 2 for usage errors.

#include "bare_sender.hpp"
#include "bench_support.hpp"
#include "load_receiver.hpp"
#include "support/child_process.hpp"
#include "tv_device_process.hpp"
#include "wc_load.hpp"

#include <dvbcss/net/log.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>

namespace {

using dvbcss::bench::load_receiver;
using dvbcss::bench::monotonic_ns;
using dvbcss::bench::quantile;
using dvbcss::bench::receiver_target;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* usage =
    "usage: fanout_10k [--n N] [--rounds R] [--mode baseline|ts|cii|both|all] [--rate PER_S]\n"
    "                  [--wc-seconds S] [--bin DIR] [--json]\n";
constexpr std::size_t message_bytes = 120;

struct options {
    std::size_t n = 10000;
    int rounds = 8;
    double rate = 2000;
    double wc_seconds = 3;
    std::string bin_dir;
    std::string mode = "all";
    bool json = false;
};

/// The figures of one run, printed as it goes.
class report {
public:
    explicit report(bool with_json)
        : json_(with_json) {}

    /// One readable line (printf format, without the newline).
    __attribute__((format(printf, 2, 3))) void line(const char* format, ...) {
        va_list args;
        va_start(args, format);
        std::vprintf(format, args);
        va_end(args);
        std::printf("\n");
        std::fflush(stdout);
    }

    void result(json j) {
        if (json_) {
            j["bench"] = "fanout_10k";
            std::printf("%s\n", j.dump().c_str());
            std::fflush(stdout);
        }
    }

private:
    bool json_;
};

/// A number for a JSON line: null if it is not one.
json number(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

double round3(double v) {
    return std::round(v * 1000.0) / 1000.0;
}

/// Sorted delays (ms) of the arrivals of one round from `t0_ns`; arrivals of 0 (none) left out.
std::vector<double> delays_ms(const std::vector<std::int64_t>& arrivals, std::int64_t t0_ns) {
    std::vector<double> d;
    d.reserve(arrivals.size());
    for (const auto a : arrivals) {
        if (a != 0) {
            d.push_back(static_cast<double>(a - t0_ns) / 1e6);
        }
    }
    std::sort(d.begin(), d.end());
    return d;
}

double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return quantile(v, 0.5);
}

/// The descriptors this process (and the programs it starts) may hold.
std::size_t fd_hard_limit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    return static_cast<std::size_t>(limit.rlim_max);
}

/// Descriptors a process needs beside its connections (standard streams, epoll, listeners,
/// the TV's timers and pipes).
constexpr std::size_t spare_fds = 64;

// ----- baseline -----

/// The baseline of one number of connections: the sending thread count (one or two) whose median
/// time to the last arrival is lower, that median, and the per-connection p99 of its rounds pooled.
struct baseline_figures {
    int threads = 1;
    double last_ms = 0;       ///< median over the rounds of first send -> last arrival
    double pooled_p99_ms = 0; ///< p99 of first send -> each arrival, every round pooled
};

/// The baseline for `n` connections; nullopt if the measure could not be made.
std::optional<baseline_figures> run_baseline(const options& o, std::size_t n, report& out) {
    out.line("baseline: bare send() of %zu bytes to each of %zu TCP connections (separate "
             "sender and receiver processes), %d rounds",
             message_bytes, n, o.rounds);
    if (n + spare_fds > fd_hard_limit()) {
        out.line("  cannot fit: %zu connections need %zu descriptors per process, hard limit %zu",
                 n, n + spare_fds, fd_hard_limit());
        return std::nullopt;
    }
    dvbcss::bench::bare_sender sender(n, message_bytes);
    if (sender.port() == 0) {
        out.line("  the sender process did not start or listen");
        return std::nullopt;
    }
    load_receiver receiver(receiver_target{sender.port(), "", "", n, message_bytes});
    sender.accept(60s);
    const auto setup = receiver.connect(60s);
    const auto accepted = sender.accepted(70s);
    if (!setup || !accepted || setup->opened != n || *accepted != n) {
        out.line("  set-up failed: %llu connected, %llu refused (%s), %llu accepted",
                 setup ? static_cast<unsigned long long>(setup->opened) : 0ULL,
                 setup ? static_cast<unsigned long long>(setup->refused) : 0ULL,
                 setup ? setup->first_refusal : "no answer",
                 accepted ? static_cast<unsigned long long>(*accepted) : 0ULL);
        return std::nullopt;
    }
    std::map<int, std::vector<double>> lasts;
    std::map<int, std::vector<double>> pooled;
    std::map<int, std::vector<double>> sending; // first send to the end of the last, ms
    for (int r = 1; r <= o.rounds; ++r) {
        for (const int threads : {1, 2}) {
            const auto start = receiver.arm() ? sender.send_round(threads) : std::nullopt;
            const auto arrivals = start ? receiver.wait_round(10s) : std::nullopt;
            if (!arrivals || arrivals->received != n) {
                out.line("  round %d, %d thread(s): %llu of %zu arrived", r, threads,
                         arrivals ? static_cast<unsigned long long>(arrivals->received) : 0ULL, n);
                return std::nullopt;
            }
            const auto d = delays_ms(arrivals->arrival_ns, start->first_send_ns);
            lasts[threads].push_back(d.back());
            sending[threads].push_back(static_cast<double>(start->done_ns - start->first_send_ns) /
                                       1e6);
            pooled[threads].insert(pooled[threads].end(), d.begin(), d.end());
            std::this_thread::sleep_for(50ms);
        }
    }
    baseline_figures best{1, INFINITY, INFINITY};
    for (auto& [threads, all] : pooled) {
        std::sort(all.begin(), all.end());
        auto& l = lasts[threads];
        std::sort(l.begin(), l.end());
        const double median_last = quantile(l, 0.5);
        const double median_sending = median_of(sending[threads]);
        out.line("  %d sending thread(s): first send -> last arrival median %.2f ms (rounds "
                 "%.2f-%.2f ms); per connection p50 %.2f ms  p99 %.2f ms; the sends alone "
                 "took %.2f ms (median)",
                 threads, median_last, l.front(), l.back(), quantile(all, 0.5), quantile(all, 0.99),
                 median_sending);
        out.result({{"result", "baseline"},
                    {"n", n},
                    {"threads", threads},
                    {"rounds", o.rounds},
                    {"last_ms_median", round3(median_last)},
                    {"last_ms_min", round3(l.front())},
                    {"last_ms_max", round3(l.back())},
                    {"p50_ms", round3(quantile(all, 0.5))},
                    {"p99_ms", round3(quantile(all, 0.99))},
                    {"sending_ms_median", round3(median_sending)}});
        if (median_last < best.last_ms) {
            best = {threads, median_last, quantile(all, 0.99)};
        }
    }
    out.line("  baseline for %zu connections: %.2f ms to the last arrival (median round), "
             "per-connection p99 pooled %.2f ms (%d thread(s))",
             n, best.last_ms, best.pooled_p99_ms, best.threads);
    out.result({{"result", "baseline_best"},
                {"n", n},
                {"threads", best.threads},
                {"last_ms", round3(best.last_ms)},
                {"pooled_p99_ms", round3(best.pooled_p99_ms)}});
    return best;
}

// ----- tv-device -----

/// One protocol's companions in a TV measure.
struct companion_kind {
    const char* name;  ///< "ts" or "cii"
    const char* path;  ///< the endpoint's path
    std::string setup; ///< sent by each companion once open
    std::string (*command)(int round);
    std::regex truth; ///< tv-device's truth line; group 1 the change's CLOCK_MONOTONIC ns
};

std::string tweak_command(int) {
    return "tweak 10";
}

std::string content_command(int round) {
    return "content dvb://233a.1004.1044;" + std::to_string(round) + "~fanout10k";
}

companion_kind ts_kind() {
    return {"ts", "/ts", R"({"contentIdStem":"","timelineSelector":"urn:dvb:css:timeline:pts"})",
            tweak_command,
            std::regex(R"(\{"event":"timeline","selector":"urn:dvb:css:timeline:pts",)"
                       R"("monotonic_ns":(\d+),[^\n]*"cause":"seek"\})")};
}

companion_kind cii_kind() {
    return {"cii", "/cii", "", content_command,
            std::regex(R"(\{"event":"content","monotonic_ns":(\d+),)")};
}

/// The arrivals of a set of rounds: every delay (ms), each round's p99 and each round's last.
struct round_figures {
    std::vector<double> pooled;
    std::vector<double> p99s;
    std::vector<double> lasts;
};

/// One set of companions connected to the TV, and its figures over the rounds: without CSS-WC
/// requests (`quiet`) and with them (`loaded`).
struct companion_group {
    companion_kind kind;
    std::size_t n;
    std::unique_ptr<load_receiver> receiver;
    round_figures quiet;
    round_figures loaded;
};

/// tv-device's memory (KiB), 0 if it has gone.
long tv_rss(pid_t pid) {
    return dvbcss::bench::rss_kib(pid);
}

/// Connects one group; false (after saying why, with the numbers) if the TV did not hold them.
bool connect_group(companion_group& g, std::uint16_t port, pid_t tv_pid, report& out) {
    g.receiver = std::make_unique<load_receiver>(
        receiver_target{port, g.kind.path, g.kind.setup, g.n, message_bytes});
    const long rss_before = tv_rss(tv_pid);
    const auto setup = g.receiver->connect(120s);
    if (!setup) {
        out.line("  %s: the load generator did not answer", g.kind.name);
        return false;
    }
    const auto& s = *setup;
    const double open_s =
        s.all_open_ns != 0 ? static_cast<double>(s.all_open_ns - s.started_ns) / 1e9 : NAN;
    const double first_ms =
        s.all_first_ns != 0 ? static_cast<double>(s.all_first_ns - s.started_ns) / 1e6 : NAN;
    // Connections per second in the first and the second half of the set-up.
    const auto half_rate = [&s, &g](bool first) {
        if (s.half_open_ns == 0 || s.all_open_ns == 0) {
            return static_cast<double>(NAN);
        }
        const auto half = static_cast<double>((g.n + 1) / 2);
        const auto ns = first ? s.half_open_ns - s.started_ns : s.all_open_ns - s.half_open_ns;
        return (first ? half : static_cast<double>(g.n) - half) / (static_cast<double>(ns) / 1e9);
    };
    std::this_thread::sleep_for(500ms);
    const long rss_after = tv_rss(tv_pid);
    const bool held = s.opened == g.n && s.first_messages == g.n && s.closed == 0 && rss_after != 0;
    const double per_connection_kib =
        s.opened == 0 ? static_cast<double>(NAN)
                      : static_cast<double>(rss_after - rss_before) / static_cast<double>(s.opened);
    if (held) {
        out.line("  %s: %zu connections open in %.2f s (%.0f per second; first half %.0f, "
                 "second half %.0f per second); all have their first message %.0f ms after the "
                 "first connect",
                 g.kind.name, g.n, open_s, static_cast<double>(g.n) / open_s, half_rate(true),
                 half_rate(false), first_ms);
        out.line("  %s: tv-device VmRSS %ld KiB before, %ld KiB after -> %.1f KiB per idle "
                 "connection",
                 g.kind.name, rss_before, rss_after, per_connection_kib);
    } else {
        out.line("  %s: tv-device did NOT hold %zu connections: %llu opened, %llu refused "
                 "(first: %s), %llu with a first message, %llu closed by the TV since; tv-device "
                 "%s (VmRSS %ld KiB)",
                 g.kind.name, g.n, static_cast<unsigned long long>(s.opened),
                 static_cast<unsigned long long>(s.refused),
                 s.first_refusal[0] != 0 ? s.first_refusal : "-",
                 static_cast<unsigned long long>(s.first_messages),
                 static_cast<unsigned long long>(s.closed), rss_after != 0 ? "running" : "GONE",
                 rss_after);
    }
    out.result({{"result", "setup"},
                {"protocol", g.kind.name},
                {"n", g.n},
                {"opened", s.opened},
                {"refused", s.refused},
                {"first_messages", s.first_messages},
                {"closed", s.closed},
                {"all_open_s", number(round3(open_s))},
                {"connections_per_s", number(std::round(static_cast<double>(g.n) / open_s))},
                {"first_half_connections_per_s", number(std::round(half_rate(true)))},
                {"second_half_connections_per_s", number(std::round(half_rate(false)))},
                {"all_first_message_ms", number(round3(first_ms))},
                {"rss_before_kib", rss_before},
                {"rss_after_kib", rss_after},
                {"kib_per_idle_connection", number(round3(per_connection_kib))}});
    return held;
}

/// One change typed on the console and timed at every companion of `g`, added to `figures`;
/// false if it failed. `wc_rate` (requests/s, 0 for none) only labels the figures.
bool change_round(dvbcss::test::child_process& tv, companion_group& g, int r, double wc_rate,
                  round_figures& figures, report& out) {
    if (!g.receiver->arm()) {
        out.line("  %s round %d: the load generator did not answer", g.kind.name, r);
        return false;
    }
    const auto change = dvbcss::bench::console_change(tv, g.kind.command(r), g.kind.truth, 10s);
    const auto arrivals = change.empty() ? std::nullopt : g.receiver->wait_round(30s);
    if (!arrivals || arrivals->received < g.n) {
        out.line("  %s round %d: truth line %s, %llu of %zu companions got the change", g.kind.name,
                 r, change.empty() ? "missing" : "seen",
                 arrivals ? static_cast<unsigned long long>(arrivals->received) : 0ULL, g.n);
        return false;
    }
    const auto d = delays_ms(arrivals->arrival_ns, std::stoll(change));
    out.line("  %s round %2d: first %.2f ms  p50 %.2f ms  p99 %.2f ms  max (last) %.2f ms",
             g.kind.name, r, d.front(), quantile(d, 0.5), quantile(d, 0.99), d.back());
    out.result({{"result", "round"},
                {"protocol", g.kind.name},
                {"n", g.n},
                {"round", r},
                {"wc_requests_per_s", wc_rate},
                {"first_ms", round3(d.front())},
                {"p50_ms", round3(quantile(d, 0.5))},
                {"p99_ms", round3(quantile(d, 0.99))},
                {"max_ms", round3(d.back())}});
    figures.pooled.insert(figures.pooled.end(), d.begin(), d.end());
    figures.p99s.push_back(quantile(d, 0.99));
    figures.lasts.push_back(d.back());
    return true;
}

/// The figures of a set of rounds beside the baseline, with the same statistic on both sides:
/// each change's p99 (median over the rounds) against the baseline's time to the last arrival
/// (median over its rounds), and the p99 of every round pooled against the baseline's pooled p99.
/// The pooled p99 over the baseline's median round (the figure reported before both) is kept: one
/// slow round of R decides a pooled p99, so that ratio mixes the VM's round-to-round spread into
/// it.
void summarise(const companion_group& g, round_figures f, double wc_rate,
               const std::string& measure, std::optional<baseline_figures> baseline, report& out) {
    std::sort(f.pooled.begin(), f.pooled.end());
    std::sort(f.p99s.begin(), f.p99s.end());
    const double p99 = quantile(f.pooled, 0.99);
    const double round_p99 = median_of(f.p99s);
    const double median_last = median_of(f.lasts);
    const double per_change_ratio = baseline ? round_p99 / baseline->last_ms : NAN;
    const double pooled_ratio = baseline ? p99 / baseline->pooled_p99_ms : NAN;
    const double mixed_ratio = baseline ? p99 / baseline->last_ms : NAN;
    const std::string load =
        wc_rate > 0 ? "with " + std::to_string(static_cast<long>(wc_rate)) + " CSS-WC requests/s"
                    : "nothing else asked";
    out.line("  %s over %zu rounds (%s): one change's p99 median %.2f ms (rounds %.2f-%.2f), "
             "over the baseline's last arrival (%.2f ms) = %.2f",
             g.kind.name, f.lasts.size(), load.c_str(), round_p99, f.p99s.front(), f.p99s.back(),
             baseline ? baseline->last_ms : NAN, per_change_ratio);
    out.line("      pooled: p50 %.2f ms  p99 %.2f ms  max %.2f ms, over the baseline's pooled p99 "
             "(%.2f ms) = %.2f; pooled p99 over the baseline's last arrival = %.2f; last companion "
             "median %.2f ms",
             quantile(f.pooled, 0.5), p99, f.pooled.back(),
             baseline ? baseline->pooled_p99_ms : NAN, pooled_ratio, mixed_ratio, median_last);
    out.result({{"result", "fanout"},
                {"measure", measure},
                {"protocol", g.kind.name},
                {"n", g.n},
                {"rounds", f.lasts.size()},
                {"wc_requests_per_s", wc_rate},
                {"round_p99_ms_median", round3(round_p99)},
                {"round_p99_ms_min", round3(f.p99s.front())},
                {"round_p99_ms_max", round3(f.p99s.back())},
                {"p50_ms", round3(quantile(f.pooled, 0.5))},
                {"p99_ms", round3(p99)},
                {"max_ms", round3(f.pooled.back())},
                {"last_ms_median", round3(median_last)},
                {"baseline_last_ms", baseline ? number(round3(baseline->last_ms)) : json(nullptr)},
                {"baseline_pooled_p99_ms",
                 baseline ? number(round3(baseline->pooled_p99_ms)) : json(nullptr)},
                {"round_p99_over_baseline_last", number(round3(per_change_ratio))},
                {"p99_over_baseline_pooled_p99", number(round3(pooled_ratio))},
                {"p99_over_baseline_last", number(round3(mixed_ratio))}});
}

/// The t3 - t2 figures of tv-device's wall clock server, idle and busy, as a JSON value (µs).
json wc_json(const dvbcss::bench::wc_stats& s) {
    const auto us = [](const std::string& ns) {
        return ns == "null" ? json(nullptr) : json(round3(std::strtod(ns.c_str(), nullptr) / 1e3));
    };
    return {{"p50_us", us(s.p50_ns)},
            {"p99_us", us(s.p99_ns)},
            {"max_us", us(s.max_ns)},
            {"processing_delay_since_dequeue_p99_us",
             s.dequeue_p99_ns.empty() ? json(nullptr) : us(s.dequeue_p99_ns)}};
}

/// One TV measure ("ts", "cii" or "both"); false if it could not complete.
bool run_tv(const options& o, const std::string& measure, std::size_t n,
            std::optional<baseline_figures> baseline, report& out) {
    std::vector<companion_group> groups;
    if (measure != "cii") {
        groups.push_back({ts_kind(), n, nullptr, {}, {}});
    }
    if (measure != "ts") {
        groups.push_back({cii_kind(), n, nullptr, {}, {}});
    }
    const auto total = n * groups.size();
    out.line("%s: tv-device with %zu %s companions, %d rounds per change, CSS-WC load %.0f "
             "requests/s",
             measure.c_str(), total,
             measure == "both" ? "TS + CII"
             : measure == "ts" ? "TS"
                               : "CII",
             o.rounds, o.rate);
    if (total + spare_fds > fd_hard_limit()) {
        out.line("  cannot fit: tv-device would need %zu descriptors, the hard limit is %zu",
                 total + spare_fds, fd_hard_limit());
        return false;
    }
    const auto tv_process =
        dvbcss::bench::start_tv_device(o.bin_dir,
                                       {"127.0.0.1", "0", "127.0.0.1", "0", "--json", "--cycle",
                                        "0", "--loglevel", "warning", "-Q"},
                                       "fanout_10k");
    if (!tv_process) {
        return false;
    }
    auto& tv = *tv_process;
    const auto ws_port =
        tv.read_until(std::regex(R"(CSS-TS  endpoint URL: ws://[^\s/]+:(\d+)/)"), 10s);
    const auto wc_port =
        tv.read_until(std::regex(R"(CSS-WC  endpoint bound to host \S+ on port (\d+))"), 10s);
    const auto pid = dvbcss::bench::child_pid("tv-device");
    if (ws_port.empty() || wc_port.empty() || !pid) {
        out.line("  tv-device printed no endpoints:\n%s", tv.output().c_str());
        return false;
    }
    // The wall clock server idle.
    dvbcss::bench::wc_load load(static_cast<std::uint16_t>(std::stoi(wc_port)), o.rate);
    const auto idle_start = dvbcss::bench::ask_stats(tv);
    load.start();
    std::this_thread::sleep_for(std::chrono::duration<double>(o.wc_seconds));
    load.stop();
    const auto idle = dvbcss::bench::ask_stats(tv);
    const auto idle_load = load.take();
    // The companions: forked while this process runs no thread of its own.
    bool ok = true;
    for (auto& g : groups) {
        ok = ok && connect_group(g, static_cast<std::uint16_t>(std::stoi(ws_port)), *pid, out);
    }
    std::optional<dvbcss::bench::wc_stats> busy_start;
    std::optional<dvbcss::bench::wc_stats> busy;
    // Rounds are numbered on from the first set, so that every round asks for a change the
    // companions have not had (a CII round's content id comes from its number).
    const auto rounds = [&](int first, double wc_rate, round_figures companion_group::*figures) {
        for (int r = first; r < first + o.rounds && ok; ++r) {
            for (auto& g : groups) {
                ok = ok && change_round(tv, g, r, wc_rate, g.*figures, out);
                std::this_thread::sleep_for(200ms);
            }
        }
    };
    if (ok) {
        out.line("  the changes with nothing else asking the TV for anything:");
        rounds(1, 0, &companion_group::quiet);
    }
    if (ok) {
        out.line("  the changes again, with %.0f CSS-WC requests/s:", o.rate);
        busy_start = dvbcss::bench::ask_stats(tv);
        static_cast<void>(load.take());
        load.start();
        rounds(1 + o.rounds, o.rate, &companion_group::loaded);
        load.stop();
        busy = dvbcss::bench::ask_stats(tv);
    }
    for (const auto& g : groups) {
        if (!g.quiet.lasts.empty()) {
            summarise(g, g.quiet, 0, measure, baseline, out);
        }
        if (!g.loaded.lasts.empty()) {
            summarise(g, g.loaded, o.rate, measure, baseline, out);
        }
    }
    const auto busy_load = load.take();
    out.line("  CSS-WC server processing delay (t3-t2, its own thread), %.0f requests/s:", o.rate);
    if (idle && idle_start) {
        dvbcss::bench::print_wc("idle:", *idle, idle_start->answered, idle_load);
    }
    if (busy && busy_start) {
        dvbcss::bench::print_wc("during the fan-out:", *busy, busy_start->answered, busy_load);
    }
    out.result({{"result", "wall_clock"},
                {"measure", measure},
                {"n", total},
                {"idle", idle ? wc_json(*idle) : json(nullptr)},
                {"busy", busy ? wc_json(*busy) : json(nullptr)}});
    groups.clear(); // the companions go first
    tv.write_line("quit");
    const int status = tv.wait_exit(20s);
    if (status != 0) {
        out.line("  tv-device exit status %d", status);
    }
    return ok;
}

std::string tv_device_description(const std::string& bin_dir) {
    const auto path = dvbcss::bench::find_tool(bin_dir, "tv-device");

    struct stat file {};

    if (::stat(path.c_str(), &file) != 0) {
        return path + " (not found)";
    }
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&file.st_mtime));
    return path + " (built " + when + ")";
}

int run(const options& o) {
    report out(o.json);
    out.line("fanout_10k: N=%zu, %d rounds, mode %s, descriptor hard limit %zu; tv-device %s", o.n,
             o.rounds, o.mode.c_str(), fd_hard_limit(), tv_device_description(o.bin_dir).c_str());
    std::string failed; // the measures that did not complete
    const auto note = [&failed](bool done, const std::string& measure) {
        if (!done) {
            failed += (failed.empty() ? "" : ", ") + measure;
        }
    };
    std::map<std::size_t, std::optional<baseline_figures>> baselines;
    const auto baseline_for = [&](std::size_t n) {
        if (!baselines.contains(n)) {
            baselines[n] = run_baseline(o, n, out);
            note(baselines[n].has_value(), "baseline for " + std::to_string(n));
        }
        return baselines[n];
    };
    const bool all = o.mode == "all";
    if (o.mode == "baseline") {
        baseline_for(o.n);
    }
    for (const std::string measure : {"ts", "cii"}) {
        if (all || o.mode == measure) {
            const auto b = baseline_for(o.n);
            note(run_tv(o, measure, o.n, b, out), measure);
        }
    }
    if (all || o.mode == "both") {
        const auto n = o.n * 9 / 10;
        const auto b = baseline_for(n);
        note(run_tv(o, "both", n, b, out), "both");
    }
    if (!failed.empty()) {
        std::fprintf(stderr, "fanout_10k: not completed: %s (the lines above say why)\n",
                     failed.c_str());
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (const int early = dvbcss::bench::help_or_too_many(argc, argv, 15,
                                                          "fanout_10k: too many "
                                                          "arguments",
                                                          usage);
        early >= 0) {
        return early;
    }
    dvbcss::bench::raise_fd_limit(); // tv-device and the helper processes inherit it
    dvbcss::net::log::set_level(dvbcss::net::log::level::error);
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "fanout_10k: %s needs a value\n%s", argv[i], usage);
            return 2;
        }
        const char* value = argv[++i];
        if (dvbcss::bench::fanout_option(arg, value, o)) {
            continue;
        }
        if (arg == "--mode") {
            o.mode = value;
        } else if (arg == "--wc-seconds") {
            o.wc_seconds = std::strtod(value, nullptr);
        } else {
            std::fprintf(stderr, "fanout_10k: unknown option %s\n%s", argv[i - 1], usage);
            return 2;
        }
    }
    const bool mode_ok = o.mode == "baseline" || o.mode == "ts" || o.mode == "cii" ||
                         o.mode == "both" || o.mode == "all";
    if (!mode_ok) {
        std::fprintf(stderr, "fanout_10k: --mode must be baseline, ts, cii, both or all\n");
        return 2;
    }
    if (o.n == 0 || o.rounds <= 0 || !(o.rate > 0) || !(o.wc_seconds > 0)) {
        std::fprintf(stderr,
                     "fanout_10k: --n, --rounds, --rate and --wc-seconds must be positive\n");
        return 2;
    }
    return run(o);
}
