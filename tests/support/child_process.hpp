#pragma once

// A program started as a child process for integration tests: its standard output is read
// (with time limits), its standard input can be written, and it is killed if still running
// when the object is destroyed.

#include <array>
#include <chrono>
#include <csignal>
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

namespace dvbcss::test {

#ifdef DVBCSS_BIN_DIR
/// Where the build put the command-line programs the tests start (tv-device, ts-client, ...).
inline const std::string bin_dir = DVBCSS_BIN_DIR;
#endif

class child_process {
public:
    /// Starts args[0] with args; stdout is captured, stdin is a pipe when `with_stdin`.
    explicit child_process(std::vector<std::string> args, bool with_stdin = false) {
        int out[2] = {-1, -1};
        int in[2] = {-1, -1};
        if (pipe(out) != 0 || (with_stdin && pipe(in) != 0)) {
            return;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        if (with_stdin) {
            posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
            posix_spawn_file_actions_addclose(&actions, in[1]);
        }
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        out_ = out[0];
        if (with_stdin) {
            close(in[0]);
            in_ = in[1];
            fcntl(in_, F_SETFD, FD_CLOEXEC);
        }
        fcntl(out_, F_SETFD, FD_CLOEXEC);
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
        if (in_ >= 0) {
            close(in_);
        }
    }

    [[nodiscard]] bool started() const { return pid_ > 0; }

    /// Writes `line` and a newline to the child's standard input.
    bool write_line(const std::string& line) {
        if (in_ < 0) {
            return false;
        }
        const std::string text = line + "\n";
        return ::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    }

    /// Reads output until `pattern` matches text after `from`, or `timeout` passes; returns the
    /// first group (or the whole match), empty on timeout.
    std::string read_until(const std::regex& pattern, std::chrono::milliseconds timeout,
                           std::size_t from = 0) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        std::smatch match;
        while (true) {
            const std::string tail = output_.substr(std::min(from, output_.size()));
            if (std::regex_search(tail, match, pattern)) {
                return match.size() > 1 ? match[1].str() : match[0].str();
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(left)) {
                return {};
            }
        }
    }

    /// Reads whatever arrives within `duration`.
    void read_for(std::chrono::milliseconds duration) {
        const auto end = std::chrono::steady_clock::now() + duration;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return;
            }
            read_some(left);
        }
    }

    /// Reads everything until the process closes its output, then returns its exit status
    /// (128 + signal if killed; -1 if it did not exit in time).
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
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }

    void signal(int sig) const { kill(pid_, sig); }

    [[nodiscard]] const std::string& output() const { return output_; }

private:
    bool read_some(std::chrono::milliseconds timeout) {
        pollfd p{out_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            return false;
        }
        std::array<char, 65536> buffer{};
        const auto n = read(out_, buffer.data(), buffer.size());
        if (n <= 0) {
            return false;
        }
        output_.append(buffer.data(), static_cast<std::size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1;
    int in_ = -1;
    bool exited_ = false;
    std::string output_;
};

/// Splits text into lines (without the newlines).
inline std::vector<std::string> lines_of(const std::string& text) {
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

} // namespace dvbcss::test
