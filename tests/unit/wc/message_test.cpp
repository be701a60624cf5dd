#include "hex.hpp"

#include <dvbcss/wc/message.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace dvbcss::wc {
namespace {

using test::from_hex;
using test::to_hex;

message make(message_type type, std::int8_t precision, std::uint32_t mfe, std::int64_t originate,
             std::int64_t receive, std::int64_t transmit) {
    message m;
    m.type = type;
    m.precision = precision;
    m.max_freq_error = mfe;
    m.originate = raw_timestamp::from_ns(originate);
    m.receive_ns = receive;
    m.transmit_ns = transmit;
    return m;
}

// Reference test_wc.py test_simplePayload.
TEST(WcMessage, EncodesSimplePayload) {
    const auto m = make(message_type::response, 5, 7680, 1000, 2000, 3000);
    EXPECT_EQ(to_hex(encode(m)), "00010500"
                                 "00001e00"
                                 "00000000000003e8"
                                 "00000000000007d0"
                                 "0000000000000bb8");
}

// Reference test_simplePayloadOverridingOriginate: the raw originate is written verbatim.
TEST(WcMessage, EncodesRawOriginateVerbatim) {
    auto m = make(message_type::response, 5, 12160, 0, 2000, 3000);
    m.originate = raw_timestamp{0xaabbccdd, 0xeeff1122};
    EXPECT_EQ(to_hex(encode(m)), "00010500"
                                 "00002f80"
                                 "aabbccddeeff1122"
                                 "00000000000007d0"
                                 "0000000000000bb8");
}

// The inventory prints this vector with two stray zeros (66 digits); these 32 bytes are what the
// reference's struct format ">BBbBLLLLLLL" packs for (1, -10, 12800, 1000, 2000, 3000).
TEST(WcMessage, EncodesNegativePrecision) {
    const auto m = make(message_type::response, -10, 12800, 1000, 2000, 3000);
    EXPECT_EQ(to_hex(encode(m)),
              "0001f6000000320000000000000003e800000000000007d00000000000000bb8");
}

// Reference test_simpleParseWithUnusualOriginate (max frequency error 0x0001f400 = 128000).
TEST(WcMessage, DecodesUnusualOriginate) {
    const auto bytes = from_hex("00010500 0001f400 aabbccdd eeff1122 00000000 000007d0 00000000 "
                                "00000bb8");
    const auto m = decode(bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, message_type::response);
    EXPECT_EQ(m->precision, 5);
    EXPECT_EQ(m->max_freq_error, 128000U);
    EXPECT_EQ(m->originate, (raw_timestamp{0xaabbccdd, 0xeeff1122}));
    EXPECT_FALSE(m->originate.is_normalised());
    EXPECT_EQ(m->receive_ns, 2000);
    EXPECT_EQ(m->transmit_ns, 3000);
    EXPECT_DOUBLE_EQ(m->max_freq_error_ppm(), 500.0);
    EXPECT_DOUBLE_EQ(m->precision_seconds(), 32.0);
}

// Reference test_simpleParse: seconds * 1e9 + nanoseconds.
TEST(WcMessage, DecodesOriginateAsNanoseconds) {
    const auto bytes = from_hex("00010500 0001f400 aabbccdd 3b9ac9ff 00000000 000007d0 00000000 "
                                "00000bb8");
    const auto m = decode(bytes);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->originate.is_normalised());
    EXPECT_EQ(m->originate.to_ns(), 2864434397999999999LL);
    EXPECT_EQ(m->max_freq_error, 128000U);
}

TEST(WcMessage, RoundTripsEveryType) {
    for (int t = 0; t <= 3; ++t) {
        const auto m = make(static_cast<message_type>(t), -20, 11520, 123456789012345LL,
                            100000000000LL, 100000000123LL);
        const auto d = decode(encode(m));
        ASSERT_TRUE(d) << t;
        EXPECT_EQ(*d, m) << t;
    }
}

TEST(WcMessage, RejectsWrongLength) {
    for (const std::size_t n : {0U, 1U, 31U, 33U, 64U}) {
        const std::vector<std::byte> bytes(n, std::byte{0});
        const auto m = decode(bytes);
        ASSERT_FALSE(m) << n;
        EXPECT_EQ(m.error(), make_error_code(errc::wrong_length)) << n;
        EXPECT_EQ(m.error(), condition::bad_message) << n;
    }
}

TEST(WcMessage, LengthIsCheckedBeforeVersionAndType) {
    std::vector<std::byte> bytes(33, std::byte{0xff});
    EXPECT_EQ(decode(bytes).error(), make_error_code(errc::wrong_length));
}

TEST(WcMessage, RejectsBadVersion) {
    auto bytes = from_hex(std::string(64, '0'));
    bytes[0] = std::byte{1};
    EXPECT_EQ(decode(bytes).error(), make_error_code(errc::bad_version));
    bytes[1] = std::byte{9}; // version is checked first
    EXPECT_EQ(decode(bytes).error(), make_error_code(errc::bad_version));
}

TEST(WcMessage, RejectsBadType) {
    auto bytes = from_hex(std::string(64, '0'));
    for (const int t : {4, 5, 0x80, 0xff}) {
        bytes[1] = static_cast<std::byte>(t);
        EXPECT_EQ(decode(bytes).error(), make_error_code(errc::bad_message_type)) << t;
    }
}

TEST(WcMessage, IgnoresReservedByteAndWritesZero) {
    auto bytes = from_hex(std::string(64, '0'));
    bytes[3] = std::byte{0x5a};
    const auto m = decode(bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(encode(*m)[3], std::byte{0});
}

TEST(WcMessage, FoldsNonNormalisedReceiveNanoseconds) {
    // receive = 1 s + 1.5e9 ns (non-normalised) -> 2.5e9 ns, re-encoded normalised.
    const auto bytes = from_hex("00010000 00000000 00000000 00000000 00000001 59682f00 00000000 "
                                "00000000");
    const auto m = decode(bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->receive_ns, 2'500'000'000LL);
    const auto again = encode(*m);
    EXPECT_EQ(to_hex(std::span(again).subspan(16, 8)), "000000021dcd6500");
}

TEST(WcMessage, ClampsTimesBeyondTheWireRange) {
    const auto bytes = from_hex("00010000 00000000 ffffffff ffffffff ffffffff ffffffff ffffffff "
                                "ffffffff");
    const auto m = decode(bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->receive_ns, max_wire_ns);
    EXPECT_EQ(m->transmit_ns, max_wire_ns);
    EXPECT_EQ(m->originate, (raw_timestamp{0xffffffff, 0xffffffff}));
    const auto d = decode(encode(*m));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, *m);
    // Originate is echoed bit for bit.
    const auto bytes_again = encode(*m);
    EXPECT_EQ(to_hex(std::span(bytes_again).subspan(8, 8)), "ffffffffffffffff");
}

TEST(WcMessage, EncodeClampsNegativeAndHugeTimes) {
    auto m = make(message_type::response, 0, 0, 0, -5, std::numeric_limits<std::int64_t>::max());
    const auto d = decode(encode(m));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->receive_ns, 0);
    EXPECT_EQ(d->transmit_ns, max_wire_ns);
}

TEST(WcMessage, RawTimestampSplitsNanoseconds) {
    EXPECT_EQ(raw_timestamp::from_ns(2'864'434'397'999'999'999LL),
              (raw_timestamp{0xaabbccdd, 999'999'999}));
    EXPECT_EQ(raw_timestamp::from_ns(-1), (raw_timestamp{0, 0}));
    EXPECT_EQ((raw_timestamp{7, 0x773593ff}).to_ns(), 7'000'000'000LL + 0x773593ffLL);
}

TEST(WcMessage, WriteTimestampStampsTransmit) {
    auto bytes = encode(make(message_type::response, 0, 0, 1, 2, 3));
    write_timestamp(bytes, transmit_offset, 5'000'000'007LL);
    const auto m = decode(bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->transmit_ns, 5'000'000'007LL);
    write_type(bytes, message_type::followup);
    EXPECT_EQ(decode(bytes)->type, message_type::followup);
}

// Reference test_encodePrecision plus further checked cases.
TEST(WcPrecision, EncodesCeilLog2Seconds) {
    EXPECT_EQ(encode_precision(std::ldexp(1.0, -128)), -128);
    EXPECT_EQ(encode_precision(0.00001), -16);
    EXPECT_EQ(encode_precision(std::ldexp(1.0, 127)), 127);
    EXPECT_EQ(encode_precision(0.0007), -10);
    EXPECT_EQ(encode_precision(0.001), -9);
    EXPECT_EQ(encode_precision(1e-6), -19);
    EXPECT_EQ(encode_precision(1e-9), -29);
    EXPECT_EQ(encode_precision(0.5), -1);
    EXPECT_EQ(encode_precision(1.0), 0);
    EXPECT_EQ(encode_precision(1.5), 1);
}

TEST(WcPrecision, ClampsOutOfRangeInputs) {
    EXPECT_EQ(encode_precision(0.0), -128);
    EXPECT_EQ(encode_precision(-1.0), -128);
    EXPECT_EQ(encode_precision(std::nan("")), -128);
    EXPECT_EQ(encode_precision(std::ldexp(1.0, -200)), -128);
    EXPECT_EQ(encode_precision(std::ldexp(1.0, 200)), 127);
    EXPECT_EQ(encode_precision(std::numeric_limits<double>::infinity()), 127);
}

TEST(WcPrecision, EncodesNanoseconds) {
    EXPECT_EQ(encode_precision_ns(1e6), -9);
    EXPECT_EQ(encode_precision_ns(976562.5), -10); // exactly 2^-10 s
    EXPECT_EQ(encode_precision_ns(1000), -19);
}

// Reference test_decodePrecision.
TEST(WcPrecision, DecodesPowerOfTwo) {
    EXPECT_EQ(decode_precision(-128), std::ldexp(1.0, -128));
    EXPECT_EQ(decode_precision(-16), std::ldexp(1.0, -16));
    EXPECT_EQ(decode_precision(127), std::ldexp(1.0, 127));
    EXPECT_EQ(decode_precision(-10), std::ldexp(1.0, -10));
    EXPECT_EQ(decode_precision(-9), std::ldexp(1.0, -9));
}

// Reference test_encodeMaxFreqError plus further checked cases.
TEST(WcMaxFreqError, EncodesCeilPpmTimes256) {
    EXPECT_EQ(encode_max_freq_error(50), 12800U);
    EXPECT_EQ(encode_max_freq_error(1900), 486400U);
    EXPECT_EQ(encode_max_freq_error(0.01), 3U);
    EXPECT_EQ(encode_max_freq_error(28), 7168U);
    EXPECT_EQ(encode_max_freq_error(100000), 25600000U);
    EXPECT_EQ(encode_max_freq_error(0), 0U);
    EXPECT_EQ(encode_max_freq_error(500), 128000U);
    EXPECT_EQ(encode_max_freq_error(12.5), 3200U);
    EXPECT_EQ(encode_max_freq_error(45), 11520U);
}

TEST(WcMaxFreqError, ClampsOutOfRangeInputs) {
    EXPECT_EQ(encode_max_freq_error(-1), 0U);
    EXPECT_EQ(encode_max_freq_error(std::nan("")), 0U);
    EXPECT_EQ(encode_max_freq_error(1e300), 0xFFFFFFFFU);
    EXPECT_EQ(encode_max_freq_error(std::numeric_limits<double>::infinity()), 0xFFFFFFFFU);
}

// Reference test_decodeMaxFreqError.
TEST(WcMaxFreqError, DecodesOver256) {
    EXPECT_DOUBLE_EQ(decode_max_freq_error(12800), 50);
    EXPECT_DOUBLE_EQ(decode_max_freq_error(486400), 1900);
    EXPECT_DOUBLE_EQ(decode_max_freq_error(3), 0.01171875);
    EXPECT_DOUBLE_EQ(decode_max_freq_error(7168), 28);
    EXPECT_DOUBLE_EQ(decode_max_freq_error(25600000), 100000);
    EXPECT_DOUBLE_EQ(decode_max_freq_error(0), 0);
}

} // namespace
} // namespace dvbcss::wc
