#include "support/fake_time_source.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/filter_predict.hpp>
#include <dvbcss/wc/lowest_dispersion.hpp>
#include <dvbcss/wc/most_recent.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace dvbcss::wc {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t s = 1'000'000'000;

/// An exchange at local time t1 with a server `offset` ahead, symmetric one-way delay `delay`.
candidate exchange(std::int64_t t1, std::int64_t offset, std::int64_t delay,
                   double precision_ns = 1000, double mfe_ppm = 50) {
    return candidate{t1,
                     t1 + delay + offset,
                     t1 + delay + offset + 10'000,
                     t1 + 2 * delay + 10'000,
                     precision_ns,
                     mfe_ppm};
}

class WcEstimatorTest : public ::testing::Test {
protected:
    dvbcss::test::fake_time_source src_{1000 * s};
    clock::sys_clock local_{src_, 1e9, 500};
    clock::correlated_clock wall_{local_, 1e9};
};

TEST_F(WcEstimatorTest, LowestDispersionAdoptsTheFirstCandidate) {
    lowest_dispersion est(wall_);
    EXPECT_TRUE(std::isinf(est.dispersion_ns(0)));
    const auto c = exchange(1000 * s, 5 * s, 1'000'000);
    const auto corr = est.on_candidate(c);
    ASSERT_TRUE(corr);
    EXPECT_EQ(*corr, c.correlation_for(wall_));
    EXPECT_EQ(est.best(), corr);
    EXPECT_EQ(est.next_request_delay(), 1s);
}

// B18: the new dispersion is evaluated at the same local instant as the old one, so a large
// first correction is not charged |offset| * growth (1000 s * 550 ppm = 0.55 s here).
TEST_F(WcEstimatorTest, LowestDispersionDoesNotOverstateLargeCorrections) {
    lowest_dispersion est(wall_);
    const auto c = exchange(1000 * s, 1000 * s, 1'000'000);
    ASSERT_TRUE(est.on_candidate(c));
    const double expected =
        c.dispersion_ns(500) + c.error_growth_rate(500) * static_cast<double>(c.t4 - c.t1) / 2.0;
    EXPECT_NEAR(est.dispersion_ns(c.t4), expected, 1.0);
    EXPECT_LT(est.dispersion_ns(c.t4), 2e6);
}

TEST_F(WcEstimatorTest, LowestDispersionKeepsTheBetterEstimate) {
    lowest_dispersion est(wall_);
    ASSERT_TRUE(est.on_candidate(exchange(1000 * s, 5 * s, 1'000'000)));
    // A slower exchange 1 s later bounds the error less tightly: rejected.
    EXPECT_FALSE(est.on_candidate(exchange(1001 * s, 5 * s, 10'000'000)));
    EXPECT_EQ(est.next_request_delay(), 200ms);
    // A faster one is adopted.
    EXPECT_TRUE(est.on_candidate(exchange(1002 * s, 5 * s, 100'000)));
    EXPECT_EQ(est.next_request_delay(), 1s);
    est.on_timeout();
    EXPECT_EQ(est.next_request_delay(), 200ms);
}

TEST_F(WcEstimatorTest, LowestDispersionEventuallyPrefersFreshCandidates) {
    lowest_dispersion est(wall_);
    ASSERT_TRUE(est.on_candidate(exchange(1000 * s, 5 * s, 100'000)));
    // Same quality 1 s later: the old bound has grown by 550 us, so the new one wins.
    EXPECT_TRUE(est.on_candidate(exchange(1001 * s, 5 * s, 100'000)));
    // 1 ms delay (vs 0.1 ms) 100 s later: old bound grew by 55 ms, so it wins too.
    EXPECT_TRUE(est.on_candidate(exchange(1101 * s, 5 * s, 1'000'000)));
}

// B17: worst dispersion is in ns throughout, and a window covers everything that happened in it.
TEST_F(WcEstimatorTest, WorstDispersionIsInNanoseconds) {
    lowest_dispersion est(wall_);
    const auto c = exchange(1000 * s, 5 * s, 1'000'000);
    ASSERT_TRUE(est.on_candidate(c));
    const double at_t4 = est.dispersion_ns(c.t4);
    // The first window started unsynchronised.
    EXPECT_TRUE(std::isinf(est.worst_dispersion_ns(c.t4)));
    // The next window starts at t4: its worst is the grown value 10 s later.
    const double worst = est.worst_dispersion_ns(c.t4 + 10 * s);
    EXPECT_NEAR(worst, at_t4 + 550e-6 * 10 * s, 1.0);
    EXPECT_GT(at_t4, 1e6); // ~1 ms, in ns
    EXPECT_LT(at_t4, 2e6);
}

// A window that was unsynchronised for most of its length and synchronised just before its end
// reports infinity (the reference's behaviour gave the fresh bound, 0.011 ms, here).
TEST_F(WcEstimatorTest, WorstDispersionOfAWindowThatStartedUnsynchronisedIsInfinite) {
    for (const auto& name : estimator_names()) {
        SCOPED_TRACE(std::string(name));
        auto est = make_estimator(name, wall_);
        EXPECT_TRUE(std::isinf(est->worst_dispersion_ns(1000 * s))); // window 1: nothing yet
        // 4.99 s into window 2 a loopback exchange gives an ~11 us bound.
        const auto c = exchange(1000 * s + 4'990'000'000, 5 * s, 5'000, 1000, 50);
        ASSERT_TRUE(est->on_candidate(c));
        EXPECT_LT(est->dispersion_ns(1005 * s), 20'000.0);
        EXPECT_TRUE(std::isinf(est->worst_dispersion_ns(1005 * s)));
        // Window 3 is synchronised throughout: finite, the grown bound at its end.
        const double w3 = est->worst_dispersion_ns(1010 * s);
        EXPECT_TRUE(std::isfinite(w3));
        EXPECT_DOUBLE_EQ(w3, est->dispersion_ns(1010 * s));
    }
}

// The bound just before a new estimate replaces the old one belongs to the window.
TEST_F(WcEstimatorTest, WorstDispersionIncludesTheBoundBeforeEachNewEstimate) {
    most_recent est(wall_);
    ASSERT_TRUE(est.on_candidate(exchange(1000 * s, 5 * s, 5'000)));
    static_cast<void>(est.worst_dispersion_ns(1000 * s));
    static_cast<void>(est.worst_dispersion_ns(1000 * s)); // window now starts at 1000 s, finite
    const double old_at_1010 = est.dispersion_ns(1010 * s);
    ASSERT_TRUE(est.on_candidate(exchange(1010 * s, 5 * s, 5'000)));
    EXPECT_GT(old_at_1010, est.dispersion_ns(1010 * s)); // the fresh bound is far smaller
    // Noted at the new candidate's t4 (20 us later), so a few ns more.
    const double worst = est.worst_dispersion_ns(1010 * s);
    EXPECT_GE(worst, old_at_1010);
    EXPECT_NEAR(worst, old_at_1010, 100.0);
}

TEST_F(WcEstimatorTest, MostRecentAdoptsEveryCandidate) {
    estimator_options o;
    o.local_max_freq_error_ppm = 20;
    most_recent est(wall_, o);
    EXPECT_TRUE(std::isinf(est.dispersion_ns(0)));
    const auto a = exchange(1000 * s, 5 * s, 100'000);
    const auto b = exchange(1001 * s, 5 * s, 10'000'000);
    EXPECT_TRUE(est.on_candidate(a));
    const auto cb = est.on_candidate(b);
    ASSERT_TRUE(cb);
    // The configured local max frequency error is used (not a fixed 500 ppm).
    EXPECT_DOUBLE_EQ(cb->error_growth_rate, (20 + 50) * 1e-6);
    EXPECT_EQ(est.next_request_delay(), 1s);
    EXPECT_EQ(est.name(), "most-recent");
}

// B6: the threshold is in ns, compared with a round trip in ns.
TEST(WcFilter, RttThresholdComparesNanoseconds) {
    rtt_threshold_filter f(1ms);
    EXPECT_TRUE(f.accepts(candidate{0, 0, 0, 1'000'000, 0, 0}));
    EXPECT_FALSE(f.accepts(candidate{0, 0, 0, 1'000'001, 0, 0}));
    EXPECT_TRUE(f.accepts(candidate{0, 100, 600'000, 1'500'000, 0, 0})); // turnaround excluded
}

class always_reject final : public candidate_filter {
public:
    [[nodiscard]] bool accepts(const candidate&) const override { return false; }
};

// B5: a rejecting filter really rejects.
TEST_F(WcEstimatorTest, FilterPredictHonoursRejectingFilters) {
    std::vector<std::unique_ptr<candidate_filter>> filters;
    filters.push_back(std::make_unique<always_reject>());
    filter_predict est(wall_, std::move(filters), nullptr);
    EXPECT_FALSE(est.on_candidate(exchange(1000 * s, 5 * s, 100'000)));
    EXPECT_FALSE(est.on_candidate(exchange(1001 * s, 5 * s, 100'000)));
    EXPECT_EQ(est.rejected(), 2U);
    EXPECT_TRUE(std::isinf(est.dispersion_ns(1001 * s)));
}

TEST_F(WcEstimatorTest, FilterPredictWithNoFiltersUsesTheLatest) {
    filter_predict est(wall_, {}, nullptr);
    const auto a = exchange(1000 * s, 5 * s, 100'000);
    const auto b = exchange(1001 * s, 6 * s, 10'000'000);
    EXPECT_EQ(est.on_candidate(a), a.correlation_for(wall_));
    EXPECT_EQ(est.on_candidate(b), b.correlation_for(wall_));
}

TEST_F(WcEstimatorTest, FilterPredictFromOptionsChainsFilters) {
    estimator_options o;
    o.rtt_threshold = 5ms;
    filter_predict est(wall_, o);
    EXPECT_EQ(est.name(), "filter-predict");
    EXPECT_TRUE(est.on_candidate(exchange(1000 * s, 5 * s, 1'000'000)));
    // Round trip 20 ms: over the threshold.
    EXPECT_FALSE(est.on_candidate(exchange(1001 * s, 5 * s, 10'000'000)));
    // Round trip 4 ms, but a looser bound than the adopted one at this instant.
    EXPECT_FALSE(est.on_candidate(exchange(1001 * s, 5 * s, 2'000'000)));
    // Tighter bound: adopted.
    EXPECT_TRUE(est.on_candidate(exchange(1002 * s, 5 * s, 100'000)));
    EXPECT_EQ(est.rejected(), 2U);
}

TEST_F(WcEstimatorTest, LowestDispersionFilterStateFollowsUse) {
    lowest_dispersion_filter f(wall_);
    const auto good = exchange(1000 * s, 5 * s, 100'000);
    const auto bad = exchange(1000 * s, 5 * s, 5'000'000);
    EXPECT_TRUE(f.accepts(bad)); // nothing used yet
    EXPECT_TRUE(f.accepts(good));
    f.on_used(good);
    EXPECT_FALSE(f.accepts(bad));
}

TEST_F(WcEstimatorTest, FactoryKnowsEveryName) {
    for (const auto name : estimator_names()) {
        const auto est = make_estimator(name, wall_);
        ASSERT_TRUE(est);
        EXPECT_EQ(est->name(), name);
    }
    EXPECT_THROW(static_cast<void>(make_estimator("best-guess", wall_)), std::invalid_argument);
}

TEST_F(WcEstimatorTest, EstimatorsNeedAParentClock) {
    EXPECT_THROW(lowest_dispersion{local_}, std::invalid_argument);
    EXPECT_THROW(most_recent{local_}, std::invalid_argument);
    EXPECT_THROW(static_cast<void>(make_estimator("filter-predict", local_)),
                 std::invalid_argument);
}

} // namespace
} // namespace dvbcss::wc
