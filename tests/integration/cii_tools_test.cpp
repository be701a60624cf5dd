// The cii-server and cii-client programs, run as processes over loopback.
#include "support/child_process.hpp"

#include <dvbcss/cii/message.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using dvbcss::test::child_process;
using dvbcss::test::lines_of;

using dvbcss::test::bin_dir;

class CiiToolsTest : public ::testing::Test {
protected:
    void SetUp() override {
        server = std::make_unique<child_process>(std::vector<std::string>{
            bin_dir + "/cii-server", "127.0.0.1", "0", "--loglevel", "error"});
        ASSERT_TRUE(server->started());
        url = server->read_until(std::regex(R"(CSS-CII endpoint URL: (ws://\S+))"), 10s);
        ASSERT_FALSE(url.empty()) << "no banner: " << server->output();
    }

    std::unique_ptr<child_process> server;
    std::string url;
};

TEST_F(CiiToolsTest, ClientPrintsTheInitialCiiAndThePushedChangeAsJson) {
    child_process client({bin_dir + "/cii-client", url, "--json", "--duration", "3.5"});
    ASSERT_TRUE(client.started());
    EXPECT_EQ(client.wait_exit(20s), 0);
    // Every line: an event with both timestamps; CII messages are the "cii" events' "message".
    std::vector<nlohmann::json> events;
    std::vector<std::string> lines;
    std::int64_t last_ns = 0;
    for (const auto& line : lines_of(client.output())) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(j.is_object()) << line;
        ASSERT_TRUE(j.at("event").is_string()) << line;
        ASSERT_TRUE(j.at("time_s").is_number()) << line;
        const auto ns = j.at("monotonic_ns").get<std::int64_t>();
        EXPECT_GE(ns, last_ns) << line;
        last_ns = ns;
        if (j.at("event") == "cii") {
            lines.push_back(j.at("message").dump());
        } else {
            EXPECT_FALSE(j.contains("message")) << line;
        }
        events.push_back(std::move(j));
    }
    ASSERT_GE(events.size(), 4U) << client.output();
    EXPECT_EQ(events.front().at("event"), "connected");
    EXPECT_EQ(events.front().at("url"), url);
    EXPECT_EQ(events.back().at("event"), "disconnected");
    EXPECT_EQ(events.back().at("code"), 1000);
    EXPECT_TRUE(events.back().at("reason").is_null());
    EXPECT_EQ(events.back().at("closed_by"), "client");
    ASSERT_GE(lines.size(), 2U) << client.output();
    const auto first = dvbcss::cii::decode_cii(lines.at(0));
    ASSERT_TRUE(first) << lines.at(0);
    EXPECT_EQ(first->protocol_version, std::string("1.1"));
    ASSERT_TRUE(first->content_id.has_value());
    EXPECT_EQ(first->content_id.value().rfind("dvb://", 0), 0U);
    EXPECT_EQ(first->content_id_status, dvbcss::cii::id_status::final);
    EXPECT_EQ(first->presentation_status, std::vector<std::string>{"transitioning"});
    const auto second = dvbcss::cii::decode_cii(lines.at(1));
    ASSERT_TRUE(second) << lines.at(1);
    EXPECT_EQ(second->presentation_status, std::vector<std::string>{"okay"});
    EXPECT_TRUE(second->content_id.is_absent());
}

TEST_F(CiiToolsTest, ClientPrintsChangesForPeople) {
    child_process client({bin_dir + "/cii-client", url, "--duration", "1", "--loglevel", "error"});
    ASSERT_TRUE(client.started());
    EXPECT_EQ(client.wait_exit(20s), 0);
    const auto& out = client.output();
    EXPECT_NE(out.find("connected"), std::string::npos) << out;
    EXPECT_NE(out.find("change to protocolVersion property. Value is now: \"1.1\""),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("change to presentationStatus property. Value is now: \"transitioning\""),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("CII is now: {"), std::string::npos) << out;
    EXPECT_NE(out.find("disconnected (1000)"), std::string::npos) << out;
}

TEST_F(CiiToolsTest, ServerAllowsTwoCompanionsByDefault) {
    child_process a({bin_dir + "/cii-client", url, "--json", "--duration", "2", "-q"});
    child_process b({bin_dir + "/cii-client", url, "--json", "--duration", "2", "-q"});
    ASSERT_FALSE(a.read_until(std::regex("protocolVersion"), 10s).empty());
    ASSERT_FALSE(b.read_until(std::regex("protocolVersion"), 10s).empty());
    child_process third({bin_dir + "/cii-client", url, "--json", "-q"});
    EXPECT_EQ(third.wait_exit(10s), 1); // HTTP 503
    EXPECT_EQ(a.wait_exit(10s), 0);
    EXPECT_EQ(b.wait_exit(10s), 0);
}

TEST_F(CiiToolsTest, ClientFailsWhenItCannotConnect) {
    child_process client({bin_dir + "/cii-client", "ws://127.0.0.1:1/cii", "-q"});
    EXPECT_EQ(client.wait_exit(20s), 1);
    child_process wrong_path(
        {bin_dir + "/cii-client", url.substr(0, url.rfind('/')) + "/nothing", "-q"});
    EXPECT_EQ(wrong_path.wait_exit(20s), 1);
    child_process bad_url({bin_dir + "/cii-client", "http://127.0.0.1/cii", "-q"});
    EXPECT_NE(bad_url.wait_exit(20s), 0);
}

TEST_F(CiiToolsTest, ServerStopsCleanlyOnSigterm) {
    child_process client({bin_dir + "/cii-client", url, "--loglevel", "error"});
    ASSERT_FALSE(client.read_until(std::regex("CII is now"), 10s).empty());
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(10s), 0);
    EXPECT_EQ(client.wait_exit(10s), 1); // the server stopping is the client losing it
    EXPECT_NE(client.output().find("disconnected (1001"), std::string::npos) << client.output();
}

} // namespace
