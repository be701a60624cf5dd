#pragma once

/// Helpers shared by the clock tests: a listener that records every notification (the reference's
/// MockDependent) and a system clock on a fake time source.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/sys_clock.hpp>

#include <cstdint>
#include <utility>
#include <vector>

#include <support/fake_time_source.hpp>

namespace dvbcss::test {

/// Compile-time probes for operations a clock type must not offer.
template <class Clock>
concept has_set_speed = requires(Clock& c) {
    c.set_speed(2.0);
};

template <class Clock>
concept has_set_tick_rate = requires(Clock& c) {
    c.set_tick_rate(2.0);
};

template <class Clock>
concept has_set_parent = requires(Clock& c, clock::clock_base& p) {
    c.set_parent(p);
};

/// Records the cause of every notification it receives, in order. Not thread-safe.
class recording_listener final : public clock::clock_listener {
public:
    void on_clock_changed(clock::clock_base& cause) override { causes.push_back(&cause); }

    /// Returns the recorded causes and forgets them.
    std::vector<const clock::clock_base*> take() {
        auto out = std::move(causes);
        causes.clear();
        return out;
    }

    std::vector<const clock::clock_base*> causes;
};

/// A fake time source and a sys_clock reading it. The clock's precision is measured while the
/// source advances 1 us per read; afterwards time stands still at `start_ns` until the test moves
/// it. Not thread-safe.
struct fake_root {
    explicit fake_root(double tick_rate = 1e6, std::int64_t start_ns = 0)
        : source(0)
        , sys((source.set_auto_increment_ns(1000), source), tick_rate) {
        source.set_auto_increment_ns(0);
        source.set_ns(start_ns);
    }

    fake_time_source source;
    clock::sys_clock sys;
};

} // namespace dvbcss::test
