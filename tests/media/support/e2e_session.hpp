#pragma once

// What every media end-to-end test does around its players: start the test's own PulseAudio
// server and record its null sink's monitor; afterwards find the clicks of the left (TV) and
// right (companion) channels, pair them and print the figures. A failure to start the server or
// the recorder is a test failure with the reason (never a silent skip).

#include "click_onsets.hpp"
#include "monitor_recorder.hpp"
#include "pulse_server.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace dvbcss::test::media {

/// Amplitude (int16 scale) above which the analysis takes a click to be present: -40 dBFS.
inline constexpr double click_floor = 327.0;

class e2e_session {
public:
    /// Starts the server and the recorder; empty string on success, else why not.
    std::string start() {
        if (auto why = server_.start(); !why.empty()) {
            return why;
        }
        if (auto why = recorder_.start(pulse_server::monitor()); !why.empty()) {
            return why;
        }
        if (!recorder_.wait_for_seconds(0.2, std::chrono::seconds(5))) {
            return "parec recorded nothing within 5 s; server log: " + server_.log();
        }
        return {};
    }

    [[nodiscard]] pulse_server& server() { return server_; }

    [[nodiscard]] monitor_recorder& recorder() { return recorder_; }

    /// Stops recording and pairs the channels' clicks (TV left, companion right).
    std::vector<click_pair> finish() {
        recorder_.stop();
        const auto samples = recorder_.samples();
        tv_ = click_onsets(samples, 2, 0, monitor_recorder::rate, click_floor);
        companion_ = click_onsets(samples, 2, 1, monitor_recorder::rate, click_floor);
        return pair_clicks(tv_, companion_);
    }

    [[nodiscard]] const std::vector<double>& tv_onsets() const { return tv_; }

    [[nodiscard]] const std::vector<double>& companion_onsets() const { return companion_; }

private:
    pulse_server server_;
    monitor_recorder recorder_;
    std::vector<double> tv_;
    std::vector<double> companion_;
};

/// One line of figures for the test log: "<what>: n=.. p50=.. p95=.. max=.. median=.. ms".
inline void print_figures(const std::string& what, const offset_figures& f) {
    std::printf("%s: paired=%zu tv_only=%zu companion_only=%zu |offset| p50=%.3f p95=%.3f "
                "max=%.3f ms, signed median=%.3f ms\n",
                what.c_str(), f.paired, f.tv_only, f.companion_only, f.p50_ms, f.p95_ms, f.max_ms,
                f.median_signed_ms);
    std::fflush(stdout);
}

} // namespace dvbcss::test::media
