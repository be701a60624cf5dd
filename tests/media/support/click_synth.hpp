#pragma once

// The media tests' click: a 3 kHz sine under a 1 ms raised-cosine attack and a 4 ms raised-cosine
// decay (5 ms in all), peak amplitude 0.5 of full scale. Shared by the test-media generator
// (tests/media/tools/make_click_track.cpp) and the analyser's synthetic tests, so both speak of
// the same waveform. Plain arithmetic: no I/O, no clock.

#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

namespace dvbcss::test::media {

inline constexpr double click_frequency_hz = 3000.0;
inline constexpr double click_attack_s = 0.001;
inline constexpr double click_length_s = 0.005;
inline constexpr double click_amplitude = 0.5;

/// The click's value `dt` seconds after its start (0 outside [0, click_length_s)).
inline double click_value(double dt) {
    if (dt < 0.0 || dt >= click_length_s) {
        return 0.0;
    }
    const double pi = std::numbers::pi;
    const double envelope =
        dt < click_attack_s
            ? 0.5 - 0.5 * std::cos(pi * dt / click_attack_s)
            : 0.5 + 0.5 * std::cos(pi * (dt - click_attack_s) / (click_length_s - click_attack_s));
    return click_amplitude * envelope * std::sin(2.0 * pi * click_frequency_hz * dt);
}

/// Adds a click starting at `start_s` (any real time, sub-sample exact) to `samples`, one
/// channel of `channels` interleaved (frame n is at n / rate seconds). Samples are in [-1, 1].
inline void add_click(std::vector<double>& samples, std::size_t channels, std::size_t channel,
                      double rate, double start_s) {
    const auto frames = samples.size() / channels;
    const auto first = static_cast<std::size_t>(std::max(0.0, std::ceil(start_s * rate)));
    for (std::size_t n = first; n < frames; ++n) {
        const double dt = static_cast<double>(n) / rate - start_s;
        if (dt >= click_length_s) {
            break;
        }
        samples[n * channels + channel] += click_value(dt);
    }
}

} // namespace dvbcss::test::media
