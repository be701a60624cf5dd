#include "tv/media_jump_timer.hpp"

#include <dvbcss/media/control_timestamps.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

namespace dvbcss::tools {

media_jump_timer::media_jump_timer(boost::asio::any_io_executor executor,
                                   std::function<void()> on_jump)
    : timer_(std::move(executor))
    , on_jump_(std::move(on_jump)) {}

void media_jump_timer::arm(const media::playback_state& state,
                           std::span<const media::timeline_mapping* const> mappings,
                           std::int64_t now_ns) {
    timer_.cancel();
    if (stopped_) {
        return;
    }
    std::optional<std::int64_t> next;
    for (const auto* m : mappings) {
        if (const auto at = media::next_jump_clock_time(state, *m, now_ns)) {
            next = std::min(next.value_or(*at), *at);
        }
    }
    if (!next) {
        return;
    }
    constexpr std::int64_t margin_ns = 100'000;
    timer_.expires_at(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*next + margin_ns)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !stopped_) {
            on_jump_();
        }
    });
}

void media_jump_timer::stop() {
    stopped_ = true;
    timer_.cancel();
}

} // namespace dvbcss::tools
