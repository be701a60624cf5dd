#include <dvbcss/json/field.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace json = dvbcss::json;

TEST(JsonField, DefaultIsAbsent) {
    const json::field<int> f;
    EXPECT_TRUE(f.is_absent());
    EXPECT_FALSE(f.is_null());
    EXPECT_FALSE(f.has_value());
    EXPECT_FALSE(f.is_present());
    EXPECT_EQ(f.state(), json::field_state::absent_key);
    EXPECT_EQ(f.get_if(), nullptr);
}

TEST(JsonField, AssignNullValueAndAbsent) {
    json::field<std::string> f;
    f = json::null;
    EXPECT_TRUE(f.is_null());
    EXPECT_TRUE(f.is_present());
    EXPECT_EQ(f.state(), json::field_state::json_null);
    f = "udp://1.2.3.4:6677";
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f.value(), "udp://1.2.3.4:6677");
    EXPECT_EQ(*f.get_if(), "udp://1.2.3.4:6677");
    EXPECT_EQ(f.state(), json::field_state::value);
    f = json::absent;
    EXPECT_TRUE(f.is_absent());
}

TEST(JsonField, FactoriesMatchAssignment) {
    EXPECT_EQ(json::field<int>::make_absent(), json::field<int>{});
    EXPECT_EQ(json::field<int>::make_null(), json::field<int>{json::null});
    EXPECT_EQ(json::field<int>::make_value(5), json::field<int>{5});
    EXPECT_EQ((json::field<std::vector<int>>::make_value(3U, 7).value()),
              (std::vector<int>{7, 7, 7}));
}

TEST(JsonField, ValueOnAbsentOrNullThrowsLogicError) {
    json::field<int> f;
    EXPECT_THROW((void)f.value(), json::bad_field_access);
    f.set_null();
    EXPECT_THROW((void)f.value(), std::logic_error);
    EXPECT_EQ(f.value_or(9), 9);
    f = 3;
    EXPECT_EQ(f.value_or(9), 3);
}

TEST(JsonField, EqualityDistinguishesAllThreeStates) {
    const json::field<std::string> absent;
    const json::field<std::string> null{json::null};
    const json::field<std::string> empty{std::string()};
    const json::field<std::string> a{"a"};
    EXPECT_NE(absent, null);
    EXPECT_NE(null, empty);
    EXPECT_NE(absent, empty);
    EXPECT_NE(empty, a);
    EXPECT_EQ(a, json::field<std::string>{"a"});
    EXPECT_EQ(null, json::field<std::string>::make_null());
    EXPECT_TRUE(a == "a");
}

TEST(JsonField, EmplaceResetAndSetNull) {
    json::field<std::string> f;
    f.emplace(3U, 'x');
    EXPECT_EQ(f.value(), "xxx");
    f.value() += "y";
    EXPECT_EQ(f.value(), "xxxy");
    f.set_null();
    EXPECT_TRUE(f.is_null());
    f.reset();
    EXPECT_TRUE(f.is_absent());
}

TEST(JsonField, UsableInConstantExpressions) {
    constexpr json::field<int> f{4};
    static_assert(f.has_value() && f.value() == 4);
    constexpr json::field<int> n{json::null};
    static_assert(n.is_null());
    SUCCEED();
}
