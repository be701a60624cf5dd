#pragma once

// Captures the transport log (dvbcss/net/log.hpp) for tests that check what a peer can make the
// library log.

#include <dvbcss/net/log.hpp>

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::test {

/// Captures transport log lines at `l` and above as "logger:message"; restores the default sink
/// and level (warning) afterwards. Thread safe: the sink may be called from any thread.
class captured_log {
public:
    explicit captured_log(net::log::level l = net::log::level::info) {
        net::log::set_level(l);
        net::log::set_sink(
            [this](net::log::level, std::string_view logger, std::string_view message) {
                const std::lock_guard lock(mutex_);
                lines_.push_back(std::string(logger) + ":" + std::string(message));
            });
    }

    ~captured_log() {
        net::log::set_sink(nullptr);
        net::log::set_level(net::log::level::warning);
    }

    captured_log(const captured_log&) = delete;
    captured_log& operator=(const captured_log&) = delete;
    captured_log(captured_log&&) = delete;
    captured_log& operator=(captured_log&&) = delete;

    /// Lines containing `text`.
    [[nodiscard]] std::vector<std::string> matching(std::string_view text) const {
        const std::lock_guard lock(mutex_);
        std::vector<std::string> found;
        for (const auto& line : lines_) {
            if (line.find(text) != std::string::npos) {
                found.push_back(line);
            }
        }
        return found;
    }

    /// How many lines contain `text`.
    [[nodiscard]] std::size_t count(std::string_view text) const { return matching(text).size(); }

    /// Every line, one per line, for failure messages.
    [[nodiscard]] std::string all() const {
        const std::lock_guard lock(mutex_);
        std::string text;
        for (const auto& line : lines_) {
            text += line + "\n";
        }
        return text;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

} // namespace dvbcss::test
