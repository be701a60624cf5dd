#pragma once

// For integration tests that run an io_context on the test thread: run it until a condition
// holds or for a while, and silence the transport log while bad input is sent on purpose.

#include <dvbcss/net/log.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>

namespace dvbcss::test {

/// Runs `io` until `done()` holds or `limit` passes; true if `done()` held.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= end) {
            return false;
        }
        if (io.stopped()) {
            io.restart();
        }
        io.run_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// Runs `io` for `d` regardless.
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
        if (io.stopped()) {
            io.restart();
        }
        io.run_for(std::chrono::milliseconds(5));
    }
}

/// Silences the transport log for its lifetime (back to `warning` afterwards).
struct quiet_log {
    quiet_log() { net::log::set_level(net::log::level::off); }

    ~quiet_log() { net::log::set_level(net::log::level::warning); }

    quiet_log(const quiet_log&) = delete;
    quiet_log& operator=(const quiet_log&) = delete;
    quiet_log(quiet_log&&) = delete;
    quiet_log& operator=(quiet_log&&) = delete;
};

} // namespace dvbcss::test
