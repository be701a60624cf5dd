// The end-to-end harness proven without tv-device or ts-client: the test's own PulseAudio server,
// the monitor recording and the click analysis measure stand-ins with a known offset. The
// stand-ins are one gst-launch-1.0 pipeline decoding clicks.ts twice, one copy panned left (the
// "TV") and one panned right (the "companion"), mixed into one pulsesink with the companion's
// mixer pad offset by a known amount: the offset the analysis reports must be that amount.

#include "media/support/e2e_session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <string>
#include <thread>

namespace {

using namespace dvbcss::test::media;

const std::string media_dir = DVBCSS_TEST_MEDIA_DIR;

// Plays `file` for `seconds` with the right copy `delay_ms` late, recorded by `session`.
void play_stand_ins(e2e_session& session, const std::string& file, double delay_ms,
                    double seconds) {
    const auto offset_ns = static_cast<long long>(delay_ms * 1e6);
    const std::string copy = "filesrc location=" + file + " ! decodebin ! audioconvert ! ";
    const std::string log = session.server().directory() + "/stand-ins.log";
    const pid_t pid = spawn_logged(
        {"sh", "-c",
         "exec gst-launch-1.0 -q audiomixer name=mix sink_1::offset=" + std::to_string(offset_ns) +
             " ! audio/x-raw,rate=48000,channels=2 ! pulsesink " + copy +
             "audiopanorama panorama=-1 ! mix.sink_0 " + copy +
             "audiopanorama panorama=1 ! mix.sink_1"},
        log);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop_process(pid, SIGINT, std::chrono::milliseconds(3000));
    const std::string text = file_text(log);
    EXPECT_EQ(text.find("ERROR"), std::string::npos) << text;
}

class E2eStandIn : public ::testing::TestWithParam<double> {};

TEST_P(E2eStandIn, KnownOffsetIsMeasuredWithinFifthOfAMillisecond) {
    const double delay_ms = GetParam();
    e2e_session session;
    const std::string why = session.start();
    ASSERT_TRUE(why.empty()) << why;
    play_stand_ins(session, media_dir + "/clicks.ts", delay_ms, 6.0);
    const auto pairs = session.finish();
    const auto f = figures_of(pairs, 0.0);
    print_figures("stand-ins " + std::to_string(delay_ms) + " ms", f);
    ASSERT_GE(f.paired, 8u) << "clicks found: left " << session.tv_onsets().size() << ", right "
                            << session.companion_onsets().size();
    EXPECT_LE(f.tv_only + f.companion_only, 1u);
    EXPECT_NEAR(f.median_signed_ms, delay_ms, 0.2);
    for (const auto& p : pairs) {
        if (p.offset_ms) {
            EXPECT_NEAR(*p.offset_ms, delay_ms, 0.2) << "click at " << p.time_s() << " s";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Delays, E2eStandIn, ::testing::Values(0.0, 10.0, 2.5));

// The measurement floor of the sinks the end-to-end tests use: one pipeline on the system clock
// (one base time) decoding clicks.ts once into two ALSA `pulse` device outputs, set as tv-device
// and ts-client set theirs (1 ms periods, 1 ms drift tolerance, 20 ms discont-wait), panned
// apart. Whatever offset this measures comes from the sink path, not from synchronisation.
TEST(E2eStandInSinks, TwoOutputsOfOnePipelineOnOneClock) {
    e2e_session session;
    const std::string why = session.start();
    ASSERT_TRUE(why.empty()) << why;
    const std::string sink = "alsasink device=pulse latency-time=1000 buffer-time=60000 "
                             "provide-clock=false drift-tolerance=1000 discont-wait=20000000";
    const std::string log = session.server().directory() + "/two-sinks.log";
    const pid_t pid = spawn_logged(
        {"sh", "-c",
         "exec gst-launch-1.0 -q filesrc location=" + media_dir +
             "/clicks.ts ! decodebin ! audioconvert ! tee name=t t. ! queue ! audiopanorama "
             "panorama=-1 ! " +
             sink + " t. ! queue ! audiopanorama panorama=1 ! " + sink},
        log);
    ASSERT_GT(pid, 0);
    // From 3 s on: a new output's first clicks come up to 20-50 ms late while its sink's skew
    // slaving pulls it in (2-3 s), as a companion's do before the end-to-end tests measure.
    const double settled_s = 3.0;
    std::this_thread::sleep_for(std::chrono::seconds(10));
    stop_process(pid, SIGINT, std::chrono::milliseconds(3000));
    const auto pairs = session.finish();
    const auto f = figures_of(pairs, settled_s);
    print_figures("two sinks of one pipeline", f);
    ASSERT_GE(f.paired, 8u);
    // Each PulseAudio stream through ALSA's plugin keeps a constant error of its own, mostly
    // within about one period: on the 40 kHz null sink with 1 ms periods, 13 runs by hand gave
    // medians of -0.78 to +1.43 ms (p95 at most 1.85 ms) and once -4.37 ms (p95 5.95 ms), whence
    // the bound of 1.5 ms on the median and the retries of scripts/test.sh.
    EXPECT_LE(std::abs(f.median_signed_ms), 1.5);
    EXPECT_LE(f.p95_ms, 2.0);
}

} // namespace
