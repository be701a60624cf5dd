// tv-device's timer for the next jump of a media timeline (tools/tv/media_jump_timer.hpp), on a
// real io_context and the monotonic clock: it fires once the jump is rendered, never before, and
// not when the player is paused, when no jump lies ahead, or once stopped.
#include "tv/media_jump_timer.hpp"

#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/media/timeline_mapping.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace dvbcss::tools {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t ms = 1'000'000;

std::int64_t now_ns() {
    return clock::monotonic_time_source::instance().now_ns();
}

/// 1 kHz from 0 at position 0, jumping to 500 000 at 150 ms and to 0 at 400 ms.
media::timeline_mapping jumping() {
    auto m = media::ct_timeline(1000, 0, 0);
    m.jumps = {{150 * ms, 500'000}, {400 * ms, 0}};
    return m;
}

/// Playing from position 0, which is rendered at `start_ns`.
media::playback_state playing_from(std::int64_t start_ns) {
    media::playback_state st;
    st.playing = true;
    st.base_time_ns = start_ns;
    return st;
}

TEST(MediaJumpTimer, FiresWhenEachJumpIsRenderedAndNeverBefore) {
    boost::asio::io_context io;
    const auto m = jumping();
    const std::vector<const media::timeline_mapping*> mappings{&m};
    const auto start = now_ns();
    const auto state = playing_from(start);
    std::vector<std::int64_t> fired;
    media_jump_timer* self = nullptr;
    media_jump_timer timer(io.get_executor(), [&] {
        fired.push_back(now_ns() - start);
        self->arm(state, mappings, now_ns());
    });
    self = &timer;
    timer.arm(state, mappings, now_ns());
    io.run_for(700ms);
    ASSERT_EQ(fired.size(), 2U) << "one call per jump, none after the last";
    EXPECT_GE(fired[0], 150 * ms);
    EXPECT_LT(fired[0], 250 * ms);
    EXPECT_GE(fired[1], 400 * ms);
    EXPECT_LT(fired[1], 500 * ms);
}

TEST(MediaJumpTimer, PausedNoJumpAheadOrStoppedNeverFires) {
    boost::asio::io_context io;
    const auto m = jumping();
    const std::vector<const media::timeline_mapping*> mappings{&m};
    int fired = 0;
    media_jump_timer timer(io.get_executor(), [&] { ++fired; });
    auto paused = playing_from(now_ns());
    paused.playing = false;
    paused.paused_position_ns = 100 * ms;
    timer.arm(paused, mappings, now_ns());
    const auto past_both = playing_from(now_ns() - 500 * ms); // at 500 ms already
    timer.arm(past_both, mappings, now_ns());
    io.run_for(300ms);
    EXPECT_EQ(fired, 0);
    timer.arm(playing_from(now_ns()), mappings, now_ns()); // the first jump 150 ms from now
    timer.stop();
    timer.arm(playing_from(now_ns()), mappings, now_ns()); // stopped: ignored
    io.restart();
    io.run_for(300ms);
    EXPECT_EQ(fired, 0);
}

} // namespace
} // namespace dvbcss::tools
