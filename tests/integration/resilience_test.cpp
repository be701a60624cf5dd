// Companions that outlive their TV: ts-client --reconnect and cii-client --reconnect through a
// server killed (SIGKILL) and started again on the same ports, and wallclock-client through a
// server that goes silent (SIGSTOP, then SIGCONT) or is killed and started again. Each client
// must keep running, say that it lost the server and that it came back (--json events), and be
// right again soon after the return: the timeline estimate within 1 ms of the TV's truth (3 ms
// under the sanitizers, whose programs run several times slower beside other tests), the
// whole CII again, the wall clock synchronised again within the retry bound of
// docs/wall-clock.md.
#include "support/child_process.hpp"
#include "support/sanitized.hpp"
#include "support/timeline_truth.hpp"
#include "support/wallclock_client_process.hpp"

#include <dvbcss/cii/message.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using dvbcss::test::child_process;
using dvbcss::test::lines_of;

using dvbcss::test::bin_dir;
using dvbcss::test::pts;
constexpr std::int64_t ms = 1'000'000; // ns

/// CLOCK_MONOTONIC, ns: the clock every program's "monotonic_ns" and "local_ns" is read from.
std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// `ns` in milliseconds, for the figures printed.
double as_ms(std::int64_t ns) {
    return static_cast<double>(ns) / 1e6;
}

/// The --json event lines of `output` (objects with "event"), in order.
std::vector<nlohmann::json> events_of(const std::string& output) {
    std::vector<nlohmann::json> out;
    for (const auto& line : lines_of(output)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("event")) {
            out.push_back(std::move(j));
        }
    }
    return out;
}

/// The first event named `name` whose `time_field` is at or after `from_ns`.
std::optional<nlohmann::json> first_event(const std::vector<nlohmann::json>& events,
                                          const std::string& name, std::int64_t from_ns,
                                          const char* time_field = "monotonic_ns") {
    for (const auto& e : events) {
        if (e.at("event") == name && e.at(time_field).get<std::int64_t>() >= from_ns) {
            return e;
        }
    }
    return std::nullopt;
}

/// `port` of a "ws://host:port/path" URL.
std::string port_of(const std::string& url) {
    const auto colon = url.rfind(':');
    const auto slash = url.find('/', colon);
    return url.substr(colon + 1, slash - colon - 1);
}

/// A loopback port that `type` (SOCK_STREAM or SOCK_DATAGRAM) can bind now, below the kernel's
/// ephemeral range (32768 and up here): no connection of another test running meanwhile takes it
/// as its local port while the server that owns it is away, so the server can come back on it.
std::string spare_port(int type) {
    static std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(20000, 32000);
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int port = pick(random);
        const int fd = socket(AF_INET, type, 0);
        if (fd < 0) {
            break;
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool free =
            bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        if (free) {
            return std::to_string(port);
        }
    }
    return "0";
}

/// tv-device on loopback printing its truth (--json); ports "0" for any free ones.
struct restartable_tv {
    std::unique_ptr<child_process> process;
    std::string cii_url;
    std::string ts_url;
    std::string wc_port;

    restartable_tv(const std::string& ws_port, const std::string& wc) {
        process = std::make_unique<child_process>(std::vector<std::string>{
            bin_dir + "/tv-device", "127.0.0.1", ws_port, "127.0.0.1", wc, "--json", "--cycle", "0",
            "--no-console", "--loglevel", "warning"});
        cii_url = process->read_until(std::regex(R"(CSS-CII endpoint URL: (ws://\S+))"), 10s);
        ts_url = process->read_until(std::regex(R"(CSS-TS  endpoint URL: (ws://\S+))"), 10s);
        wc_port = process->read_until(
            std::regex(R"(CSS-WC  endpoint bound to host \S+ on port (\d+))"), 10s);
        // Its first truth line for the PTS timeline (where the timeline starts).
        process->read_until(std::regex(R"("event":"timeline"[^\n]*"urn:dvb:css:timeline:pts")"),
                            10s);
    }
};

// ---- 1. ts-client follows a TV that restarts ----

/// ts-client --reconnect following tv-device's PTS timeline, given its URLs on the command line
/// or (`from_cii`) reading them from the CII, through a restart of the TV.
void follows_the_tv_through_a_restart(bool from_cii) {
    auto tv = std::make_unique<restartable_tv>(spare_port(SOCK_STREAM), spare_port(SOCK_DGRAM));
    ASSERT_FALSE(tv->ts_url.empty()) << tv->process->output();
    ASSERT_FALSE(tv->wc_port.empty()) << tv->process->output();
    const auto ws_port = port_of(tv->ts_url);
    const auto wc_port = tv->wc_port;
    std::vector<std::string> args{bin_dir + "/ts-client"};
    if (from_cii) {
        args.insert(args.end(), {"--cii", tv->cii_url, pts});
    } else {
        args.insert(args.end(), {tv->ts_url, "udp://127.0.0.1:" + wc_port, "dvb://", pts, "90000"});
    }
    args.insert(args.end(), {"--json", "--interval", "0.05", "--reconnect", "--loglevel", "error"});
    child_process client(args);
    ASSERT_FALSE(client.read_until(std::regex(R"("available":true)"), 10s).empty())
        << client.output();
    client.read_for(1s);
    const auto before_truth = dvbcss::test::truth_of(tv->process->output(), pts);
    ASSERT_EQ(before_truth.size(), 1U) << tv->process->output();

    // The TV dies without a word, stays away 1.5 s, and comes back on the same ports.
    const auto killed_ns = monotonic_ns();
    tv->process->signal(SIGKILL);
    EXPECT_EQ(tv->process->wait_exit(5s), 128 + SIGKILL);
    client.read_for(1500ms);
    tv = std::make_unique<restartable_tv>(ws_port, wc_port);
    const auto returned_ns = monotonic_ns(); // it listens: its banner has been read
    ASSERT_EQ(tv->ts_url, "ws://127.0.0.1:" + ws_port + "/ts") << tv->process->output();
    ASSERT_EQ(tv->wc_port, wc_port) << tv->process->output();
    const auto mark = client.output().size();
    ASSERT_FALSE(client.read_until(std::regex(R"("event":"connected")"), 5s, mark).empty())
        << client.output();
    client.read_for(3s);
    client.signal(SIGINT);
    // Still running, and connected and synchronised at the end: exit 0.
    EXPECT_EQ(client.wait_exit(10s), 0) << client.output();
    tv->process->signal(SIGTERM);
    EXPECT_EQ(tv->process->wait_exit(10s), 0);

    // The loss and the return, as events.
    const auto events = events_of(client.output());
    const auto unavailable = first_event(events, "timeline became unavailable", killed_ns);
    const auto disconnected = first_event(events, "disconnected", killed_ns);
    const auto failed = first_event(events, "connect_failed", killed_ns);
    const auto connected = first_event(events, "connected", killed_ns);
    const auto available = first_event(events, "timeline became available", killed_ns);
    ASSERT_TRUE(unavailable && disconnected && failed && connected && available) << client.output();
    EXPECT_LT(disconnected->at("monotonic_ns").get<std::int64_t>() - killed_ns, 1000 * ms);
    EXPECT_LE(failed->at("retry_in_ns").get<std::int64_t>(), 1000 * ms);
    const auto back_ns = available->at("monotonic_ns").get<std::int64_t>();
    EXPECT_GE(connected->at("monotonic_ns").get<std::int64_t>(), returned_ns - 500 * ms);
    EXPECT_LT(back_ns - returned_ns, 2000 * ms) << "timeline back after " << back_ns - returned_ns;

    // The estimates: right before, unavailable while the TV is away, right again within 2 s of
    // its return (the new TV's timeline starts again from 0: its own truth line says where).
    const auto after_truth = dvbcss::test::truth_of(tv->process->output(), pts);
    ASSERT_EQ(after_truth.size(), 1U) << tv->process->output();
    int before = 0;
    int away = 0;
    int after = 0;
    double worst_before_ms = 0;
    double worst_after_ms = 0;
    std::optional<std::int64_t> first_right_ns;
    const double right_ms = dvbcss::test::sanitized ? 3.0 : 1.0;
    for (const auto& e : dvbcss::test::timeline_estimates_of(client.output())) {
        if (e.monotonic_ns < killed_ns) {
            if (e.monotonic_ns < before_truth[0].monotonic_ns + 100 * ms || !e.content_time) {
                continue;
            }
            ++before;
            const auto truth = dvbcss::test::truth_at(before_truth[0], e.monotonic_ns);
            worst_before_ms = std::max(worst_before_ms, std::abs(*e.content_time - *truth) / 90.0);
        } else if (e.monotonic_ns > killed_ns + 500 * ms && e.monotonic_ns < returned_ns) {
            ++away;
            EXPECT_FALSE(e.content_time.has_value()) << "available while the TV is away";
        } else if (e.monotonic_ns >= returned_ns) {
            const auto truth = dvbcss::test::truth_at(after_truth[0], e.monotonic_ns);
            const double error_ms =
                e.content_time ? std::abs(*e.content_time - *truth) / 90.0 : INFINITY;
            if (!first_right_ns && error_ms < right_ms) {
                first_right_ns = e.monotonic_ns;
            }
            if (e.monotonic_ns >= returned_ns + 2000 * ms) {
                ++after;
                worst_after_ms = std::max(worst_after_ms, error_ms);
            }
        }
    }
    EXPECT_GT(before, 10);
    EXPECT_GT(away, 10);
    EXPECT_GT(after, 10);
    EXPECT_LT(worst_before_ms, right_ms);
    EXPECT_LT(worst_after_ms, right_ms) << client.output();
    ASSERT_TRUE(first_right_ns.has_value());
    EXPECT_LT(*first_right_ns - returned_ns, 2000 * ms);
    std::printf("ts-client: disconnected %.0f ms after the kill; the timeline was right again "
                "%.0f ms after the TV returned; worst error after 2 s %.3f ms\n",
                as_ms(disconnected->at("monotonic_ns").get<std::int64_t>() - killed_ns),
                as_ms(*first_right_ns - returned_ns), worst_after_ms);
    // The wall clock, if it counted the server as lost while away, was synchronised again.
    if (first_event(events, "wall_clock_sync_lost", killed_ns)) {
        EXPECT_TRUE(first_event(events, "wall_clock_sync_regained", killed_ns)) << client.output();
    }
}

TEST(Resilience, TsClientFollowsTheTvAgainAfterItRestarts) {
    follows_the_tv_through_a_restart(false);
}

TEST(Resilience, TsClientFromTheCiiFollowsTheTvAgainAfterItRestarts) {
    follows_the_tv_through_a_restart(true);
}

// ---- 2. cii-client gets the whole CII again from a TV that restarts ----

TEST(Resilience, CiiClientGetsTheWholeCiiAgainAfterTheTvRestarts) {
    auto tv = std::make_unique<restartable_tv>(spare_port(SOCK_STREAM), spare_port(SOCK_DGRAM));
    ASSERT_FALSE(tv->cii_url.empty()) << tv->process->output();
    const auto url = tv->cii_url;
    const auto wc_port = tv->wc_port;
    child_process client(
        {bin_dir + "/cii-client", url, "--json", "--reconnect", "--loglevel", "error"});
    ASSERT_FALSE(client.read_until(std::regex(R"("event":"cii")"), 10s).empty()) << client.output();
    client.read_for(500ms);

    const auto killed_ns = monotonic_ns();
    tv->process->signal(SIGKILL);
    EXPECT_EQ(tv->process->wait_exit(5s), 128 + SIGKILL);
    client.read_for(1500ms);
    tv = std::make_unique<restartable_tv>(port_of(url), wc_port);
    const auto returned_ns = monotonic_ns();
    ASSERT_EQ(tv->cii_url, url) << tv->process->output();
    const auto mark = client.output().size();
    ASSERT_FALSE(client.read_until(std::regex(R"("event":"cii")"), 5s, mark).empty())
        << client.output();
    client.signal(SIGINT);
    EXPECT_EQ(client.wait_exit(10s), 0) << client.output(); // connected when it stopped
    tv->process->signal(SIGTERM);
    EXPECT_EQ(tv->process->wait_exit(10s), 0);

    const auto events = events_of(client.output());
    const auto first = first_event(events, "cii", 0);
    const auto disconnected = first_event(events, "disconnected", killed_ns);
    const auto failed = first_event(events, "connect_failed", killed_ns);
    const auto connected = first_event(events, "connected", killed_ns);
    const auto again = first_event(events, "cii", killed_ns);
    ASSERT_TRUE(first && disconnected && failed && connected && again) << client.output();
    EXPECT_EQ(disconnected->at("closed_by"), "server");
    EXPECT_LE(failed->at("retry_in_ns").get<std::int64_t>(), 1000 * ms);
    const auto back_ns = again->at("monotonic_ns").get<std::int64_t>();
    EXPECT_LT(back_ns - returned_ns, 2000 * ms) << "CII back after " << back_ns - returned_ns;
    std::printf("cii-client: the whole CII again %.0f ms after the TV returned\n",
                as_ms(back_ns - returned_ns));
    // The first message after the return is the whole CII, as the first one ever was: every
    // property the TV sets is there, with the same values (the same scenario, the same ports).
    const auto whole = dvbcss::cii::decode_cii(first->at("message").dump());
    const auto returned = dvbcss::cii::decode_cii(again->at("message").dump());
    ASSERT_TRUE(whole && returned) << client.output();
    EXPECT_TRUE(returned->content_id.has_value());
    EXPECT_TRUE(returned->timelines.has_value());
    EXPECT_EQ(dvbcss::cii::encode(*returned), dvbcss::cii::encode(*whole)) << client.output();
}

// ---- 3. wallclock-client through a silent server and a restarted one ----

/// wallclock-client with the defaults (interval 1 s, timeout 0.5 s) against `port`, --json.
std::unique_ptr<child_process> wallclock_client(const std::string& port) {
    return std::make_unique<child_process>(dvbcss::test::wallclock_client_command(
        bin_dir, {"127.0.0.1", port, "127.0.0.1", "0", "--json", "--loglevel", "error"}));
}

// docs/wall-clock.md: a silent server is asked again at least once per response_timeout +
// max(d, max_backoff); wallclock-client's defaults make that 0.5 + 2 s, "a returning server is
// noticed within 2.5 s". Allowed on top: scheduling on a busy machine.
constexpr std::int64_t wc_return_bound_ns = 2500 * ms;
constexpr std::int64_t busy_slack_ns = 500 * ms;

TEST(Resilience, WallClockClientRegainsASilentServer) {
    child_process server({bin_dir + "/wallclock-server", "127.0.0.1", "0", "--loglevel", "error"});
    const auto port =
        server.read_until(std::regex(R"(bound to host 127\.0\.0\.1 on port (\d+))"), 10s);
    ASSERT_FALSE(port.empty()) << server.output();
    auto client = wallclock_client(port);
    ASSERT_FALSE(client->read_until(std::regex(R"("event":"sync_acquired")"), 10s).empty())
        << client->output();

    const auto stopped_ns = monotonic_ns();
    server.signal(SIGSTOP);
    const auto mark = client->output().size();
    ASSERT_FALSE(client->read_until(std::regex(R"("event":"sync_lost")"), 10s, mark).empty())
        << client->output();
    client->read_for(1000ms); // silent a while longer: the client is backing off
    const auto resumed_ns = monotonic_ns();
    server.signal(SIGCONT);
    const auto mark2 = client->output().size();
    ASSERT_FALSE(client->read_until(std::regex(R"("event":"sync_regained")"), 10s, mark2).empty())
        << client->output();
    client->read_for(1000ms);
    client->signal(SIGINT);
    EXPECT_EQ(client->wait_exit(10s), 0) << client->output(); // synchronised at the end

    const auto events = events_of(client->output());
    const auto lost = first_event(events, "sync_lost", stopped_ns, "local_ns");
    const auto regained = first_event(events, "sync_regained", stopped_ns, "local_ns");
    ASSERT_TRUE(lost && regained) << client->output();
    EXPECT_LT(lost->at("local_ns").get<std::int64_t>(), resumed_ns);
    EXPECT_GE(lost->at("misses").get<int>(), 3);
    const auto regained_after = regained->at("local_ns").get<std::int64_t>() - resumed_ns;
    EXPECT_LT(regained_after, wc_return_bound_ns + busy_slack_ns);
    std::printf("wallclock-client: sync lost %.0f ms after SIGSTOP, regained %.0f ms after "
                "SIGCONT (bound %.0f ms)\n",
                as_ms(lost->at("local_ns").get<std::int64_t>() - stopped_ns), as_ms(regained_after),
                as_ms(wc_return_bound_ns));
    // Right again: the server's wall clock is CLOCK_MONOTONIC, so the offset is near 0.
    ASSERT_TRUE(regained->at("offset_ns").is_number());
    EXPECT_LT(std::abs(regained->at("offset_ns").get<double>()), 1e6);
    const auto summary = dvbcss::test::summary_of(client->output());
    ASSERT_TRUE(summary.is_object()) << client->output();
    EXPECT_EQ(summary.at("synchronised"), true);
    EXPECT_EQ(summary.at("sync_losses"), 1);
}

TEST(Resilience, WallClockClientRegainsAServerStartedAgainOnItsPort) {
    const std::vector<std::string> server_args{bin_dir + "/wallclock-server", "127.0.0.1",
                                               spare_port(SOCK_DGRAM), "--loglevel", "error"};
    auto server = std::make_unique<child_process>(server_args);
    const std::regex banner(R"(bound to host 127\.0\.0\.1 on port (\d+))");
    const auto port = server->read_until(banner, 10s);
    ASSERT_FALSE(port.empty()) << server->output();
    auto client = wallclock_client(port);
    ASSERT_FALSE(client->read_until(std::regex(R"("event":"sync_acquired")"), 10s).empty())
        << client->output();

    const auto killed_ns = monotonic_ns();
    server->signal(SIGKILL);
    EXPECT_EQ(server->wait_exit(5s), 128 + SIGKILL);
    const auto mark = client->output().size();
    ASSERT_FALSE(client->read_until(std::regex(R"("event":"sync_lost")"), 10s, mark).empty())
        << client->output();
    server = std::make_unique<child_process>(server_args);
    ASSERT_EQ(server->read_until(banner, 10s), port) << server->output();
    const auto returned_ns = monotonic_ns();
    const auto mark2 = client->output().size();
    ASSERT_FALSE(client->read_until(std::regex(R"("event":"sync_regained")"), 10s, mark2).empty())
        << client->output();
    client->signal(SIGINT);
    EXPECT_EQ(client->wait_exit(10s), 0) << client->output();

    const auto events = events_of(client->output());
    const auto regained = first_event(events, "sync_regained", killed_ns, "local_ns");
    ASSERT_TRUE(regained) << client->output();
    const auto regained_after = regained->at("local_ns").get<std::int64_t>() - returned_ns;
    EXPECT_LT(regained_after, wc_return_bound_ns + busy_slack_ns);
    std::printf("wallclock-client: regained %.0f ms after the server started again\n",
                as_ms(regained_after));
    ASSERT_TRUE(regained->at("offset_ns").is_number());
    EXPECT_LT(std::abs(regained->at("offset_ns").get<double>()), 1e6);
}

} // namespace
