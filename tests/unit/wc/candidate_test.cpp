#include "support/fake_time_source.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/candidate.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace dvbcss::wc {
namespace {

message response(std::int8_t precision, double mfe_ppm, std::int64_t t1, std::int64_t t2,
                 std::int64_t t3, message_type type = message_type::response) {
    message m;
    m.type = type;
    m.precision = precision;
    m.max_freq_error = encode_max_freq_error(mfe_ppm);
    m.originate = raw_timestamp::from_ns(t1);
    m.receive_ns = t2;
    m.transmit_ns = t3;
    return m;
}

TEST(WcCandidate, RejectsRequests) {
    const auto c = candidate::from_response(response(0, 0, 1, 2, 3, message_type::request), 1, 4);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), make_error_code(errc::not_a_response));
}

TEST(WcCandidate, AcceptsEveryResponseType) {
    for (const auto t :
         {message_type::response, message_type::response_with_followup, message_type::followup}) {
        EXPECT_TRUE(candidate::from_response(response(0, 0, 1, 2, 3, t), 1, 4));
    }
}

// The reference's checked example: offset -450000 (floor), rtt 1900000, and the correlation
// (1001000 us, 1000550000 ns, 0.0019275675 s, 0.00055).
TEST(WcCandidate, MatchesReferenceExample) {
    test::fake_time_source src;
    clock::sys_clock local(src, 1e6, 500);
    clock::correlated_clock wall(local, 1e9);
    const auto c =
        candidate::from_response(response(-10, 50, 1'000'000'000, 1'000'500'000, 1'000'600'000),
                                 1'000'000'000, 1'002'000'000);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->offset_ns(), -450000);
    EXPECT_EQ(c->rtt_ns(), 1'900'000);
    EXPECT_TRUE(c->is_plausible());
    EXPECT_DOUBLE_EQ(c->server_precision_ns, 976562.5);
    EXPECT_DOUBLE_EQ(c->server_max_freq_error_ppm, 50);

    const auto corr = c->correlation_for(wall, 500.0);
    EXPECT_DOUBLE_EQ(static_cast<double>(corr.parent_ticks), 1'001'000.0);
    EXPECT_DOUBLE_EQ(static_cast<double>(corr.child_ticks), 1'000'550'000.0);
    EXPECT_NEAR(corr.initial_error_ns, 1'927'567.5, 1e-6);
    EXPECT_NEAR(corr.error_growth_rate, 0.00055, 1e-15);

    // The local max frequency error defaults to the root's (500 ppm here).
    EXPECT_EQ(c->correlation_for(wall), corr);
}

TEST(WcCandidate, OffsetRoundsTowardsMinusInfinity) {
    candidate c;
    c.t1 = 0;
    c.t2 = 0;
    c.t3 = 0;
    c.t4 = 3;
    EXPECT_EQ(c.offset_ns(), -2);
    c.t4 = 0;
    c.t2 = 3;
    c.t3 = 3;
    EXPECT_EQ(c.offset_ns(), 3);
    c.t3 = 4;
    EXPECT_EQ(c.offset_ns(), 3);
}

TEST(WcCandidate, OffsetDoesNotOverflowAtTheWireMaximum) {
    candidate c;
    c.t1 = 1'000;
    c.t4 = 2'000;
    c.t2 = max_wire_ns;
    c.t3 = max_wire_ns;
    EXPECT_EQ(c.offset_ns(), max_wire_ns - 1'500);
}

TEST(WcCandidate, FlagsImplausibleExchanges) {
    candidate c{100, 50, 60, 200, 0, 0};
    EXPECT_TRUE(c.is_plausible());
    c.t4 = 99; // received before sent
    EXPECT_FALSE(c.is_plausible());
    c = candidate{100, 60, 50, 200, 0, 0}; // server sent before it received
    EXPECT_FALSE(c.is_plausible());
    c = candidate{100, 0, 500, 200, 0, 0}; // turnaround longer than the round trip
    EXPECT_FALSE(c.is_plausible());
    EXPECT_LT(c.rtt_ns(), 0);
}

TEST(WcCandidate, DispersionFollowsAnnexC) {
    candidate c{0, 5'000'000, 5'100'000, 10'000'000, 1'000, 50};
    // 1000 + rtt/2 (9.9 ms / 2) + 500e-6 * 10 ms + 50e-6 * 0.1 ms
    EXPECT_DOUBLE_EQ(c.dispersion_ns(500), 1000 + 4'950'000 + 5'000 + 5);
    EXPECT_DOUBLE_EQ(c.error_growth_rate(500), 550e-6);
    // Negative intervals (implausible input) never reduce the bound below the precision.
    candidate bad{100, 0, 500, 200, 1000, 50};
    EXPECT_GE(bad.dispersion_ns(500), 1000);
}

TEST(WcCandidate, CorrelationErrorGrowsBothWays) {
    test::fake_time_source src;
    clock::sys_clock local(src, 1e9, 500);
    const clock::correlation c{1'000'000'000, 0, 100, 1e-3};
    EXPECT_DOUBLE_EQ(correlation_error_at(c, local, 1'000'000'000), 100);
    EXPECT_DOUBLE_EQ(correlation_error_at(c, local, 2'000'000'000), 100 + 1e6);
    EXPECT_DOUBLE_EQ(correlation_error_at(c, local, 0), 100 + 1e6);
    const clock::correlation unknown{0, 0, std::numeric_limits<double>::infinity(), 0};
    EXPECT_TRUE(std::isinf(correlation_error_at(unknown, local, 5)));
}

TEST(WcCandidate, CorrelationSetsTheWallClockToTheServerTime) {
    test::fake_time_source src(50'000'000'000);
    clock::sys_clock local(src, 1e9, 20);
    clock::correlated_clock wall(local, 1e9);
    // Server is 7 s ahead; symmetric 1 ms path, 10 us turnaround.
    const std::int64_t t1 = 49'998'000'000;
    const candidate c{
        t1, t1 + 7'000'000'000 + 1'000'000, t1 + 7'000'000'000 + 1'010'000, t1 + 2'010'000, 1, 10};
    EXPECT_EQ(c.offset_ns(), 7'000'000'000);
    wall.set_correlation(c.correlation_for(wall));
    EXPECT_NEAR(static_cast<double>(wall.ticks()), 57'000'000'000.0, 1.0);
    EXPECT_NEAR(wall.dispersion_at_time(wall.ticks()),
                c.dispersion_ns(20) + 30e-6 * 995'000 + local.precision_ns(), 1.0);
}

TEST(WcCandidate, CorrelationNeedsAParentClock) {
    test::fake_time_source src;
    clock::sys_clock local(src, 1e9, 20);
    const candidate c{0, 1, 2, 3, 1, 1};
    EXPECT_THROW(static_cast<void>(c.correlation_for(local)), std::invalid_argument);
}

} // namespace
} // namespace dvbcss::wc
