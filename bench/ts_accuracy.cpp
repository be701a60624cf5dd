// ts_accuracy: how closely a companion follows the TV's timeline, and how long a change takes to
// reach it. Runs ts-server (the 25 s pretend cycle: tweak at 5 s, pause at 15 s, resume at 25 s)
// and ts-client (following urn:dvb:css:timeline:pts at 90 kHz, a status line every 10 ms) on
// loopback, both with --json, then compares the two outputs. Every process reads the same
// CLOCK_MONOTONIC, which is also the server's wall clock, so the lines can be set side by side.
//
//   ts_accuracy [--duration S] [--bin DIR]
//     --duration S   how long to follow the cycle (default 60)
//     --bin DIR      where ts-server and ts-client are (default: next to this program, or
//                    ../tools from it, as in a build tree)
//
// Figures (printed beside the targets, never a failure):
// - timeline error: the client's estimate minus the truth extrapolated from the server's latest
//   change line (content_time + (monotonic - wall_clock_ns) * speed * tick_rate / 1e9), for every
//   status line with the timeline available, except those within 100 ms after a server change;
// - change latency: the server's truth line for a tweak, pause or resume to the client's next
//   "change in timing" event;
// - the dispersion the client reports.

#include "bench_support.hpp"
#include "support/child_process.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace {

using dvbcss::bench::quantile;

using namespace std::chrono_literals;
using dvbcss::test::child_process;
using dvbcss::test::lines_of;

constexpr const char* pts_selector = "urn:dvb:css:timeline:pts";
constexpr std::int64_t settle_ns = 100'000'000; // estimates this soon after a change are left out

struct options {
    double duration_s = 60;
    std::string bin_dir;
};

/// One {"event":"timeline"} line of the server for the PTS timeline.
struct truth_line {
    std::int64_t monotonic_ns = 0;
    std::int64_t wall_clock_ns = 0;
    std::optional<std::int64_t> content_time;
    double speed = 0;
    double tick_rate = 0;
    std::string cause;
};

/// One status line of the client.
struct status_line {
    std::int64_t monotonic_ns = 0;
    std::optional<double> ticks; ///< The estimate in ticks (unrounded), when available.
    double dispersion_ns = 0;
};

struct event_line {
    std::string name;
    std::int64_t monotonic_ns = 0;
};

std::optional<nlohmann::json> parse_line(const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

std::vector<truth_line> read_truth(const std::string& output) {
    std::vector<truth_line> out;
    for (const auto& line : lines_of(output)) {
        const auto j = parse_line(line);
        if (!j || j->value("event", "") != "timeline" || j->value("selector", "") != pts_selector) {
            continue;
        }
        truth_line t;
        t.monotonic_ns = j->at("monotonic_ns").get<std::int64_t>();
        t.wall_clock_ns = j->at("wall_clock_ns").get<std::int64_t>();
        if (j->at("content_time").is_number()) {
            t.content_time = j->at("content_time").get<std::int64_t>();
            t.speed = j->at("speed").get<double>();
        }
        t.tick_rate = j->at("tick_rate").get<double>();
        t.cause = j->value("cause", "");
        out.push_back(t);
    }
    return out;
}

void read_client(const std::string& output, std::vector<status_line>& statuses,
                 std::vector<event_line>& events) {
    for (const auto& line : lines_of(output)) {
        const auto j = parse_line(line);
        if (!j || !j->contains("monotonic_ns")) {
            continue;
        }
        const auto mono = j->at("monotonic_ns").get<std::int64_t>();
        if (j->contains("event")) {
            events.push_back({j->at("event").get<std::string>(), mono});
            continue;
        }
        status_line s;
        s.monotonic_ns = mono;
        const auto& position = j->value("position_s", nlohmann::json());
        if (j->value("available", false) && position.is_number()) {
            s.ticks = position.get<double>() * j->at("tick_rate").get<double>();
        }
        if (j->at("dispersion_ns").is_number()) {
            s.dispersion_ns = j->at("dispersion_ns").get<double>();
        }
        statuses.push_back(s);
    }
}

bool is_timing_change(std::string_view cause) {
    return cause == "tweak" || cause == "pause" || cause == "resume";
}

int run(const options& o) {
    const auto server_path = dvbcss::bench::find_tool(o.bin_dir, "ts-server");
    const auto client_path = dvbcss::bench::find_tool(o.bin_dir, "ts-client");
    child_process server({server_path, "127.0.0.1", "0", "127.0.0.1", "0", "--json",
                          "--max-connections", "-1", "-Q", "--loglevel", "warning"});
    if (!server.started()) {
        std::fprintf(stderr, "ts_accuracy: cannot start %s\n", server_path.c_str());
        return 1;
    }
    const auto ts_url = server.read_until(std::regex(R"(CSS-TS endpoint URL: (ws://\S+))"), 10s);
    const auto wc_port =
        server.read_until(std::regex(R"(CSS-WC endpoint bound to host \S+ on port (\d+))"), 10s);
    if (ts_url.empty() || wc_port.empty()) {
        std::fprintf(stderr, "ts_accuracy: ts-server printed no endpoints:\n%s\n",
                     server.output().c_str());
        return 1;
    }
    child_process client({client_path, ts_url, "udp://127.0.0.1:" + wc_port, "dvb://", pts_selector,
                          "90000", "--json", "--interval", "0.01", "--loglevel", "error"});
    if (!client.started()) {
        std::fprintf(stderr, "ts_accuracy: cannot start %s\n", client_path.c_str());
        return 1;
    }
    std::printf("ts_accuracy: ts-server %s, ts-client every 10 ms, for %.0f s\n", ts_url.c_str(),
                o.duration_s);
    std::fflush(stdout);

    // Keep both pipes drained; the lines carry their own timestamps.
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(o.duration_s));
    while (std::chrono::steady_clock::now() < end) {
        server.read_for(25ms);
        client.read_for(25ms);
    }
    client.signal(SIGTERM);
    const int client_status = client.wait_exit(5s);
    server.signal(SIGTERM);
    const int server_status = server.wait_exit(5s);

    const auto truth = read_truth(server.output());
    std::vector<status_line> statuses;
    std::vector<event_line> events;
    read_client(client.output(), statuses, events);

    // Timeline error against the latest truth line before each estimate.
    std::vector<double> error_us;
    std::vector<double> signed_us;
    std::vector<double> dispersion_ms;
    std::size_t settling = 0;
    for (const auto& s : statuses) {
        if (!s.ticks) {
            continue;
        }
        dispersion_ms.push_back(s.dispersion_ns / 1e6);
        const auto it = std::upper_bound(
            truth.begin(), truth.end(), s.monotonic_ns,
            [](std::int64_t mono, const truth_line& t) { return mono < t.monotonic_ns; });
        if (it == truth.begin()) {
            continue;
        }
        const auto& t = *std::prev(it);
        if (!t.content_time) {
            continue;
        }
        if (s.monotonic_ns - t.monotonic_ns < settle_ns) {
            ++settling;
            continue;
        }
        const double expected =
            static_cast<double>(*t.content_time) +
            static_cast<double>(s.monotonic_ns - t.wall_clock_ns) * t.speed * t.tick_rate / 1e9;
        const double e = (*s.ticks - expected) / t.tick_rate * 1e6;
        signed_us.push_back(e);
        error_us.push_back(std::fabs(e));
    }
    std::sort(error_us.begin(), error_us.end());
    std::sort(signed_us.begin(), signed_us.end());
    std::sort(dispersion_ms.begin(), dispersion_ms.end());

    // Change latency: each tweak/pause/resume to the client's next "change in timing" event,
    // if that comes before the following change.
    std::vector<double> latency_ms;
    std::size_t changes = 0;
    std::vector<const truth_line*> timing_changes;
    for (const auto& t : truth) {
        if (is_timing_change(t.cause)) {
            timing_changes.push_back(&t);
        }
    }
    for (std::size_t i = 0; i < timing_changes.size(); ++i) {
        const auto from = timing_changes[i]->monotonic_ns;
        const auto until =
            i + 1 < timing_changes.size() ? timing_changes[i + 1]->monotonic_ns : INT64_MAX;
        ++changes;
        for (const auto& e : events) {
            if (e.monotonic_ns >= from && e.monotonic_ns < until &&
                e.name.rfind("change in timing", 0) == 0) {
                latency_ms.push_back(static_cast<double>(e.monotonic_ns - from) / 1e6);
                break;
            }
        }
    }
    std::sort(latency_ms.begin(), latency_ms.end());

    std::printf("timeline error |client estimate - server truth| (90 kHz; truth in whole ticks, "
                "11.1 us), %zu samples (%zu left out within 100 ms of a change):\n",
                error_us.size(), settling);
    std::printf("  p50 %.1f us  p99 %.1f us  max %.1f us   target p99 < 100 us\n",
                quantile(error_us, 0.5), quantile(error_us, 0.99),
                error_us.empty() ? NAN : error_us.back());
    std::printf("  signed: median %+.1f us, p1 %+.1f us, p99 %+.1f us\n", quantile(signed_us, 0.5),
                quantile(signed_us, 0.01), quantile(signed_us, 0.99));
    std::printf("change latency (server change line -> client \"change in timing\" event), %zu of "
                "%zu changes produced one:\n",
                latency_ms.size(), changes);
    std::printf("  p50 %.2f ms  p99 %.2f ms  max %.2f ms   target p99 < 5 ms\n",
                quantile(latency_ms, 0.5), quantile(latency_ms, 0.99),
                latency_ms.empty() ? NAN : latency_ms.back());
    std::printf("client-reported dispersion: p50 %.3f ms (p99 %.3f ms)\n",
                quantile(dispersion_ms, 0.5), quantile(dispersion_ms, 0.99));
    std::printf("exit status: ts-client %d, ts-server %d\n", client_status, server_status);
    std::fflush(stdout);
    return error_us.empty() ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--duration" && i + 1 < argc) {
            o.duration_s = std::strtod(argv[++i], nullptr);
        } else if (arg == "--bin" && i + 1 < argc) {
            o.bin_dir = argv[++i];
        } else {
            std::fprintf(stderr, "usage: ts_accuracy [--duration S] [--bin DIR]\n");
            return 2;
        }
    }
    if (!(o.duration_s > 0)) {
        std::fprintf(stderr, "ts_accuracy: --duration must be positive\n");
        return 2;
    }
    return run(o);
}
