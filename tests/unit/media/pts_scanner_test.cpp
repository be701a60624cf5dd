#include <dvbcss/media/pts_scanner.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace dvbcss::media {
namespace {

using bytes = std::vector<std::uint8_t>;

std::array<std::uint8_t, 5> encode_pts(std::int64_t pts, std::uint8_t prefix = 0x2) {
    return {static_cast<std::uint8_t>((prefix << 4) | (((pts >> 30) & 0x7) << 1) | 1),
            static_cast<std::uint8_t>((pts >> 22) & 0xFF),
            static_cast<std::uint8_t>((((pts >> 15) & 0x7F) << 1) | 1),
            static_cast<std::uint8_t>((pts >> 7) & 0xFF),
            static_cast<std::uint8_t>(((pts & 0x7F) << 1) | 1)};
}

// One 188-byte packet on `pid`; with `pts`, it starts a PES of `stream_id` carrying it.
bytes packet(std::uint16_t pid, std::optional<std::int64_t> pts, std::uint8_t stream_id = 0xC0,
             std::size_t adaptation_stuffing = 0) {
    bytes p(188, 0xFF);
    p[0] = 0x47;
    p[1] = static_cast<std::uint8_t>((pts ? 0x40 : 0) | ((pid >> 8) & 0x1F));
    p[2] = static_cast<std::uint8_t>(pid & 0xFF);
    std::size_t at = 4;
    if (adaptation_stuffing > 0) {
        p[3] = 0x30;
        p[4] = static_cast<std::uint8_t>(adaptation_stuffing);
        p[5] = 0;
        at = 5 + adaptation_stuffing;
    } else {
        p[3] = 0x10;
    }
    if (pts) {
        const std::array<std::uint8_t, 9> head{0, 0, 1, stream_id, 0, 0, 0x80, 0x80, 5};
        std::copy(head.begin(), head.end(), p.begin() + static_cast<std::ptrdiff_t>(at));
        const auto enc = encode_pts(*pts);
        std::copy(enc.begin(), enc.end(), p.begin() + static_cast<std::ptrdiff_t>(at + 9));
    }
    return p;
}

bytes join(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

TEST(PtsScannerTest, DecodesThe33BitPts) {
    for (const std::int64_t pts : {0LL, 1LL, 90'000LL, (1LL << 32) + 12345, (1LL << 33) - 1}) {
        const auto enc = encode_pts(pts);
        EXPECT_EQ(decode_pts(std::span<const std::uint8_t, 5>(enc.data(), 5)), pts);
    }
    const std::array<std::uint8_t, 5> bad{0x11, 0, 1, 0, 1};
    EXPECT_EQ(decode_pts(bad), std::nullopt);
}

TEST(PtsScannerTest, ReportsEachPesStartWithItsPidStreamAndPts) {
    pts_scanner s;
    const auto found = s.feed(join({packet(0x41, 900'000, 0xC0), packet(0x41, std::nullopt),
                                    packet(0x42, 905'000, 0xE0, 7), packet(0x41, 901'920)}));
    ASSERT_EQ(found.size(), 3U);
    EXPECT_EQ(found[0], (pes_pts{0x41, 0xC0, 900'000, {}}));
    EXPECT_EQ(found[1], (pes_pts{0x42, 0xE0, 905'000, {}}));
    EXPECT_EQ(found[2], (pes_pts{0x41, 0xC0, 901'920, {}}));
    EXPECT_EQ(s.first_pts(0x41), 900'000);
    EXPECT_EQ(s.first_pts(0x42), 905'000);
    EXPECT_EQ(s.first_pts(0x43), std::nullopt);
    EXPECT_EQ(s.first()->pid, 0x41);
    EXPECT_EQ(s.packets(), 4U);
}

TEST(PtsScannerTest, SameResultWhateverThePiecesTheBytesArriveIn) {
    const auto stream = join({packet(0x100, 1), packet(0x101, 2, 0xE0), packet(0x100, 3)});
    for (std::size_t piece : {1U, 7U, 187U, 188U, 189U, 400U}) {
        pts_scanner s;
        std::vector<pes_pts> all;
        for (std::size_t at = 0; at < stream.size(); at += piece) {
            const auto n = std::min(piece, stream.size() - at);
            const auto f = s.feed(std::span(stream).subspan(at, n));
            all.insert(all.end(), f.begin(), f.end());
        }
        ASSERT_EQ(all.size(), 3U) << piece;
        EXPECT_EQ(all[2].pts, 3);
    }
}

TEST(PtsScannerTest, ResynchronisesAfterGarbage) {
    pts_scanner s;
    bytes garbage{0x47, 0x00, 0x47, 0x12, 0x34};
    const auto found = s.feed(join({garbage, packet(0x41, 10), packet(0x41, 20)}));
    ASSERT_EQ(found.size(), 2U);
    EXPECT_EQ(found[0].pts, 10);
    EXPECT_EQ(s.skipped_bytes(), garbage.size());
}

TEST(PtsScannerTest, HostileHeadersAreIgnored) {
    pts_scanner s;
    auto too_much_adaptation = packet(0x41, 10);
    too_much_adaptation[3] = 0x30;
    too_much_adaptation[4] = 183; // leaves no room for a PES header
    auto no_pts_flag = packet(0x41, 10);
    no_pts_flag[4 + 7] = 0;
    auto short_header = packet(0x41, 10);
    short_header[4 + 8] = 2;
    auto padding = packet(0x41, 10, 0xBE);
    auto error = packet(0x41, 10);
    error[1] |= 0x80;
    auto null_packet = packet(0x1FFF, 10);
    EXPECT_TRUE(
        s.feed(join({too_much_adaptation, no_pts_flag, short_header, padding, error, null_packet}))
            .empty());
    EXPECT_EQ(s.packets(), 6U);
    // Random bytes: no crash, bounded, nothing reported from non-packets.
    bytes noise(100'000);
    std::uint32_t x = 12345;
    for (auto& b : noise) {
        x = x * 1664525U + 1013904223U;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    static_cast<void>(s.feed(noise));
    EXPECT_LE(s.packets() - 6U, noise.size() / 188);
}

TEST(PtsScannerTest, TracksABoundedNumberOfPids) {
    pts_scanner s;
    for (std::uint16_t pid = 0x20; pid < 0x20 + 100; ++pid) {
        static_cast<void>(s.feed(packet(pid, pid)));
    }
    EXPECT_EQ(s.first_pts(0x20), 0x20);
    EXPECT_EQ(s.first_pts(0x20 + 63), 0x20 + 63);
    EXPECT_EQ(s.first_pts(0x20 + 64), std::nullopt);
}

} // namespace
} // namespace dvbcss::media
