// The wallclock-server and wallclock-client programs, run as processes over loopback: the
// client's --json summary, and its exit status when the server answers, when it stops answering,
// and when the server is stopped by a signal.
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

class WcToolsTest : public ::testing::Test {
protected:
    void SetUp() override {
        server = std::make_unique<child_process>(std::vector<std::string>{
            bin_dir + "/wallclock-server", "127.0.0.1", "0", "--loglevel", "error"});
        ASSERT_TRUE(server->started());
        port = server->read_until(std::regex(R"(bound to host 127\.0\.0\.1 on port (\d+))"), 10s);
        ASSERT_FALSE(port.empty()) << "no banner: " << server->output();
    }

    std::unique_ptr<child_process> server;
    std::string port;
};

TEST_F(WcToolsTest, ClientSynchronisesAndExitsZero) {
    child_process client(wallclock_client_command(
        bin_dir, {"127.0.0.1", port, "127.0.0.1", "0", "--json", "--duration", "1.5", "--interval",
                  "0.2", "--loglevel", "error"}));
    EXPECT_EQ(client.wait_exit(20s), 0) << client.output();
    const auto summary = summary_of(client.output());
    ASSERT_TRUE(summary.is_object()) << client.output();
    EXPECT_GT(summary.at("responses").get<int>(), 0);
    EXPECT_EQ(summary.at("synchronised"), true);
    EXPECT_TRUE(summary.at("offset_ns").is_number_integer());
}

TEST_F(WcToolsTest, ClientThatLosesTheServerFails) {
    child_process client(wallclock_client_command(
        bin_dir, {"127.0.0.1", port, "127.0.0.1", "0", "--json", "--duration", "3", "--interval",
                  "0.1", "--timeout", "0.1", "--loglevel", "error"}));
    ASSERT_FALSE(client.read_until(std::regex(R"("event":"sync_acquired")"), 10s).empty())
        << client.output();
    server->signal(SIGKILL);
    EXPECT_EQ(client.wait_exit(20s), 1) << client.output();
    EXPECT_NE(client.output().find("lost the server 127.0.0.1 port " + port), std::string::npos)
        << client.output();
    const auto summary = summary_of(client.output());
    ASSERT_TRUE(summary.is_object()) << client.output();
    EXPECT_EQ(summary.at("synchronised"), false);
    EXPECT_GT(summary.at("sync_losses").get<int>(), 0);
}

TEST_F(WcToolsTest, ServerStopsCleanlyOnSigterm) {
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(10s), 0) << server->output();
    EXPECT_NE(server->output().find("wallclock-server: datagrams="), std::string::npos)
        << server->output();
}

} // namespace
