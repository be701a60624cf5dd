#include <dvbcss/cii/message.hpp>
#include <dvbcss/limits.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace cii = dvbcss::cii;
namespace json = dvbcss::json;
using dvbcss::errc;
using dvbcss::make_error_code;

namespace {

std::string read_data(const std::string& name) {
    std::ifstream in(std::string(DVBCSS_TEST_DATA_DIR) + "/cii/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    return {std::istreambuf_iterator<char>(in), {}};
}

cii::message decode_ok(std::string_view text) {
    auto r = cii::decode_cii(text);
    EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message());
    return r ? *r : cii::message{};
}

dvbcss::error_code decode_error(std::string_view text) {
    auto r = cii::decode_cii(text);
    EXPECT_FALSE(r.has_value()) << text;
    return r ? dvbcss::error_code{} : r.error();
}

nlohmann::json parsed(const std::string& text) {
    return nlohmann::json::parse(text);
}

cii::timeline_option option(std::string selector, std::uint64_t upt, std::uint64_t ups) {
    cii::timeline_option o;
    o.timeline_selector = std::move(selector);
    o.timeline_properties.units_per_tick = upt;
    o.timeline_properties.units_per_second = ups;
    return o;
}

json::private_data private_of(std::string_view text) {
    auto p = json::private_data::parse(text);
    EXPECT_TRUE(p.has_value()) << text;
    return p ? *p : json::private_data{};
}

} // namespace

// ---- the reference test suite (pydvbcss test/test_cii.py) ----

TEST(CiiMessage, CreatedEmptyHasEveryPropertyAbsent) {
    const cii::message m;
    for (const auto p : cii::all_properties)
        EXPECT_EQ(cii::property_state(m, p), json::field_state::absent_key) << cii::json_key(p);
    EXPECT_TRUE(m.empty());
}

TEST(CiiMessage, EmptyMessageEncodesToEmptyObject) {
    EXPECT_EQ(cii::encode(cii::message{}), "{}");
}

TEST(CiiMessage, EmptyObjectDecodesToAllAbsent) {
    EXPECT_EQ(decode_ok("{}"), cii::message{});
    EXPECT_EQ(decode_ok(" \n{ } \t"), cii::message{});
}

TEST(CiiMessage, UnknownPropertiesAreIgnored) {
    EXPECT_EQ(decode_ok(R"({"flurble":5})"), cii::message{});
    EXPECT_EQ(decode_ok(R"({"flurble":{"deep":[1,2,{"x":null}]},"Contentid":"x"})"),
              cii::message{});
}

TEST(CiiMessage, ProtocolVersionRoundTrips) {
    cii::message m;
    m.protocol_version = "1.1";
    const auto text = cii::encode(m);
    EXPECT_EQ(parsed(text), nlohmann::json({{"protocolVersion", "1.1"}}));
    const auto back = decode_ok(text);
    EXPECT_EQ(back, m);
    EXPECT_EQ(back.defined_properties().count(), 1U);
}

TEST(CiiMessage, OtherProtocolVersionsAreRejected) {
    EXPECT_EQ(decode_error(R"({"protocolVersion":"1.0"})"), make_error_code(errc::bad_version));
    EXPECT_EQ(decode_error(R"({"protocolVersion":"1.10"})"), make_error_code(errc::bad_version));
    EXPECT_EQ(decode_error(R"({"protocolVersion":1.1})"), make_error_code(errc::bad_field_type));
    EXPECT_TRUE(decode_ok(R"({"protocolVersion":null})").protocol_version.is_null());
    cii::message m;
    m.protocol_version = "1.0";
    EXPECT_EQ(cii::validate(m), make_error_code(errc::bad_version));
    EXPECT_THROW((void)cii::encode(m), std::invalid_argument);
}

TEST(CiiMessage, ContentIdRoundTrips) {
    cii::message m;
    m.content_id = "dvb://a.b.c.d";
    const auto text = cii::encode(m);
    EXPECT_EQ(parsed(text), nlohmann::json({{"contentId", "dvb://a.b.c.d"}}));
    EXPECT_EQ(decode_ok(text), m);
    EXPECT_EQ(decode_ok(R"({"contentId":""})").content_id.value(), "");
    EXPECT_EQ(decode_error(R"({"contentId":5})"), make_error_code(errc::bad_field_type));
}

TEST(CiiMessage, ContentIdStatusRoundTrips) {
    for (const auto& [status, wire] : {std::pair{cii::id_status::partial, "partial"},
                                       std::pair{cii::id_status::final, "final"}}) {
        cii::message m;
        m.content_id_status = status;
        const auto text = cii::encode(m);
        EXPECT_EQ(parsed(text), nlohmann::json({{"contentIdStatus", wire}}));
        EXPECT_EQ(decode_ok(text), m);
    }
    EXPECT_EQ(decode_error(R"({"contentIdStatus":"Final"})"),
              make_error_code(errc::bad_field_value));
    EXPECT_EQ(decode_error(R"({"contentIdStatus":true})"), make_error_code(errc::bad_field_type));
}

TEST(CiiMessage, PresentationStatusIsASpaceSeparatedTokenList) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"okay"}, "okay"},
        {{"transitioning"}, "transitioning"},
        {{"fault"}, "fault"},
        {{"other"}, "other"},
        {{"okay", "sub"}, "okay sub"},
        {{"transitioning", "sub1", "sub2"}, "transitioning sub1 sub2"},
    };
    for (const auto& [tokens, wire] : cases) {
        cii::message m;
        m.presentation_status = tokens;
        const auto text = cii::encode(m);
        EXPECT_EQ(parsed(text), nlohmann::json({{"presentationStatus", wire}}));
        EXPECT_EQ(decode_ok(text), m) << wire;
    }
}

TEST(CiiMessage, PresentationStatusPrimaryCategory) {
    EXPECT_EQ(decode_ok(R"({"presentationStatus":"okay x"})").primary(), cii::primary_status::okay);
    EXPECT_EQ(decode_ok(R"({"presentationStatus":"transitioning"})").primary(),
              cii::primary_status::transitioning);
    EXPECT_EQ(decode_ok(R"({"presentationStatus":"fault"})").primary(), cii::primary_status::fault);
    EXPECT_EQ(decode_ok(R"({"presentationStatus":"other"})").primary(), cii::primary_status::other);
    EXPECT_EQ(decode_ok(R"({"presentationStatus":null})").primary(), std::nullopt);
}

TEST(CiiMessage, MalformedPresentationStatusIsRejected) {
    for (const char* text :
         {R"({"presentationStatus":""})", R"({"presentationStatus":"a  b"})",
          R"({"presentationStatus":" okay"})", R"({"presentationStatus":"okay "})"})
        EXPECT_EQ(decode_error(text), make_error_code(errc::bad_field_value)) << text;
    EXPECT_EQ(decode_error(R"({"presentationStatus":["okay"]})"),
              make_error_code(errc::bad_field_type));
}

TEST(CiiMessage, InvalidPresentationStatusCannotBeEncoded) {
    // The reference rejects a plain string at pack time; here the type is a token list, and a list
    // that cannot be written as tokens is rejected instead.
    for (const auto& tokens : std::vector<std::vector<std::string>>{{}, {""}, {"okay sub"}}) {
        cii::message m;
        m.presentation_status = tokens;
        EXPECT_EQ(cii::validate(m), make_error_code(errc::bad_field_value));
        EXPECT_THROW((void)cii::encode(m), std::invalid_argument);
    }
}

TEST(CiiMessage, UrlPropertiesRoundTrip) {
    cii::message m;
    m.mrs_url = "http://blah.com";
    m.wc_url = "udp://1.2.3.4:1234";
    m.ts_url = "ws://1.2.3.4:5678/blah/";
    m.te_url = "ws://1.2.3.4:5678/seilgr";
    const auto text = cii::encode(m);
    EXPECT_EQ(parsed(text), nlohmann::json({{"mrsUrl", "http://blah.com"},
                                            {"wcUrl", "udp://1.2.3.4:1234"},
                                            {"tsUrl", "ws://1.2.3.4:5678/blah/"},
                                            {"teUrl", "ws://1.2.3.4:5678/seilgr"}}));
    EXPECT_EQ(decode_ok(text), m);
    for (const char* key : {"mrsUrl", "wcUrl", "tsUrl", "teUrl"}) {
        const std::string bad = std::string(R"({")") + key + R"(":[]})";
        EXPECT_EQ(decode_error(bad), make_error_code(errc::bad_field_type)) << key;
    }
}

TEST(CiiMessage, EmptyTimelinesRoundTrip) {
    cii::message m;
    m.timelines = std::vector<cii::timeline_option>{};
    const auto text = cii::encode(m);
    EXPECT_EQ(text, R"({"timelines":[]})");
    EXPECT_EQ(decode_ok(text), m);
}

TEST(CiiMessage, TimelineWithAccuracyRoundTrips) {
    auto o = option("urn:dvb:css:timeline:pts", 1, 90000);
    o.timeline_properties.accuracy = 0.2;
    cii::message m;
    m.timelines = std::vector{o};
    const auto text = cii::encode(m);
    EXPECT_EQ(parsed(text), nlohmann::json::parse(
                                R"({"timelines":[{"timelineSelector":"urn:dvb:css:timeline:pts",
                      "timelineProperties":{"unitsPerTick":1,"unitsPerSecond":90000,"accuracy":0.2}}]})"));
    const auto back = decode_ok(text);
    EXPECT_EQ(back, m);
    EXPECT_DOUBLE_EQ(back.timelines.value().at(0).timeline_properties.tick_rate(), 90000.0);
}

TEST(CiiMessage, ThreeTimelinesWithPrivateDataMatchReferenceStructure) {
    auto temi = option("urn:dvb:css:timeline:temi:1:5", 1001, 30000);
    temi.private_data = json::private_data{};
    auto pts = option("urn:dvb:css:timeline:pts", 1, 90000);
    pts.timeline_properties.accuracy = 0.5;
    pts.private_data =
        private_of(R"([{"type":"urn:flurble","flurble":"plink","null-value":null}])");
    const auto ct = option("urn:dvb:css:timeline:ct", 1, 1000);
    cii::message m;
    m.timelines = std::vector{temi, pts, ct};

    const auto golden = read_data("timelines_reference.json");
    EXPECT_EQ(parsed(cii::encode(m)), parsed(golden));
    EXPECT_EQ(decode_ok(golden), m);
    EXPECT_NEAR(temi.timeline_properties.tick_rate(), 29.97, 0.001);
}

TEST(CiiMessage, FullGoldenMessageDecodes) {
    const auto m = decode_ok(read_data("full.json"));
    EXPECT_EQ(m.defined_properties().count(), cii::property_count);
    EXPECT_EQ(m.protocol_version.value(), "1.1");
    EXPECT_EQ(m.mrs_url.value(), "http://mrs.example.com/mrs-service");
    EXPECT_EQ(m.content_id.value(), "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M");
    EXPECT_EQ(m.content_id_status.value(), cii::id_status::final);
    EXPECT_EQ(m.presentation_status.value(), std::vector<std::string>{"okay"});
    EXPECT_EQ(m.wc_url.value(), "udp://192.168.1.5:6677");
    EXPECT_EQ(m.ts_url.value(), "ws://192.168.1.5:7681/ts");
    EXPECT_EQ(m.te_url.value(), "ws://192.168.1.5:7682/te");
    ASSERT_EQ(m.timelines.value().size(), 2U);
    const auto& temi = m.timelines.value()[1];
    EXPECT_EQ(temi.timeline_selector, "urn:dvb:css:timeline:temi:1:1");
    EXPECT_EQ(temi.timeline_properties.units_per_tick, 1001U);
    EXPECT_EQ(temi.timeline_properties.accuracy, 0.2);
    ASSERT_TRUE(temi.private_data.has_value());
    EXPECT_EQ(temi.private_data->text(), R"([{"text":"TEMI","type":"urn:example:note"}])");
    EXPECT_EQ(m.private_data.value().text(),
              R"([{"type":"tag:example.com,2024:extra","values":[1,2,null]}])");
    EXPECT_EQ(decode_ok(cii::encode(m)), m);
    auto expected = parsed(read_data("full.json"));
    expected.erase("flurble");
    EXPECT_EQ(parsed(cii::encode(m)), expected);
}

TEST(CiiMessage, AllNullGoldenMessageDecodes) {
    const auto m = decode_ok(read_data("nulls.json"));
    EXPECT_EQ(m, cii::message::all_null());
    EXPECT_EQ(parsed(cii::encode(m)), parsed(read_data("nulls.json")));
}

TEST(CiiMessage, EncoderWritesPropertiesInFixedOrder) {
    cii::message m;
    m.private_data = json::null;
    m.content_id_status = cii::id_status::partial;
    m.content_id = "a";
    m.protocol_version = "1.1";
    EXPECT_EQ(
        cii::encode(m),
        R"({"protocolVersion":"1.1","contentId":"a","contentIdStatus":"partial","private":null})");
}

TEST(CiiMessage, StringsAreEscapedAndInvalidUtf8Replaced) {
    cii::message m;
    m.content_id = std::string("q\"b\\\n\t\x01 \xc3\xa9 \xe2\x82\xac");
    m.mrs_url = std::string("bad\xff\xc3");
    const auto text = cii::encode(m);
    EXPECT_EQ(text, "{\"mrsUrl\":\"bad\\ufffd\\ufffd\",\"contentId\":\"q\\\"b\\\\\\n\\t\\u0001 "
                    "\xc3\xa9 \xe2\x82\xac\"}");
    const auto back = decode_ok(text);
    EXPECT_EQ(back.content_id, m.content_id);
    EXPECT_EQ(back.mrs_url.value(), "bad\xef\xbf\xbd\xef\xbf\xbd");
}

// ---- validation of hostile or malformed input ----

TEST(CiiMessage, NonObjectTopLevelIsRejected) {
    for (const char* text : {"[1,2]", R"("str")", "5", "null", "true"})
        EXPECT_EQ(decode_error(text), make_error_code(errc::bad_field_type)) << text;
    for (const char* text : {"", "{", "{\"contentId\":}", "{} {}", "{'a':1}", "{\"a\":NaN}"})
        EXPECT_EQ(decode_error(text), make_error_code(errc::bad_json)) << text;
}

TEST(CiiMessage, TimelineOptionValidation) {
    const auto decode_timeline = [](const std::string& item) {
        return cii::decode_cii(R"({"timelines":[)" + item + "]}");
    };
    const std::string props = R"("timelineProperties":{"unitsPerTick":1,"unitsPerSecond":1000})";
    EXPECT_TRUE(decode_timeline(R"({"timelineSelector":"urn:x",)" + props + "}").has_value());
    EXPECT_EQ(decode_timeline("{" + props + "}").error(), make_error_code(errc::missing_field));
    EXPECT_EQ(decode_timeline(R"({"timelineSelector":"urn:x"})").error(),
              make_error_code(errc::missing_field));
    EXPECT_EQ(
        decode_timeline(R"({"timelineSelector":"urn:x","timelineProperties":{"unitsPerTick":1}})")
            .error(),
        make_error_code(errc::missing_field));
    EXPECT_EQ(decode_timeline(R"({"timelineSelector":5,)" + props + "}").error(),
              make_error_code(errc::bad_field_type));
    EXPECT_EQ(decode_timeline(R"({"timelineSelector":"",)" + props + "}").error(),
              make_error_code(errc::bad_field_value));
    EXPECT_EQ(decode_timeline(R"("urn:x")").error(), make_error_code(errc::bad_field_type));

    const auto with_units = [&](const std::string& upt, const std::string& extra = "") {
        return decode_timeline(
            R"({"timelineSelector":"urn:x","timelineProperties":{"unitsPerTick":)" + upt +
            R"(,"unitsPerSecond":1000)" + extra + "}}");
    };
    EXPECT_EQ(with_units("0").error(), make_error_code(errc::bad_field_value));
    EXPECT_EQ(with_units("-1").error(), make_error_code(errc::bad_field_value));
    EXPECT_EQ(with_units("1.5").error(), make_error_code(errc::bad_field_type));
    EXPECT_EQ(with_units(R"("1")").error(), make_error_code(errc::bad_field_type));
    EXPECT_EQ(with_units("18446744073709551616").error(),
              make_error_code(errc::value_out_of_range));
    EXPECT_EQ(with_units("18446744073709551615")
                  .value()
                  .timelines.value()[0]
                  .timeline_properties.units_per_tick,
              18446744073709551615ULL);
    EXPECT_EQ(with_units("2.0").value().timelines.value()[0].timeline_properties.units_per_tick,
              2U);
    EXPECT_EQ(with_units("1", R"(,"accuracy":-0.1)").error(),
              make_error_code(errc::bad_field_value));
    EXPECT_EQ(with_units("1", R"(,"accuracy":"0.5")").error(),
              make_error_code(errc::bad_field_type));
    EXPECT_EQ(with_units("1", R"(,"accuracy":null)").error(),
              make_error_code(errc::bad_field_type));
    EXPECT_EQ(decode_error(R"({"timelines":{}})"), make_error_code(errc::bad_field_type));
    EXPECT_TRUE(decode_ok(R"({"timelines":null})").timelines.is_null());
}

TEST(CiiMessage, PrivateValidation) {
    EXPECT_TRUE(decode_ok(R"({"private":[]})").private_data.has_value());
    EXPECT_TRUE(decode_ok(R"({"private":null})").private_data.is_null());
    EXPECT_EQ(decode_error(R"({"private":{"type":"x"}})"), make_error_code(errc::bad_field_type));
    EXPECT_EQ(decode_error(R"({"private":[{"type":1}]})"), make_error_code(errc::bad_field_type));
    EXPECT_EQ(decode_error(R"({"private":[{"t":"x"}]})"), make_error_code(errc::missing_field));
    EXPECT_EQ(decode_error(R"({"private":["x"]})"), make_error_code(errc::bad_field_type));
}

TEST(CiiMessage, PrivateDataRoundTripsExactly) {
    const std::string text =
        R"({"private":[{"type":"urn:a","n":[1,-2,3.25,1e+100,"s",true,false,null,{"k":{}}]}]})";
    const auto m = decode_ok(text);
    const auto again = cii::encode(m);
    EXPECT_EQ(parsed(again), parsed(text));
    EXPECT_EQ(decode_ok(again), m);
    EXPECT_EQ(cii::encode(decode_ok(again)), again);
}

TEST(CiiMessage, DeepNestingIsRejectedWithoutCrashing) {
    const auto nest = [](std::size_t depth) {
        return R"({"private":[{"type":"x","v":)" + std::string(depth, '[') +
               std::string(depth, ']') + "}]}";
    };
    // 3 levels are used by the message itself.
    const auto limit = static_cast<std::size_t>(dvbcss::limits::max_json_depth);
    EXPECT_TRUE(cii::decode_cii(nest(limit - 3)).has_value());
    EXPECT_EQ(decode_error(nest(limit - 2)), make_error_code(errc::bad_json));
    EXPECT_EQ(decode_error(nest(30000)), make_error_code(errc::bad_json));
    const std::string hundred_thousand = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_TRUE(decode_error(hundred_thousand) == dvbcss::condition::limit_exceeded);
    const std::string in_unknown =
        R"({"x":)" + std::string(32000, '[') + std::string(32000, ']') + "}";
    EXPECT_EQ(decode_error(in_unknown), make_error_code(errc::bad_json));
}

TEST(CiiMessage, OversizedTextIsRejected) {
    const std::string text =
        R"({"contentId":")" + std::string(dvbcss::limits::max_json_message_bytes, 'a') + R"("})";
    EXPECT_EQ(decode_error(text), make_error_code(errc::message_too_large));
}

TEST(CiiMessage, DuplicateKeysKeepTheLastValue) {
    EXPECT_EQ(decode_ok(R"({"contentId":"a","contentId":"b"})").content_id.value(), "b");
}

TEST(CiiMessage, PropertyNamesMapBothWays) {
    for (const auto p : cii::all_properties)
        EXPECT_EQ(cii::property_from_json_key(cii::json_key(p)), p);
    EXPECT_EQ(cii::property_from_json_key("private"), cii::property::private_data);
    EXPECT_EQ(cii::property_from_json_key("flurble"), std::nullopt);
    cii::property_set set;
    cii::add(set, cii::property::content_id);
    cii::add(set, cii::property::protocol_version);
    EXPECT_EQ(cii::describe(set), "protocolVersion, contentId");
}

// ---- numbers beyond the range of a double ----

TEST(CiiMessage, OverflowingNumberInAnUnknownPropertyIsIgnored) {
    // nlohmann's parser alone refuses this text, which would drop the contentId change.
    EXPECT_EQ(decode_ok(R"({"contentId":"x","x-vendor":1e400})").content_id.value(), "x");
    EXPECT_EQ(decode_ok(R"({"x":[-1E+999,{"y":)" + std::string(400, '9') +
                        R"(}],"contentId":"y","z":"1e400"})")
                  .content_id.value(),
              "y");
}

TEST(CiiMessage, OverflowingNumberInAKnownPropertyIsOutOfRange) {
    const std::string props = R"("timelineProperties":{"unitsPerTick":1,"unitsPerSecond":1000)";
    for (const std::string& text :
         {std::string(R"({"contentId":1e400})"), std::string(R"({"protocolVersion":-1e400})"),
          std::string(R"({"presentationStatus":1e999})"), std::string(R"({"timelines":1e400})"),
          std::string(R"({"timelines":[1e400]})"), std::string(R"({"private":1e400})"),
          std::string(R"({"private":[{"type":"urn:x","v":[1e400]}]})"),
          std::string(R"({"timelines":[{"timelineSelector":"urn:x",)") + props +
              ",\"accuracy\":1e400}}]}",
          std::string(R"({"timelines":[{"timelineSelector":1e400,)") + props + "}}]}",
          std::string(R"({"timelines":[{"timelineSelector":"urn:x","timelineProperties":1e400}]})"),
          std::string(R"({"timelines":[{"timelineSelector":"urn:x","timelineProperties":)"
                      R"({"unitsPerTick":1,"unitsPerSecond":1e400}}]})"),
          std::string(R"({"timelines":[{"timelineSelector":"urn:x","timelineProperties":)"
                      R"({"unitsPerTick":1e400,"unitsPerSecond":1}}]})"),
          std::string(R"({"timelines":[{"timelineSelector":"urn:x",)") + props +
              R"(},"private":[{"type":"t","n":-1e400}]}]})"}) {
        EXPECT_EQ(decode_error(text), make_error_code(errc::value_out_of_range)) << text;
    }
    // The largest double is in range: a unit count that large is merely beyond 2^64-1.
    EXPECT_TRUE(decode_ok(R"({"timelines":[{"timelineSelector":"urn:x",)" + props +
                          R"(,"accuracy":1.7976931348623157e308}}]})")
                    .timelines.has_value());
}
