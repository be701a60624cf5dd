// The generated test media (scripts/make-test-media.sh) are what the end-to-end tests assume:
// the transport streams carry PTS that do not start at zero, with audio (and video in av.ts);
// decoded with GStreamer, clicks.ts and clicks.mp4 hold every click of the track at its time
// (plus one constant codec delay), so any offset between two players is theirs, not the media's.

#include "media/support/click_onsets.hpp"
#include "media/support/pulse_server.hpp"

#include <dvbcss/media/pts_scanner.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace {

using namespace dvbcss::test::media;

const std::string media_dir = DVBCSS_TEST_MEDIA_DIR;

std::vector<std::uint8_t> bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<double> track_onsets() {
    std::ifstream in(media_dir + "/clicks-onsets.txt");
    std::vector<double> onsets;
    double t = 0;
    while (in >> t) {
        onsets.push_back(t);
    }
    return onsets;
}

// First and last PTS per stream id in a transport stream file.
std::map<int, std::pair<std::int64_t, std::int64_t>> pts_ranges(const std::string& path) {
    const auto data = bytes_of(path);
    dvbcss::media::pts_scanner scanner;
    std::map<int, std::pair<std::int64_t, std::int64_t>> ranges;
    for (const auto& p : scanner.feed(data)) {
        auto [it, fresh] = ranges.try_emplace(p.stream_id, p.pts, p.pts);
        if (!fresh) {
            it->second.second = p.pts;
        }
    }
    return ranges;
}

// Decodes `file` to mono 48 kHz 16-bit samples with gst-launch-1.0 (empty on failure).
std::vector<std::int16_t> decoded(const std::string& file) {
    const std::string wav = "/tmp/dvbcss-decoded-" + std::to_string(getpid()) + ".wav";
    const std::string log = wav + ".log";
    const pid_t pid = spawn_logged({"gst-launch-1.0", "-q", "filesrc", "location=" + file, "!",
                                    "decodebin", "!", "audioconvert", "!", "audioresample", "!",
                                    "audio/x-raw,format=S16LE,channels=1,rate=48000", "!", "wavenc",
                                    "!", "filesink", "location=" + wav},
                                   log);
    int status = -1;
    if (pid > 0) {
        waitpid(pid, &status, 0);
    }
    const auto data = bytes_of(wav);
    std::remove(wav.c_str());
    std::remove(log.c_str());
    std::vector<std::int16_t> samples;
    const std::string text(data.begin(), data.end());
    const auto chunk = text.find("data");
    if (status != 0 || chunk == std::string::npos) {
        return samples;
    }
    // The data chunk's own size: wavenc puts tags after it.
    const std::size_t start = chunk + 8;
    std::uint32_t size = 0;
    std::memcpy(&size, data.data() + chunk + 4, 4);
    samples.resize(std::min<std::size_t>(size, data.size() - start) / 2);
    std::memcpy(samples.data(), data.data() + start, samples.size() * 2);
    return samples;
}

TEST(E2eMediaFiles, TransportStreamsCarryPtsThatDoNotStartAtZero) {
    const auto clicks = pts_ranges(media_dir + "/clicks.ts");
    ASSERT_EQ(clicks.count(0xC0), 1u) << "no audio PES in clicks.ts";
    const auto [first, last] = clicks.at(0xC0);
    EXPECT_GE(first, 90000) << "the PTS origin should not be zero";
    EXPECT_NEAR(static_cast<double>(last - first) / 90000.0, 30.0, 0.2);

    const auto av = pts_ranges(media_dir + "/av.ts");
    ASSERT_EQ(av.count(0xC0), 1u) << "no audio PES in av.ts";
    ASSERT_EQ(av.count(0xE0), 1u) << "no video PES in av.ts";
    EXPECT_GE(av.at(0xE0).first, 90000);
    EXPECT_NEAR(static_cast<double>(av.at(0xE0).second - av.at(0xE0).first) / 90000.0, 30.0, 0.2);
}

class E2eMediaFilesDecoded : public ::testing::TestWithParam<std::string> {};

TEST_P(E2eMediaFilesDecoded, HoldEveryClickAtItsTime) {
    const auto truth = track_onsets();
    ASSERT_GE(truth.size(), 40u);
    const auto samples = decoded(media_dir + "/" + GetParam());
    ASSERT_GT(samples.size(), 29u * 48000u) << "decoding " << GetParam() << " failed";
    const auto found = click_onsets(samples, 1, 0, 48000.0, 327.0);
    ASSERT_EQ(found.size(), truth.size()) << GetParam();
    const double delay = found[0] - truth[0];
    for (std::size_t i = 0; i < truth.size(); ++i) {
        EXPECT_NEAR(found[i] - truth[i], delay, 0.00005) << GetParam() << " click " << i;
    }
    std::printf("%s: decoded clicks %.3f ms after the track's (codec delay and envelope)\n",
                GetParam().c_str(), delay * 1000.0);
    EXPECT_LT(std::abs(delay), 0.050);
}

INSTANTIATE_TEST_SUITE_P(Files, E2eMediaFilesDecoded,
                         ::testing::Values("clicks.ts", "clicks.mp4", "av.ts"),
                         [](const auto& test_info) {
                             std::string name = test_info.param;
                             name[name.find('.')] = '_';
                             return name;
                         });

} // namespace
