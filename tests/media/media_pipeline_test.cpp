// The TV's arithmetic against GStreamer itself: clicks.ts played into `fakesink sync=true`, each
// buffer's handoff time read from the pipeline clock, compared with the time the control
// timestamps computed from the pipeline's state say that buffer's position is rendered. After
// play, pause/play, seek, rate 2.0 and a loop.
#include "media/support/handoff_recorder.hpp"

#include <dvbcss/gst/media_pipeline.hpp>
#include <dvbcss/media/control_timestamps.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <gst/gst.h>
#include <sys/prctl.h>

namespace dvbcss {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t s = 1'000'000'000;

using test::handoff;
using test::media_file;
using test::recorder;

class fixture {
public:
    explicit fixture(const std::string& file, bool loop = false) {
        // GStreamer's streaming threads inherit this thread's timer slack (50 µs by default):
        // clock waits then wake as promptly as the kernel can, so that the handoff times show
        // the arithmetic rather than the slack.
        ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        gst::media_pipeline_options o;
        o.uri = file;
        o.audio_sink = "fakesink sync=true signal-handoffs=true name=probe";
        o.video_sink = "none";
        o.loop = loop;
        pipeline = gst::media_pipeline::create(o, io.get_executor(), [this](const auto& e) {
            events.push_back(e.kind);
            if (e.kind == gst::media_event_kind::rate_changed) {
                last_message = e.message;
            }
        });
        rec.clock = pipeline->clock();
        GstElement* probe = gst_bin_get_by_name(GST_BIN(pipeline->native()), "probe");
        EXPECT_NE(probe, nullptr);
        g_signal_connect(probe, "handoff", G_CALLBACK(recorder::on_handoff), &rec);
        gst_object_unref(probe);
    }

    /// Runs the owner until `kind` is delivered (true) or `limit` passes.
    bool wait_for(gst::media_event_kind kind, std::chrono::milliseconds limit = 5000ms) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            if (const auto it = std::find(events.begin(), events.end(), kind); it != events.end()) {
                events.erase(events.begin(), it + 1); // later events stay for the next wait
                return true;
            }
            io.restart();
            io.run_for(10ms);
        }
        return false;
    }

    void run_for(std::chrono::milliseconds d) {
        io.restart();
        io.run_for(d);
    }

    /// Handoffs of the next `d` against the control timestamp computed now: errors (ns).
    std::vector<double> errors_over(std::chrono::milliseconds d) {
        const auto mapping = pipeline->timelines().at(0);
        const auto ct = media::control_timestamp_from(pipeline->state(), mapping, 0);
        EXPECT_TRUE(ct.available());
        static_cast<void>(rec.take());
        run_for(d);
        std::vector<double> errors;
        if (!ct.available()) {
            return errors;
        }
        const auto origin = mapping.position_at(*ct.content_time);
        for (const auto& h : rec.take()) {
            const double predicted =
                static_cast<double>(ct.wall_clock_time) +
                static_cast<double>(h.position_ns - origin) / *ct.timeline_speed_multiplier;
            errors.push_back(static_cast<double>(h.clock_ns) - predicted);
        }
        return errors;
    }

    boost::asio::io_context io;
    // The owner waits for GStreamer's messages: it must not run out of work meanwhile.
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    std::vector<gst::media_event_kind> events;
    std::string last_message; // of the last rate_changed event
    recorder rec;
    std::unique_ptr<gst::media_pipeline> pipeline;
};

// Handoff time minus predicted render time, over the buffers of one phase (ns).
struct summary {
    std::size_t n = 0;
    double min_ns = 0; // the earliest: the arithmetic's error plus the quickest wake-up
    double p50_ns = 0;
    double p95_ns = 0;
    double max_ns = 0; // the latest: scheduling delays of a loaded machine
};

summary summarise(std::vector<double> errors) {
    summary out;
    out.n = errors.size();
    std::sort(errors.begin(), errors.end());
    if (!errors.empty()) {
        const auto at = [&](double q) {
            return errors[static_cast<std::size_t>(q * static_cast<double>(errors.size() - 1))];
        };
        out.min_ns = errors.front();
        out.p50_ns = at(0.5);
        out.p95_ns = at(0.95);
        out.max_ns = errors.back();
    }
    return out;
}

// The bound of the issue: the TV's control timestamps against render times, 0.1 ms. A render
// time is the arithmetic's error plus the streaming thread's wake-up, which on this 2-core VM is
// 30-120 us; so: no buffer more than 0.1 ms early (a prediction too late shows there), and the
// earliest buffer no more than 0.25 ms late (a prediction too early shows in every buffer).
constexpr double bound_ns = 100'000;
constexpr double late_bound_ns = 250'000;

void check(const char* phase, const std::vector<double>& errors) {
    if (std::getenv("DVBCSS_MEDIA_VERBOSE") != nullptr) {
        for (const auto e : errors) {
            std::printf("%s %.0f\n", phase, e);
        }
    }
    const auto sm = summarise(errors);
    std::printf("{\"event\":\"fakesink_error\",\"phase\":\"%s\",\"buffers\":%zu,"
                "\"min_ns\":%.0f,\"p50_ns\":%.0f,\"p95_ns\":%.0f,\"max_ns\":%.0f}\n",
                phase, sm.n, sm.min_ns, sm.p50_ns, sm.p95_ns, sm.max_ns);
    EXPECT_GE(sm.n, 10U) << phase;
    // A sink that syncs never renders before the clock reaches the buffer's time, so an error
    // in the arithmetic shows in every buffer, the earliest included; a late wake-up (a busy
    // machine) only ever adds. The earliest buffer is within the wake-up bound of the
    // prediction, and no buffer is more than 0.1 ms early.
    EXPECT_LE(sm.min_ns, late_bound_ns) << phase;
    EXPECT_GE(sm.min_ns, -bound_ns) << phase;
}

TEST(MediaPipelineTest, TransportStreamCarriesAPtsTimelineFromItsOwnPes) {
    fixture f(media_file("clicks.ts"));
    EXPECT_EQ(f.pipeline->container(), gst::container_kind::mpeg_ts);
    ASSERT_EQ(f.pipeline->timelines().size(), 1U);
    const auto m = f.pipeline->timelines()[0];
    EXPECT_EQ(m.selector, "urn:dvb:css:timeline:pts");
    EXPECT_EQ(m.tick_rate(), 90'000.0);
    // mpegtsmux starts its PTS near 3600 s (make-test-media.sh), not at the demuxer's position.
    EXPECT_NEAR(static_cast<double>(m.origin_ticks) / 90'000.0, 3600.0, 2.0);
    ASSERT_TRUE(f.pipeline->duration_ns());
    EXPECT_NEAR(static_cast<double>(*f.pipeline->duration_ns()) / 1e9, 30.0, 1.0);
    EXPECT_TRUE(f.wait_for(gst::media_event_kind::timelines_known));
}

TEST(MediaPipelineTest, TransportStreamWithTemiCarriesItsTemiTimelinesPlacedOnItsPts) {
    // make-test-media.sh: temi.ts is clicks.ts with temi:1:1 (1 kHz from 0 s) and temi:1:2
    // (90 kHz from 10 s) in every audio PES, counted from the first audio PTS.
    fixture f(media_file("temi.ts"));
    const auto timelines = f.pipeline->timelines();
    ASSERT_EQ(timelines.size(), 3U);
    EXPECT_TRUE(f.pipeline->timeline_notes().empty());
    const auto& pts = timelines[0];
    EXPECT_EQ(pts.selector, "urn:dvb:css:timeline:pts");
    EXPECT_EQ(timelines[1].selector, "urn:dvb:css:timeline:temi:1:1");
    EXPECT_EQ(timelines[1].tick_rate(), 1000.0);
    EXPECT_EQ(timelines[2].selector, "urn:dvb:css:timeline:temi:1:2");
    EXPECT_EQ(timelines[2].tick_rate(), 90'000.0);
    for (std::int64_t position = 0; position <= 30'000'000'000; position += 1'234'567'891) {
        const auto since_first = pts.ticks_at(position) - pts.origin_ticks; // 90 kHz
        EXPECT_EQ(timelines[2].ticks_at(position), since_first + 900'000) << position;
        EXPECT_NEAR(static_cast<double>(timelines[1].ticks_at(position)),
                    static_cast<double>(since_first) / 90.0, 1.0)
            << position;
    }
}

TEST(MediaPipelineTest, TransportStreamWithoutTemiCarriesPtsAlone) {
    fixture f(media_file("av.ts"));
    ASSERT_EQ(f.pipeline->timelines().size(), 1U);
    EXPECT_TRUE(f.pipeline->timeline_notes().empty());
}

TEST(MediaPipelineTest, Mp4CarriesACtTimelineAtTheTrackTimescale) {
    fixture f(media_file("clicks.mp4"));
    EXPECT_EQ(f.pipeline->container(), gst::container_kind::mp4);
    ASSERT_EQ(f.pipeline->timelines().size(), 1U);
    EXPECT_EQ(f.pipeline->timelines()[0].selector, "urn:dvb:css:timeline:ct");
    EXPECT_EQ(f.pipeline->timelines()[0].tick_rate(), 48'000.0);
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    check("mp4_play", f.errors_over(1000ms));
}

TEST(MediaPipelineTest, FakesinkRenderTimesMatchTheControlTimestamps) {
    fixture f(media_file("clicks.ts"), true);
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    check("play", f.errors_over(1500ms));

    f.pipeline->pause();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::paused));
    const auto paused =
        media::control_timestamp_from(f.pipeline->state(), f.pipeline->timelines().at(0), 0);
    EXPECT_EQ(paused.timeline_speed_multiplier, 0.0);
    f.run_for(300ms);
    EXPECT_TRUE(f.rec.take().size() <= 1U); // nothing rendered while paused
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    check("pause_play", f.errors_over(1000ms));

    ASSERT_TRUE(f.pipeline->seek(10 * s));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    const auto after_seek = f.pipeline->state();
    EXPECT_NEAR(static_cast<double>(after_seek.seg.start) / 1e9, 10.0, 0.1);
    check("seek", f.errors_over(1000ms));

    // Playing: instant rate changes (no flush): the sink carries on at the new rate from the
    // running time at which it got the change.
    ASSERT_TRUE(f.pipeline->set_rate(2.0));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::rate_changed));
    EXPECT_EQ(f.last_message, "instant");
    EXPECT_EQ(f.pipeline->state().seg.effective_rate(), 2.0);
    check("instant_rate_2", f.errors_over(1000ms));
    ASSERT_TRUE(f.pipeline->set_rate(0.5));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::rate_changed));
    EXPECT_EQ(f.last_message, "instant");
    EXPECT_EQ(f.pipeline->state().seg.effective_rate(), 0.5);
    check("instant_rate_0.5", f.errors_over(1000ms));

    // Paused: a flushing seek at the new rate.
    f.pipeline->pause();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::paused));
    ASSERT_TRUE(f.pipeline->set_rate(2.0));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::rate_changed));
    EXPECT_EQ(f.last_message, "seek");
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    EXPECT_EQ(f.pipeline->state().seg.effective_rate(), 2.0);
    check("rate_2", f.errors_over(1000ms));

    ASSERT_TRUE(f.pipeline->set_rate(1.0));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::rate_changed));
    EXPECT_EQ(f.last_message, "instant");
    const auto d = *f.pipeline->duration_ns();
    ASSERT_TRUE(f.pipeline->seek(d - s / 2));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::looped, 3000ms));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    EXPECT_LT(f.pipeline->state().seg.start, s);
    check("loop", f.errors_over(1000ms));
}

TEST(MediaPipelineTest, ASeekRightAfterAnInstantRateChangeKeepsTheRateAsked) {
    // GStreamer 1.22 sends an instant rate change again after a flushing seek that follows it
    // closely, and the sink then plays at the product of both rates: the pipeline notices and
    // seeks again once, so the sink plays at the rate asked and the state says so.
    fixture f(media_file("clicks.ts"));
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    f.run_for(300ms);
    ASSERT_TRUE(f.pipeline->set_rate(2.0));
    ASSERT_TRUE(f.pipeline->seek(10 * s));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::seek_done));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    EXPECT_EQ(f.pipeline->state().seg.effective_rate(), 2.0);
    check("seek_after_instant_rate", f.errors_over(1000ms));
    const auto p = f.pipeline->position_ns();
    ASSERT_TRUE(p.has_value());
    EXPECT_NEAR(static_cast<double>(*p) / 1e9, 10.0 + 2.0, 0.5);
}

TEST(MediaPipelineTest, RateChangesAndSeeksInQuickSuccessionNeitherHangNorLoseTheRate) {
    // What a companion does when the TV changes rate and seeks at once: an instant rate change,
    // then at once a pause and a flushing seek. GStreamer 1.22 can deadlock when the seek meets
    // the demuxer's thread still posting the rate change's request; the pipeline waits for the
    // answer first. A pause's ASYNC_DONE still on its way must not count as the seek's.
    fixture f(media_file("clicks.ts"));
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    for (int round = 0; round < 4; ++round) {
        const double rate = round % 2 == 0 ? 2.0 : 1.0;
        const std::int64_t target = round % 2 == 0 ? 10 * s : 3 * s;
        ASSERT_TRUE(f.pipeline->set_rate(rate)) << round;
        f.pipeline->pause();
        ASSERT_TRUE(f.pipeline->seek(target)) << round;
        ASSERT_TRUE(f.wait_for(gst::media_event_kind::seek_done)) << round;
        const auto st = f.pipeline->state();
        EXPECT_EQ(st.seg.effective_rate(), rate) << round;
        ASSERT_TRUE(st.paused_position_ns) << round;
        EXPECT_NEAR(static_cast<double>(*st.paused_position_ns) / 1e9,
                    static_cast<double>(target) / 1e9, 0.1)
            << round;
        f.pipeline->play();
        ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing)) << round;
        f.run_for(100ms);
    }
}

TEST(MediaPipelineTest, APauseAndASeekTogetherOnAFileWithVideoEndAtTheSeeksTarget) {
    // "pause" and "seek S" in one go on a file with video: the pause's ASYNC_DONE can come
    // after the seek was asked, either merged with the seek's (one ASYNC_DONE for both) or ahead
    // of the flush (two). Either way seek_done comes once, with the seek's target paused
    // (TvMedia.APauseAndASeekInOneRequest... meets the second case).
    fixture f(media_file("av.ts"));
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    for (int round = 0; round < 10; ++round) {
        f.run_for(400ms);
        const std::int64_t target = (3 + round) * s;
        f.pipeline->pause();
        // As long as tv-device takes to tell the pause and apply the next command.
        std::this_thread::sleep_for(std::chrono::microseconds(100 * round));
        ASSERT_TRUE(f.pipeline->seek(target)) << round;
        ASSERT_TRUE(f.wait_for(gst::media_event_kind::seek_done)) << round;
        const auto st = f.pipeline->state();
        EXPECT_FALSE(st.playing) << round;
        ASSERT_TRUE(st.paused_position_ns) << round;
        EXPECT_NEAR(static_cast<double>(*st.paused_position_ns) / 1e9,
                    static_cast<double>(target) / 1e9, 0.05)
            << round;
        f.pipeline->play();
        ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing)) << round;
    }
}

TEST(MediaPipelineTest, ARateChangeDuringASeekIsThatSeekAtTheNewRate) {
    // tv-device given "seek 5" and "rate 2" in one go: the rate change must not seek from the
    // position the pipeline shows while it flushes (the previous one), but to the seek's target.
    fixture f(media_file("clicks.ts"));
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    ASSERT_TRUE(f.pipeline->seek(12 * s));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::seek_done));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    f.run_for(300ms);
    ASSERT_TRUE(f.pipeline->seek(5 * s));
    EXPECT_EQ(f.pipeline->position_ns(), 5 * s); // a relative seek now counts from here
    ASSERT_TRUE(f.pipeline->set_rate(2.0));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::seek_done));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    const auto st = f.pipeline->state();
    EXPECT_EQ(st.seg.effective_rate(), 2.0);
    EXPECT_NEAR(static_cast<double>(st.seg.start) / 1e9, 5.0, 0.1);
    check("rate_during_seek", f.errors_over(1000ms));
}

TEST(MediaPipelineTest, EndOfStreamWithoutLoopStopsAtTheLastPosition) {
    fixture f(media_file("clicks.ts"));
    const auto d = *f.pipeline->duration_ns();
    f.pipeline->play();
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::playing));
    ASSERT_TRUE(f.pipeline->seek(d - s / 4));
    ASSERT_TRUE(f.wait_for(gst::media_event_kind::end_of_stream, 3000ms));
    const auto st = f.pipeline->state();
    EXPECT_FALSE(st.playing);
    ASSERT_TRUE(st.paused_position_ns);
    const auto ct = media::control_timestamp_from(st, f.pipeline->timelines().at(0), 0);
    EXPECT_EQ(ct.timeline_speed_multiplier, 0.0);
}

TEST(MediaPipelineTest, FailuresSayWhy) {
    boost::asio::io_context io;
    const auto fails = [&](const std::string& uri, const std::string& audio) {
        gst::media_pipeline_options o;
        o.uri = uri;
        o.audio_sink = audio;
        o.video_sink = "none";
        try {
            static_cast<void>(gst::media_pipeline::create(o, io.get_executor(), {}));
        } catch (const gst::media_error& e) {
            return std::make_pair(e.why(), std::string(e.what()));
        }
        return std::make_pair(gst::media_failure::runtime, std::string("no error"));
    };
    const auto missing = fails("/nonexistent/clicks.ts", "none");
    EXPECT_EQ(missing.first, gst::media_failure::not_found) << missing.second;
    EXPECT_NE(missing.second.find("no such file"), std::string::npos) << missing.second;

    const auto text = std::filesystem::temp_directory_path() / "dvbcss-not-media.ts";
    {
        std::FILE* f = std::fopen(text.c_str(), "w");
        ASSERT_NE(f, nullptr);
        for (int i = 0; i < 1000; ++i) {
            std::fputs("this is not media at all\n", f);
        }
        std::fclose(f);
    }
    const auto not_media = fails(text.string(), "none");
    EXPECT_EQ(not_media.first, gst::media_failure::cannot_play) << not_media.second;
    std::filesystem::remove(text);

    const auto no_element = fails(media_file("clicks.ts"), "nosuchsink_xyz");
    EXPECT_EQ(no_element.first, gst::media_failure::missing_plugin) << no_element.second;
    EXPECT_NE(no_element.second.find("nosuchsink_xyz"), std::string::npos);
}

} // namespace
} // namespace dvbcss
