#include <dvbcss/error.hpp>
#include <dvbcss/json/private_data.hpp>
#include <dvbcss/json/raw_json.hpp>
#include <dvbcss/limits.hpp>

#include <gtest/gtest.h>

#include <string>

namespace json = dvbcss::json;
using dvbcss::errc;
using dvbcss::make_error_code;

namespace {

std::string nested_arrays(int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
}

} // namespace

TEST(RawJson, DefaultIsNull) {
    EXPECT_EQ(json::raw_json().text(), "null");
}

TEST(RawJson, CanonicalisesWhitespaceAndKeyOrder) {
    const auto a = json::raw_json::parse(R"( { "b" : [1, 2.5, "x"], "a": null } )");
    const auto b = json::raw_json::parse(R"({"a":null,"b":[1,2.5,"x"]})");
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(a->text(), R"({"a":null,"b":[1,2.5,"x"]})");
    EXPECT_EQ(*a, *b);
}

TEST(RawJson, RejectsMalformedText) {
    for (const char* bad :
         {"", "{", "[1,]", "{\"a\":1}x", "NaN", "Infinity", "'a'", "{\"a\" 1}", "\"\xff\""}) {
        const auto r = json::raw_json::parse(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error(), make_error_code(errc::bad_json)) << bad;
    }
    // Well-formed, but beyond the range of a double: it could not be kept exactly.
    EXPECT_EQ(json::raw_json::parse("1e999").error(), make_error_code(errc::value_out_of_range));
}

TEST(RawJson, AcceptsNestingUpToTheLimit) {
    const auto ok = json::raw_json::parse(nested_arrays(dvbcss::limits::max_json_depth));
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->text(), nested_arrays(dvbcss::limits::max_json_depth));
    const auto deep = json::raw_json::parse(nested_arrays(dvbcss::limits::max_json_depth + 1));
    ASSERT_FALSE(deep.has_value());
    EXPECT_EQ(deep.error(), make_error_code(errc::bad_json));
}

TEST(RawJson, RejectsHundredThousandNestedArraysWithoutCrashing) {
    // Larger than the size limit, so check the depth path with the size just under the limit too.
    const auto huge = json::raw_json::parse(nested_arrays(100000));
    ASSERT_FALSE(huge.has_value());
    EXPECT_EQ(huge.error(), make_error_code(errc::message_too_large));
    const int depth = static_cast<int>(dvbcss::limits::max_json_message_bytes / 2);
    const auto deep = json::raw_json::parse(nested_arrays(depth));
    ASSERT_FALSE(deep.has_value());
    EXPECT_EQ(deep.error(), make_error_code(errc::bad_json));
    std::string objects;
    for (int i = 0; i < 10000; ++i)
        objects += R"({"a":)";
    objects += "1" + std::string(10000, '}');
    const auto deep_objects = json::raw_json::parse(objects);
    ASSERT_FALSE(deep_objects.has_value());
    EXPECT_EQ(deep_objects.error(), make_error_code(errc::bad_json));
}

TEST(RawJson, RejectsTextLongerThanTheSizeLimit) {
    std::string big = "\"" + std::string(dvbcss::limits::max_json_message_bytes, 'a') + "\"";
    const auto r = json::raw_json::parse(big);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), make_error_code(errc::message_too_large));
    EXPECT_TRUE(r.error() == dvbcss::condition::limit_exceeded);
}

TEST(PrivateData, DefaultIsEmptyArray) {
    EXPECT_EQ(json::private_data().text(), "[]");
}

TEST(PrivateData, AcceptsObjectsWithStringType) {
    const auto p = json::private_data::parse(
        R"([{"type":"urn:x","extra":[1,{"k":null}]},{"type":"tag:y","v":null}])");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->text(), R"([{"extra":[1,{"k":null}],"type":"urn:x"},{"type":"tag:y","v":null}])");
}

TEST(PrivateData, RejectsWrongShapes) {
    EXPECT_EQ(json::private_data::parse(R"({"type":"x"})").error(),
              make_error_code(errc::bad_field_type));
    EXPECT_EQ(json::private_data::parse(R"([1])").error(), make_error_code(errc::bad_field_type));
    EXPECT_EQ(json::private_data::parse(R"([{"type":5}])").error(),
              make_error_code(errc::bad_field_type));
    EXPECT_EQ(json::private_data::parse(R"([{"kind":"x"}])").error(),
              make_error_code(errc::missing_field));
    EXPECT_EQ(json::private_data::parse(R"(null)").error(), make_error_code(errc::bad_field_type));
    EXPECT_EQ(json::private_data::parse(R"([)").error(), make_error_code(errc::bad_json));
}
