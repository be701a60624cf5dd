#pragma once

// A PulseAudio server of the test's own, for the media end-to-end tests on machines with no sound
// card: started in a fresh temporary directory (its runtime dir, home and unix socket), with one
// stereo 40 kHz null sink ("e2e", the default sink) whose monitor the tests record. Clients find
// it through PULSE_SERVER, which start() sets in this process's environment so that every child
// started afterwards (players, recorders) uses it; the socket is a file, so clients in other
// network namespaces reach it too. The destructor stops the server (SIGTERM, then SIGKILL after
// 3 s) and removes the directory, also when a test fails.
//
// Not thread-safe; one object per test.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dvbcss::test::media {

/// Starts `args` with standard output and error appended to `log_path` (standard input
/// /dev/null) and `extra_env` ("NAME=value") added to this process's environment; the pid, or
/// -1 if it could not be started.
inline pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log_path,
                          const std::vector<std::string>& extra_env = {}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<std::string> copies(args);
    std::vector<char*> argv;
    for (auto& a : copies) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_copies(extra_env);
    std::vector<char*> envp;
    for (auto& e : env_copies) {
        envp.push_back(e.data());
    }
    for (char** e = environ; *e != nullptr; ++e) {
        envp.push_back(*e);
    }
    envp.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) {
        pid = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

/// Sends `sig` to `pid` and waits up to `grace` for it to exit, then SIGKILLs and reaps it.
inline void stop_process(pid_t pid, int sig, std::chrono::milliseconds grace) {
    if (pid <= 0) {
        return;
    }
    kill(pid, sig);
    const auto end = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < end) {
        if (waitpid(pid, nullptr, WNOHANG) == pid) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

/// The text of a file (empty if unreadable), for failure messages.
inline std::string file_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class pulse_server {
public:
    static constexpr const char* sink_name = "e2e";
    // 40 kHz, not the media's 48 kHz: a null sink advances its clock by each rendered chunk's
    // duration truncated to whole microseconds, and a 48 kHz frame lasts 20.83 us, so at 48 kHz
    // the sink ran 400-1000 ppm fast. Every audio sink then corrected its skew in 0.5 ms steps,
    // and while a new stream's interpolated timing learnt that rate its sink stepped the wrong way
    // for seconds: a TV and a companion started within a second of it rendered 2-8 ms apart for
    // 10 s and more. At 40 kHz a frame lasts 25 us exactly; each stream is resampled, with the
    // same delay for every stream.
    static constexpr int rate = 40000;

    pulse_server() = default;
    pulse_server(const pulse_server&) = delete;
    pulse_server& operator=(const pulse_server&) = delete;

    ~pulse_server() {
        stop_process(pid_, SIGTERM, std::chrono::milliseconds(3000));
        if (!dir_.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(dir_, ignored);
        }
    }

    /// Starts the server and waits (up to 10 s) until its socket accepts connections. Returns
    /// an empty string on success, else why it failed (with the server's log).
    std::string start() {
        char pattern[] = "/tmp/dvbcss-pulse-XXXXXX";
        if (mkdtemp(pattern) == nullptr) {
            return "cannot create a temporary directory for PulseAudio";
        }
        dir_ = pattern;
        socket_ = dir_ + "/native";
        const std::string script = dir_ + "/server.pa";
        {
            std::ofstream pa(script);
            pa << "load-module module-null-sink sink_name=" << sink_name << " rate=" << rate
               << " channels=2 channel_map=front-left,front-right\n"
               << "load-module module-native-protocol-unix auth-anonymous=1 socket=" << socket_
               << "\nset-default-sink " << sink_name << "\n";
            if (!pa) {
                return "cannot write " + script;
            }
        }
        {
            // Without this the sink switches to the first stream's rate (48 kHz) when it starts.
            std::error_code ignored;
            std::filesystem::create_directories(dir_ + "/.config/pulse", ignored);
            std::ofstream conf(dir_ + "/.config/pulse/daemon.conf");
            conf << "default-sample-rate = " << rate << "\nalternate-sample-rate = " << rate
                 << "\n";
            if (!conf) {
                return "cannot write " + dir_ + "/.config/pulse/daemon.conf";
            }
        }
        log_ = dir_ + "/pulseaudio.log";
        pid_ = spawn_logged(
            {"pulseaudio", "-n", "-F", script, "--daemonize=no", "--exit-idle-time=-1",
             "--system=false", "--use-pid-file=false", "--log-target=stderr",
             "--log-level=warning"},
            log_,
            {"XDG_RUNTIME_DIR=" + dir_, "HOME=" + dir_, "XDG_CONFIG_HOME=" + dir_ + "/.config"});
        if (pid_ <= 0) {
            return "cannot start pulseaudio (package pulseaudio; scripts/install-deps.sh)";
        }
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < end) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return "pulseaudio exited at start: " + file_text(log_);
            }
            if (accepts()) {
                setenv("PULSE_SERVER", server().c_str(), 1);
                return {};
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return "pulseaudio did not open " + socket_ + " within 10 s: " + file_text(log_);
    }

    /// "unix:<socket path>", PULSE_SERVER's value for clients.
    [[nodiscard]] std::string server() const { return "unix:" + socket_; }

    [[nodiscard]] const std::string& directory() const { return dir_; }

    [[nodiscard]] std::string log() const { return file_text(log_); }

    [[nodiscard]] static std::string monitor() { return std::string(sink_name) + ".monitor"; }

private:
    [[nodiscard]] bool accepts() const {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_.c_str());
        const bool ok =
            connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        return ok;
    }

    std::string dir_;
    std::string socket_;
    std::string log_;
    pid_t pid_ = -1;
};

} // namespace dvbcss::test::media
