// tv-device as a process over loopback: a scenario file's script, bad scenario files, POST
// /control (applied all or nothing, refused with the parser's error text, 405 for other methods),
// the companion page at / and the WebSocket wall clock at /wc.
#include "support/child_process.hpp"
#include "support/timeline_truth.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using dvbcss::test::child_process;

using dvbcss::test::bin_dir;
using dvbcss::test::pts;
using dvbcss::test::timeline_lines_of;

/// A file in the temporary directory, removed at the end of the test.
struct temp_file {
    std::string path;

    explicit temp_file(const std::string& text) {
        char name[] = "/tmp/dvbcss_scenario_XXXXXX";
        const int fd = mkstemp(name);
        path = name;
        if (fd >= 0) {
            const auto written = ::write(fd, text.data(), text.size());
            static_cast<void>(written);
            ::close(fd);
        }
    }

    ~temp_file() { std::remove(path.c_str()); }

    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

/// One HTTP/1.1 exchange over loopback: the status code and the body (0 if it failed).
struct http_answer {
    int status = 0;
    std::string head;
    std::string body;
};

http_answer http(int port, const std::string& method, const std::string& target,
                 const std::string& body = {}, const std::vector<std::string>& headers = {}) {
    http_answer answer;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return answer;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return answer;
    }
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers) {
        request += h + "\r\n";
    }
    request +=
        "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return answer;
    }
    std::string response;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) {
            continue;
        }
        char buffer[4096];
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto end = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) {
        return answer;
    }
    answer.status = std::stoi(response.substr(9, 3));
    answer.head = response.substr(0, end);
    answer.body = response.substr(end + 4);
    return answer;
}

/// tv-device on loopback (any free ports) with `extra` options; its HTTP port.
struct scenario_tv {
    std::unique_ptr<child_process> process;
    int port = 0;

    explicit scenario_tv(std::vector<std::string> extra) {
        std::vector<std::string> args{
            bin_dir + "/tv-device", "127.0.0.1", "0", "127.0.0.1", "0", "--json",
            "--loglevel",           "warning"};
        args.insert(args.end(), extra.begin(), extra.end());
        process = std::make_unique<child_process>(args, true);
        const auto p =
            process->read_until(std::regex(R"(Companion page: http://127\.0\.0\.1:(\d+)/)"), 10s);
        port = p.empty() ? 0 : std::stoi(p);
        // The start truth lines come after the banner.
        process->read_until(std::regex(R"("cause":"start")"), 5s);
    }
};

const std::string scenario_text = R"({
  "contents": [
    {"id": "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M",
     "timelines": [
       {"selector": "urn:dvb:css:timeline:pts", "tick_rate": 90000, "start": 900000},
       {"selector": "urn:dvb:css:timeline:temi:1:1", "tick_rate": 50, "parent": "urn:dvb:css:timeline:pts"}]},
    {"id": "dvb://other", "status": "partial",
     "timelines": [{"selector": "urn:dvb:css:timeline:temi:1:1", "tick_rate": 1000, "start": 5000}]}
  ],
  "script": [
    {"at": 1, "do": "pause"},
    {"at": 2, "do": "play"}
  ]
})";

TEST(TvDeviceScenario, TheScriptPausesAtOneSecondAndResumesAtTwo) {
    temp_file file(scenario_text);
    scenario_tv tv({"--scenario", file.path});
    ASSERT_NE(tv.port, 0) << tv.process->output();
    EXPECT_FALSE(tv.process->read_until(std::regex(R"("cause":"play")"), 10s).empty())
        << tv.process->output();
    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);

    const auto truth = timeline_lines_of(tv.process->output(), pts);
    ASSERT_EQ(truth.size(), 3U) << tv.process->output();
    EXPECT_EQ(truth[0]["cause"], "start");
    EXPECT_EQ(truth[1]["cause"], "pause");
    EXPECT_EQ(truth[2]["cause"], "play");
    // Starts at its start position (10 s of PTS), pauses about 1 s later, stays put for 1 s.
    EXPECT_NEAR(truth[0]["content_time"].get<double>(), 900000, 90000 * 0.5);
    EXPECT_EQ(truth[1]["speed"], 0);
    EXPECT_EQ(truth[2]["speed"], 1);
    // Paused: the same position (but for the microseconds between a change and its truth line).
    EXPECT_NEAR(truth[1]["content_time"].get<double>(), truth[2]["content_time"].get<double>(), 90);
    const auto at = [&](int i) {
        return truth[i]["monotonic_ns"].get<double>() / 1e9;
    };
    EXPECT_NEAR(at(2) - at(1), 1.0, 0.4);
    EXPECT_NEAR(truth[1]["content_time"].get<double>() - truth[0]["content_time"].get<double>(),
                (at(1) - at(0)) * 90000, 90000 * 0.05);
    // The child timeline followed its parent.
    const auto temi = timeline_lines_of(tv.process->output(), "urn:dvb:css:timeline:temi:1:1");
    ASSERT_EQ(temi.size(), 3U);
    EXPECT_EQ(temi[1]["speed"], 0);
}

TEST(TvDeviceScenario, ABadScenarioExitsWithItsErrorAndNothingRuns) {
    const auto run = [](const std::string& text) {
        temp_file file(text);
        child_process tv({"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", bin_dir + "/tv-device",
                          "127.0.0.1", "0", "127.0.0.1", "0", "--scenario", file.path});
        const int status = tv.wait_exit(10s);
        return std::make_pair(status, tv.output());
    };
    const auto [bad_field_status, bad_field] =
        run(R"({"contents":[{"id":"dvb://a","timelines":[]}],"script":[{"at":1,"do":"pause"},)"
            R"({"at":1,"do":"pause"},{"at":1,"do":"pause"},{"at":2,"do":"speed","speed":200}]})");
    EXPECT_EQ(bad_field_status, 2);
    EXPECT_NE(bad_field.find(": script[3].speed: must be a number between -100 and 100\n"),
              std::string::npos)
        << bad_field;
    EXPECT_EQ(bad_field.find("CSS-CII"), std::string::npos) << bad_field; // never started
    const auto [syntax_status, syntax] = run("{\n  \"contents\": [\n    {\"id\" \"dvb://a\"}\n]}");
    EXPECT_EQ(syntax_status, 2);
    EXPECT_NE(syntax.find(": line 3, column 19: "), std::string::npos) << syntax;
    child_process missing({bin_dir + "/tv-device", "--scenario", "/nonexistent/scenario.json"});
    EXPECT_EQ(missing.wait_exit(10s), 2);
    child_process both(
        {bin_dir + "/tv-device", "--scenario", "/nonexistent/scenario.json", "--cycle", "10"});
    EXPECT_EQ(both.wait_exit(10s), 2);
}

TEST(TvDeviceScenario, AControlNamingSeveralTimelinesSaysWhichAndIsRefused) {
    temp_file file(R"({"contents":[{"id":"dvb://a","timelines":[)"
                   R"({"selector":"urn:dvb:css:timeline:temi:1:1","tick_rate":1000},)"
                   R"({"selector":"urn:dvb:css:timeline:temi:2:1","tick_rate":1000}]}]})");
    scenario_tv tv({"--scenario", file.path, "--no-console"});
    ASSERT_NE(tv.port, 0) << tv.process->output();
    auto a = http(tv.port, "POST", "/control", R"({"do":"unavailable","timeline":"1"})");
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("timeline: \\\"1\\\" names several timelines of the content shown "
                          "(urn:dvb:css:timeline:temi:1:1, urn:dvb:css:timeline:temi:2:1): give "
                          "more of the selector"),
              std::string::npos)
        << a.body;
    a = http(tv.port, "POST", "/control", R"({"do":"unavailable","timeline":"2:1"})");
    EXPECT_EQ(a.status, 200) << a.body;
    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);
}

TEST(TvDeviceScenario, ControlAppliesChangesAllOrNothing) {
    temp_file file(scenario_text);
    scenario_tv tv({"--scenario", file.path, "--no-console"});
    ASSERT_NE(tv.port, 0) << tv.process->output();

    // One good change: applied, its truth printed, the new truth in the answer.
    auto a = http(tv.port, "POST", "/control", R"({"do":"unavailable","timeline":"temi:1:1"})");
    EXPECT_EQ(a.status, 200) << a.head << a.body;
    const auto answer = nlohmann::json::parse(a.body, nullptr, false);
    ASSERT_FALSE(answer.is_discarded()) << a.body;
    EXPECT_EQ(answer["applied"][0]["do"], "unavailable");
    EXPECT_EQ(answer["state"]["timelines"][1]["available"], false) << a.body;
    EXPECT_EQ(answer["state"]["timelines"][0]["available"], true);
    EXPECT_FALSE(tv.process
                     ->read_until(std::regex(R"("selector":"urn:dvb:css:timeline:temi:1:1",[^\n]*)"
                                             R"("available":false,"cause":"unavailable")"),
                                  5s)
                     .empty())
        << tv.process->output();

    // A bad change: 400 with the parser's text; an array with one bad entry: nothing applied.
    const auto before = tv.process->output().size();
    a = http(tv.port, "POST", "/control", R"({"do":"speed","speed":200})");
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("speed: must be a number between -100 and 100"), std::string::npos)
        << a.body;
    a = http(tv.port, "POST", "/control", R"([{"do":"pause"},{"do":"seek","by":"far"}])");
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("[1].by: must be a number"), std::string::npos) << a.body;
    a = http(tv.port, "POST", "/control",
             R"([{"do":"pause"},{"do":"available","timeline":"mpd"}])");
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("[1].timeline: no timeline \\\"mpd\\\" in the content shown"),
              std::string::npos)
        << a.body;
    a = http(tv.port, "POST", "/control", "{\"do\":");
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("line 1, column 7: "), std::string::npos) << a.body;
    // Well-formed JSON with a number no double holds: 400 naming it, and the TV stays up.
    a = http(tv.port, "POST", "/control", R"({"do":"speed","speed":1e400})");
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("number 1e400 is beyond the range of a double"), std::string::npos)
        << a.body;
    // Other methods.
    a = http(tv.port, "GET", "/control");
    EXPECT_EQ(a.status, 405);
    EXPECT_NE(a.head.find("Allow: POST"), std::string::npos) << a.head;
    tv.process->read_for(300ms);
    EXPECT_EQ(tv.process->output().find("\"cause\"", before), std::string::npos)
        << tv.process->output().substr(before);

    // An array applied in order: pause, then a declared content with its own timelines.
    a = http(
        tv.port, "POST", "/control",
        R"([{"do":"pause"},{"do":"content","id":"dvb://other"},{"do":"seek","to":7,"timeline":"temi:1:1"}])");
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_FALSE(
        tv.process
            ->read_until(
                std::regex(
                    R"("event":"content","monotonic_ns":\d+,"content_id":"dvb://other","content_id_status":"partial")"),
                5s, before)
            .empty())
        << tv.process->output();
    const auto after = nlohmann::json::parse(a.body, nullptr, false);
    ASSERT_FALSE(after.is_discarded()) << a.body;
    ASSERT_EQ(after["state"]["timelines"].size(), 1U) << a.body;
    EXPECT_NEAR(after["state"]["timelines"][0]["content_time"].get<double>(), 7000, 200);
    EXPECT_EQ(after["state"]["content_id"], "dvb://other");

    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);
    const auto paused = timeline_lines_of(tv.process->output(), pts);
    ASSERT_FALSE(paused.empty());
    EXPECT_EQ(paused.back()["cause"], "pause");
}

TEST(TvDeviceScenario, ConsoleCommandsAreTheSameChanges) {
    scenario_tv tv({"--cycle", "0"});
    ASSERT_NE(tv.port, 0) << tv.process->output();
    ASSERT_TRUE(tv.process->write_line("seek to 100"));
    ASSERT_TRUE(tv.process->write_line("presentation transitioning"));
    ASSERT_TRUE(tv.process->write_line("status partial"));
    EXPECT_FALSE(
        tv.process
            ->read_until(
                std::regex(
                    R"("content_id_status":"partial","presentation_status":"transitioning")"),
                5s)
            .empty())
        << tv.process->output();
    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);
    const auto truth = timeline_lines_of(tv.process->output(), pts);
    ASSERT_EQ(truth.size(), 2U) << tv.process->output();
    EXPECT_EQ(truth[1]["cause"], "seek");
    EXPECT_NEAR(truth[1]["content_time"].get<double>(), 100 * 90000, 9000);
}

TEST(TvDeviceScenario, ALastCommandWithoutNewlineStillCounts) {
    // `printf quit | tv-device ...`: the input ends without a newline after the command.
    child_process tv({"/bin/sh", "-c", "printf 'stats\\nquit' | exec \"$0\" \"$@\" 2>&1",
                      bin_dir + "/tv-device", "127.0.0.1", "0", "127.0.0.1", "0", "--cycle", "0"});
    EXPECT_EQ(tv.wait_exit(10s), 0) << tv.output();
    EXPECT_NE(tv.output().find("\"event\":\"wc_stats\""), std::string::npos) << tv.output();
}

TEST(TvDeviceScenario, ServesTheCompanionPageAndTheWebSocketWallClock) {
    scenario_tv tv({"--cycle", "0", "--no-console"});
    ASSERT_NE(tv.port, 0) << tv.process->output();
    EXPECT_NE(tv.process->output().find("CSS-WC over WebSocket: ws://127.0.0.1:"),
              std::string::npos);
    auto page = http(tv.port, "GET", "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.head.find("text/html"), std::string::npos) << page.head;
    EXPECT_NE(page.head.find("Cache-Control: no-cache"), std::string::npos) << page.head;
    EXPECT_NE(page.body.find("<html"), std::string::npos);
    EXPECT_EQ(http(tv.port, "HEAD", "/").status, 200);
    EXPECT_EQ(http(tv.port, "POST", "/", "x").status, 405);
    EXPECT_EQ(http(tv.port, "GET", "/no-such-page.html").status, 404);
    // /wc is a WebSocket endpoint: a plain request is told to upgrade.
    EXPECT_EQ(http(tv.port, "GET", "/wc").status, 426);
    const auto status = http(tv.port, "GET", "/status.json");
    EXPECT_EQ(status.status, 200);
    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0);
}

} // namespace
