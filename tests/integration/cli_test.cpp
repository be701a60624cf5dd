// What a user meets on the command line of every program: exit statuses (0 done, 1 failed at
// run time, 2 usage error), short messages that say what to type instead, options refused when
// they mean nothing, the exit status footer of --help, and banners that name reachable URLs.
// Programs run as processes from DVBCSS_BIN_DIR; stderr is merged into the captured output.
#include "support/child_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using dvbcss::test::child_process;

using dvbcss::test::bin_dir;

/// Runs `program` (a name in the bin directory) with `args`, its stderr merged into its stdout.
std::vector<std::string> command(const std::string& program, std::vector<std::string> args) {
    std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1",
                                  bin_dir + "/" + program};
    for (auto& a : args) {
        argv.push_back(std::move(a));
    }
    return argv;
}

/// The exit status and the whole output of a program that ends by itself.
struct outcome {
    int status = -1;
    std::string output;
};

outcome run(const std::string& program, std::vector<std::string> args,
            std::chrono::milliseconds timeout = 20s) {
    child_process p(command(program, std::move(args)));
    if (!p.started()) {
        return {};
    }
    outcome o;
    o.status = p.wait_exit(timeout);
    o.output = p.output();
    return o;
}

/// A loopback socket bound to a free port and kept open, so nobody else takes the port.
class reserved_port {
public:
    explicit reserved_port(int type, bool listening = false)
        : fd_(::socket(AF_INET, type, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), size) != 0 ||
            (listening && ::listen(fd_, 4) != 0) ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &size) != 0) {
            return;
        }
        port_ = ntohs(a.sin_port);
    }

    ~reserved_port() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    reserved_port(const reserved_port&) = delete;
    reserved_port& operator=(const reserved_port&) = delete;

    [[nodiscard]] std::string port() const { return std::to_string(port_); }

private:
    int fd_;
    unsigned port_ = 0;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// Starts cii-server on a free loopback port; returns the process and its URL.
std::pair<std::unique_ptr<child_process>, std::string>
start_cii_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"127.0.0.1", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<child_process>(command("cii-server", std::move(args)));
    auto url = server->read_until(std::regex(R"(CSS-CII endpoint URL: (ws://\S+))"), 10s);
    return {std::move(server), url};
}

// ---- 1. Failing at run time is exit status 1, with one line saying why.

TEST(CliTest, WallclockClientThatNeverGetsAnAnswerFails) {
    reserved_port silent(SOCK_DGRAM); // bound, never answers
    const auto r = run("wallclock-client",
                       {"--duration", "2", "127.0.0.1", silent.port(), "--loglevel", "error"});
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "never got an answer from 127.0.0.1 port " + silent.port()))
        << r.output;
}

TEST(CliTest, CiiClientThatNeverConnectsFailsEvenWhenReconnecting) {
    reserved_port closed(SOCK_STREAM); // bound, not listening: connections are refused
    const auto url = "ws://127.0.0.1:" + closed.port() + "/cii";
    const auto r = run("cii-client", {"--reconnect", "--duration", "3", url});
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "never connected to " + url)) << r.output;
}

TEST(CliTest, CiiClientThatLosesAKilledServerFails) {
    auto [server, url] = start_cii_server({"--loglevel", "error"});
    ASSERT_FALSE(url.empty()) << server->output();
    child_process client(command("cii-client", {url, "--loglevel", "error"}));
    ASSERT_FALSE(client.read_until(std::regex("CII is now"), 10s).empty()) << client.output();
    server->signal(SIGKILL);
    EXPECT_EQ(client.wait_exit(10s), 1) << client.output();
    EXPECT_TRUE(contains(client.output(), "lost the server " + url)) << client.output();
}

TEST(CliTest, AHostThatDoesNotResolveIsAUsageError) {
    const auto wc = run("wallclock-client", {"no-such-host.invalid", "6677", "--duration", "1"});
    EXPECT_EQ(wc.status, 2) << wc.output;
    EXPECT_TRUE(contains(wc.output, "cannot resolve no-such-host.invalid")) << wc.output;
    const auto cii = run("cii-client", {"ws://no-such-host.invalid:7681/cii", "--duration", "1"});
    EXPECT_EQ(cii.status, 2) << cii.output;
    EXPECT_TRUE(contains(cii.output, "cannot resolve no-such-host.invalid")) << cii.output;
    const auto server = run("cii-server", {"no-such-host.invalid", "0"});
    EXPECT_EQ(server.status, 2) << server.output;
}

TEST(CliTest, APortThatCannotBeBoundFails) {
    reserved_port udp(SOCK_DGRAM);
    const auto wc = run("wallclock-server", {"127.0.0.1", udp.port()});
    EXPECT_EQ(wc.status, 1) << wc.output;
    EXPECT_TRUE(contains(wc.output, "cannot bind 127.0.0.1 port " + udp.port())) << wc.output;
    reserved_port tcp(SOCK_STREAM, true);
    const auto cii = run("cii-server", {"127.0.0.1", tcp.port()});
    EXPECT_EQ(cii.status, 1) << cii.output;
    EXPECT_TRUE(contains(cii.output, "cannot listen on 127.0.0.1 port " + tcp.port()))
        << cii.output;
}

// ---- 2. Usage errors a user can act on: exit status 2 and a short message.

TEST(CliTest, ANegativeNumberSaysTheBoundNotATypesRange) {
    const auto r = run("wallclock-server", {"--mfe", "-5"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "wallclock-server: --mfe must be >= 0, not -5")) << r.output;
    EXPECT_FALSE(std::regex_search(r.output, std::regex(R"(\d{20})"))) << r.output;
}

TEST(CliTest, DurationZeroIsRefusedTheSameWayInEveryProgram) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
        {"wallclock-client", {"127.0.0.1", "6677", "--duration", "0"}},
        {"cii-client", {"ws://127.0.0.1:7681/cii", "--duration", "0"}},
        {"ts-client", {"--cii", "ws://127.0.0.1:7681/cii", "--duration", "0"}},
    };
    for (const auto& [program, args] : cases) {
        const auto r = run(program, args);
        EXPECT_EQ(r.status, 2) << program << ": " << r.output;
        EXPECT_TRUE(contains(r.output, program + ": --duration must be > 0, not 0 (leave "
                                                 "--duration out to run until interrupted)"))
            << r.output;
        EXPECT_FALSE(std::regex_search(r.output, std::regex(R"(\d{20})"))) << r.output;
        const auto help = run(program, {"--help"});
        EXPECT_TRUE(contains(help.output, "leave it out to run until interrupted")) << program;
    }
}

TEST(CliTest, APortThatIsNotANumberSaysWhatAPortIs) {
    const auto r = run("wallclock-server", {"127.0.0.1", "abc"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "wc_port must be a port number 0..65535")) << r.output;
    EXPECT_TRUE(contains(r.output, "not abc")) << r.output;
}

TEST(CliTest, WssUrlsSayTlsIsNotSupported) {
    const auto r = run("cii-client", {"wss://127.0.0.1:7681/cii"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "TLS (wss://) is not supported yet")) << r.output;
    const auto ts = run("ts-client", {"--cii", "wss://127.0.0.1:7681/cii"});
    EXPECT_EQ(ts.status, 2) << ts.output;
    EXPECT_TRUE(contains(ts.output, "TLS (wss://) is not supported yet")) << ts.output;
}

TEST(CliTest, AMistypedSchemeGetsTheUrlItProbablyMeant) {
    const auto r = run("cii-client", {"ws:/127.0.0.1:7681/cii"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "did you mean ws://127.0.0.1:7681/cii?")) << r.output;
    const auto no_scheme = run("cii-client", {"127.0.0.1:7681/cii"});
    EXPECT_EQ(no_scheme.status, 2) << no_scheme.output;
    EXPECT_TRUE(contains(no_scheme.output, "did you mean ws://127.0.0.1:7681/cii?"))
        << no_scheme.output;
    const auto ts = run("ts-client", {"ws:/127.0.0.1:7681/ts", "udp://127.0.0.1:6677", "",
                                      "urn:dvb:css:timeline:pts", "90000"});
    EXPECT_EQ(ts.status, 2) << ts.output;
    EXPECT_TRUE(contains(ts.output, "did you mean ws://127.0.0.1:7681/ts?")) << ts.output;
}

TEST(CliTest, HostColonPortSaysTheyAreSeparateArguments) {
    const auto r = run("wallclock-client", {"127.0.0.1:6677"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "host and port are separate arguments: 127.0.0.1 6677"))
        << r.output;
    const auto v6 = run("wallclock-client", {"[::1]:6677"});
    EXPECT_EQ(v6.status, 2) << v6.output;
    EXPECT_TRUE(contains(v6.output, "host and port are separate arguments: ::1 6677")) << v6.output;
    const auto url = run("wallclock-client", {"udp://127.0.0.1:6677"});
    EXPECT_EQ(url.status, 2) << url.output;
    EXPECT_TRUE(contains(url.output, "as two arguments: 127.0.0.1 6677")) << url.output;
}

TEST(CliTest, ALoneNumberWhereTheAddressGoesLooksLikeAPort) {
    for (const auto* program : {"wallclock-server", "cii-server", "ts-server", "tv-device"}) {
        const auto r = run(program, {"6677"});
        EXPECT_EQ(r.status, 2) << program << ": " << r.output;
        EXPECT_TRUE(contains(r.output, "6677 looks like a port")) << r.output;
    }
    const auto r = run("wallclock-server", {"6677"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "6677 looks like a port (the address comes first: 0.0.0.0 "
                                   "6677)"))
        << r.output;
    EXPECT_FALSE(contains(r.output, "0.0.26.29")) << r.output;
}

// ---- 3. Options that would mean nothing are refused with the reason.

TEST(CliTest, DestinationPortZeroIsRefused) {
    const auto r = run("wallclock-client", {"127.0.0.1", "0"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "port must be a port number 1..65535")) << r.output;
    const auto cii = run("cii-client", {"ws://127.0.0.1:0/cii"});
    EXPECT_EQ(cii.status, 2) << cii.output;
    EXPECT_TRUE(contains(cii.output, "port from 1 to 65535")) << cii.output;
}

TEST(CliTest, AConnectionLimitOfZeroIsRefusedEverywhere) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
        {"cii-server", {"--max-connections", "0"}},
        {"ts-server", {"--max-connections", "0"}},
        {"tv-device", {"--max-cii", "0"}},
        {"tv-device", {"--max-ts", "0"}},
    };
    for (const auto& [program, args] : cases) {
        const auto r = run(program, args);
        EXPECT_EQ(r.status, 2) << program << ": " << r.output;
        EXPECT_TRUE(contains(r.output, "0 would refuse every companion")) << r.output;
    }
}

TEST(CliTest, BusyPollMicrosecondsNeedBusyPoll) {
    const auto r = run("wallclock-server", {"--busy-poll-us", "50"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "--busy-poll-us requires --busy-poll")) << r.output;
}

// ---- 5. What the servers say.

TEST(CliTest, CiiServerLogsItsContentChanges) {
    auto [server, url] = start_cii_server();
    ASSERT_FALSE(url.empty()) << server->output();
    EXPECT_FALSE(
        server->read_until(std::regex(R"(content id now dvb://\S+ \(transitioning\))"), 10s)
            .empty())
        << server->output();
}

TEST(CliTest, CiiServerSaysItsConnectionLimitBesideThe503) {
    auto [server, url] = start_cii_server({"--max-connections", "1"});
    ASSERT_FALSE(url.empty()) << server->output();
    child_process first(command("cii-client", {url, "--json", "--duration", "5", "-q"}));
    ASSERT_FALSE(first.read_until(std::regex("protocolVersion"), 10s).empty()) << first.output();
    const auto second = run("cii-client", {url, "-q"});
    EXPECT_EQ(second.status, 1) << second.output;
    EXPECT_FALSE(
        server->read_until(std::regex(R"(HTTP 503 \(connection limit 1 reached\))"), 10s).empty())
        << server->output();
}

TEST(CliTest, ServersBoundToEveryInterfaceNameReachableUrls) {
    child_process cii(command("cii-server", {"0.0.0.0", "0"}));
    const auto cii_url =
        cii.read_until(std::regex(R"(CSS-CII endpoint URL: (ws://127\.0\.0\.1:\d+/cii))"), 10s);
    EXPECT_FALSE(cii_url.empty()) << cii.output();
    EXPECT_FALSE(contains(cii.output(), "ws://0.0.0.0")) << cii.output();

    child_process tv(command("tv-device", {"0.0.0.0", "0", "0.0.0.0", "0", "--no-console"}));
    EXPECT_FALSE(
        tv.read_until(std::regex(R"(CSS-TS  endpoint URL: ws://127\.0\.0\.1:\d+/ts)"), 10s).empty())
        << tv.output();
    EXPECT_FALSE(tv.read_until(std::regex(R"(CSS-WC  endpoint bound to host 0\.0\.0\.0 on port )"
                                          R"(\d+ \(reachable at 127\.0\.0\.1)"),
                               10s)
                     .empty())
        << tv.output();
    EXPECT_FALSE(contains(tv.output(), "ws://0.0.0.0")) << tv.output();

    child_process ts(command("ts-server", {"0.0.0.0", "0", "0.0.0.0", "0"}));
    EXPECT_FALSE(
        ts.read_until(std::regex(R"(CSS-TS endpoint URL: ws://127\.0\.0\.1:\d+/ts)"), 10s).empty())
        << ts.output();
    EXPECT_FALSE(contains(ts.output(), "ws://0.0.0.0")) << ts.output();

    child_process wc(command("wallclock-server", {"0.0.0.0", "0"}));
    EXPECT_FALSE(wc.read_until(std::regex(R"(reachable at 127\.0\.0\.1)"), 10s).empty())
        << wc.output();
    for (auto* p : {&cii, &tv, &ts, &wc}) {
        p->signal(SIGTERM);
        EXPECT_EQ(p->wait_exit(10s), 0) << p->output();
    }
}

// ---- Every program's --help ends with the exit statuses; 6. wc_accuracy --help is help.

TEST(CliTest, EveryHelpStatesTheExitStatuses) {
    for (const auto* program : {"wallclock-server", "wallclock-client", "cii-server", "cii-client",
                                "ts-server", "ts-client", "tv-device", "clocks-and-tasks"}) {
        const auto r = run(program, {"--help"});
        EXPECT_EQ(r.status, 0) << program << ": " << r.output;
        EXPECT_TRUE(contains(r.output, "Exit status: 0 done, 1 failed at run time")) << program;
        const auto bad = run(program, {"--no-such-option"});
        EXPECT_EQ(bad.status, 2) << program << ": " << bad.output;
        EXPECT_TRUE(contains(bad.output, std::string(program) + ": ")) << bad.output;
    }
}

TEST(CliTest, WcAccuracyHelpPrintsHelpNotATable) {
    if (::access((bin_dir + "/wc_accuracy").c_str(), X_OK) != 0) {
        GTEST_SKIP() << "wc_accuracy is built with DVBCSS_BUILD_BENCHMARKS=ON";
    }
    const auto r = run("wc_accuracy", {"--help"});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "Usage: wc_accuracy")) << r.output;
    EXPECT_FALSE(contains(r.output, "nan")) << r.output;
    const auto bad = run("wc_accuracy", {"ten"});
    EXPECT_EQ(bad.status, 2) << bad.output;
}

} // namespace
