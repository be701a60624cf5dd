#include "hex.hpp"

#include <dvbcss/error.hpp>
#include <dvbcss/limits.hpp>
#include <dvbcss/wc/json_message.hpp>
#include <dvbcss/wc/message.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace dvbcss::wc {
namespace {

using test::from_hex;

message make(message_type type, std::int8_t precision, std::uint32_t mfe, raw_timestamp originate,
             std::int64_t receive, std::int64_t transmit) {
    message m;
    m.type = type;
    m.precision = precision;
    m.max_freq_error = mfe;
    m.originate = originate;
    m.receive_ns = receive;
    m.transmit_ns = transmit;
    return m;
}

errc error_of(std::string_view text) {
    const auto r = decode_json(text);
    if (r) {
        return errc::ok;
    }
    return static_cast<errc>(r.error().value());
}

std::string seconds(std::int64_t ns) {
    std::string s;
    append_seconds(s, ns);
    return s;
}

// ---- exact decimal seconds ----

TEST(WcJson, SecondsAreExactDecimalText) {
    EXPECT_EQ(seconds(1'234'000'056'789), "1234.000056789");
    EXPECT_EQ(seconds(0), "0.000000000");
    EXPECT_EQ(seconds(1), "0.000000001");
    EXPECT_EQ(seconds(999'999'999), "0.999999999");
    EXPECT_EQ(seconds(1'000'000'000), "1.000000000");
    EXPECT_EQ(seconds(max_wire_ns), "4294967295.999999999");
    // A Unix-epoch-sized time keeps every nanosecond (a double would not).
    EXPECT_EQ(seconds(1'700'000'000'123'456'789), "1700000000.123456789");
}

TEST(WcJson, SecondsAreClampedToTheWireRange) {
    EXPECT_EQ(seconds(-5), "0.000000000");
    EXPECT_EQ(seconds(max_wire_ns + 1), "4294967295.999999999");
}

// ---- encoding ----

TEST(WcJson, EncodesTheBbcForm) {
    const auto m =
        make(message_type::response, -10, 12800, {12, 345}, 1'234'000'056'789, 1'234'000'060'000);
    EXPECT_EQ(encode_json(m), R"({"v":0,"t":1,"p":0.0009765625,"mfe":50,"otvs":12,"otvn":345,)"
                              R"("rt":1234.000056789,"tt":1234.000060000})");
}

TEST(WcJson, HeadPlusTransmitTimeIsTheWholeMessage) {
    const auto m = make(message_type::response_with_followup, -20, 7, {1, 2}, 3, 4'000'000'005);
    auto text = encode_json_head(m);
    EXPECT_EQ(text.substr(text.size() - 5), "\"tt\":");
    append_seconds(text, m.transmit_ns);
    text.push_back('}');
    EXPECT_EQ(text, encode_json(m));
}

TEST(WcJson, EncodesNonNormalisedOriginateVerbatim) {
    const auto m = make(message_type::response, 0, 0, {0xFFFFFFFFU, 0xFFFFFFFFU}, 0, 0);
    const auto text = encode_json(m);
    EXPECT_NE(text.find(R"("otvs":4294967295,"otvn":4294967295)"), std::string::npos) << text;
    const auto back = decode_json(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->originate, m.originate);
}

TEST(WcJson, JsonFromBytesMatchesTheBinaryForm) {
    const auto bytes =
        from_hex("0001f600 00003200 0000000c 00000159 000004d2 0000ddd5 000004d2 0000ea60");
    const auto text = json_from_bytes(bytes);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, R"({"v":0,"t":1,"p":0.0009765625,"mfe":50,"otvs":12,"otvn":345,)"
                     R"("rt":1234.000056789,"tt":1234.000060000})");
}

TEST(WcJson, JsonFromBytesReportsTheBinaryCodecErrors) {
    const auto short_bytes = from_hex("0000");
    EXPECT_EQ(json_from_bytes(short_bytes).error(), make_error_code(errc::wrong_length));
    auto bad_type = from_hex("0004f600 00003200 0000000c 00000159 000004d2 0000ddd5 000004d2 "
                             "0000ea60");
    EXPECT_EQ(json_from_bytes(bad_type).error(), make_error_code(errc::bad_message_type));
}

// ---- decoding ----

TEST(WcJson, DecodesABbcRequest) {
    // What dvbcss-protocols' JsonSerialiser.pack sends for a request.
    const auto m =
        decode_json(R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":1700000000,"otvn":123456789,"rt":0,)"
                    R"("tt":0})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, message_type::request);
    EXPECT_EQ(m->originate, (raw_timestamp{1'700'000'000U, 123'456'789U}));
    EXPECT_EQ(m->receive_ns, 0);
    EXPECT_EQ(m->transmit_ns, 0);
    EXPECT_EQ(m->max_freq_error, 0U);
    EXPECT_EQ(m->precision, -128); // p 0: the best the field can say
}

TEST(WcJson, RequestMayOmitTheResponseFields) {
    const auto m = decode_json(R"({"v":0,"t":0,"otvs":5,"otvn":6})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->originate, (raw_timestamp{5, 6}));
    EXPECT_EQ(m->receive_ns, 0);
}

TEST(WcJson, ResponseNeedsEveryField) {
    EXPECT_EQ(error_of(R"({"v":0,"t":1,"otvs":5,"otvn":6,"p":0.001,"mfe":50,"rt":1})"),
              errc::missing_field);
    EXPECT_EQ(error_of(R"({"v":0,"t":3,"otvs":5,"otvn":6,"mfe":50,"rt":1,"tt":2})"),
              errc::missing_field);
}

TEST(WcJson, DecodesAResponseRoundingToTheNearestNanosecond) {
    const auto m = decode_json(R"({"v":0,"t":2,"p":0.0009765625,"mfe":50,"otvs":1,"otvn":2,)"
                               R"("rt":1234.000056789,"tt":1234.0000600004})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, message_type::response_with_followup);
    EXPECT_EQ(m->precision, -10);
    EXPECT_EQ(m->max_freq_error, 12800U);
    EXPECT_EQ(m->receive_ns, 1'234'000'056'789);
    EXPECT_EQ(m->transmit_ns, 1'234'000'060'000);
}

TEST(WcJson, AcceptsIntegerSecondsAndExponents) {
    const auto m = decode_json(R"({"v":0,"t":1,"p":1e-3,"mfe":5e1,"otvs":1.0,"otvn":3e2,)"
                               R"("rt":7,"tt":7.5E0})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->originate, (raw_timestamp{1, 300}));
    EXPECT_EQ(m->precision, -9); // ceil(log2(0.001)) = -9
    EXPECT_EQ(m->max_freq_error, 12800U);
    EXPECT_EQ(m->receive_ns, 7'000'000'000);
    EXPECT_EQ(m->transmit_ns, 7'500'000'000);
}

TEST(WcJson, IgnoresUnknownKeys) {
    const auto m = decode_json(R"({"x":[1,{"y":null}],"v":0,"t":0,"otvs":1,"otvn":2,"big":1e400,)"
                               R"("s":"text"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->originate, (raw_timestamp{1, 2}));
}

TEST(WcJson, RoundTripsEveryTypeAndExtremes) {
    const std::int64_t epochish = 1'700'000'000'987'654'321;
    for (const auto type : {message_type::request, message_type::response,
                            message_type::response_with_followup, message_type::followup}) {
        for (const std::int8_t p :
             {std::int8_t{-128}, std::int8_t{-30}, std::int8_t{0}, std::int8_t{127}}) {
            for (const std::uint32_t mfe : {0U, 1U, 12800U, 0xFFFFFFFFU}) {
                const auto m =
                    make(type, p, mfe, {0xFFFFFFFFU, 999'999'999U}, 8'388'607'999'999'999, 0);
                const auto back = decode_json(encode_json(m));
                ASSERT_TRUE(back) << encode_json(m);
                EXPECT_EQ(*back, m) << encode_json(m);
            }
        }
    }
    // The largest wire time reads back as itself (its text reads as the double 2^32).
    const auto last = make(message_type::response, 0, 0, {}, max_wire_ns, max_wire_ns);
    const auto last_back = decode_json(encode_json(last));
    ASSERT_TRUE(last_back);
    EXPECT_EQ(*last_back, last);
    // A Unix-epoch time goes through a double: within 0.12 microseconds.
    const auto m = make(message_type::response, -10, 256, {1, 2}, epochish, epochish + 1);
    const auto back = decode_json(encode_json(m));
    ASSERT_TRUE(back);
    EXPECT_LE(std::abs(back->receive_ns - epochish), 120);
    EXPECT_LE(std::abs(back->transmit_ns - epochish - 1), 120);
}

TEST(WcJson, RoundTripsUptimeSizedTimesExactly) {
    // Wall clocks on CLOCK_MONOTONIC: below 2^23 s (97 days) a double keeps every nanosecond.
    std::mt19937_64 rng(20261201);
    std::uniform_int_distribution<std::int64_t> time(0, (std::int64_t{1} << 23) * 1'000'000'000LL);
    for (int i = 0; i < 10000; ++i) {
        const std::int64_t rt = time(rng);
        const std::int64_t tt = time(rng);
        const auto m =
            make(message_type::response, -12, 12800, raw_timestamp::from_ns(time(rng)), rt, tt);
        const auto back = decode_json(encode_json(m));
        ASSERT_TRUE(back);
        ASSERT_EQ(*back, m) << "seed 20261201, i " << i << ": " << encode_json(m);
    }
}

TEST(WcJson, BytesFromJsonIsTheBinaryEncoding) {
    const auto text = R"({"v":0,"t":0,"p":0,"mfe":0,"otvs":10,"otvn":20,"rt":0,"tt":0})";
    const auto bytes = bytes_from_json(text);
    ASSERT_TRUE(bytes);
    const auto m = decode(*bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, message_type::request);
    EXPECT_EQ(m->originate, (raw_timestamp{10, 20}));
    EXPECT_EQ(bytes_from_json("{}").error(), make_error_code(errc::missing_field));
}

// ---- bad input ----

constexpr const char* good_tail = R"(,"otvs":1,"otvn":2,"p":0,"mfe":0,"rt":0,"tt":0})";

TEST(WcJson, RejectsTextThatIsNotJson) {
    EXPECT_EQ(error_of(""), errc::bad_json);
    EXPECT_EQ(error_of("not json"), errc::bad_json);
    EXPECT_EQ(error_of(R"({"v":0,"t":0)"), errc::bad_json);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2}garbage)"), errc::bad_json);
    EXPECT_EQ(error_of("\xff\xfe"), errc::bad_json);
}

TEST(WcJson, RejectsATopLevelThatIsNotAnObject) {
    EXPECT_EQ(error_of("[]"), errc::bad_field_type);
    EXPECT_EQ(error_of("0"), errc::bad_field_type);
    EXPECT_EQ(error_of("null"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"("v")"), errc::bad_field_type);
}

TEST(WcJson, RejectsWrongTypes) {
    EXPECT_EQ(error_of(std::string(R"({"v":"0","t":0)") + good_tail), errc::bad_field_type);
    EXPECT_EQ(error_of(std::string(R"({"v":0,"t":null)") + good_tail), errc::bad_field_type);
    EXPECT_EQ(error_of(std::string(R"({"v":0,"t":0.5)") + good_tail), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":"1","otvn":2})"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2.5})"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":[2]})"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"p":true})"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"mfe":{}})"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"rt":"1.5"})"), errc::bad_field_type);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"tt":null})"), errc::bad_field_type);
}

TEST(WcJson, RejectsAVersionOtherThanZero) {
    EXPECT_EQ(error_of(std::string(R"({"v":1,"t":0)") + good_tail), errc::bad_version);
    EXPECT_EQ(error_of(std::string(R"({"v":-1,"t":0)") + good_tail), errc::bad_version);
    EXPECT_EQ(error_of(std::string(R"({"v":255,"t":0)") + good_tail), errc::bad_version);
}

TEST(WcJson, RejectsATypeAboveThree) {
    EXPECT_EQ(error_of(std::string(R"({"v":0,"t":4)") + good_tail), errc::bad_message_type);
    EXPECT_EQ(error_of(std::string(R"({"v":0,"t":18446744073709551615)") + good_tail),
              errc::bad_message_type);
    EXPECT_EQ(error_of(std::string(R"({"v":0,"t":-1)") + good_tail), errc::bad_field_value);
}

TEST(WcJson, RejectsMissingFields) {
    EXPECT_EQ(error_of("{}"), errc::missing_field);
    EXPECT_EQ(error_of(R"({"t":0,"otvs":1,"otvn":2})"), errc::missing_field);
    EXPECT_EQ(error_of(R"({"v":0,"otvs":1,"otvn":2})"), errc::missing_field);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvn":2})"), errc::missing_field);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1})"), errc::missing_field);
}

TEST(WcJson, RejectsNegativeNumbers) {
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":-1,"otvn":2})"), errc::bad_field_value);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":-2})"), errc::bad_field_value);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"p":-0.001})"), errc::bad_field_value);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"mfe":-1})"), errc::bad_field_value);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"rt":-1e-9})"), errc::bad_field_value);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"tt":-5})"), errc::bad_field_value);
    // Negative zero is zero.
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"rt":-0.0})"), errc::ok);
}

TEST(WcJson, RejectsHugeNumbers) {
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":4294967296,"otvn":2})"), errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":4294967296})"), errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1e400,"otvn":2})"), errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"rt":1e400})"), errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"rt":4294967296.001})"),
              errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"tt":1e300})"), errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"p":1e39})"), errc::value_out_of_range);
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":1,"otvn":2,"mfe":16777216})"),
              errc::value_out_of_range);
    EXPECT_EQ(error_of(std::string(R"({"v":1e400,"t":0)") + good_tail), errc::value_out_of_range);
    // The largest values that fit are accepted.
    EXPECT_EQ(error_of(R"({"v":0,"t":0,"otvs":4294967295,"otvn":4294967295,)"
                       R"("rt":4294967295.999999999,"mfe":16777215.99609375})"),
              errc::ok);
}

TEST(WcJson, RejectsDeepNesting) {
    std::string deep = R"({"v":0,"t":0,"otvs":1,"otvn":2,"x":)";
    for (int i = 0; i < limits::max_json_depth + 5; ++i) {
        deep += "[";
    }
    for (int i = 0; i < limits::max_json_depth + 5; ++i) {
        deep += "]";
    }
    deep += "}";
    EXPECT_EQ(error_of(deep), errc::bad_json);
}

TEST(WcJson, RejectsOversizedText) {
    std::string big = R"({"v":0,"t":0,"otvs":1,"otvn":2,"pad":")";
    big.append(max_json_message_size, 'x');
    big += "\"}";
    EXPECT_EQ(error_of(big), errc::message_too_large);
    std::string huge(limits::max_json_message_bytes + 1, ' ');
    EXPECT_EQ(error_of(huge), errc::message_too_large);
    // Just under the limit, with padding in an unknown key, is fine.
    std::string fits = R"({"v":0,"t":0,"otvs":1,"otvn":2,"pad":")";
    fits.append(max_json_message_size - fits.size() - 2, 'x');
    fits += "\"}";
    ASSERT_EQ(fits.size(), max_json_message_size);
    EXPECT_EQ(error_of(fits), errc::ok);
}

} // namespace
} // namespace dvbcss::wc
