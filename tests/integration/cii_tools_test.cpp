// The cii-server and cii-client programs, run as processes over loopback.
#include <dvbcss/cii/message.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

using namespace std::chrono_literals;

const std::string bin_dir = DVBCSS_BIN_DIR;

/// A child process whose standard output we read.
class child_process {
public:
    explicit child_process(std::vector<std::string> args) {
        int fds[2];
        if (pipe(fds) != 0) {
            return;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        out_ = fds[0];
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    ~child_process() {
        if (pid_ > 0 && !exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) {
            close(out_);
        }
    }

    bool started() const { return pid_ > 0; }

    /// Reads output until `pattern` matches it or `timeout` passes; returns the first group.
    std::string read_until(const std::regex& pattern, std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        std::smatch match;
        while (!std::regex_search(output_, match, pattern)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(left)) {
                return {};
            }
        }
        return match.size() > 1 ? match[1].str() : match[0].str();
    }

    /// Reads everything until the process closes its output, then returns its exit status.
    int wait_exit(std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(left)) {
                break;
            }
        }
        int status = 0;
        for (int i = 0; i < 500; ++i) {
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(10ms);
        }
        return -1;
    }

    void signal(int sig) const { kill(pid_, sig); }

    const std::string& output() const { return output_; }

private:
    bool read_some(std::chrono::milliseconds timeout) {
        pollfd p{out_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            return false;
        }
        std::array<char, 4096> buffer{};
        const auto n = read(out_, buffer.data(), buffer.size());
        if (n <= 0) {
            return false;
        }
        output_.append(buffer.data(), static_cast<std::size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1;
    bool exited_ = false;
    std::string output_;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return lines;
}

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
