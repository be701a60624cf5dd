// wallclock-client ws://... against wallclock-server --ws-port, run as processes over loopback:
// both framings synchronise with the UDP client's --json summary and exit statuses, the server
// counts what it answered, and the usage errors of the URL form.
#include "support/child_process.hpp"
#include "support/wallclock_client_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using dvbcss::test::child_process;
using dvbcss::test::summary_of;
using dvbcss::test::wallclock_client_command;

using dvbcss::test::bin_dir;

class WcWsToolsTest : public ::testing::Test {
protected:
    void SetUp() override {
        server = std::make_unique<child_process>(
            std::vector<std::string>{bin_dir + "/wallclock-server", "127.0.0.1", "0", "--ws-port",
                                     "0", "--loglevel", "error"});
        ASSERT_TRUE(server->started());
        url = server->read_until(
            std::regex(R"(CSS-WC WebSocket endpoint URL: (ws://127\.0\.0\.1:\d+/wc))"), 10s);
        ASSERT_FALSE(url.empty()) << "no banner: " << server->output();
    }

    std::unique_ptr<child_process> server;
    std::string url;
};

void expect_synchronises(const std::string& url, const std::vector<std::string>& extra) {
    std::vector<std::string> args{url,          "--json", "--duration", "1.5",
                                  "--interval", "0.1",    "--loglevel", "error"};
    args.insert(args.end(), extra.begin(), extra.end());
    child_process client(wallclock_client_command(bin_dir, args));
    EXPECT_EQ(client.wait_exit(20s), 0) << client.output();
    const auto summary = summary_of(client.output());
    ASSERT_TRUE(summary.is_object()) << client.output();
    EXPECT_GE(summary.at("responses").get<int>(), 5);
    EXPECT_EQ(summary.at("ignored").get<int>(), 0);
    EXPECT_EQ(summary.at("synchronised"), true);
    EXPECT_TRUE(summary.at("offset_ns").is_number_integer());
    // Both processes read CLOCK_MONOTONIC: the offset is small and within the error bound.
    const auto offset = summary.at("offset_ns").get<double>();
    EXPECT_LE(std::abs(offset), summary.at("dispersion_ns").get<double>()) << client.output();
    EXPECT_LT(std::abs(offset), 5e6);
    // Each measurement is reported as on UDP, with its four times.
    EXPECT_NE(client.output().find(R"("outcome":"clock_adjusted","rtt_ns":)"), std::string::npos)
        << client.output();
}

TEST_F(WcWsToolsTest, BinaryFramingSynchronisesAndExitsZero) {
    expect_synchronises(url, {});
    server->signal(SIGINT);
    EXPECT_EQ(server->wait_exit(10s), 0) << server->output();
    const std::regex counts(R"(ws_binary=([1-9]\d*) ws_json=0 ws_ignored=0)");
    EXPECT_TRUE(std::regex_search(server->output(), counts)) << server->output();
}

TEST_F(WcWsToolsTest, JsonFramingSynchronisesAndExitsZero) {
    expect_synchronises(url, {"--ws-json"});
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(10s), 0) << server->output();
    const std::regex counts(R"(ws_binary=0 ws_json=([1-9]\d*) ws_ignored=0)");
    EXPECT_TRUE(std::regex_search(server->output(), counts)) << server->output();
}

TEST_F(WcWsToolsTest, ClientThatLosesTheServerFails) {
    child_process client(
        wallclock_client_command(bin_dir, {url, "--json", "--duration", "3", "--interval", "0.1",
                                           "--timeout", "0.1", "--loglevel", "error"}));
    ASSERT_FALSE(client.read_until(std::regex(R"("event":"sync_acquired")"), 10s).empty())
        << client.output();
    server->signal(SIGKILL);
    EXPECT_EQ(client.wait_exit(20s), 1) << client.output();
    EXPECT_NE(client.output().find("lost the server " + url), std::string::npos) << client.output();
    const auto summary = summary_of(client.output());
    ASSERT_TRUE(summary.is_object()) << client.output();
    EXPECT_EQ(summary.at("synchronised"), false);
    EXPECT_GT(summary.at("sync_losses").get<int>(), 0);
}

TEST(WcWsTools, ClientThatCannotConnectFails) {
    // Port 1 on loopback: nothing listens there (a privileged port no test binds).
    child_process client(wallclock_client_command(
        bin_dir, {"ws://127.0.0.1:1/wc", "--json", "--duration", "1", "--loglevel", "critical"}));
    EXPECT_EQ(client.wait_exit(20s), 1) << client.output();
    EXPECT_NE(client.output().find("wallclock-client: cannot connect to ws://127.0.0.1:1/wc"),
              std::string::npos)
        << client.output();
}

TEST(WcWsTools, UsageErrorsOfTheUrlForm) {
    const std::vector<std::vector<std::string>> cases{
        {"ws://127.0.0.1:7681/wc", "6677"}, // a port beside the URL
        {"127.0.0.1", "6677", "--ws-json"}, // JSON framing without a URL
        {"wss://127.0.0.1:7681/wc"},        // TLS
        {"ws://127.0.0.1:0/wc"},            // port 0
        {"ws:/127.0.0.1:7681/wc"},          // mistyped scheme
    };
    for (const auto& args : cases) {
        child_process client(wallclock_client_command(bin_dir, args));
        EXPECT_EQ(client.wait_exit(10s), 2) << args.at(0) << ": " << client.output();
        EXPECT_NE(client.output().find("wallclock-client"), std::string::npos) << client.output();
    }
}

} // namespace
