#pragma once

/// tv-device --media: the moment the player renders the next jump of a timeline that jumps (a
/// TEMI timeline across programme boundaries), when its control timestamp must be computed
/// again (docs/media.md, "Serving a jump"). Nothing else changes a media timeline's control
/// timestamp without a pipeline event.

#include <dvbcss/media/playback_state.hpp>
#include <dvbcss/media/timeline_mapping.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <span>

namespace dvbcss::tools {

/// One timer for the earliest jump ahead among a set of media timelines.
///
/// Thread safety: use it on the executor it was given (tv-device's owner).
class media_jump_timer {
public:
    /// `on_jump` runs on `executor` a little (0.1 ms) after the jump it was armed for is
    /// rendered, so that the position rendered then is past it.
    media_jump_timer(boost::asio::any_io_executor executor, std::function<void()> on_jump);

    /// Arms for the earliest jump of `mappings` ahead of the position the pipeline timing `state`
    /// renders at `now_ns` (monotonic ns: the pipeline clock and tv-device's wall clock), or
    /// disarms if there is none (paused, no jump ahead). After `stop`, does nothing.
    void arm(const media::playback_state& state,
             std::span<const media::timeline_mapping* const> mappings, std::int64_t now_ns);

    /// Disarms for good (shutting down: nothing may keep the owner running).
    void stop();

private:
    boost::asio::steady_timer timer_;
    std::function<void()> on_jump_;
    bool stopped_ = false;
};

} // namespace dvbcss::tools
