#include <dvbcss/media/psi.hpp>
#include <dvbcss/media/pts_scanner.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace dvbcss::media {
namespace {

using bytes = std::vector<std::uint8_t>;

// A long-form section: table_id, the 8-byte header's fields around `body`, and its CRC_32.
bytes section(std::uint8_t table_id, std::uint16_t id, const bytes& body) {
    const auto length = body.size() + 5 + 4;
    bytes s{table_id,
            static_cast<std::uint8_t>(0xB0 | (length >> 8)),
            static_cast<std::uint8_t>(length & 0xFF),
            static_cast<std::uint8_t>(id >> 8),
            static_cast<std::uint8_t>(id & 0xFF),
            0xC1,
            0x00,
            0x00};
    s.insert(s.end(), body.begin(), body.end());
    const auto crc = crc32_mpeg2(s);
    for (int shift = 24; shift >= 0; shift -= 8) {
        s.push_back(static_cast<std::uint8_t>(crc >> shift));
    }
    return s;
}

bytes pat(std::uint16_t program, std::uint16_t pmt_pid) {
    return section(0x00, 1,
                   {static_cast<std::uint8_t>(program >> 8), static_cast<std::uint8_t>(program),
                    static_cast<std::uint8_t>(0xE0 | (pmt_pid >> 8)),
                    static_cast<std::uint8_t>(pmt_pid & 0xFF)});
}

// A PMT: PCR on 0x100; AAC on 0x100 with `audio_info` descriptors, MPEG-2 video on 0x101 with
// `video_info`.
bytes pmt(const bytes& audio_info, const bytes& video_info) {
    bytes body{0xE1, 0x00, 0xF0, 0x00};
    for (const auto& [type, pid, info] :
         {std::tuple{0x0F, 0x100, audio_info}, std::tuple{0x02, 0x101, video_info}}) {
        body.push_back(static_cast<std::uint8_t>(type));
        body.push_back(static_cast<std::uint8_t>(0xE0 | (pid >> 8)));
        body.push_back(static_cast<std::uint8_t>(pid & 0xFF));
        body.push_back(static_cast<std::uint8_t>(0xF0 | (info.size() >> 8)));
        body.push_back(static_cast<std::uint8_t>(info.size() & 0xFF));
        body.insert(body.end(), info.begin(), info.end());
    }
    return section(0x02, 1, body);
}

// One 188-byte packet on `pid` starting `sec` (pointer_field 0), stuffed with 0xFF.
bytes table_packet(std::uint16_t pid, const bytes& sec) {
    bytes p(188, 0xFF);
    p[0] = 0x47;
    p[1] = static_cast<std::uint8_t>(0x40 | (pid >> 8));
    p[2] = static_cast<std::uint8_t>(pid & 0xFF);
    p[3] = 0x10;
    p[4] = 0;
    std::copy(sec.begin(), sec.end(), p.begin() + 5);
    return p;
}

TEST(PsiTest, Crc32IsMpeg2s) {
    constexpr std::string_view check = "123456789";
    const bytes b(check.begin(), check.end());
    EXPECT_EQ(crc32_mpeg2(b), 0x0376E6E7U); // the catalogued check value of CRC-32/MPEG-2
    EXPECT_EQ(crc32_mpeg2(pat(1, 0x1000)), 0U);
}

TEST(PsiTest, ReadsThePat) {
    const auto programs = parse_pat(pat(7, 0x1234 & 0x1FFF));
    ASSERT_TRUE(programs);
    ASSERT_EQ(programs->size(), 1U);
    EXPECT_EQ((*programs)[0], (pat_program{7, 0x1234 & 0x1FFF}));
}

TEST(PsiTest, ReadsEachStreamOfThePmtWithItsComponentTag) {
    // audio: an ISO 639 language descriptor, then a stream_identifier_descriptor (tag 5).
    const auto streams = parse_pmt(pmt({0x0A, 4, 'e', 'n', 'g', 0, 0x52, 1, 5}, {}));
    ASSERT_TRUE(streams);
    ASSERT_EQ(streams->size(), 2U);
    EXPECT_EQ((*streams)[0], (pmt_stream{0x0F, 0x100, 5}));
    EXPECT_EQ((*streams)[1], (pmt_stream{0x02, 0x101, std::nullopt}));
}

TEST(PsiTest, ADamagedOrTruncatedSectionIsNothing) {
    auto good = pmt({0x52, 1, 5}, {});
    ASSERT_TRUE(parse_pmt(good));
    auto flipped = good;
    flipped[12] ^= 0x01;
    EXPECT_EQ(parse_pmt(flipped), std::nullopt) << "CRC";
    EXPECT_EQ(parse_pmt(bytes(good.begin(), good.end() - 1)), std::nullopt) << "truncated";
    EXPECT_EQ(parse_pmt(pat(1, 0x1000)), std::nullopt) << "not a PMT";
    EXPECT_EQ(parse_pat(good), std::nullopt) << "not a PAT";
    EXPECT_EQ(parse_pat({}), std::nullopt);
    // A descriptor longer than its stream's ES_info (CRC right): refused, nothing read past it.
    EXPECT_EQ(parse_pmt(pmt({0x52, 9, 5}, {})), std::nullopt);
    // Every truncation of a good section, and every single-byte corruption, is refused or read
    // without reading past it (the sanitizers check the latter).
    for (std::size_t n = 0; n < good.size(); ++n) {
        EXPECT_EQ(parse_pmt(bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))),
                  std::nullopt);
        auto bad = good;
        bad[n] ^= 0xFF;
        static_cast<void>(parse_pmt(bad));
    }
}

TEST(PsiTest, TheScannerKnowsEachStreamsComponentTagFromThePmtThePatNames) {
    pts_scanner s;
    static_cast<void>(s.feed(table_packet(0x1000, pmt({0x52, 1, 5}, {0x52, 1, 6}))));
    EXPECT_EQ(s.component_tag(0x100), std::nullopt) << "a PMT before the PAT names its PID";
    static_cast<void>(s.feed(table_packet(0, pat(1, 0x1000))));
    static_cast<void>(s.feed(table_packet(0x1000, pmt({0x52, 1, 5}, {0x52, 1, 6}))));
    EXPECT_EQ(s.component_tag(0x100), 5);
    EXPECT_EQ(s.component_tag(0x101), 6);
    EXPECT_EQ(s.component_tag(0x102), std::nullopt);
    // A new version without the video's tag takes it away.
    static_cast<void>(s.feed(table_packet(0x1000, pmt({0x52, 1, 7}, {}))));
    EXPECT_EQ(s.component_tag(0x100), 7);
    EXPECT_EQ(s.component_tag(0x101), std::nullopt);
    // A damaged one changes nothing.
    auto damaged = table_packet(0x1000, pmt({0x52, 1, 9}, {}));
    damaged[20] ^= 0x10;
    static_cast<void>(s.feed(damaged));
    EXPECT_EQ(s.component_tag(0x100), 7);
}

} // namespace
} // namespace dvbcss::media
