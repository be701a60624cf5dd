#include <dvbcss/media/mp4_timescale.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dvbcss::media {
namespace {

using bytes = std::vector<std::uint8_t>;

void put32(bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        b.push_back(static_cast<std::uint8_t>(v >> shift));
    }
}

void put64(bytes& b, std::uint64_t v) {
    put32(b, static_cast<std::uint32_t>(v >> 32));
    put32(b, static_cast<std::uint32_t>(v));
}

bytes box(const std::string& type, const bytes& payload, bool large = false) {
    bytes b;
    if (large) {
        put32(b, 1);
    } else {
        put32(b, static_cast<std::uint32_t>(payload.size() + 8));
    }
    b.insert(b.end(), type.begin(), type.end());
    if (large) {
        put64(b, payload.size() + 16);
    }
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// version 0: version/flags, creation, modification, timescale, duration
bytes mdhd(std::uint32_t timescale, int version = 0) {
    bytes b;
    put32(b, static_cast<std::uint32_t>(version) << 24);
    if (version == 1) {
        put64(b, 0);
        put64(b, 0);
        put32(b, timescale);
        put64(b, 1000);
    } else {
        put32(b, 0);
        put32(b, 0);
        put32(b, timescale);
        put32(b, 1000);
    }
    put32(b, 0);
    return box("mdhd", b);
}

bytes mvhd(std::uint32_t timescale) {
    bytes b;
    put32(b, 0);
    put32(b, 0);
    put32(b, 0);
    put32(b, timescale);
    put32(b, 0);
    return box("mvhd", b);
}

bytes tkhd(std::uint32_t id) {
    bytes b;
    put32(b, 0);
    put32(b, 0);
    put32(b, 0);
    put32(b, id);
    return box("tkhd", b);
}

bytes hdlr(const std::string& kind) {
    bytes b;
    put32(b, 0);
    put32(b, 0);
    b.insert(b.end(), kind.begin(), kind.end());
    put32(b, 0);
    return box("hdlr", b);
}

bytes elst(std::vector<std::pair<std::uint32_t, std::int32_t>> entries) {
    bytes b;
    put32(b, 0);
    put32(b, static_cast<std::uint32_t>(entries.size()));
    for (const auto& [duration, media_time] : entries) {
        put32(b, duration);
        put32(b, static_cast<std::uint32_t>(media_time));
        put32(b, 0x00010000);
    }
    return box("edts", box("elst", b));
}

TEST(Mp4TimescaleTest, ReadsEachTracksIdHandlerAndTimescale) {
    const auto moov = cat(
        {mvhd(1000), box("trak", cat({tkhd(1), box("mdia", cat({mdhd(48'000), hdlr("soun")}))})),
         box("trak", cat({tkhd(2), box("mdia", cat({mdhd(90'000, 1), hdlr("vide")}))}))});
    const auto tracks = parse_moov(moov);
    ASSERT_EQ(tracks.size(), 2U);
    EXPECT_EQ(tracks[0].track_id, 1U);
    EXPECT_EQ(tracks[0].handler, "soun");
    EXPECT_EQ(tracks[0].timescale, 48'000U);
    EXPECT_EQ(tracks[0].origin_ct, 0);
    EXPECT_EQ(tracks[1].track_id, 2U);
    EXPECT_EQ(tracks[1].handler, "vide");
    EXPECT_EQ(tracks[1].timescale, 90'000U);
}

TEST(Mp4TimescaleTest, EditListGivesTheCompositionTimeAtTheStart) {
    const auto moov =
        cat({mvhd(1000), box("trak", cat({tkhd(1), elst({{500, -1}, {10'000, 1024}}),
                                          box("mdia", cat({mdhd(44'100), hdlr("soun")}))}))});
    const auto tracks = parse_moov(moov);
    ASSERT_EQ(tracks.size(), 1U);
    EXPECT_EQ(tracks[0].origin_ct, 1024);
    EXPECT_EQ(tracks[0].origin_position_ns, 500'000'000);
}

TEST(Mp4TimescaleTest, MovieTimescaleAfterTheTracksStillPlacesEmptyEdits) {
    const auto moov = cat({box("trak", cat({tkhd(3), elst({{250, -1}, {1000, 0}}),
                                            box("mdia", cat({mdhd(90'000), hdlr("vide")}))})),
                           mvhd(1000)});
    const auto tracks = parse_moov(moov);
    ASSERT_EQ(tracks.size(), 1U);
    EXPECT_EQ(tracks[0].origin_position_ns, 250'000'000);
}

TEST(Mp4TimescaleTest, SixtyFourBitAndToTheEndSizes) {
    const auto h = read_box_header(box("moov", bytes(20), true));
    ASSERT_TRUE(h);
    EXPECT_EQ(h->type, "moov");
    EXPECT_EQ(h->header_size, 16U);
    EXPECT_EQ(h->size, 36U);
    bytes open{0, 0, 0, 0, 'm', 'd', 'a', 't'};
    EXPECT_EQ(read_box_header(open)->size, std::nullopt);
    bytes too_small{0, 0, 0, 4, 'f', 'r', 'e', 'e'};
    EXPECT_EQ(read_box_header(too_small), std::nullopt);
    const auto tracks =
        parse_moov(box("trak", box("mdia", cat({mdhd(600), hdlr("vide")}), true), true));
    ASSERT_EQ(tracks.size(), 1U);
    EXPECT_EQ(tracks[0].timescale, 600U);
}

TEST(Mp4TimescaleTest, MalformedBoxesAreSkippedWithoutCrashing) {
    // A child claiming more than its parent holds ends the walk of that parent.
    bytes lying;
    put32(lying, 1'000'000);
    lying.insert(lying.end(), {'m', 'd', 'h', 'd'});
    EXPECT_TRUE(parse_moov(box("trak", box("mdia", lying))).empty());
    EXPECT_TRUE(parse_moov(box("trak", box("mdia", mdhd(0)))).empty()); // zero timescale
    EXPECT_TRUE(parse_moov(bytes{1, 2, 3}).empty());
    // Random bytes of every length up to 600.
    std::uint32_t x = 7;
    for (std::size_t n = 0; n < 600; ++n) {
        bytes noise(n);
        for (auto& b : noise) {
            x = x * 1664525U + 1013904223U;
            b = static_cast<std::uint8_t>(x >> 24);
        }
        static_cast<void>(parse_moov(noise));
        static_cast<void>(parse_moov(box("trak", noise)));
    }
    // An edit list claiming more entries than it holds.
    bytes elst_payload;
    put32(elst_payload, 0);
    put32(elst_payload, 0xFFFFFFFF);
    const auto tracks = parse_moov(
        box("trak", cat({box("edts", box("elst", elst_payload)), box("mdia", mdhd(1000))})));
    ASSERT_EQ(tracks.size(), 1U);
    EXPECT_EQ(tracks[0].origin_ct, 0);
}

} // namespace
} // namespace dvbcss::media
