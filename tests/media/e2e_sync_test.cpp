// End to end with real media and no sound card: tv-device --media plays a generated click track
// panned left, ts-client --play plays the same file panned right, both into the test's own
// PulseAudio null sink, whose monitor is recorded; the click onsets of the two channels give how
// far apart the companion renders from the TV. Targets (issue 12): from 5 s after the companion
// starts, |companion - TV| p95 <= 2 ms and max <= 5 ms; back within 2 ms less than 1 s after the
// TV pauses, plays, seeks or changes rate; the figures printed, also through a relay adding
// 5 +- 2 ms each way. Runs on MPEG-TS (PTS timeline) and MP4 (CT timeline).

#include "media/support/delay_relay.hpp"
#include "media/support/e2e_session.hpp"
#include "support/child_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace dvbcss::test::media;
using namespace std::chrono_literals;
using dvbcss::test::child_process;
using steady = std::chrono::steady_clock;

using dvbcss::test::bin_dir;
const std::string media_dir = DVBCSS_TEST_MEDIA_DIR;
// Into the test's PulseAudio through ALSA's "pulse" device rather than pulsesink: after a flushing
// seek, PulseAudio 16.1's stream clock can read a garbage time near 2^64 ns and pulsesink then
// drops every buffer as late (silence for good); ALSA's plugin opens a new stream after each
// flush (docs/media.md, "Known problems"). 1 ms periods: each PulseAudio stream keeps a constant
// error of its own, mostly within about one period (2 ms periods gave up to 2.4 ms between two
// outputs), now and then 2-4 ms.
const std::string alsa_pulse = "alsasink device=pulse latency-time=1000 buffer-time=60000";
const std::string tv_sink = "audiopanorama panorama=-1 ! " + alsa_pulse;
const std::string companion_sink = "audiopanorama panorama=1 ! " + alsa_pulse;

struct medium {
    std::string file;
    std::string selector;
    std::string tick_rate;
};

const medium transport_stream{"clicks.ts", "urn:dvb:css:timeline:pts", "90000"};
const medium mp4{"clicks.mp4", "urn:dvb:css:timeline:ct", "48000"};

void PrintTo(const medium& m, std::ostream* out) {
    *out << m.file;
}

// The TV and the companion playing one medium, recorded by one session.
class E2eSync : public ::testing::TestWithParam<medium> {
protected:
    void SetUp() override {
        const std::string why = session_.start();
        ASSERT_TRUE(why.empty()) << "PulseAudio harness: " << why;
    }

    void TearDown() override {
        if (HasFailure()) {
            const std::string wav = "/tmp/dvbcss-e2e-" + std::to_string(getpid()) + ".wav";
            session_.recorder().save_wav(wav);
            std::printf("recording kept in %s\n", wav.c_str());
            if (tv_) {
                tv_->read_for(200ms); // what it printed since the banner: its truth lines
                std::printf("tv-device output:\n%s\n", tv_->output().c_str());
            }
            if (companion_) {
                std::printf("ts-client player actions:\n%s\n",
                            lines_with(companion_->output(), "\"player_action\"").c_str());
                std::printf("ts-client output (last 4000 bytes):\n%s\n",
                            tail(companion_->output(), 4000).c_str());
            }
        }
    }

    static std::string lines_with(const std::string& s, const std::string& needle) {
        std::string out;
        std::size_t start = 0;
        while (start < s.size()) {
            auto end = s.find('\n', start);
            end = end == std::string::npos ? s.size() : end + 1;
            if (s.substr(start, end - start).find(needle) != std::string::npos) {
                out += s.substr(start, end - start);
            }
            start = end;
        }
        return out;
    }

    static std::string tail(const std::string& s, std::size_t n) {
        return s.size() > n ? s.substr(s.size() - n) : s;
    }

    void start_tv(const medium& m, const std::string& audio_sink = tv_sink) {
        tv_ = std::make_unique<child_process>(
            std::vector<std::string>{bin_dir + "/tv-device", "127.0.0.1", "0", "127.0.0.1", "0",
                                     "--media", media_dir + "/" + m.file, "--audio-sink",
                                     audio_sink, "--video-sink", "fakesink", "--loglevel",
                                     "warning", "-Q", "--json"},
            true);
        cii_url_ = tv_->read_until(std::regex(R"(CSS-CII endpoint URL: (ws://\S+))"), 10s);
        ts_url_ = tv_->read_until(std::regex(R"(CSS-TS  endpoint URL: (ws://\S+))"), 10s);
        wc_port_ =
            tv_->read_until(std::regex(R"(CSS-WC  endpoint bound to host \S+ on port (\d+))"), 10s);
        ASSERT_FALSE(cii_url_.empty() || ts_url_.empty() || wc_port_.empty()) << tv_->output();
    }

    void start_companion(const medium& m, std::vector<std::string> connect,
                         const std::string& audio_sink = companion_sink) {
        std::vector<std::string> args{bin_dir + "/ts-client"};
        args.insert(args.end(), connect.begin(), connect.end());
        for (const auto& a :
             {std::string("--play"), media_dir + "/" + m.file, std::string("--audio-sink"),
              audio_sink, std::string("--video-sink"), std::string("fakesink"),
              std::string("--json"), std::string("--loglevel"), std::string("warning")}) {
            args.push_back(a);
        }
        companion_started_ = steady::now();
        auto& slot = companion_ ? other_companion_ : companion_;
        slot = std::make_unique<child_process>(args);
        ASSERT_TRUE(slot->started());
    }

    // Lets the players run for `duration`, reading the companion's output meanwhile.
    void run_for(std::chrono::milliseconds duration) { companion_->read_for(duration); }

    // Sends a console command to the TV; returns when it was sent on the recording's time axis.
    double tv_command(const std::string& command) {
        EXPECT_TRUE(tv_->write_line(command)) << command;
        return session_.recorder().recording_time_of(steady::now());
    }

    [[nodiscard]] double companion_start_s() {
        return session_.recorder().recording_time_of(companion_started_);
    }

    // Asserts the steady-state targets over [from_s, to_s) and prints the figures.
    void expect_in_sync(const std::vector<click_pair>& pairs, double from_s, double to_s,
                        const std::string& what, std::size_t min_paired = 10, double p95_ms = 2.0,
                        double max_ms = 5.0) {
        const auto f = figures_of(pairs, from_s, to_s);
        print_figures(what, f);
        EXPECT_GE(f.paired, min_paired)
            << what << ": clicks found: TV " << session_.tv_onsets().size() << ", companion "
            << session_.companion_onsets().size();
        EXPECT_EQ(f.tv_only + f.companion_only, 0u) << what;
        EXPECT_LE(f.p95_ms, p95_ms) << what;
        EXPECT_LE(f.max_ms, max_ms) << what;
    }

    // After the event at `event_s` and before `until_s`: every click from event + 1 s on paired
    // within 2 ms (at least two of them); prints how long the players took to agree again.
    void expect_recovered(const std::vector<click_pair>& pairs, double event_s, double until_s,
                          const std::string& what) {
        const auto f = figures_of(pairs, event_s + 1.0, until_s);
        const auto back = recovery_after(pairs, event_s, until_s, 2.0);
        std::printf("%s: back within 2 ms after %s s; from +1 s: ", what.c_str(),
                    back ? std::to_string(*back).c_str() : "never");
        print_figures(what + " (from +1 s)", f);
        EXPECT_GE(f.paired, 2u) << what;
        EXPECT_EQ(f.tv_only + f.companion_only, 0u) << what;
        EXPECT_LE(f.max_ms, 2.0) << what;
        ASSERT_TRUE(back.has_value()) << what;
        EXPECT_LE(*back, 1.0 + 0.7) << what << " (the next click may come 0.7 s after 1 s)";
    }

    e2e_session session_;
    std::unique_ptr<child_process> tv_;
    std::unique_ptr<child_process> companion_;
    std::unique_ptr<child_process> other_companion_; // a second companion, on the left
    std::string cii_url_;
    std::string ts_url_;
    std::string wc_port_;
    steady::time_point companion_started_;
};

TEST_P(E2eSync, CompanionRendersWithTheTvWithin2Ms) {
    const medium m = GetParam();
    start_tv(m);
    if (HasFatalFailure()) {
        return;
    }
    start_companion(m, {"--cii", cii_url_, m.selector});
    run_for(15s);
    const double from = companion_start_s() + 5.0;
    const auto pairs = session_.finish();
    expect_in_sync(pairs, from, 1e9, "steady " + m.file);
}

// Two companions of one TV (whose own output is discarded) agree with each other as each agrees
// with the TV: companions in one room render together. The second starts on the left channel,
// where the TV's output goes in the other tests.
TEST_P(E2eSync, TwoCompanionsRenderTogether) {
    const medium m = GetParam();
    start_tv(m, "fakesink sync=true");
    if (HasFatalFailure()) {
        return;
    }
    start_companion(m, {"--cii", cii_url_, m.selector});
    start_companion(m, {"--cii", cii_url_, m.selector}, tv_sink);
    run_for(15s);
    const double from = companion_start_s() + 5.0;
    const auto pairs = session_.finish();
    expect_in_sync(pairs, from, 1e9, "two companions " + m.file);
}

TEST_P(E2eSync, CompanionFollowsPauseAndPlay) {
    const medium m = GetParam();
    start_tv(m);
    if (HasFatalFailure()) {
        return;
    }
    start_companion(m, {"--cii", cii_url_, m.selector});
    run_for(8s);
    const double pause = tv_command("pause");
    run_for(2500ms);
    const double play = tv_command("play");
    run_for(4s);
    const double end = session_.recorder().recording_time_of(steady::now());
    const auto pairs = session_.finish();

    expect_in_sync(pairs, companion_start_s() + 5.0, pause, "before pause " + m.file, 4);
    const auto paused = figures_of(pairs, pause + 1.0, play);
    EXPECT_EQ(paused.paired + paused.tv_only + paused.companion_only, 0u)
        << "clicks while the TV was paused: " << paused.paired << " paired, " << paused.tv_only
        << " TV, " << paused.companion_only << " companion";
    expect_recovered(pairs, play, end, "play " + m.file);
}

// `seek` is a flushing seek on both sides; `rate` an instant rate change on both (no flush).
TEST_P(E2eSync, CompanionFollowsPausePlaySeekAndRate) {
    const medium m = GetParam();
    start_tv(m);
    if (HasFatalFailure()) {
        return;
    }
    start_companion(m, {"--cii", cii_url_, m.selector});
    run_for(8s);
    const double pause = tv_command("pause");
    run_for(2500ms);
    const double play = tv_command("play");
    run_for(3s);
    const double seek = tv_command("seek 3");
    run_for(3s);
    const double faster = tv_command("rate 2");
    run_for(3s);
    const double normal = tv_command("rate 1");
    run_for(3s);
    const double end = session_.recorder().recording_time_of(steady::now());
    const auto pairs = session_.finish();

    expect_in_sync(pairs, companion_start_s() + 5.0, pause, "before pause " + m.file, 4);
    const auto paused = figures_of(pairs, pause + 1.0, play);
    EXPECT_EQ(paused.paired + paused.tv_only + paused.companion_only, 0u)
        << "clicks while the TV was paused: " << paused.paired << " paired, " << paused.tv_only
        << " TV, " << paused.companion_only << " companion";
    expect_recovered(pairs, play, seek, "play " + m.file);
    expect_recovered(pairs, seek, faster, "seek " + m.file);
    expect_recovered(pairs, faster, normal, "rate 2 " + m.file);
    expect_recovered(pairs, normal, end, "rate 1 " + m.file);
}

TEST_P(E2eSync, ThroughARelayAdding5Plus2MsEachWay) {
    const medium m = GetParam();
    start_tv(m);
    if (HasFatalFailure()) {
        return;
    }
    const auto tv_ws_port =
        std::stoi(std::regex_replace(ts_url_, std::regex(R"(ws://[^:]+:(\d+)/.*)"), "$1"));
    delay_relay relay(static_cast<std::uint16_t>(tv_ws_port),
                      static_cast<std::uint16_t>(std::stoi(wc_port_)), 5.0, 2.0);
    const std::string port = std::to_string(relay.tcp_port());
    start_companion(m, {"ws://127.0.0.1:" + port + "/ts",
                        "udp://127.0.0.1:" + std::to_string(relay.udp_port()), "", m.selector,
                        m.tick_rate});
    run_for(15s);
    const double from = companion_start_s() + 5.0;
    const auto pairs = session_.finish();
    EXPECT_GT(relay.datagrams(), 10u);
    EXPECT_GT(relay.tcp_bytes(), 100u);
    // The issue asks for the figure (printed above); the test checks it stays within the BBC's
    // 5 ms resync threshold at p95: 0.34-1.14 ms in four runs here (before the test's sink ran at
    // 40 kHz, one in several gave 6.9-15 ms: docs/media.md, "Known problems").
    expect_in_sync(pairs, from, 1e9, "relay 5+-2 ms " + m.file, 10, 5.0, 10.0);
}

INSTANTIATE_TEST_SUITE_P(Media, E2eSync, ::testing::Values(transport_stream, mp4),
                         [](const auto& test_info) {
                             return test_info.param.file == "clicks.ts" ? "Ts" : "Mp4";
                         });

} // namespace
