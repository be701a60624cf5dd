#include "common/timeline_control.hpp"

namespace dvbcss::tools {

void pause_timeline(clock::correlated_clock& timeline) {
    set_timeline_speed(timeline, 0.0);
}

void set_timeline_speed(clock::correlated_clock& timeline, double speed) {
    // Re-correlate at the parent's current tick value, so the position is continuous.
    const auto parent_now = timeline.parent()->ticks();
    const auto here = timeline.from_parent_ticks(parent_now);
    auto c = timeline.correlation().with_parent_ticks(parent_now).with_child_ticks(here);
    timeline.set_correlation_and_speed(c, speed);
}

void jump_timeline(clock::correlated_clock& timeline, std::int64_t delta_ticks) {
    auto c = timeline.correlation();
    c.child_ticks += static_cast<tick_t>(delta_ticks);
    timeline.set_correlation(c);
}

} // namespace dvbcss::tools
