#pragma once

// A steady CSS-WC request load on a TV's wall clock server, and the TV's own account of its
// processing delay (t3 - t2) from tv-device's `stats` console command: for the fan-out
// benchmarks, which compare the wall clock server idle and while companions are busy.

#include "bench_support.hpp"
#include "support/child_process.hpp"

#include <dvbcss/wc/message.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dvbcss::bench {

/// CSS-WC requests at a steady rate from one UDP socket on its own thread; responses are
/// drained and their round trip recorded.
class wc_load {
public:
    wc_load(std::uint16_t port, double rate)
        : rate_(rate) {
        socket_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok_ = socket_ >= 0 &&
              ::connect(socket_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
    }

    ~wc_load() {
        stop();
        if (socket_ >= 0) {
            ::close(socket_);
        }
    }

    wc_load(const wc_load&) = delete;
    wc_load& operator=(const wc_load&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }

    void start() {
        running_ = true;
        thread_ = std::thread([this] { loop(); });
    }

    void stop() {
        running_ = false;
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    /// Requests sent, responses received and sorted round trips (µs) since the last call.
    struct figures {
        std::uint64_t sent = 0;
        std::uint64_t received = 0;
        std::vector<double> rtt_us;
    };

    figures take() {
        std::lock_guard lock(mutex_);
        figures f{sent_, received_, std::move(rtt_us_)};
        sent_ = 0;
        received_ = 0;
        rtt_us_.clear();
        std::sort(f.rtt_us.begin(), f.rtt_us.end());
        return f;
    }

private:
    void loop() {
        const auto start = monotonic_ns();
        const double period_ns = 1e9 / rate_;
        std::uint64_t count = 0;
        while (running_) {
            const auto now = monotonic_ns();
            const auto due =
                static_cast<std::uint64_t>(static_cast<double>(now - start) / period_ns);
            for (; count < due; ++count) {
                wc::message request;
                request.type = wc::message_type::request;
                request.originate = wc::raw_timestamp::from_ns(monotonic_ns());
                const auto bytes = wc::encode(request);
                if (::send(socket_, bytes.data(), bytes.size(), MSG_DONTWAIT) ==
                    static_cast<ssize_t>(bytes.size())) {
                    std::lock_guard lock(mutex_);
                    ++sent_;
                }
            }
            // Wait for a response or the next request's time, whichever comes first, so that
            // the round trip is stamped when the response arrives.
            const auto next =
                start + static_cast<std::int64_t>(static_cast<double>(count + 1) * period_ns);
            if (readable_before(socket_, next)) {
                drain();
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        drain();
    }

    void drain() {
        wc::message_bytes buffer{};
        while (true) {
            const auto n = ::recv(socket_, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) {
                return;
            }
            const auto arrived = monotonic_ns();
            const auto m =
                wc::decode(std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(n)));
            if (!m || !wc::is_response(m->type)) {
                continue;
            }
            std::lock_guard lock(mutex_);
            ++received_;
            if (m->type != wc::message_type::followup) {
                rtt_us_.push_back(static_cast<double>(arrived - m->originate.to_ns()) / 1e3);
            }
        }
    }

    double rate_;
    int socket_ = -1;
    bool ok_ = false;
    std::atomic<bool> running_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
    std::vector<double> rtt_us_;
};

/// tv-device's answer to `stats` (`answered` counts since it started; the delays since the
/// previous `stats`).
struct wc_stats {
    std::uint64_t answered = 0;
    std::string p50_ns;
    std::string p99_ns;
    std::string max_ns;
    /// The server's own work: from dequeuing the request to t3 (empty if tv-device did not say).
    std::string dequeue_p99_ns;
};

inline std::optional<wc_stats> ask_stats(test::child_process& tv) {
    const auto from = tv.output().size();
    tv.write_line("stats");
    const std::regex pattern(
        R"(\{"event":"wc_stats"[^\n]*"answered":(\d+),"processing_delay_p50_ns":(\w+),)"
        R"("processing_delay_p99_ns":(\w+),"processing_delay_max_ns":(\w+)(?:,[^\n]*)?\})");
    if (tv.read_until(pattern, std::chrono::seconds(5), from).empty()) {
        return std::nullopt;
    }
    const std::string tail = tv.output().substr(from);
    std::smatch m;
    std::regex_search(tail, m, pattern);
    wc_stats s{std::stoull(m[1].str()), m[2].str(), m[3].str(), m[4].str(), {}};
    // A field added after the first four: the part of t3 - t2 after the request was dequeued.
    // The match is the whole stats object, so the field is looked for in it alone.
    const std::regex own(R"("processing_delay_since_dequeue_p99_ns":(\w+))");
    const std::string object = m[0].str();
    if (std::smatch d; std::regex_search(object, d, own)) {
        s.dequeue_p99_ns = d[1].str();
    }
    return s;
}

inline std::string us_text(const std::string& ns) {
    if (ns == "null") {
        return "-";
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", std::strtod(ns.c_str(), nullptr) / 1e3);
    return buffer;
}

inline void print_wc(const char* what, const wc_stats& s, std::uint64_t answered_before,
                     const wc_load::figures& f) {
    std::printf("  %-22s answered %llu (sent %llu, got %llu)  t3-t2 p50 %s us  p99 %s us  max %s us"
                "   round trip p50 %.1f us  p99 %.1f us\n",
                what, static_cast<unsigned long long>(s.answered - answered_before),
                static_cast<unsigned long long>(f.sent),
                static_cast<unsigned long long>(f.received), us_text(s.p50_ns).c_str(),
                us_text(s.p99_ns).c_str(), us_text(s.max_ns).c_str(), quantile(f.rtt_us, 0.5),
                quantile(f.rtt_us, 0.99));
    if (!s.dequeue_p99_ns.empty()) {
        std::printf("  %-22s of which after the request was dequeued (the server's own work): "
                    "p99 %s us\n",
                    "", us_text(s.dequeue_p99_ns).c_str());
    }
}

} // namespace dvbcss::bench
