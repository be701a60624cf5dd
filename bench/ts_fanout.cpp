// ts_fanout: one TV (tv-device) with N CSS-TS companions on loopback. How long a change of the
// timeline takes to reach all of them, what each connection costs the TV in memory, and whether
// the fan-out disturbs the TV's wall clock server (which answers on its own thread).
//
//   ts_fanout [--n N] [--rounds R] [--rate PER_S] [--wc-seconds S] [--bin DIR]
//     --n N          companions (default 1000)
//     --rounds R     timeline changes ("tweak 10" on tv-device's console), default 20
//     --rate PER_S   CSS-WC requests per second sent to the TV meanwhile (default 2000)
//     --wc-seconds S length of the baseline wall clock run (default 5)
//     --bin DIR      where tv-device is (default: next to this program, or ../tools from it)
//
// Steps: (a) CSS-WC requests alone for S seconds, then `stats`: the server's t3 - t2 baseline;
// (b) N companions connect (our websocket_client, all on one io_context thread), each sending
// set-up data for the PTS timeline; the time until all have their first control timestamp and
// the TV's VmRSS before and after; (c) R rounds of `tweak 10`: from the TV's truth line for the
// change to each companion's receipt of the next control timestamp (CLOCK_MONOTONIC on both
// sides), with the CSS-WC load running, then `stats` again.

#include "bench_support.hpp"
#include "support/child_process.hpp"
#include "tv_device_process.hpp"
#include "wc_load.hpp"
#include "ws_companions.hpp"

#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_client.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using dvbcss::bench::ask_stats;
using dvbcss::bench::companion_set;
using dvbcss::bench::monotonic_ns;
using dvbcss::bench::print_wc;
using dvbcss::bench::quantile;
using dvbcss::bench::raise_fd_limit;
using dvbcss::bench::rss_kib;
using dvbcss::bench::wc_load;
using dvbcss::bench::wc_stats;

using namespace dvbcss;
using namespace std::chrono_literals;
using test::child_process;

struct options {
    std::size_t n = 1000;
    int rounds = 20;
    double rate = 2000;
    double wc_seconds = 5;
    std::string bin_dir;
};

int run(const options& o) {
    const auto tv_process =
        dvbcss::bench::start_tv_device(o.bin_dir,
                                       {"127.0.0.1", "0", "127.0.0.1", "0", "--json", "--cycle",
                                        "0", "--loglevel", "warning", "-Q"},
                                       "ts_fanout");
    if (!tv_process) {
        return 1;
    }
    auto& tv = *tv_process;
    const auto ts_url = tv.read_until(std::regex(R"(CSS-TS  endpoint URL: (ws://\S+))"), 10s);
    const auto wc_port =
        tv.read_until(std::regex(R"(CSS-WC  endpoint bound to host \S+ on port (\d+))"), 10s);
    const auto pid = dvbcss::bench::child_pid("tv-device");
    if (ts_url.empty() || wc_port.empty() || !pid) {
        std::fprintf(stderr, "ts_fanout: tv-device printed no endpoints:\n%s\n",
                     tv.output().c_str());
        return 1;
    }
    std::printf("ts_fanout: tv-device %s (pid %d), N=%zu companions, %d rounds, CSS-WC load "
                "%.0f requests/s\n",
                ts_url.c_str(), static_cast<int>(*pid), o.n, o.rounds, o.rate);
    std::fflush(stdout);

    // (a) The wall clock server alone.
    wc_load load(static_cast<std::uint16_t>(std::stoi(wc_port)), o.rate);
    if (!load.ok()) {
        std::fprintf(stderr, "ts_fanout: cannot open the CSS-WC socket\n");
        return 1;
    }
    const auto start_stats = ask_stats(tv); // resets the delays
    static_cast<void>(load.take());
    load.start();
    std::this_thread::sleep_for(std::chrono::duration<double>(o.wc_seconds));
    load.stop();
    const auto baseline = ask_stats(tv);
    const auto baseline_load = load.take();
    if (!start_stats || !baseline) {
        std::fprintf(stderr, "ts_fanout: no answer to stats:\n%s\n", tv.output().c_str());
        return 1;
    }

    // (b) N companions, each sending set-up data for the PTS timeline once connected.
    const auto n = o.n;
    const std::string setup =
        R"({"contentIdStem":"","timelineSelector":"urn:dvb:css:timeline:pts"})";
    const long rss_before = rss_kib(*pid);
    const auto connect_start = std::chrono::steady_clock::now();
    companion_set companions(ts_url, n, [&setup](net::websocket_client& client) {
        static_cast<void>(client.send_text(setup));
    });
    // Round 0: every companion's first control timestamp.
    if (!companions.connect(60s, "ts_fanout", "got a control timestamp")) {
        return 1;
    }
    const auto connect_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - connect_start)
            .count();
    std::this_thread::sleep_for(200ms);
    const long rss_after = rss_kib(*pid);

    // (c) Rounds of changes, with the wall clock load running.
    const auto before_rounds = ask_stats(tv); // resets the delays
    static_cast<void>(load.take());
    load.start();
    const std::regex truth(R"(\{"event":"timeline","selector":"urn:dvb:css:timeline:pts",)"
                           R"("monotonic_ns":(\d+),[^\n]*"cause":"seek"\})");
    std::vector<double> lasts;
    std::vector<double> firsts;
    std::vector<std::string> round_lines;
    for (int r = 1; r <= o.rounds; ++r) {
        companions.begin_round(r);
        const auto change = dvbcss::bench::console_change(tv, "tweak 10", truth, 10s);
        if (change.empty() || !companions.wait_all(30s)) {
            std::fprintf(stderr, "ts_fanout: round %d: truth line %s, %zu of %zu received\n", r,
                         change.empty() ? "missing" : "seen", companions.received(), n);
            load.stop();
            return 1;
        }
        auto delays = companions.delays_ms(std::stoll(change));
        std::sort(delays.begin(), delays.end());
        char line[200];
        std::snprintf(line, sizeof line,
                      "  round %2d: first %.2f ms  p50 %.2f ms  p99 %.2f ms  last %.2f ms", r,
                      delays.front(), quantile(delays, 0.5), quantile(delays, 0.99), delays.back());
        round_lines.emplace_back(line);
        firsts.push_back(delays.front());
        lasts.push_back(delays.back());
        std::this_thread::sleep_for(200ms);
    }
    load.stop();
    const auto loaded = ask_stats(tv);
    const auto loaded_load = load.take();

    std::printf("connections: %zu open with their first control timestamp in %.0f ms (%.0f per "
                "second)\n",
                n, connect_ms, static_cast<double>(n) / (connect_ms / 1000.0));
    std::printf("tv-device VmRSS: %ld KiB before, %ld KiB after -> %.1f KiB per connection\n",
                rss_before, rss_after,
                static_cast<double>(rss_after - rss_before) / static_cast<double>(n));
    std::printf("change (tv-device truth line) -> companion receipt of the next control "
                "timestamp:\n");
    for (const auto& l : round_lines) {
        std::printf("%s\n", l.c_str());
    }
    std::sort(lasts.begin(), lasts.end());
    std::sort(firsts.begin(), firsts.end());
    std::printf("  over %d rounds, last companion: p50 %.2f ms  p99 %.2f ms  max %.2f ms "
                "(first companion p50 %.2f ms)\n",
                o.rounds, quantile(lasts, 0.5), quantile(lasts, 0.99), lasts.back(),
                quantile(firsts, 0.5));
    std::printf("CSS-WC server processing delay (t3-t2, its own thread), %.0f requests/s:\n",
                o.rate);
    print_wc("baseline:", *baseline, start_stats->answered, baseline_load);
    if (loaded && before_rounds) {
        print_wc("during the fan-out:", *loaded, before_rounds->answered, loaded_load);
    } else {
        std::printf("  during the fan-out: no answer to stats\n");
    }
    std::fflush(stdout);

    // Clean shutdown: close every companion, then quit the TV.
    companions.close_all(20s);
    tv.write_line("quit");
    const int status = tv.wait_exit(10s);
    if (status != 0) {
        std::fprintf(stderr, "ts_fanout: tv-device exit status %d\n", status);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    raise_fd_limit();
    net::log::set_level(net::log::level::error);
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "usage: ts_fanout [--n N] [--rounds R] [--rate PER_S] "
                                 "[--wc-seconds S] [--bin DIR]\n");
            return 2;
        }
        const char* value = argv[++i];
        if (dvbcss::bench::fanout_option(arg, value, o)) {
            continue;
        }
        if (arg == "--wc-seconds") {
            o.wc_seconds = std::strtod(value, nullptr);
        } else {
            std::fprintf(stderr, "ts_fanout: unknown option %s\n", argv[i - 1]);
            return 2;
        }
    }
    if (o.n == 0 || o.rounds <= 0 || !(o.rate > 0) || !(o.wc_seconds > 0)) {
        std::fprintf(stderr,
                     "ts_fanout: --n, --rounds, --rate and --wc-seconds must be positive\n");
        return 2;
    }
    return run(o);
}
