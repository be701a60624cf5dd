/// Proof that long double tick arithmetic keeps derived clocks within 1 ns of the exact answer
/// after 100 days of uptime, for nanosecond and 90 kHz clocks and for chains of them.

#include "clock_test_support.hpp"

#include <dvbcss/clock/correlated_clock.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace dvbcss::clock {
namespace {

using test::fake_root;

__extension__ using int128 = __int128;

constexpr std::int64_t hundred_days_ns = std::int64_t{100} * 86'400 * 1'000'000'000;

/// A rational number n / 1e9, exact.
struct exact_value {
    int128 billionths;
};

/// |ticks - exact| expressed in nanoseconds at `rate` ticks per second.
double error_ns(tick_t ticks, exact_value exact, double rate) {
    const int128 whole = exact.billionths / 1'000'000'000;
    const int128 frac = exact.billionths % 1'000'000'000;
    const tick_t diff_ticks =
        (ticks - static_cast<tick_t>(whole)) - static_cast<tick_t>(frac) / 1e9L;
    return static_cast<double>(std::fabs(diff_ticks) * 1e9L / static_cast<tick_t>(rate));
}

TEST(ClockPrecision, NanosecondChainAfterHundredDays) {
    // Root at 100 days plus an odd number of nanoseconds.
    const std::int64_t start = hundred_days_ns + 123'456'789;
    fake_root r(1e9, start);
    // Correlations taken a few minutes ago, mapping onto large, unrelated tick values.
    const std::int64_t p1 = start - 300'000'000'007;
    const std::int64_t c1 = 7'777'777'777'777'777;
    const std::int64_t c2 = -3'333'333'333'333'331;
    const std::int64_t c3 = 1'234'567'890'123'457;
    correlated_clock a(r.sys, 1e9, {static_cast<tick_t>(p1), static_cast<tick_t>(c1)});
    correlated_clock b(a, 1e9, {static_cast<tick_t>(c1 + 5), static_cast<tick_t>(c2)});
    correlated_clock c(b, 1e9, {static_cast<tick_t>(c2 - 11), static_cast<tick_t>(c3)});

    for (std::int64_t step = 0; step < 1000; ++step) {
        const std::int64_t now = start + step * 86'400'000'000'003 / 1000; // across one more day
        r.source.set_ns(now);
        const int128 on_a = static_cast<int128>(c1) + (now - p1);
        const int128 on_b = static_cast<int128>(c2) + (on_a - (c1 + 5));
        const int128 on_c = static_cast<int128>(c3) + (on_b - (c2 - 11));
        ASSERT_LE(error_ns(a.ticks(), {on_a * 1'000'000'000}, 1e9), 1.0) << step;
        ASSERT_LE(error_ns(b.ticks(), {on_b * 1'000'000'000}, 1e9), 1.0) << step;
        ASSERT_LE(error_ns(c.ticks(), {on_c * 1'000'000'000}, 1e9), 1.0) << step;
    }
}

TEST(ClockPrecision, NinetyKilohertzChainAfterHundredDays) {
    const std::int64_t start = hundred_days_ns + 987'654'321;
    fake_root r(1e9, start);
    const std::int64_t p1 = start - 7'000'000'000'013;
    const std::int64_t c1 = 8'589'934'592; // a PTS that has wrapped many times
    const std::int64_t c2 = 123'456;
    const std::int64_t c3 = -77;
    correlated_clock a(r.sys, 90'000, {static_cast<tick_t>(p1), static_cast<tick_t>(c1)});
    correlated_clock b(a, 90'000, {static_cast<tick_t>(c1 + 1), static_cast<tick_t>(c2)});
    correlated_clock c(b, 90'000, {static_cast<tick_t>(c2 + 90'000), static_cast<tick_t>(c3)});

    for (std::int64_t step = 0; step < 1000; ++step) {
        const std::int64_t now = start + step * 86'400'000'000'003 / 1000;
        r.source.set_ns(now);
        // a = c1 + (now - p1) * 90000 / 1e9, kept as billionths of a tick.
        const int128 on_a =
            static_cast<int128>(c1) * 1'000'000'000 + static_cast<int128>(now - p1) * 90'000;
        const int128 on_b = on_a + static_cast<int128>(c2 - (c1 + 1)) * 1'000'000'000;
        const int128 on_c = on_b + static_cast<int128>(c3 - (c2 + 90'000)) * 1'000'000'000;
        ASSERT_LE(error_ns(a.ticks(), {on_a}, 90'000), 1.0) << step;
        ASSERT_LE(error_ns(b.ticks(), {on_b}, 90'000), 1.0) << step;
        ASSERT_LE(error_ns(c.ticks(), {on_c}, 90'000), 1.0) << step;
    }
}

TEST(ClockPrecision, RoundTripsAfterHundredDays) {
    const std::int64_t start = hundred_days_ns + 1;
    fake_root r(1e9, start);
    correlated_clock a(r.sys, 1e9, {static_cast<tick_t>(start - 999), 42});
    correlated_clock b(a, 90'000, {40, 1'000'000'000'000});
    correlated_clock c(b, 1e9, {1'000'000'000'000, 5});

    // Up and back down: within 1 ns.
    const tick_t t = c.ticks() + 1'000'000'000'000; // 1000 s ahead
    const auto root = c.to_root_ticks(t);
    ASSERT_TRUE(root.has_value());
    EXPECT_LE(std::fabs(static_cast<double>(c.from_root_ticks(*root) - t)), 1.0);

    // calc_when: within 1 ns of the exact instant c shows t.
    const auto when = c.calc_when(t);
    ASSERT_TRUE(when.has_value());
    r.source.set_ns(*when);
    EXPECT_LE(std::fabs(static_cast<double>(c.ticks() - t)), 1.0);
}

} // namespace
} // namespace dvbcss::clock
