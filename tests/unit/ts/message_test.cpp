#include <dvbcss/limits.hpp>
#include <dvbcss/ts/message.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ts = dvbcss::ts;
namespace json = dvbcss::json;
using dvbcss::errc;
using dvbcss::make_error_code;

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

nlohmann::json parsed(const std::string& text) {
    return nlohmann::json::parse(text);
}

json::private_data private_of(std::string_view text) {
    auto p = json::private_data::parse(text);
    EXPECT_TRUE(p.has_value()) << text;
    return p ? *p : json::private_data{};
}

template <class T>
T ok(const dvbcss::result<T>& r, std::string_view text) {
    EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message());
    return r ? *r : T{};
}

ts::setup_data setup_ok(std::string_view text) {
    return ok(ts::decode_setup_data(text), text);
}

ts::control_timestamp control_ok(std::string_view text) {
    return ok(ts::decode_control_timestamp(text), text);
}

ts::apt_ept_lpt apt_ok(std::string_view text) {
    return ok(ts::decode_apt_ept_lpt(text), text);
}

// An expected failure: the error and the path the decoder names.
struct failure {
    errc code;
    std::string field;
};

template <class Decode>
void expect_failure(Decode decode, std::string_view text, const failure& expected) {
    ts::decode_detail detail{"stale"};
    const auto r = decode(text, &detail);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error(), make_error_code(expected.code)) << text << ": " << r.error().message();
    EXPECT_EQ(detail.field, expected.field) << text;
}

void setup_fails(std::string_view text, const failure& expected) {
    expect_failure([](auto t, auto* d) { return ts::decode_setup_data(t, d); }, text, expected);
}

void control_fails(std::string_view text, const failure& expected) {
    expect_failure([](auto t, auto* d) { return ts::decode_control_timestamp(t, d); }, text,
                   expected);
}

void apt_fails(std::string_view text, const failure& expected) {
    expect_failure([](auto t, auto* d) { return ts::decode_apt_ept_lpt(t, d); }, text, expected);
}

ts::presentation_timestamp at(std::int64_t content, std::int64_t wall) {
    return {content, ts::wall_time::at(wall)};
}

// A control timestamp whose contentTime is `content` (JSON text) and the rest valid.
std::string control_with_content(const std::string& content) {
    return R"({"contentTime":)" + content +
           R"(,"wallClockTime":"5","timelineSpeedMultiplier":1.0})";
}

// Set-up data whose contentIdStem is `stem` (JSON text).
std::string setup_with_stem(const std::string& stem) {
    return R"({"contentIdStem":)" + stem + R"(,"timelineSelector":"urn:dvb:css:timeline:pts"})";
}

// Presentation timestamps with `earliest` as given (JSON text) and `latest` valid.
std::string apt_with_earliest(const std::string& earliest) {
    return R"({"earliest":)" + earliest +
           R"(,"latest":{"contentTime":"0","wallClockTime":"plusinfinity"}})";
}

} // namespace

// ---- the reference test suite (pydvbcss test/test_ts.py), SetupData ----

TEST(TsSetupData, PackSimpleMessage) {
    const ts::setup_data m{"dvb://1234.5678.01ab/some\"thing\\odd", "urn:dvb:css:timeline:pts",
                           std::nullopt};
    const auto text = ts::encode(m);
    EXPECT_EQ(parsed(text),
              nlohmann::json({{"contentIdStem", "dvb://1234.5678.01ab/some\"thing\\odd"},
                              {"timelineSelector", "urn:dvb:css:timeline:pts"}}));
    EXPECT_FALSE(parsed(text).contains("private"));
}

TEST(TsSetupData, PackMessageWithPrivateData) {
    const std::string priv = R"([{"type":"urn:a","x":[1,2,{"y":null}]},{"type":"urn:b","z":{}},
                                 {"type":"urn:c","w":null}])";
    const ts::setup_data m{"dvb://", "urn:dvb:css:timeline:temi:1:1", private_of(priv)};
    const auto text = ts::encode(m);
    EXPECT_EQ(parsed(text)["private"], parsed(priv));
    EXPECT_EQ(parsed(text)["contentIdStem"], "dvb://");
}

TEST(TsSetupData, UnpackNotJson) {
    setup_fails(R"({"contentIdStem":"x","timelineSelector":)", {errc::bad_json, ""});
    setup_fails("not json", {errc::bad_json, ""});
}

TEST(TsSetupData, UnpackSimpleMessage) {
    const auto m = setup_ok(
        R"({"contentIdStem":"dvb://1.2.3","timelineSelector":"urn:dvb:css:timeline:pts"})");
    EXPECT_EQ(m.content_id_stem, "dvb://1.2.3");
    EXPECT_EQ(m.timeline_selector, "urn:dvb:css:timeline:pts");
    EXPECT_FALSE(m.private_data.has_value());
}

TEST(TsSetupData, UnpackMessageWithPrivateData) {
    const std::string priv = R"([{"type":"urn:a","x":[1,2,{"y":null}]},{"type":"urn:b"}])";
    const auto m =
        setup_ok(R"({"contentIdStem":"","timelineSelector":"urn:x","private":)" + priv + "}");
    ASSERT_TRUE(m.private_data.has_value());
    EXPECT_EQ(parsed(m.private_data->text()), parsed(priv));
}

TEST(TsSetupData, UnpackFailsWithoutTimelineSelector) {
    setup_fails(R"({"contentIdStem":"dvb://"})", {errc::missing_field, "timelineSelector"});
}

TEST(TsSetupData, UnpackFailsWithoutContentIdStem) {
    setup_fails(R"({"timelineSelector":"urn:x"})", {errc::missing_field, "contentIdStem"});
}

// ---- the reference test suite, ControlTimestamp (64-bit extremes for its >64-bit values) ----

TEST(TsControlTimestamp, PackSimpleMessage) {
    const ts::control_timestamp m{int64_max, int64_min, -1.005};
    EXPECT_EQ(parsed(ts::encode(m)), nlohmann::json({{"contentTime", "9223372036854775807"},
                                                     {"wallClockTime", "-9223372036854775808"},
                                                     {"timelineSpeedMultiplier", -1.005}}));
    // The reference's second (64-bit) value as it was.
    const ts::control_timestamp ref{int64_min, 1234567890123590002, -1.005};
    EXPECT_EQ(parsed(ts::encode(ref)),
              parsed(R"({"contentTime":"-9223372036854775808","wallClockTime":
                         "1234567890123590002","timelineSpeedMultiplier":-1.005})"));
}

TEST(TsControlTimestamp, PackSimpleTimelineUnavailableMessage) {
    const auto m = ts::control_timestamp::unavailable(1234567890123590002);
    EXPECT_EQ(parsed(ts::encode(m)),
              parsed(R"({"contentTime":null,"wallClockTime":"1234567890123590002",
                         "timelineSpeedMultiplier":null})"));
}

TEST(TsControlTimestamp, UnpackNotJson) {
    control_fails(R"({"contentTime":"1",)", {errc::bad_json, ""});
}

TEST(TsControlTimestamp, UnpackSimpleMessage) {
    const auto m = control_ok(R"({"contentTime":"-68473845637464763",
        "wallClockTime":"9223372036854775807","timelineSpeedMultiplier":2.5})");
    EXPECT_EQ(m.content_time, -68473845637464763);
    EXPECT_EQ(m.wall_clock_time, int64_max);
    EXPECT_EQ(m.timeline_speed_multiplier, 2.5);
    EXPECT_TRUE(m.available());
}

TEST(TsControlTimestamp, UnpackSimpleTimelineUnavailableMessage) {
    const auto m = control_ok(
        R"({"contentTime":null,"wallClockTime":"1234567890123590002","timelineSpeedMultiplier":null})");
    EXPECT_EQ(m, ts::control_timestamp::unavailable(1234567890123590002));
    EXPECT_FALSE(m.available());
}

TEST(TsControlTimestamp, ReferenceValuesBeyond64BitsAreOutOfRange) {
    // test_unpack_simple_message's 31-digit wallClockTime.
    control_fails(R"({"contentTime":"-68473845637464763",
        "wallClockTime":"9238756389456238756498237645289","timelineSpeedMultiplier":2.5})",
                  {errc::value_out_of_range, "wallClockTime"});
    // test_pack_simple_message's contentTime, 2^63 + ...: not representable, so not decodable.
    control_fails(R"({"contentTime":"12345678901234567890","wallClockTime":"1234567890123590002",
        "timelineSpeedMultiplier":-1.005})",
                  {errc::value_out_of_range, "contentTime"});
}

// ---- the reference test suite, AptEptLpt (64-bit extremes for its >64-bit values) ----

TEST(TsAptEptLpt, PackSimple) {
    const ts::apt_ept_lpt m{std::nullopt, at(int64_max, int64_min), at(int64_min, int64_max)};
    const auto text = ts::encode(m);
    EXPECT_EQ(parsed(text), parsed(R"({
        "earliest":{"contentTime":"9223372036854775807","wallClockTime":"-9223372036854775808"},
        "latest":{"contentTime":"-9223372036854775808","wallClockTime":"9223372036854775807"}})"));
    EXPECT_FALSE(parsed(text).contains("actual"));
}

TEST(TsAptEptLpt, PackInfinities) {
    const ts::apt_ept_lpt m{std::nullopt,
                            {5, ts::wall_time::minus_infinity()},
                            {int64_max, ts::wall_time::plus_infinity()}};
    EXPECT_EQ(parsed(ts::encode(m)), parsed(R"({
        "earliest":{"contentTime":"5","wallClockTime":"minusinfinity"},
        "latest":{"contentTime":"9223372036854775807","wallClockTime":"plusinfinity"}})"));
    // The defaults are the two infinities at content time 0.
    EXPECT_EQ(parsed(ts::encode(ts::apt_ept_lpt{})), parsed(R"({
        "earliest":{"contentTime":"0","wallClockTime":"minusinfinity"},
        "latest":{"contentTime":"0","wallClockTime":"plusinfinity"}})"));
}

TEST(TsAptEptLpt, PackWithActual) {
    const ts::apt_ept_lpt m{at(int64_min, int64_max), at(1, 2), at(3, 4)};
    EXPECT_EQ(parsed(ts::encode(m)), parsed(R"({
        "actual":{"contentTime":"-9223372036854775808","wallClockTime":"9223372036854775807"},
        "earliest":{"contentTime":"1","wallClockTime":"2"},
        "latest":{"contentTime":"3","wallClockTime":"4"}})"));
}

TEST(TsAptEptLpt, UnpackNotJson) {
    apt_fails(R"({"earliest":{)", {errc::bad_json, ""});
}

TEST(TsAptEptLpt, UnpackSimple) {
    const auto m = apt_ok(R"({
        "earliest":{"contentTime":"9223372036854775807","wallClockTime":"-9223372036854775808"},
        "latest":{"contentTime":"-9223372036854775808","wallClockTime":"9223372036854775807"}})");
    EXPECT_FALSE(m.actual.has_value());
    EXPECT_EQ(m.earliest, at(int64_max, int64_min));
    EXPECT_EQ(m.latest, at(int64_min, int64_max));
}

TEST(TsAptEptLpt, UnpackSimpleWithActual) {
    const auto m = apt_ok(R"({
        "actual":{"contentTime":"-9223372036854775808","wallClockTime":"9223372036854775807"},
        "earliest":{"contentTime":"1","wallClockTime":"2"},
        "latest":{"contentTime":"3","wallClockTime":"4"}})");
    ASSERT_TRUE(m.actual.has_value());
    EXPECT_EQ(*m.actual, at(int64_min, int64_max));
    EXPECT_EQ(m.earliest, at(1, 2));
    EXPECT_EQ(m.latest, at(3, 4));
}

TEST(TsAptEptLpt, UnpackWithInfinities) {
    const auto m = apt_ok(R"({
        "earliest":{"contentTime":"7","wallClockTime":"minusinfinity"},
        "latest":{"contentTime":"8","wallClockTime":"plusinfinity"}})");
    EXPECT_EQ(m.earliest.content_time, 7);
    EXPECT_EQ(m.earliest.wall_clock_time, ts::wall_time::minus_infinity());
    EXPECT_EQ(m.latest.content_time, 8);
    EXPECT_EQ(m.latest.wall_clock_time, ts::wall_time::plus_infinity());
}

TEST(TsAptEptLpt, UnpackMissingEarliest) {
    apt_fails(R"({"latest":{"contentTime":"0","wallClockTime":"plusinfinity"}})",
              {errc::missing_field, "earliest"});
}

TEST(TsAptEptLpt, UnpackMissingLatest) {
    apt_fails(R"({"earliest":{"contentTime":"0","wallClockTime":"minusinfinity"}})",
              {errc::missing_field, "latest"});
}

TEST(TsAptEptLpt, ReferenceValuesBeyond64BitsAreOutOfRange) {
    // The lengths the reference's test_pack_with_actual used: a negative 22-digit content time
    // and a 33-digit wall clock time.
    apt_fails(R"({"actual":{"contentTime":"-1234567890123456789012","wallClockTime":"0"},
        "earliest":{"contentTime":"0","wallClockTime":"minusinfinity"},
        "latest":{"contentTime":"0","wallClockTime":"plusinfinity"}})",
              {errc::value_out_of_range, "actual.contentTime"});
    apt_fails(R"({"actual":{"contentTime":"0","wallClockTime":"123456789012345678901234567890123"},
        "earliest":{"contentTime":"0","wallClockTime":"minusinfinity"},
        "latest":{"contentTime":"0","wallClockTime":"plusinfinity"}})",
              {errc::value_out_of_range, "actual.wallClockTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":"9223372036854775808","wallClockTime":"0"})"),
              {errc::value_out_of_range, "earliest.contentTime"});
    apt_fails(R"({"earliest":{"contentTime":"0","wallClockTime":"0"},
        "latest":{"contentTime":"0","wallClockTime":"-9223372036854775809"}})",
              {errc::value_out_of_range, "latest.wallClockTime"});
}

// ---- decimal integer strings ----

TEST(TsIntegers, OnlyTheCanonicalDecimalFormIsAccepted) {
    for (const char* good :
         {"0", "1", "-1", "10", "-1234567890", "9223372036854775807", "-9223372036854775808"}) {
        const auto m = control_ok(control_with_content('"' + std::string(good) + '"'));
        EXPECT_EQ(m.content_time, std::stoll(good)) << good;
    }
    // "1\n": the reference's regex let one trailing newline through; this library does not.
    for (const char* bad : {"-0", "007", "00", "+5", " 1", "1 ", "1\\n", "", "-", "--1", "1.0",
                            "1e3", "0x10", "1_000", "\\u00307", "minusinfinity", "plusinfinity",
                            "\xe2\x88\x92"
                            "1"}) {
        control_fails(control_with_content('"' + std::string(bad) + '"'),
                      {errc::bad_field_value, "contentTime"});
    }
    // An escape that spells a canonical number is the same string.
    EXPECT_EQ(control_ok(control_with_content(R"("\u0031\u0032")")).content_time, 12);
}

TEST(TsIntegers, BeyondInt64IsOutOfRange) {
    for (const char* big : {"9223372036854775808", "-9223372036854775809",
                            "99999999999999999999999999999999999999999999"}) {
        control_fails(control_with_content('"' + std::string(big) + '"'),
                      {errc::value_out_of_range, "contentTime"});
    }
}

TEST(TsIntegers, JsonNumbersAndOtherTypesAreRejected) {
    for (const char* wrong : {"5", "5.0", "-1", "true", "false", "[]", "{}", R"(["1"])"})
        control_fails(control_with_content(wrong), {errc::bad_field_type, "contentTime"});
    control_fails(control_with_content("1e400"), {errc::value_out_of_range, "contentTime"});
}

// ---- ControlTimestamp rules ----

TEST(TsControlTimestamp, MissingKeysAreMissingFields) {
    // The reference raised KeyError here (B24).
    control_fails(R"({"wallClockTime":"1","timelineSpeedMultiplier":null})",
                  {errc::missing_field, "contentTime"});
    control_fails(R"({"contentTime":null,"timelineSpeedMultiplier":null})",
                  {errc::missing_field, "wallClockTime"});
    control_fails(R"({"contentTime":null,"wallClockTime":"1"})",
                  {errc::missing_field, "timelineSpeedMultiplier"});
    control_fails("{}", {errc::missing_field, "contentTime"});
}

TEST(TsControlTimestamp, WallClockTimeIsAlwaysAFiniteInteger) {
    const std::string rest = R"(,"contentTime":null,"timelineSpeedMultiplier":null})";
    control_fails(R"({"wallClockTime":null)" + rest, {errc::bad_field_type, "wallClockTime"});
    control_fails(R"({"wallClockTime":1)" + rest, {errc::bad_field_type, "wallClockTime"});
    control_fails(R"({"wallClockTime":"plusinfinity")" + rest,
                  {errc::bad_field_value, "wallClockTime"});
    control_fails(R"({"wallClockTime":"minusinfinity")" + rest,
                  {errc::bad_field_value, "wallClockTime"});
    control_fails(R"({"wallClockTime":"-0")" + rest, {errc::bad_field_value, "wallClockTime"});
}

TEST(TsControlTimestamp, ContentTimeAndSpeedAreBothNullOrNeither) {
    control_fails(R"({"contentTime":null,"wallClockTime":"1","timelineSpeedMultiplier":1})",
                  {errc::bad_field_value, "contentTime"});
    control_fails(R"({"contentTime":"1","wallClockTime":"1","timelineSpeedMultiplier":null})",
                  {errc::bad_field_value, "timelineSpeedMultiplier"});
}

TEST(TsControlTimestamp, SpeedMustBeAJsonNumber) {
    const auto with_speed = [](const std::string& speed) {
        return R"({"contentTime":"1","wallClockTime":"2","timelineSpeedMultiplier":)" + speed + "}";
    };
    // The reference accepted all of these through Python's float().
    for (const char* wrong : {R"("1.5")", R"("nan")", R"("inf")", "true", "false", "[]", "{}"})
        control_fails(with_speed(wrong), {errc::bad_field_type, "timelineSpeedMultiplier"});
    for (const char* huge : {"1e400", "-1e400", "1.8e308"})
        control_fails(with_speed(huge), {errc::value_out_of_range, "timelineSpeedMultiplier"});
    EXPECT_EQ(control_ok(with_speed("1")).timeline_speed_multiplier, 1.0);
    EXPECT_EQ(control_ok(with_speed("0")).timeline_speed_multiplier, 0.0);
    EXPECT_EQ(control_ok(with_speed("-2e0")).timeline_speed_multiplier, -2.0);
    EXPECT_EQ(control_ok(with_speed("18446744073709551616")).timeline_speed_multiplier,
              18446744073709551616.0);
    EXPECT_EQ(control_ok(with_speed("1e-400")).timeline_speed_multiplier, 0.0);
    EXPECT_EQ(control_ok(with_speed("1.7976931348623157e308")).timeline_speed_multiplier,
              std::numeric_limits<double>::max());
}

TEST(TsControlTimestamp, EncoderRefusesWhatTheProtocolCannotCarry) {
    EXPECT_THROW((void)ts::encode(ts::control_timestamp{5, 1, std::nullopt}),
                 std::invalid_argument);
    EXPECT_THROW((void)ts::encode(ts::control_timestamp{std::nullopt, 1, 1.0}),
                 std::invalid_argument);
    for (const double bad :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()})
        EXPECT_THROW((void)ts::encode(ts::control_timestamp{5, 1, bad}), std::invalid_argument);
}

TEST(TsControlTimestamp, RoundTrips) {
    std::vector<ts::control_timestamp> cases{ts::control_timestamp::unavailable(0),
                                             ts::control_timestamp::unavailable(int64_min),
                                             {int64_max, int64_min, 1.0},
                                             {int64_min, int64_max, 0.0},
                                             {0, 0, -0.0},
                                             {-1, 1, 0.1},
                                             {42, 7, -1.005},
                                             {1, 2, 1e-300},
                                             {1, 2, 5e-324},
                                             {1, 2, std::numeric_limits<double>::max()},
                                             {1, 2, -std::numeric_limits<double>::max()},
                                             {1, 2, 1.0 / 3.0}};
    for (const auto& m : cases) {
        const auto text = ts::encode(m);
        const auto back = control_ok(text);
        EXPECT_EQ(back, m) << text;
        EXPECT_EQ(ts::encode(back), text);
    }
    // Negative zero keeps its sign (a plain "-0" would read back as the integer 0).
    const auto negative_zero = control_ok(ts::encode(ts::control_timestamp{0, 0, -0.0}));
    EXPECT_TRUE(std::signbit(negative_zero.timeline_speed_multiplier.value()));
    // The shortest form: 1.0 is written as 1, the way a JSON reader reads it back.
    EXPECT_EQ(ts::encode(ts::control_timestamp{1, 2, 1.0}),
              R"({"contentTime":"1","wallClockTime":"2","timelineSpeedMultiplier":1})");
}

// ---- SetupData rules ----

TEST(TsSetupData, StemAndSelectorMustBeStrings) {
    // The reference accepted numbers and null here.
    for (const char* wrong : {"5", "null", "true", "[]", "{}"})
        setup_fails(setup_with_stem(wrong), {errc::bad_field_type, "contentIdStem"});
    setup_fails(setup_with_stem("1e400"), {errc::value_out_of_range, "contentIdStem"});
    setup_fails(R"({"contentIdStem":"","timelineSelector":null})",
                {errc::bad_field_type, "timelineSelector"});
    setup_fails(R"({"contentIdStem":"","timelineSelector":-1e999})",
                {errc::value_out_of_range, "timelineSelector"});
    EXPECT_EQ(setup_ok(setup_with_stem(R"("")")).content_id_stem, "");
}

TEST(TsSetupData, PrivateIsValidated) {
    const auto with_private = [](const std::string& p) {
        return R"({"contentIdStem":"","timelineSelector":"urn:x","private":)" + p + "}";
    };
    EXPECT_EQ(setup_ok(with_private("[]")).private_data, json::private_data{});
    setup_fails(with_private("null"), {errc::bad_field_type, "private"});
    setup_fails(with_private(R"({"type":"x"})"), {errc::bad_field_type, "private"});
    setup_fails(with_private(R"([{"type":1}])"), {errc::bad_field_type, "private"});
    setup_fails(with_private(R"([{"kind":"x"}])"), {errc::missing_field, "private"});
    setup_fails(with_private(R"([{"type":"x","v":[1,2,1e400]}])"),
                {errc::value_out_of_range, "private"});
    setup_fails(with_private("1e400"), {errc::value_out_of_range, "private"});
}

TEST(TsSetupData, EncodesAnyStringAsValidJson) {
    // The reference wrote None as "None" and failed on non-ASCII text (B27).
    const ts::setup_data m{"dvb://caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac",
                           std::string("urn:\"x\"\\\n\t\x01\0", 12), std::nullopt};
    const auto text = ts::encode(m);
    EXPECT_EQ(parsed(text)["contentIdStem"], "dvb://caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac");
    EXPECT_EQ(setup_ok(text), m);
    // Bytes that are not UTF-8 cannot travel in JSON: they become U+FFFD.
    const auto replaced = setup_ok(ts::encode(ts::setup_data{"a\xff", "b", std::nullopt}));
    EXPECT_EQ(replaced.content_id_stem, "a\xef\xbf\xbd");
}

TEST(TsSetupData, RoundTrips) {
    const std::vector<ts::setup_data> cases{
        {"", "", std::nullopt},
        {"dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M", "urn:dvb:css:timeline:pts",
         std::nullopt},
        {"x", "urn:dvb:css:timeline:temi:1:1", json::private_data{}},
        {"x", "y", private_of(R"([{"type":"urn:a","n":[1,-2.5,1e300,"s",true,null,{}]}])")}};
    for (const auto& m : cases) {
        const auto text = ts::encode(m);
        const auto back = setup_ok(text);
        EXPECT_EQ(back, m) << text;
        EXPECT_EQ(ts::encode(back), text);
    }
}

// ---- AptEptLpt rules ----

TEST(TsAptEptLpt, PartsMustBeObjects) {
    // The reference raised TypeError for these, and named "SetupData" in its errors (B25).
    for (const char* wrong : {"null", "5", R"("x")", "[]", "true"})
        apt_fails(apt_with_earliest(wrong), {errc::bad_field_type, "earliest"});
    apt_fails(apt_with_earliest("1e400"), {errc::value_out_of_range, "earliest"});
    apt_fails(R"({"actual":null,"earliest":{"contentTime":"0","wallClockTime":"1"},
                  "latest":{"contentTime":"0","wallClockTime":"1"}})",
              {errc::bad_field_type, "actual"});
    apt_fails(R"({"actual":[],"earliest":{"contentTime":"0","wallClockTime":"1"},
                  "latest":{"contentTime":"0","wallClockTime":"1"}})",
              {errc::bad_field_type, "actual"});
}

TEST(TsAptEptLpt, MembersAreRequiredAndNamed) {
    apt_fails(apt_with_earliest(R"({"wallClockTime":"1"})"),
              {errc::missing_field, "earliest.contentTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":"1"})"),
              {errc::missing_field, "earliest.wallClockTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":null,"wallClockTime":"1"})"),
              {errc::bad_field_type, "earliest.contentTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":"1","wallClockTime":null})"),
              {errc::bad_field_type, "earliest.wallClockTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":"1","wallClockTime":1e400})"),
              {errc::value_out_of_range, "earliest.wallClockTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":1,"wallClockTime":"1"})"),
              {errc::bad_field_type, "earliest.contentTime"});
    apt_fails(R"({"earliest":{"contentTime":"0","wallClockTime":"1"},"latest":{}})",
              {errc::missing_field, "latest.contentTime"});
}

TEST(TsAptEptLpt, EachInfinityOnlyInItsPlace) {
    apt_fails(apt_with_earliest(R"({"contentTime":"1","wallClockTime":"plusinfinity"})"),
              {errc::bad_field_value, "earliest.wallClockTime"});
    apt_fails(R"({"earliest":{"contentTime":"0","wallClockTime":"minusinfinity"},
                  "latest":{"contentTime":"0","wallClockTime":"minusinfinity"}})",
              {errc::bad_field_value, "latest.wallClockTime"});
    apt_fails(R"({"actual":{"contentTime":"0","wallClockTime":"plusinfinity"},
                  "earliest":{"contentTime":"0","wallClockTime":"1"},
                  "latest":{"contentTime":"0","wallClockTime":"1"}})",
              {errc::bad_field_value, "actual.wallClockTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":"minusinfinity","wallClockTime":"1"})"),
              {errc::bad_field_value, "earliest.contentTime"});
    apt_fails(apt_with_earliest(R"({"contentTime":"1","wallClockTime":"MinusInfinity"})"),
              {errc::bad_field_value, "earliest.wallClockTime"});
}

TEST(TsAptEptLpt, EncoderRefusesInfinitiesInTheWrongPlace) {
    ts::apt_ept_lpt m;
    m.earliest.wall_clock_time = ts::wall_time::plus_infinity();
    EXPECT_THROW((void)ts::encode(m), std::invalid_argument);
    m = ts::apt_ept_lpt{};
    m.latest.wall_clock_time = ts::wall_time::minus_infinity();
    EXPECT_THROW((void)ts::encode(m), std::invalid_argument);
    for (const auto inf : {ts::wall_time::minus_infinity(), ts::wall_time::plus_infinity()}) {
        m = ts::apt_ept_lpt{};
        m.actual = ts::presentation_timestamp{0, inf};
        EXPECT_THROW((void)ts::encode(m), std::invalid_argument);
    }
}

TEST(TsAptEptLpt, RoundTrips) {
    const std::vector<ts::apt_ept_lpt> cases{
        ts::apt_ept_lpt{},
        {at(1, 2), at(3, 4), at(5, 6)},
        {at(int64_min, int64_max),
         {int64_max, ts::wall_time::minus_infinity()},
         {int64_min, ts::wall_time::plus_infinity()}},
        {std::nullopt, at(-5, -6), {0, ts::wall_time::plus_infinity()}}};
    for (const auto& m : cases) {
        const auto text = ts::encode(m);
        const auto back = apt_ok(text);
        EXPECT_EQ(back, m) << text;
        EXPECT_EQ(ts::encode(back), text);
    }
}

// ---- every decoder: whole-text failures, unknown properties, limits ----

TEST(TsMessages, NonObjectTextIsBadJson) {
    for (const char* text : {"[]", R"("x")", "5", "null", "true", "1e400", "", "{", "{} {}",
                             R"({"a":NaN})", R"({"a":Infinity})", "{'a':1}"}) {
        setup_fails(text, {errc::bad_json, ""});
        control_fails(text, {errc::bad_json, ""});
        apt_fails(text, {errc::bad_json, ""});
    }
}

TEST(TsMessages, UnknownPropertiesAreIgnoredWhateverTheirValue) {
    const std::string huge_integer(400, '9');
    // Nested as deep as the limit allows inside the `earliest` object (two levels down).
    const auto depth = static_cast<std::size_t>(dvbcss::limits::max_json_depth - 2);
    const std::string deep = std::string(depth, '[') + "1e400" + std::string(depth, ']');
    const std::vector<std::string> junk{"1e400",
                                        "-1e400",
                                        huge_integer,
                                        "[1e400,{\"x\":-1E+999}]",
                                        R"("1e400")",
                                        "null",
                                        R"({"private":1e400,"contentTime":5})",
                                        deep};
    for (const auto& value : junk) {
        const std::string extra = R"(,"x-vendor":)" + value;
        EXPECT_EQ(setup_ok(R"({"contentIdStem":"s","timelineSelector":"t")" + extra + "}"),
                  (ts::setup_data{"s", "t", std::nullopt}))
            << value;
        EXPECT_EQ(control_ok(R"({"contentTime":"1","wallClockTime":"2",)"
                             R"("timelineSpeedMultiplier":0.5)" +
                             extra + "}"),
                  (ts::control_timestamp{1, 2, 0.5}))
            << value;
        EXPECT_EQ(apt_ok(R"({"earliest":{"contentTime":"0","wallClockTime":"minusinfinity")" +
                         extra +
                         R"(},"latest":{"contentTime":"0","wallClockTime":"plusinfinity"})" +
                         extra + "}"),
                  ts::apt_ept_lpt{})
            << value;
    }
}

TEST(TsMessages, DeepOrLargeTextIsRejected) {
    const std::string valid =
        R"({"contentTime":"1","wallClockTime":"2","timelineSpeedMultiplier":1)";
    const auto nest = [](int depth) {
        return std::string(static_cast<std::size_t>(depth), '[') +
               std::string(static_cast<std::size_t>(depth), ']');
    };
    const int limit = dvbcss::limits::max_json_depth;
    EXPECT_TRUE(ts::decode_control_timestamp(valid + R"(,"x":)" + nest(limit - 1) + "}"));
    control_fails(valid + R"(,"x":)" + nest(limit) + "}", {errc::bad_json, ""});
    control_fails(valid + R"(,"x":)" + nest(30000) + "}", {errc::bad_json, ""});
    control_fails(valid + R"(,"x":")" + std::string(dvbcss::limits::max_json_message_bytes, 'a') +
                      R"("})",
                  {errc::message_too_large, ""});
}

TEST(TsMessages, DuplicateKeysKeepTheLastValue) {
    EXPECT_EQ(control_ok(R"({"contentTime":"1","contentTime":"3","wallClockTime":"2",
                             "timelineSpeedMultiplier":1})")
                  .content_time,
              3);
    // A bad value overwritten by a good one is gone, and the other way round.
    EXPECT_TRUE(ts::decode_control_timestamp(R"({"contentTime":1e400,"contentTime":"3",
        "wallClockTime":"2","timelineSpeedMultiplier":1})"));
    control_fails(R"({"contentTime":"3","contentTime":"007","wallClockTime":"2",
        "timelineSpeedMultiplier":1})",
                  {errc::bad_field_value, "contentTime"});
}

TEST(TsMessages, DetailIsClearedOnSuccessAndOptional) {
    ts::decode_detail detail{"stale"};
    EXPECT_TRUE(ts::decode_setup_data(R"({"contentIdStem":"","timelineSelector":""})", &detail));
    EXPECT_EQ(detail.field, "");
    EXPECT_EQ(ts::decode_apt_ept_lpt("{}").error(), make_error_code(errc::missing_field));
}

TEST(TsMessages, FieldsOfOtherMessagesAreNotEnough) {
    // Each decoder needs its own message's keys: a message of another kind is missing fields.
    const auto setup = ts::encode(ts::setup_data{"a", "b", std::nullopt});
    const auto control = ts::encode(ts::control_timestamp{1, 2, 1.0});
    const auto apt = ts::encode(ts::apt_ept_lpt{});
    control_fails(setup, {errc::missing_field, "contentTime"});
    apt_fails(setup, {errc::missing_field, "earliest"});
    setup_fails(control, {errc::missing_field, "contentIdStem"});
    apt_fails(control, {errc::missing_field, "earliest"});
    setup_fails(apt, {errc::missing_field, "contentIdStem"});
    control_fails(apt, {errc::missing_field, "contentTime"});
}
