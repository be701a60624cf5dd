#include "common/net_setup.hpp"

#include <dvbcss/clock/time_source.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cmath>
#include <cstdio>

namespace dvbcss::tools {

bool resolve_address(boost::asio::io_context& io, const std::string& text,
                     boost::asio::ip::address& out) {
    boost::system::error_code ec;
    out = boost::asio::ip::make_address(text, ec);
    if (!ec) {
        return true;
    }
    boost::asio::ip::tcp::resolver resolver(io);
    const auto results = resolver.resolve(text, "", ec);
    if (ec || results.empty()) {
        return false;
    }
    out = results.begin()->endpoint().address();
    return true;
}

std::string url_host(const boost::asio::ip::address& a) {
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

void print_timeline_truth(std::string_view selector, const clock::clock_base& wall_clock,
                          const clock::clock_base& timeline, std::string_view cause) {
    // One reading of the root (CLOCK_MONOTONIC), carried down to both clocks.
    const auto root_ns = clock::monotonic_time_source::instance().now_ns();
    const auto* root = &wall_clock;
    while (root->parent() != nullptr) {
        root = root->parent();
    }
    const auto root_ticks = static_cast<tick_t>(root_ns) * root->tick_rate() / 1e9;
    const auto wall = wall_clock.from_root_ticks(root_ticks);
    const auto wall_ns = static_cast<long long>(std::floor(wall * 1e9 / wall_clock.tick_rate()));
    const bool available = timeline.is_available();
    std::string content = "null";
    std::string speed = "null";
    if (available) {
        content = std::to_string(
            static_cast<long long>(std::floor(timeline.from_root_ticks(root_ticks))));
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g",
                      timeline.effective_speed() / wall_clock.effective_speed());
        speed = buffer;
    }
    std::printf("{\"event\":\"timeline\",\"selector\":\"%.*s\",\"monotonic_ns\":%lld,"
                "\"wall_clock_ns\":%lld,\"content_time\":%s,\"speed\":%s,\"tick_rate\":%.17g,"
                "\"available\":%s,\"cause\":\"%.*s\"}\n",
                static_cast<int>(selector.size()), selector.data(), static_cast<long long>(root_ns),
                wall_ns, content.c_str(), speed.c_str(), timeline.tick_rate(),
                available ? "true" : "false", static_cast<int>(cause.size()), cause.data());
    std::fflush(stdout);
}

} // namespace dvbcss::tools
