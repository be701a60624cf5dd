#pragma once

// Click onset analysis for the media end-to-end tests: the TV's player is panned to the left
// channel and the companion's to the right of one recording, so the offset between where each
// renders the same click is the synchronisation error, measured at the output.
//
// Onsets: the energy envelope (mean square over 1 ms, three whole periods of the 3 kHz click, so
// it has no ripple) is scanned for a rise above a floor; within that click the onset is where the
// envelope first reaches a quarter of the click's own peak energy (half its amplitude), linearly
// interpolated between samples. A relative threshold makes the onset independent of each
// channel's level, and the identical waveforms make the envelope's own delay cancel in an offset.
// Pairing: a TV click and a companion click pair when each is the other's nearest within
// `max_distance_s` (less than half the track's shortest interval, 300 ms); a click without a
// partner is reported as such (a player playing while the other does not).
// Plain arithmetic: no I/O, no clock.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace dvbcss::test::media {

/// Click onsets in one channel of interleaved samples (any scale; typically int16 or [-1, 1]),
/// in seconds from the first frame, ascending. `floor` is the amplitude (same scale as the
/// samples) above which a click is considered present.
template <typename Sample>
std::vector<double> click_onsets(const std::vector<Sample>& interleaved, std::size_t channels,
                                 std::size_t channel, double rate, double floor) {
    const std::size_t frames = interleaved.size() / channels;
    const auto window = static_cast<std::size_t>(std::lround(rate / 1000.0));
    std::vector<double> energy(frames, 0.0);
    double sum = 0.0;
    for (std::size_t n = 0; n < frames; ++n) {
        const double x = static_cast<double>(interleaved[n * channels + channel]);
        sum += x * x;
        if (n >= window) {
            const double old = static_cast<double>(interleaved[(n - window) * channels + channel]);
            sum -= old * old;
        }
        energy[n] = std::max(0.0, sum) / static_cast<double>(window);
    }
    // A sine of amplitude A has mean square A^2 / 2.
    const double floor_energy = floor * floor / 2.0;
    const auto peak_span = static_cast<std::size_t>(rate * 0.020);
    const auto quiet_span = static_cast<std::size_t>(rate * 0.020);
    std::vector<double> onsets;
    std::size_t n = 1;
    while (n < frames) {
        if (energy[n] < floor_energy) {
            ++n;
            continue;
        }
        const std::size_t start = n;
        std::size_t peak = start;
        for (std::size_t k = start; k < std::min(frames, start + peak_span); ++k) {
            if (energy[k] > energy[peak]) {
                peak = k;
            }
        }
        const double threshold = energy[peak] / 4.0;
        std::size_t k = start;
        while (k < peak && energy[k] < threshold) {
            ++k;
        }
        const double below = energy[k - 1];
        const double above = energy[k];
        const double fraction = above > below ? (threshold - below) / (above - below) : 0.0;
        onsets.push_back((static_cast<double>(k - 1) + std::clamp(fraction, 0.0, 1.0)) / rate);
        // The click is over when the envelope stays under the floor for a while.
        std::size_t quiet = 0;
        n = peak;
        while (n < frames && quiet < quiet_span) {
            quiet = energy[n] < floor_energy ? quiet + 1 : 0;
            ++n;
        }
    }
    return onsets;
}

/// One TV click and what the companion did with it: `offset_ms` is companion minus TV (positive:
/// the companion is late); nullopt when no companion click paired with it. Companion clicks with
/// no TV partner appear with `tv_s` nullopt and their own time in `companion_s`.
struct click_pair {
    std::optional<double> tv_s;
    std::optional<double> companion_s;
    std::optional<double> offset_ms;

    /// The recording time this entry belongs to (the TV's click, else the companion's).
    [[nodiscard]] double time_s() const { return tv_s ? *tv_s : *companion_s; }
};

/// Pairs TV and companion onsets (both ascending) by mutual nearest neighbour within
/// `max_distance_s`; the result is in time order and holds every click of both lists once.
inline std::vector<click_pair> pair_clicks(const std::vector<double>& tv,
                                           const std::vector<double>& companion,
                                           double max_distance_s = 0.140) {
    const auto nearest = [](const std::vector<double>& list, double t) -> std::size_t {
        const auto it = std::lower_bound(list.begin(), list.end(), t);
        std::size_t best = static_cast<std::size_t>(it - list.begin());
        if (best == list.size() || (best > 0 && t - list[best - 1] < list[best] - t)) {
            best = best == 0 ? 0 : best - 1;
        }
        return best;
    };
    std::vector<click_pair> pairs;
    std::vector<bool> companion_used(companion.size(), false);
    for (std::size_t i = 0; i < tv.size(); ++i) {
        click_pair p;
        p.tv_s = tv[i];
        if (!companion.empty()) {
            const std::size_t c = nearest(companion, tv[i]);
            if (std::abs(companion[c] - tv[i]) <= max_distance_s &&
                nearest(tv, companion[c]) == i) {
                companion_used[c] = true;
                p.companion_s = companion[c];
                p.offset_ms = (companion[c] - tv[i]) * 1000.0;
            }
        }
        pairs.push_back(p);
    }
    for (std::size_t c = 0; c < companion.size(); ++c) {
        if (!companion_used[c]) {
            click_pair p;
            p.companion_s = companion[c];
            pairs.push_back(p);
        }
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const click_pair& a, const click_pair& b) { return a.time_s() < b.time_s(); });
    return pairs;
}

/// Figures over the entries whose time is in [from_s, to_s): |offset| percentiles (nearest
/// rank) and maximum in ms over paired clicks, the signed median, and the clicks either player
/// rendered without the other.
struct offset_figures {
    std::size_t paired = 0;
    std::size_t tv_only = 0;
    std::size_t companion_only = 0;
    double p50_ms = std::numeric_limits<double>::quiet_NaN();
    double p95_ms = std::numeric_limits<double>::quiet_NaN();
    double max_ms = std::numeric_limits<double>::quiet_NaN();
    double median_signed_ms = std::numeric_limits<double>::quiet_NaN();
};

inline offset_figures figures_of(const std::vector<click_pair>& pairs, double from_s,
                                 double to_s = std::numeric_limits<double>::infinity()) {
    offset_figures f;
    std::vector<double> magnitudes;
    std::vector<double> signed_offsets;
    for (const auto& p : pairs) {
        if (p.time_s() < from_s || p.time_s() >= to_s) {
            continue;
        }
        if (p.offset_ms) {
            magnitudes.push_back(std::abs(*p.offset_ms));
            signed_offsets.push_back(*p.offset_ms);
        } else if (p.tv_s) {
            ++f.tv_only;
        } else {
            ++f.companion_only;
        }
    }
    f.paired = magnitudes.size();
    if (magnitudes.empty()) {
        return f;
    }
    std::sort(magnitudes.begin(), magnitudes.end());
    std::sort(signed_offsets.begin(), signed_offsets.end());
    const auto rank = [&](double q) {
        const auto r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(f.paired)));
        return magnitudes[std::clamp<std::size_t>(r, 1, f.paired) - 1];
    };
    f.p50_ms = rank(0.50);
    f.p95_ms = rank(0.95);
    f.max_ms = magnitudes.back();
    f.median_signed_ms = signed_offsets[(signed_offsets.size() - 1) / 2];
    return f;
}

/// After an event at recording time `event_s` (and before `until_s`): how long until the players
/// were back in sync for good, i.e. the time from `event_s` to the first entry from which every
/// entry up to `until_s` is a pair within `tolerance_ms`; nullopt if they never were.
inline std::optional<double> recovery_after(const std::vector<click_pair>& pairs, double event_s,
                                            double until_s, double tolerance_ms) {
    std::optional<double> since;
    for (const auto& p : pairs) {
        if (p.time_s() < event_s || p.time_s() >= until_s) {
            continue;
        }
        const bool good = p.offset_ms && std::abs(*p.offset_ms) <= tolerance_ms;
        if (!good) {
            since.reset();
        } else if (!since) {
            since = p.time_s();
        }
    }
    if (!since) {
        return std::nullopt;
    }
    return *since - event_s;
}

} // namespace dvbcss::test::media
