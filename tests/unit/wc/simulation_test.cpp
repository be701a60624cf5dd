#include "support/simulated_network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace dvbcss::wc {
namespace {

using dvbcss::test::network_profile;
using dvbcss::test::simulated_network;

constexpr std::int64_t us = 1'000;
constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1'000'000'000;

struct run_result {
    double final_error_ns = 0;
    double final_dispersion_ns = 0;
    double mean_abs_error_ns = 0; ///< Over every event after `settle_s`.
    std::uint64_t bound_violations = 0;
    double worst_violation_ns = 0;
};

/// Runs `seconds` of simulated time, checking after every event that the true error never
/// exceeds the reported error bound (once the client is synchronised).
run_result run(simulated_network& net, std::int64_t seconds, std::int64_t settle_s = 10) {
    run_result r;
    double sum = 0;
    std::uint64_t n = 0;
    net.run_until(seconds * s, [&] {
        const double disp = net.dispersion_ns();
        if (std::isinf(disp)) {
            return;
        }
        const double err = std::fabs(net.true_error_ns());
        if (err - disp > 2.0) { // tick rounding
            ++r.bound_violations;
            r.worst_violation_ns = std::max(r.worst_violation_ns, err - disp);
        }
        if (net.now_ns() >= settle_s * s) {
            sum += err;
            ++n;
        }
    });
    r.final_error_ns = net.true_error_ns();
    r.final_dispersion_ns = net.dispersion_ns();
    r.mean_abs_error_ns = n > 0 ? sum / static_cast<double>(n) : std::nan("");
    return r;
}

/// Limits for the mean |true error| on the 5 ms +- 2 ms network, with generous margins over the
/// spread seen across seeds (lowest-dispersion 420-580 us at 500 ppm, 140-250 us at 20 ppm;
/// filter-predict 540-710 / 190-430 us; most-recent 590-730 us for both).
double mean_error_limit_ns(const std::string& estimator, bool good_oscillator) {
    if (estimator == "lowest-dispersion") {
        return good_oscillator ? 400.0 * us : 750.0 * us;
    }
    if (estimator == "filter-predict") {
        return good_oscillator ? 600.0 * us : 900.0 * us;
    }
    return 1.0 * ms;
}

class WcSimulation : public ::testing::TestWithParam<std::string> {};

TEST_P(WcSimulation, ConvergesOnAJitteryNetwork) {
    for (const std::uint64_t seed : {1U, 2U, 3U, 42U, 2024U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p; // 5 ms +- 2 ms each way, uniform
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 60);
        // One exchange is off by at most half the jitter spread (2 ms); the filtering estimators
        // do far better on average. The bound grows at 550 ppm, so they cannot hold on to their
        // best candidates for long: see bench/wc_accuracy for the distribution.
        EXPECT_LT(std::fabs(r.final_error_ns), 2.5 * ms);
        EXPECT_LT(r.mean_abs_error_ns, mean_error_limit_ns(GetParam(), false));
        EXPECT_LT(r.final_dispersion_ns, 10.0 * ms);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
        EXPECT_GT(net.client().statistics().candidates_accepted, 0U);
    }
}

TEST_P(WcSimulation, ConvergesWithAGoodLocalOscillator) {
    for (const std::uint64_t seed : {4U, 5U, 6U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.client_mfe_ppm = 20; // the local clock's error bound grows slowly: good candidates last
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 120, 30);
        EXPECT_LT(r.mean_abs_error_ns, mean_error_limit_ns(GetParam(), true));
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
    }
}

TEST_P(WcSimulation, ConvergesTightlyOnLoopback) {
    for (const std::uint64_t seed : {7U, 8U, 9U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.delay_ns = 20 * us;
        p.jitter_ns = 5 * us;
        p.turnaround_ns = 2 * us;
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 10);
        EXPECT_LT(std::fabs(r.final_error_ns), 30.0 * us);
        EXPECT_LT(r.final_dispersion_ns, 1.0 * ms);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
    }
}

TEST_P(WcSimulation, SurvivesLossDuplicationAndReordering) {
    for (const std::uint64_t seed : {11U, 12U, 13U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.loss = 0.2;
        p.duplicate = 0.2;
        p.reorder = 0.2;
        p.reorder_ns = 300 * ms; // beyond the response timeout: late answers
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 120);
        EXPECT_LT(std::fabs(r.final_error_ns), 2.0 * ms);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
        const auto& st = net.client().statistics();
        EXPECT_GT(net.dropped(), 0U);
        EXPECT_GT(st.timeouts, 0U);
        EXPECT_GT(st.duplicates + st.late, 0U);
        EXPECT_GT(st.candidates_accepted, 0U);
    }
}

TEST_P(WcSimulation, BoundHoldsWithAsymmetryAndDrift) {
    for (const std::uint64_t seed : {21U, 22U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.asymmetry_ns = 3 * ms;  // the estimate is off by ~1.5 ms, within the bound
        p.client_drift_ppm = 150; // inside the 500 ppm the client assumes
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 60);
        EXPECT_NEAR(r.final_error_ns, -1.5 * ms, 1.0 * ms);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
    }
}

TEST_P(WcSimulation, UsesFollowups) {
    for (const std::uint64_t seed : {31U, 32U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.followup = true;
        p.followup_gap_ns = 3 * ms; // a slow follow-up would bias t4 (B19) if it were used as t4
        p.delay_ns = 1 * ms;
        p.jitter_ns = 10 * us;
        p.turnaround_ns = 10 * us;
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 20);
        EXPECT_LT(std::fabs(r.final_error_ns), 50.0 * us);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
        const auto& c = net.client().last_candidate();
        ASSERT_TRUE(c);
        EXPECT_LT(c->rtt_ns(), 2 * ms + 100 * us); // the gap is not in the round trip
        EXPECT_EQ(net.client().statistics().followups_missing, 0U);
    }
}

// A server whose follow-up carries a transmit time read after sending (as pydvbcss does) makes
// t3 later than the real departure; a client that does not trust it keeps a valid bound.
TEST_P(WcSimulation, BoundHoldsWithLateFollowupStampsWhenNotTrusted) {
    for (const std::uint64_t seed : {41U, 42U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.followup = true;
        p.delay_ns = 20 * us;
        p.jitter_ns = 1 * us;
        p.turnaround_ns = 2 * us;
        p.followup_gap_ns = 30 * us;
        p.followup_stamp_late_ns = 25 * us; // more than the one-way delay
        client_config cfg;
        cfg.trust_followup_transmit = false;
        simulated_network net(p, seed, GetParam(), cfg);
        const auto r = run(net, 10);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
        EXPECT_LT(std::fabs(r.final_error_ns), 5.0 * us);
    }
}

// The same kind of server on a loopback-like path, where the send call outlasts the delivery:
// the follow-up t3 is later than the client's t4 by more than the request's one-way delay, so it
// implies a processing time longer than the round trip. The default client (which trusts
// follow-ups) discards such a t3, and the reported dispersion covers the true offset throughout.
TEST_P(WcSimulation, BoundHoldsWhenTrustedFollowupStampsAreImpossiblyLate) {
    for (const std::uint64_t seed : {43U, 44U}) {
        SCOPED_TRACE("estimator " + GetParam() + ", seed " + std::to_string(seed));
        network_profile p;
        p.followup = true;
        p.delay_ns = 20 * us;
        p.jitter_ns = 1 * us;
        p.turnaround_ns = 2 * us;
        p.followup_gap_ns = 80 * us;
        p.followup_stamp_late_ns = 72 * us; // > one-way delays + turnaround
        simulated_network net(p, seed, GetParam());
        const auto r = run(net, 10);
        EXPECT_EQ(r.bound_violations, 0U) << "worst excess " << r.worst_violation_ns << " ns";
        EXPECT_LT(std::fabs(r.final_error_ns), 5.0 * us);
        const auto& st = net.client().statistics();
        EXPECT_GT(st.followup_transmits_rejected, 0U);
        EXPECT_EQ(st.followup_transmits_rejected, st.candidates);
        EXPECT_EQ(st.implausible, 0U);
    }
}

TEST_P(WcSimulation, IgnoresForeignPackets) {
    network_profile p;
    p.jitter_ns = 100 * us;
    simulated_network net(p, 5, GetParam());
    message forged;
    forged.type = message_type::response;
    forged.receive_ns = 1;
    forged.transmit_ns = 1;
    const auto bytes = encode(forged);
    for (int i = 0; i < 50; ++i) {
        net.inject_to_client({bytes.begin(), bytes.end()}, i * 100 * ms, i % 2 == 0);
    }
    const auto r = run(net, 10);
    EXPECT_LT(std::fabs(r.final_error_ns), 200.0 * us);
    EXPECT_EQ(r.bound_violations, 0U);
    EXPECT_EQ(net.client().statistics().wrong_source, 25U);
    EXPECT_EQ(net.client().statistics().wrong_originate, 25U);
}

INSTANTIATE_TEST_SUITE_P(Estimators, WcSimulation,
                         ::testing::Values("lowest-dispersion", "filter-predict", "most-recent"),
                         [](const auto& param_info) {
                             std::string n;
                             for (const char c : param_info.param) {
                                 if (c != '-') {
                                     n += c;
                                 }
                             }
                             return n;
                         });

} // namespace
} // namespace dvbcss::wc
