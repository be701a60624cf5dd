// Numbers beyond the range of a double: well-formed JSON that nlohmann's parser refuses. The
// shared parser keeps such text parseable and marks the values, so decoders can ignore them in
// unknown properties and report errc::value_out_of_range in known ones.
#include "json/detail/codec.hpp"

#include <dvbcss/json/private_data.hpp>
#include <dvbcss/json/raw_json.hpp>
#include <dvbcss/limits.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace json = dvbcss::json;
namespace jd = dvbcss::json::detail;
using dvbcss::errc;
using dvbcss::make_error_code;

namespace {

// Whether the C library (as nlohmann's lexer does) turns `token` into an infinite double.
bool strtod_overflows(const std::string& token) {
    return std::isinf(std::strtod(token.c_str(), nullptr));
}

} // namespace

TEST(NumberRange, OverflowingNumbersBecomePlaceholders) {
    const auto j = jd::parse_bounded(R"({"a":1e400,"b":[1,-1E+999,2.5],"c":"1e400","d":3})");
    ASSERT_TRUE(j.has_value());
    EXPECT_TRUE(jd::is_out_of_range_number((*j)["a"]));
    EXPECT_FALSE(jd::is_out_of_range_number((*j)["b"]));
    EXPECT_TRUE(jd::contains_out_of_range_number((*j)["b"]));
    EXPECT_EQ((*j)["b"][0], 1);
    EXPECT_TRUE(jd::is_out_of_range_number((*j)["b"][1]));
    EXPECT_EQ((*j)["b"][2], 2.5);
    EXPECT_EQ((*j)["c"], "1e400");
    EXPECT_EQ((*j)["d"], 3);
    EXPECT_FALSE(jd::contains_out_of_range_number((*j)["c"]));
    EXPECT_TRUE(jd::contains_out_of_range_number(*j));
    EXPECT_THROW((void)jd::to_raw_json(*j), std::invalid_argument);
}

TEST(NumberRange, TheBoundaryMatchesTheCLibrary) {
    const std::vector<std::string> tokens{
        "1e308",
        "1e309",
        "-1e309",
        "10e307",
        "100e307",
        "0.01e310",
        "0.001e310",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "-1.797693134862315807e308",
        "-1.797693134862315808e308",
        "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000",
        "1" + std::string(309, '0'),
        "0.0000000000000000001e327",
        "0.0000000000000000001e328",
        "0e99999999999999999999",
        "0.000e400",
        "1e-400",
        "-1e-99999999999999999999",
        "1e99999999999999999999",
        "18446744073709551616",
        "-9223372036854775809",
    };
    for (const auto& token : tokens) {
        const auto j = jd::parse_bounded("[" + token + "]");
        ASSERT_TRUE(j.has_value()) << token;
        EXPECT_EQ(jd::is_out_of_range_number((*j)[0]), strtod_overflows(token)) << token;
        if (!strtod_overflows(token)) {
            EXPECT_EQ((*j)[0].get<double>(), std::strtod(token.c_str(), nullptr)) << token;
        }
    }
}

TEST(NumberRange, MalformedTextStaysMalformed) {
    for (const char* bad : {"[1e400", "[01e400]", "[1e400.5]", "[1e]", "[-]", "[1e400 1]",
                            "[\"1e400]", "{1e400:1}", "[1e400,]", "[.5e400]", "[1e4e400]"}) {
        const auto j = jd::parse_bounded(bad);
        ASSERT_FALSE(j.has_value()) << bad;
        EXPECT_EQ(j.error(), make_error_code(errc::bad_json)) << bad;
    }
}

TEST(NumberRange, StringsWithEscapesAreSkipped) {
    const auto j = jd::parse_bounded(R"(["\"1e400", "\\", 1e400, "\\\"", 2])");
    ASSERT_TRUE(j.has_value());
    EXPECT_EQ((*j)[0], "\"1e400");
    EXPECT_EQ((*j)[1], "\\");
    EXPECT_TRUE(jd::is_out_of_range_number((*j)[2]));
    EXPECT_EQ((*j)[3], "\\\"");
    EXPECT_EQ((*j)[4], 2);
}

TEST(NumberRange, LimitsStillHold) {
    const auto depth = static_cast<std::size_t>(dvbcss::limits::max_json_depth);
    EXPECT_TRUE(jd::parse_bounded(std::string(depth, '[') + "1e400" + std::string(depth, ']')));
    const auto deep =
        jd::parse_bounded(std::string(depth + 1, '[') + "1e400" + std::string(depth + 1, ']'));
    ASSERT_FALSE(deep.has_value());
    EXPECT_EQ(deep.error(), make_error_code(errc::bad_json));
    // Many overflowing numbers, up to the size limit.
    std::string many = "[1e400";
    while (many.size() + 8 < dvbcss::limits::max_json_message_bytes)
        many += ",-1e400";
    many += "]";
    const auto j = jd::parse_bounded(many);
    ASSERT_TRUE(j.has_value());
    for (const auto& v : *j)
        ASSERT_TRUE(jd::is_out_of_range_number(v));
}

TEST(NumberRange, RawJsonAndPrivateDataRejectThem) {
    EXPECT_EQ(json::raw_json::parse("1e400").error(), make_error_code(errc::value_out_of_range));
    EXPECT_EQ(json::raw_json::parse(R"({"a":[{"b":-1e400}]})").error(),
              make_error_code(errc::value_out_of_range));
    EXPECT_EQ(json::private_data::parse(R"([{"type":"urn:x","v":1e400}])").error(),
              make_error_code(errc::value_out_of_range));
    EXPECT_EQ(json::private_data::parse(R"([{"type":1e400}])").error(),
              make_error_code(errc::value_out_of_range));
    // Underflow is not an error: the value is the nearest double, zero.
    EXPECT_EQ(json::raw_json::parse("[1e-400]").value().text(), "[0.0]");
}

TEST(NumberRange, ReadUintReportsThemAsOutOfRange) {
    const auto j = jd::parse_bounded("[1e400]");
    ASSERT_TRUE(j.has_value());
    EXPECT_EQ(jd::read_uint((*j)[0]).error(), make_error_code(errc::value_out_of_range));
}
