// TEMI timeline descriptors from adaptation fields (temi.hpp), alone and through the PTS
// scanner: each field layout before the af_descriptors, the timestamp widths and flags, and
// fields that are truncated, inconsistent or reserved.
#include <dvbcss/media/pts_scanner.hpp>
#include <dvbcss/media/temi.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace dvbcss::media {
namespace {

using bytes = std::vector<std::uint8_t>;

void put_be(bytes& out, std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
        out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
    }
}

/// A temi_timeline_descriptor (tag, length, body).
bytes timeline(std::uint8_t id, int has_timestamp, std::uint32_t scale, std::uint64_t stamp,
               bool ntp = false, bool paused = false, bool discontinuity = false) {
    bytes body{
        static_cast<std::uint8_t>((has_timestamp << 6) | (ntp ? 0x20 : 0) | (paused ? 0x01 : 0)),
        static_cast<std::uint8_t>(discontinuity ? 0x80 : 0), id};
    if (has_timestamp != 0) {
        put_be(body, scale, 4);
        put_be(body, stamp, has_timestamp == 1 ? 4 : 8);
    }
    if (ntp) {
        put_be(body, 0xE1234567'89ABCDEFULL, 8);
    }
    bytes d{0x04, static_cast<std::uint8_t>(body.size())};
    d.insert(d.end(), body.begin(), body.end());
    return d;
}

/// An adaptation field (after its length byte) with a PCR and an extension holding
/// `ext_flags`' optional fields, then `descriptors`.
bytes adaptation_field(const bytes& descriptors, std::uint8_t ext_flags = 0) {
    bytes f{0x11}; // PCR_flag, adaptation_field_extension_flag
    f.insert(f.end(), 6, 0xAB);
    bytes ext{ext_flags};
    if ((ext_flags & 0x80) != 0) {
        ext.insert(ext.end(), {0x80, 0x01});
    }
    if ((ext_flags & 0x40) != 0) {
        ext.insert(ext.end(), {0xC0, 0x00, 0x10});
    }
    if ((ext_flags & 0x20) != 0) {
        ext.insert(ext.end(), {0x21, 0x00, 0x01, 0x00, 0x01});
    }
    ext.insert(ext.end(), descriptors.begin(), descriptors.end());
    f.push_back(static_cast<std::uint8_t>(ext.size()));
    f.insert(f.end(), ext.begin(), ext.end());
    return f;
}

TEST(TemiTest, ReadsA32BitMediaTimestampAndItsTimescale) {
    const auto found = temi_descriptors_in(adaptation_field(timeline(1, 1, 50, 123456)));
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].timeline_id, 1);
    EXPECT_EQ(found[0].timescale, 50U);
    EXPECT_EQ(found[0].media_timestamp, 123456U);
    EXPECT_FALSE(found[0].ntp_timestamp);
    EXPECT_FALSE(found[0].paused || found[0].discontinuity || found[0].force_reload);
}

TEST(TemiTest, ReadsA64BitMediaTimestampNtpAndFlags) {
    const auto found = temi_descriptors_in(
        adaptation_field(timeline(160, 2, 1000, (1ULL << 40) + 7, true, true, true)));
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].timeline_id, 160);
    EXPECT_EQ(found[0].timescale, 1000U);
    EXPECT_EQ(found[0].media_timestamp, (1ULL << 40) + 7);
    EXPECT_EQ(found[0].ntp_timestamp, 0xE1234567'89ABCDEFULL);
    EXPECT_TRUE(found[0].paused);
    EXPECT_TRUE(found[0].discontinuity);
}

TEST(TemiTest, ADescriptorWithoutTimestampHasNone) {
    const auto found = temi_descriptors_in(adaptation_field(timeline(5, 0, 0, 0)));
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].timeline_id, 5);
    EXPECT_FALSE(found[0].timescale);
    EXPECT_FALSE(found[0].media_timestamp);
}

TEST(TemiTest, SkipsTheExtensionsOptionalFieldsAndOtherDescriptors) {
    bytes descriptors{0x01, 3, 0x10, 0x01, 0x00}; // a TEMI location descriptor, skipped
    const auto t = timeline(2, 1, 90000, 900000);
    descriptors.insert(descriptors.end(), t.begin(), t.end());
    const auto found = temi_descriptors_in(adaptation_field(descriptors, 0xE0));
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].timeline_id, 2);
    EXPECT_EQ(found[0].media_timestamp, 900000U);
}

TEST(TemiTest, ReadsSeveralTimelinesInOrder) {
    auto d = timeline(1, 1, 50, 10);
    const auto second = timeline(2, 2, 25, 20);
    d.insert(d.end(), second.begin(), second.end());
    const auto found = temi_descriptors_in(adaptation_field(d));
    ASSERT_EQ(found.size(), 2U);
    EXPECT_EQ(found[0].timeline_id, 1);
    EXPECT_EQ(found[1].timeline_id, 2);
    EXPECT_EQ(found[1].media_timestamp, 20U);
}

TEST(TemiTest, NothingWhenTheExtensionSaysNoDescriptorsOrThereIsNoExtension) {
    EXPECT_TRUE(temi_descriptors_in(adaptation_field(timeline(1, 1, 50, 1), 0x10)).empty());
    auto no_extension = adaptation_field(timeline(1, 1, 50, 1));
    no_extension[0] = 0x10;
    EXPECT_TRUE(temi_descriptors_in(no_extension).empty());
    EXPECT_TRUE(temi_descriptors_in({}).empty());
}

TEST(TemiTest, ReservedValuesAndShortDescriptorsAreLeftOut) {
    auto reserved = timeline(1, 1, 50, 1);
    reserved[2] = static_cast<std::uint8_t>(reserved[2] | 0xC0); // has_timestamp 3
    EXPECT_TRUE(temi_descriptors_in(adaptation_field(reserved)).empty());

    // The length says 5 bytes: the flags promise a timescale and timestamp that are not there.
    bytes shortened{0x04, 5, 0x40, 0x00, 1, 0, 0};
    const auto after = timeline(3, 1, 50, 9);
    shortened.insert(shortened.end(), after.begin(), after.end());
    const auto found = temi_descriptors_in(adaptation_field(shortened));
    ASSERT_EQ(found.size(), 1U); // the next descriptor is still read
    EXPECT_EQ(found[0].timeline_id, 3);
}

TEST(TemiTest, TruncatedFieldsEndTheWalkWithoutReadingPastThem) {
    const auto whole = adaptation_field(timeline(1, 2, 50, 1, true));
    for (std::size_t n = 0; n < whole.size(); ++n) {
        const bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_TRUE(temi_descriptors_in(cut).empty()) << n;
    }
    auto too_long = whole;
    too_long[7] = 250; // the extension claims more bytes than the field has
    EXPECT_TRUE(temi_descriptors_in(too_long).empty());
}

/// A transport packet on `pid` whose adaptation field is `field`; with `pts`, it starts an
/// audio PES carrying it.
bytes packet_with(std::uint16_t pid, const bytes& field, std::optional<std::int64_t> pts) {
    bytes p{0x47, static_cast<std::uint8_t>((pts ? 0x40 : 0) | (pid >> 8)),
            static_cast<std::uint8_t>(pid & 0xFF), 0x30, static_cast<std::uint8_t>(field.size())};
    p.insert(p.end(), field.begin(), field.end());
    if (pts) {
        p.insert(p.end(), {0, 0, 1, 0xC0, 0, 0, 0x80, 0x80, 5});
        const auto v = *pts;
        p.insert(p.end(), {static_cast<std::uint8_t>(0x21 | (((v >> 30) & 0x7) << 1)),
                           static_cast<std::uint8_t>((v >> 22) & 0xFF),
                           static_cast<std::uint8_t>((((v >> 15) & 0x7F) << 1) | 1),
                           static_cast<std::uint8_t>((v >> 7) & 0xFF),
                           static_cast<std::uint8_t>(((v & 0x7F) << 1) | 1)});
    }
    p.resize(188, 0xFF);
    return p;
}

TEST(TemiTest, TheScannerPairsADescriptorWithThePtsOfThePesStartingInItsPacket) {
    pts_scanner scanner;
    auto stream = packet_with(0x101, adaptation_field(timeline(1, 1, 50, 777)), 90000);
    const auto without_pes = packet_with(0x101, adaptation_field(timeline(1, 1, 50, 778)), {});
    stream.insert(stream.end(), without_pes.begin(), without_pes.end());
    const auto found = scanner.feed(stream);
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].pts, 90000);
    ASSERT_EQ(found[0].temi.size(), 1U);
    EXPECT_EQ(found[0].temi[0].media_timestamp, 777U);
    ASSERT_TRUE(scanner.first());
    EXPECT_TRUE(scanner.first()->temi.empty());
}

} // namespace
} // namespace dvbcss::media
