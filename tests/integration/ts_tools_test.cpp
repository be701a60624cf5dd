// tv-device, ts-server and ts-client as processes over loopback: the companion's estimate of the
// timeline must match the TV's own timeline (both read CLOCK_MONOTONIC, so the truth is known)
// through pause, resume, jumps and unavailability.
#include "support/child_process.hpp"
#include "support/timeline_truth.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using dvbcss::test::child_process;
using dvbcss::test::lines_of;
using dvbcss::test::truth_of;
using dvbcss::test::truth_point;

using dvbcss::test::bin_dir;
using dvbcss::test::pts;

/// One status line of ts-client --json.
struct estimate {
    std::int64_t monotonic_ns = 0;
    std::optional<double> content_time; ///< Ticks, not rounded (position_s * tick_rate).
    double dispersion_ns = 0;
};

std::vector<estimate> estimates_of(const std::string& output) {
    std::vector<estimate> out;
    for (const auto& line : lines_of(output)) {
        if (line.empty() || line.front() != '{') {
            continue;
        }
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || j.contains("event")) {
            continue;
        }
        estimate e;
        e.monotonic_ns = j.at("monotonic_ns").get<std::int64_t>();
        if (!j.at("position_s").is_null()) {
            e.content_time = j.at("position_s").get<double>() * j.at("tick_rate").get<double>();
        }
        e.dispersion_ns =
            j.at("dispersion_ns").is_null() ? INFINITY : j.at("dispersion_ns").get<double>();
        out.push_back(e);
    }
    return out;
}

/// Compares every estimate made more than `settle` after a change of the truth with the truth.
struct comparison {
    int compared = 0;
    int available_seen = 0;
    int unavailable_seen = 0;
    int paused_seen = 0;
    double worst_error_ms = 0;
    int availability_mismatches = 0;
};

/// `scale`: estimate ticks per truth tick (a timeline derived from the one the truth describes).
comparison compare(const std::vector<truth_point>& truth, const std::vector<estimate>& estimates,
                   std::chrono::nanoseconds settle, double scale = 1.0) {
    comparison c;
    for (const auto& e : estimates) {
        const truth_point* current = nullptr;
        for (const auto& t : truth) {
            if (t.monotonic_ns <= e.monotonic_ns) {
                current = &t;
            }
        }
        if (current == nullptr || e.monotonic_ns - current->monotonic_ns < settle.count()) {
            continue;
        }
        ++c.compared;
        if (current->content_time.has_value() != e.content_time.has_value()) {
            ++c.availability_mismatches;
            continue;
        }
        if (!e.content_time) {
            ++c.unavailable_seen;
            continue;
        }
        ++c.available_seen;
        if (current->speed == 0) {
            ++c.paused_seen;
        }
        // The wall clock is CLOCK_MONOTONIC in ns on both sides.
        const double expected =
            scale * (static_cast<double>(*current->content_time) +
                     static_cast<double>(e.monotonic_ns - current->wall_clock_ns) * current->speed *
                         current->tick_rate / 1e9);
        const double error_ms =
            std::abs(*e.content_time - expected) / (current->tick_rate * scale) * 1e3;
        c.worst_error_ms = std::max(c.worst_error_ms, error_ms);
    }
    return c;
}

struct tv_device {
    std::unique_ptr<child_process> process;
    std::string cii_url;
    std::string ts_url;
    std::string wc_port;

    explicit tv_device(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{
            bin_dir + "/tv-device", "127.0.0.1", "0", "127.0.0.1", "0", "--json", "--cycle", "0",
            "--loglevel",           "warning"};
        args.insert(args.end(), extra.begin(), extra.end());
        process = std::make_unique<child_process>(args, true);
        cii_url = process->read_until(std::regex(R"(CSS-CII endpoint URL: (ws://\S+))"), 10s);
        ts_url = process->read_until(std::regex(R"(CSS-TS  endpoint URL: (ws://\S+))"), 10s);
        wc_port = process->read_until(
            std::regex(R"(CSS-WC  endpoint bound to host \S+ on port (\d+))"), 10s);
    }
};

TEST(TsTools, ClientFollowsTheTvThroughPauseResumeJumpsAndUnavailability) {
    tv_device tv;
    ASSERT_FALSE(tv.ts_url.empty()) << tv.process->output();
    ASSERT_FALSE(tv.wc_port.empty()) << tv.process->output();
    child_process client({bin_dir + "/ts-client", tv.ts_url, "udp://127.0.0.1:" + tv.wc_port,
                          "dvb://", pts, "90000", "--json", "--interval", "0.05", "--loglevel",
                          "error"});
    ASSERT_FALSE(client.read_until(std::regex(R"("available":true)"), 10s).empty())
        << client.output();
    client.read_for(1s);
    // Commands the console refuses (out of range, an over-long line) change nothing and do not
    // stop it reading the next ones.
    ASSERT_TRUE(tv.process->write_line("seek +1e20"));
    ASSERT_TRUE(tv.process->write_line("content dvb://" + std::string(5000, 'a')));
    for (const char* command : {"pause", "play", "tweak 20", "seek -3", "unavailable pts",
                                "available pts", "speed 2", "play"}) {
        ASSERT_TRUE(tv.process->write_line(command));
        client.read_for(700ms);
    }
    client.signal(SIGINT);
    EXPECT_EQ(client.wait_exit(10s), 0) << client.output();
    tv.process->signal(SIGINT);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);

    const auto truth = truth_of(tv.process->output(), pts);
    ASSERT_EQ(truth.size(), 9U) << tv.process->output(); // start + 8 commands
    const auto c = compare(truth, estimates_of(client.output()), 100ms);
    EXPECT_GT(c.compared, 60);
    EXPECT_GT(c.paused_seen, 5);
    EXPECT_GT(c.unavailable_seen, 5);
    EXPECT_EQ(c.availability_mismatches, 0);
    EXPECT_LT(c.worst_error_ms, 1.0) << client.output();
    EXPECT_NE(client.output().find(R"("event":"timeline became unavailable")"), std::string::npos);
    EXPECT_NE(client.output().find(R"("event":"change in timing and play speed")"),
              std::string::npos);
}

TEST(TsTools, ClientFindsEverythingFromTheCii) {
    tv_device tv;
    ASSERT_FALSE(tv.cii_url.empty()) << tv.process->output();
    child_process client({bin_dir + "/ts-client", "--cii", tv.cii_url,
                          "urn:dvb:css:timeline:temi:1:1", "--json", "--interval", "0.05",
                          "--duration", "2.5", "--loglevel", "error"});
    EXPECT_EQ(client.wait_exit(20s), 0) << client.output();
    EXPECT_NE(client.output().find(R"("event":"cii")"), std::string::npos) << client.output();
    EXPECT_NE(client.output().find(R"("tick_rate":50)"), std::string::npos) << client.output();
    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);
    // temi:1:1 is PTS * 50 / 90000 (correlation 0, 0): check it against the finer PTS truth.
    const auto truth = truth_of(tv.process->output(), pts);
    ASSERT_FALSE(truth.empty());
    const auto c = compare(truth, estimates_of(client.output()), 100ms, 50.0 / 90000.0);
    EXPECT_GT(c.available_seen, 10) << client.output();
    EXPECT_LT(c.worst_error_ms, 1.0);
}

TEST(TsTools, ClientSeesUnavailableForAStemThatDoesNotMatch) {
    tv_device tv;
    child_process client({bin_dir + "/ts-client", tv.ts_url, "udp://127.0.0.1:" + tv.wc_port,
                          "dvb://nomatch", pts, "90000", "--json", "--interval", "0.1",
                          "--duration", "1.5", "--loglevel", "error"});
    EXPECT_EQ(client.wait_exit(20s), 0);
    EXPECT_EQ(client.output().find(R"("available":true)"), std::string::npos) << client.output();
    EXPECT_NE(client.output().find(R"("available":false)"), std::string::npos);
}

TEST(TsTools, TvDeviceContentChangeReachesCiiAndTs) {
    tv_device tv;
    child_process client({bin_dir + "/ts-client", tv.ts_url, "udp://127.0.0.1:" + tv.wc_port,
                          "dvb://233a", pts, "90000", "--json", "--interval", "0.05", "--loglevel",
                          "error"});
    ASSERT_FALSE(client.read_until(std::regex(R"("available":true)"), 10s).empty());
    const auto mark = client.output().size();
    ASSERT_TRUE(tv.process->write_line("content dvb://other/thing"));
    EXPECT_FALSE(
        tv.process
            ->read_until(
                std::regex(
                    R"("event":"content","monotonic_ns":\d+,"content_id":"dvb://other/thing")"),
                5s)
            .empty());
    EXPECT_FALSE(client.read_until(std::regex(R"("available":false)"), 5s, mark).empty());
    const auto mark2 = client.output().size();
    ASSERT_TRUE(tv.process->write_line("content dvb://233a.1/back"));
    EXPECT_FALSE(client.read_until(std::regex(R"("available":true)"), 5s, mark2).empty());
    client.signal(SIGINT);
    EXPECT_EQ(client.wait_exit(10s), 0);
}

TEST(TsTools, TsServerServesItsPretendTimelines) {
    child_process server(
        {bin_dir + "/ts-server", "127.0.0.1", "0", "127.0.0.1", "0", "--loglevel", "warning"});
    const auto ts_url = server.read_until(std::regex(R"(CSS-TS endpoint URL: (ws://\S+))"), 10s);
    const auto wc_port = server.read_until(std::regex(R"(on port (\d+))"), 10s);
    ASSERT_FALSE(ts_url.empty()) << server.output();
    child_process pts_client({bin_dir + "/ts-client", ts_url, "udp://127.0.0.1:" + wc_port,
                              "dvb://", pts, "90000", "--json", "--interval", "0.1", "--duration",
                              "2", "--loglevel", "error"});
    // temi:1:2 answers only 10 s after it is first needed: nothing arrives within 2 s.
    child_process slow_client({bin_dir + "/ts-client", ts_url, "udp://127.0.0.1:" + wc_port,
                               "dvb://", "urn:dvb:css:timeline:temi:1:2", "1000", "--json",
                               "--interval", "0.1", "--duration", "2", "--loglevel", "error"});
    EXPECT_EQ(pts_client.wait_exit(20s), 0) << pts_client.output();
    EXPECT_EQ(slow_client.wait_exit(20s), 0) << slow_client.output();
    EXPECT_NE(pts_client.output().find(R"("available":true)"), std::string::npos);
    EXPECT_EQ(slow_client.output().find(R"("available":true)"), std::string::npos);
    EXPECT_EQ(slow_client.output().find(R"("event":"timeline became)"), std::string::npos);
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(10s), 0);
}

TEST(TsTools, ExitStatusSaysWhatHappened) {
    // Nothing listening: never connected.
    child_process nobody({bin_dir + "/ts-client", "ws://127.0.0.1:1/ts", "udp://127.0.0.1:1", "",
                          pts, "90000", "-q"});
    EXPECT_EQ(nobody.wait_exit(30s), 1);
    // Usage errors.
    child_process missing({bin_dir + "/ts-client", "ws://127.0.0.1:1/ts", "-q"});
    EXPECT_EQ(missing.wait_exit(10s), 2);
    child_process bad_freq({bin_dir + "/ts-client", "ws://127.0.0.1:1/ts", "udp://127.0.0.1:1", "",
                            pts, "fast", "-q"});
    EXPECT_EQ(bad_freq.wait_exit(10s), 2);
    child_process bad_option({bin_dir + "/tv-device", "--no-such-option"});
    EXPECT_EQ(bad_option.wait_exit(10s), 2);
    // The TV goes away: the companion lost it.
    tv_device tv;
    // A wall clock server that never answers: no position could be trusted.
    child_process no_wall_clock({bin_dir + "/ts-client", tv.ts_url, "udp://127.0.0.1:1", "", pts,
                                 "90000", "--duration", "1.5", "-q"});
    EXPECT_EQ(no_wall_clock.wait_exit(20s), 1);
    child_process client({bin_dir + "/ts-client", tv.ts_url, "udp://127.0.0.1:" + tv.wc_port, "",
                          pts, "90000", "--json", "--loglevel", "error"});
    ASSERT_FALSE(client.read_until(std::regex(R"("event":"connected")"), 10s).empty());
    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);
    EXPECT_EQ(client.wait_exit(10s), 1) << client.output();
}

TEST(TsTools, TvDeviceRefusesAPortInUse) {
    tv_device first;
    ASSERT_FALSE(first.ts_url.empty());
    const auto port = first.ts_url.substr(first.ts_url.rfind(':') + 1,
                                          first.ts_url.rfind('/') - first.ts_url.rfind(':') - 1);
    child_process second({bin_dir + "/tv-device", "127.0.0.1", port, "127.0.0.1", "0", "-q"});
    EXPECT_EQ(second.wait_exit(10s), 1);
}

} // namespace
