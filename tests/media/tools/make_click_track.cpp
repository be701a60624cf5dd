// Writes the media tests' click track: a mono 16-bit PCM WAV file of short tone bursts ("clicks")
// at irregular intervals drawn from a seeded generator, so that two players one interval apart
// cannot look in sync. Used by scripts/make-test-media.sh, which encodes it into MPEG-TS and MP4.
//
//   make_click_track OUT.wav [--seconds S] [--rate HZ] [--seed N] [--onsets OUT.txt]
//
// Each click is tests/media/support/click_synth.hpp's (5 ms of 3 kHz, half full scale); the first
// starts at 0.5 s, each next 300-700 ms after the previous one (uniform, seeded). --onsets writes
// each click's start in seconds, one a line. Exit status: 0 written, 1 the file could not be
// written, 2 usage error.

#include "../support/click_synth.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

void put_u32(std::ofstream& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out.put(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
}

void put_u16(std::ofstream& out, std::uint16_t v) {
    out.put(static_cast<char>(v & 0xFF));
    out.put(static_cast<char>((v >> 8) & 0xFF));
}

int usage(const char* why) {
    std::fprintf(stderr,
                 "make_click_track: %s\nusage: make_click_track OUT.wav [--seconds S] "
                 "[--rate HZ] [--seed N] [--onsets OUT.txt]\n",
                 why);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    std::string out_path;
    std::string onsets_path;
    double seconds = 30.0;
    long rate = 48000;
    unsigned long seed = 12;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--seconds" && has_value) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--rate" && has_value) {
            rate = std::atol(argv[++i]);
        } else if (a == "--seed" && has_value) {
            seed = std::strtoul(argv[++i], nullptr, 10);
        } else if (a == "--onsets" && has_value) {
            onsets_path = argv[++i];
        } else if (!a.empty() && a[0] != '-' && out_path.empty()) {
            out_path = a;
        } else {
            return usage(("unknown or incomplete argument: " + a).c_str());
        }
    }
    if (out_path.empty()) {
        return usage("no output file");
    }
    if (!(seconds >= 2.0 && seconds <= 3600.0) || rate < 8000 || rate > 192000) {
        return usage("--seconds must be 2-3600 and --rate 8000-192000");
    }

    const auto frames = static_cast<std::size_t>(seconds * static_cast<double>(rate));
    std::vector<std::int16_t> samples(frames, 0);
    std::vector<double> onsets;
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> gap(0.300, 0.700);
    std::vector<double> track(frames, 0.0);
    for (double t = 0.5; t + dvbcss::test::media::click_length_s + 0.1 < seconds;
         t += gap(random)) {
        onsets.push_back(t);
        dvbcss::test::media::add_click(track, 1, 0, static_cast<double>(rate), t);
    }
    for (std::size_t n = 0; n < frames; ++n) {
        samples[n] = static_cast<std::int16_t>(std::lround(track[n] * 32767.0));
    }

    std::ofstream out(out_path, std::ios::binary);
    const auto data_bytes = static_cast<std::uint32_t>(frames * 2);
    out.write("RIFF", 4);
    put_u32(out, 36 + data_bytes);
    out.write("WAVEfmt ", 8);
    put_u32(out, 16);
    put_u16(out, 1); // PCM
    put_u16(out, 1); // mono
    put_u32(out, static_cast<std::uint32_t>(rate));
    put_u32(out, static_cast<std::uint32_t>(rate * 2));
    put_u16(out, 2);
    put_u16(out, 16);
    out.write("data", 4);
    put_u32(out, data_bytes);
    for (const auto s : samples) {
        put_u16(out, static_cast<std::uint16_t>(s));
    }
    out.close();
    if (!out) {
        std::fprintf(stderr, "make_click_track: cannot write %s\n", out_path.c_str());
        return 1;
    }
    if (!onsets_path.empty()) {
        std::ofstream list(onsets_path);
        for (const double t : onsets) {
            char line[32];
            std::snprintf(line, sizeof line, "%.6f\n", t);
            list << line;
        }
        if (!list) {
            std::fprintf(stderr, "make_click_track: cannot write %s\n", onsets_path.c_str());
            return 1;
        }
    }
    return 0;
}
