// The end-to-end tests' click analysis on synthetic recordings (no sound server): onsets to a
// small fraction of a sample at any delay and level, pairing that refuses an offset of whole
// click intervals, and the figures and recovery times the end-to-end tests report.

#include "media/support/click_onsets.hpp"
#include "media/support/click_synth.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace dvbcss::test::media;

constexpr double rate = 48000.0;

std::vector<double> generated_onsets() {
    std::ifstream in(std::string(DVBCSS_TEST_MEDIA_DIR) + "/clicks-onsets.txt");
    std::vector<double> onsets;
    double t = 0;
    while (in >> t) {
        onsets.push_back(t);
    }
    return onsets;
}

// A stereo int16 recording: the left channel's clicks at `left`, the right channel's at
// `right`, each scaled by its level, with a little deterministic noise.
std::vector<std::int16_t> stereo(const std::vector<double>& left, const std::vector<double>& right,
                                 double seconds, double left_level = 1.0,
                                 double right_level = 1.0) {
    const auto frames = static_cast<std::size_t>(seconds * rate);
    std::vector<double> mix(frames * 2, 0.0);
    for (const double t : left) {
        add_click(mix, 2, 0, rate, t);
    }
    for (const double t : right) {
        add_click(mix, 2, 1, rate, t);
    }
    std::vector<std::int16_t> out(mix.size());
    std::uint32_t noise = 12345;
    for (std::size_t i = 0; i < mix.size(); ++i) {
        noise = noise * 1664525u + 1013904223u;
        const double dither = (static_cast<double>(noise >> 16) / 65536.0 - 0.5) * 4.0;
        const double level = i % 2 == 0 ? left_level : right_level;
        out[i] = static_cast<std::int16_t>(std::lround(mix[i] * level * 32767.0 + dither));
    }
    return out;
}

std::vector<double> shifted(const std::vector<double>& onsets, double by_s) {
    std::vector<double> out;
    for (const double t : onsets) {
        out.push_back(t + by_s);
    }
    return out;
}

TEST(E2eAnalysis, GeneratedTrackHasIrregularSeededIntervals) {
    const auto onsets = generated_onsets();
    ASSERT_GE(onsets.size(), 40u) << "test media missing: build the test_media target";
    double shortest = 1e9;
    double longest = 0;
    for (std::size_t i = 1; i < onsets.size(); ++i) {
        shortest = std::min(shortest, onsets[i] - onsets[i - 1]);
        longest = std::max(longest, onsets[i] - onsets[i - 1]);
    }
    EXPECT_GE(shortest, 0.300);
    EXPECT_LE(longest, 0.700);
    EXPECT_GT(longest - shortest, 0.200);
}

TEST(E2eAnalysis, OnsetsAreFoundToAFractionOfASample) {
    const auto truth = generated_onsets();
    ASSERT_FALSE(truth.empty());
    const auto recording = stereo(truth, {}, 31.0);
    const auto found = click_onsets(recording, 2, 0, rate, 1000.0);
    ASSERT_EQ(found.size(), truth.size());
    // The envelope's own delay is the same for every click; its spread is the error.
    const double delay = found[0] - truth[0];
    for (std::size_t i = 0; i < truth.size(); ++i) {
        EXPECT_NEAR(found[i] - truth[i], delay, 0.2 / rate) << "click " << i;
    }
    EXPECT_GT(delay, 0.0);
    EXPECT_LT(delay, 0.002);
}

TEST(E2eAnalysis, OffsetsOfKnownDelaysAndLevelsAreMeasuredWithin20Microseconds) {
    const auto truth = generated_onsets();
    for (const double delay_ms : {0.0, 0.37, 1.0, 2.51, 10.0, -3.21, -47.0}) {
        const auto recording = stereo(truth, shifted(truth, delay_ms / 1000.0), 31.0, 0.8, 0.25);
        const auto pairs = pair_clicks(click_onsets(recording, 2, 0, rate, 1000.0),
                                       click_onsets(recording, 2, 1, rate, 1000.0));
        const auto f = figures_of(pairs, 0.0);
        EXPECT_EQ(f.paired, truth.size()) << delay_ms;
        EXPECT_EQ(f.tv_only + f.companion_only, 0u) << delay_ms;
        EXPECT_NEAR(f.median_signed_ms, delay_ms, 0.02);
        EXPECT_NEAR(f.max_ms, std::abs(delay_ms), 0.02);
        for (const auto& p : pairs) {
            EXPECT_NEAR(*p.offset_ms, delay_ms, 0.02);
        }
    }
}

TEST(E2eAnalysis, AnOffsetOfWholeClickIntervalsDoesNotLookLikeSync) {
    const auto truth = generated_onsets();
    // The companion plays the track one and two clicks late: each of its clicks lands where the
    // TV's next-but-one or next click is, but the intervals differ, so the offsets are large.
    for (std::size_t clicks_late : {1u, 2u}) {
        std::vector<double> late;
        for (std::size_t i = 0; i + clicks_late < truth.size(); ++i) {
            late.push_back(truth[i] + (truth[clicks_late] - truth[0]));
        }
        const auto recording = stereo(truth, late, 40.0);
        const auto pairs = pair_clicks(click_onsets(recording, 2, 0, rate, 1000.0),
                                       click_onsets(recording, 2, 1, rate, 1000.0));
        const auto f = figures_of(pairs, 0.0);
        EXPECT_GT(f.p95_ms, 50.0) << clicks_late;
        EXPECT_GT(f.p50_ms, 5.0) << clicks_late;
    }
}

TEST(E2eAnalysis, ClicksOfOnePlayerAloneAreCountedAndBreakRecovery) {
    const auto truth = generated_onsets();
    // The TV pauses from 10 s to 12 s (its clicks in between are missing); the companion keeps
    // playing until 11 s, then is in sync again from 12 s, 3 ms late until 12.5 s.
    std::vector<double> tv;
    std::vector<double> companion;
    for (const double t : truth) {
        if (t < 10.0 || t >= 12.0) {
            tv.push_back(t);
        }
        if (t < 11.0 || t >= 12.0) {
            companion.push_back(t < 12.5 && t >= 12.0 ? t + 0.003 : t + 0.0005);
        }
    }
    const auto recording = stereo(tv, companion, 31.0);
    const auto pairs = pair_clicks(click_onsets(recording, 2, 0, rate, 1000.0),
                                   click_onsets(recording, 2, 1, rate, 1000.0));
    const auto during = figures_of(pairs, 10.0, 12.0);
    EXPECT_EQ(during.paired, 0u);
    EXPECT_EQ(during.tv_only, 0u);
    EXPECT_GE(during.companion_only, 1u);
    const auto after = recovery_after(pairs, 10.0, 31.0, 2.0);
    ASSERT_TRUE(after.has_value());
    double first_good = 0;
    for (const double t : truth) {
        if (t >= 12.5) {
            first_good = t;
            break;
        }
    }
    EXPECT_NEAR(*after, first_good - 10.0, 0.002);
    EXPECT_FALSE(recovery_after(pairs, 10.0, 11.0, 2.0).has_value());
}

} // namespace
