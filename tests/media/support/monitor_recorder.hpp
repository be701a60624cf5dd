#pragma once

// Records a PulseAudio source (the test server's null-sink monitor) with parec as stereo 16-bit
// 48 kHz samples, on a thread of its own, and remembers when each block arrived so that a
// steady_clock instant (a command sent to a player) can be placed on the recording's time axis.
// The placement assumes the least-delayed block arrived at once; capture latency (tens of ms)
// makes instants look that much later, which only makes recovery times look shorter by as much.
//
// start()/stop() and the accessors are for one test thread; the reader thread only appends
// under the mutex. The destructor stops parec (bounded) and joins the thread.

#include "pulse_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>

namespace dvbcss::test::media {

class monitor_recorder {
public:
    static constexpr int rate = 48000;
    static constexpr int channels = 2;

    monitor_recorder() = default;
    monitor_recorder(const monitor_recorder&) = delete;
    monitor_recorder& operator=(const monitor_recorder&) = delete;

    ~monitor_recorder() { stop(); }

    /// Starts recording `device`; empty string on success, else why not.
    std::string start(const std::string& device) {
        int out[2] = {-1, -1};
        if (pipe2(out, O_CLOEXEC) != 0) {
            return "pipe failed";
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        std::vector<std::string> args{"parec",        "-d",           device,  "--format=s16le",
                                      "--rate=48000", "--channels=2", "--raw", "--latency-msec=10"};
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        if (posix_spawnp(&pid_, "parec", &actions, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        if (pid_ <= 0) {
            close(out[0]);
            return "cannot start parec (package pulseaudio-utils)";
        }
        fd_ = out[0];
        reader_ = std::thread([this] { read_loop(); });
        return {};
    }

    /// Stops parec and the reader; what was recorded stays.
    void stop() {
        if (pid_ > 0) {
            stop_process(pid_, SIGTERM, std::chrono::milliseconds(2000));
            pid_ = -1;
        }
        stopping_ = true;
        if (reader_.joinable()) {
            reader_.join();
        }
        if (fd_ >= 0) {
            close(fd_);
            fd_ = -1;
        }
    }

    /// Seconds recorded so far.
    [[nodiscard]] double seconds() const {
        const std::lock_guard lock(mutex_);
        return static_cast<double>(samples_.size() / channels) / rate;
    }

    /// Waits until `s` seconds are recorded or `limit` passes; true if they are.
    bool wait_for_seconds(double s, std::chrono::milliseconds limit) const {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (seconds() < s) {
            if (std::chrono::steady_clock::now() >= end) {
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }

    /// A copy of the interleaved samples so far.
    [[nodiscard]] std::vector<std::int16_t> samples() const {
        const std::lock_guard lock(mutex_);
        return samples_;
    }

    /// Where steady_clock instant `t` falls on the recording, in seconds from its first frame.
    [[nodiscard]] double recording_time_of(std::chrono::steady_clock::time_point t) const {
        const std::lock_guard lock(mutex_);
        return std::chrono::duration<double>(t.time_since_epoch()).count() - first_frame_steady_s_;
    }

    /// Writes the recording as a stereo WAV file (for looking at a failure by ear or eye).
    bool save_wav(const std::string& path) const {
        const auto data = samples();
        std::ofstream out(path, std::ios::binary);
        const auto put = [&](std::uint32_t v, int bytes) {
            for (int i = 0; i < bytes; ++i) {
                out.put(static_cast<char>((v >> (8 * i)) & 0xFF));
            }
        };
        const auto bytes = static_cast<std::uint32_t>(data.size() * 2);
        out.write("RIFF", 4);
        put(36 + bytes, 4);
        out.write("WAVEfmt ", 8);
        put(16, 4);
        put(1, 2);
        put(channels, 2);
        put(rate, 4);
        put(rate * channels * 2, 4);
        put(channels * 2, 2);
        put(16, 2);
        out.write("data", 4);
        put(bytes, 4);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(bytes));
        return static_cast<bool>(out);
    }

private:
    void read_loop() {
        std::array<char, 16384> buffer{};
        std::string partial;
        while (!stopping_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) {
                continue;
            }
            const auto n = read(fd_, buffer.data(), buffer.size());
            if (n <= 0) {
                return;
            }
            const double now_s =
                std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                    .count();
            partial.append(buffer.data(), static_cast<std::size_t>(n));
            const std::size_t whole = partial.size() / 4 * 4;
            const std::lock_guard lock(mutex_);
            const std::size_t old = samples_.size();
            samples_.resize(old + whole / 2);
            std::memcpy(samples_.data() + old, partial.data(), whole);
            partial.erase(0, whole);
            const double frames_end = static_cast<double>(samples_.size() / channels);
            first_frame_steady_s_ = std::min(first_frame_steady_s_, now_s - frames_end / rate);
        }
    }

    mutable std::mutex mutex_;
    std::vector<std::int16_t> samples_;
    double first_frame_steady_s_ = std::numeric_limits<double>::infinity();
    std::thread reader_;
    std::atomic<bool> stopping_{false};
    pid_t pid_ = -1;
    int fd_ = -1;
};

} // namespace dvbcss::test::media
