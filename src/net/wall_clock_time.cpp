#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/wall_clock_time.hpp>

#include <cmath>

namespace dvbcss::net {
namespace {

std::int64_t floor_ns(tick_t ns) {
    if (!std::isfinite(ns)) {
        return 0;
    }
    return static_cast<std::int64_t>(std::floor(ns));
}

} // namespace

wall_clock_time::wall_clock_time(const clock::clock_base& clk)
    : clock_(&clk) {
    const auto* root = dynamic_cast<const clock::sys_clock*>(&clk.root());
    exact_ = root != nullptr &&
             dynamic_cast<const clock::monotonic_time_source*>(&root->time_source()) != nullptr;
}

std::int64_t wall_clock_time::at_monotonic(std::int64_t monotonic_ns) const {
    if (exact_) {
        const auto& root = static_cast<const clock::sys_clock&>(clock_->root());
        return floor_ns(
            clock_->ticks_to_nanos(clock_->from_root_ticks(root.ticks_at(monotonic_ns))));
    }
    const std::int64_t age = monotonic_now_ns() - monotonic_ns;
    const tick_t now = clock_->nanos();
    return floor_ns(now -
                    static_cast<tick_t>(age) * static_cast<tick_t>(clock_->effective_speed()));
}

std::int64_t wall_clock_time::now() const {
    if (exact_) {
        return at_monotonic(monotonic_now_ns());
    }
    return floor_ns(clock_->nanos());
}

} // namespace dvbcss::net
