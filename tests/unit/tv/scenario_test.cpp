// tv::scenario: scenario files and change objects parsed from text, their errors (JSON path of
// the bad field, or line and column of a syntax error), limits, the console's commands as
// changes, and the script's timing.
#include <dvbcss/tv/scenario.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

using namespace dvbcss;
using tv::change_kind;

constexpr auto pts = "urn:dvb:css:timeline:pts";
constexpr auto temi = "urn:dvb:css:timeline:temi:1:1";

const std::string good = R"({
  "description": "two programmes",
  "contents": [
    {"id": "dvb://a", "timelines": [
      {"selector": "urn:dvb:css:timeline:pts", "tick_rate": 90000, "start": 900000},
      {"selector": "urn:dvb:css:timeline:temi:1:1", "tick_rate": 50, "start": 0,
       "parent": "urn:dvb:css:timeline:pts", "available": false}]},
    {"id": "dvb://b", "status": "partial", "presentation_status": "transitioning extra",
     "timelines": [{"selector": "urn:dvb:css:timeline:pts", "tick_rate": 90000, "speed": 0}]}
  ],
  "play": "dvb://b",
  "script": [
    {"at": 2, "do": "resume"},
    {"at": 1, "do": "pause"},
    {"at": 1.5, "do": "seek", "by": -5},
    {"at": 3, "do": "seek", "to": 60, "timeline": "pts"},
    {"at": 3, "do": "tweak", "ms": 20},
    {"at": 4, "do": "speed", "speed": 2},
    {"at": 5, "do": "unavailable", "timeline": "temi:1:1"},
    {"at": 6, "do": "content", "id": "dvb://a"},
    {"at": 7, "do": "content", "id": null},
    {"at": 8, "do": "content_id_status", "status": "partial"},
    {"at": 9, "do": "presentation_status", "status": ["fault", "x"]}
  ],
  "repeat": 10
})";

std::string error_of(const std::string& text) {
    std::string error;
    EXPECT_FALSE(tv::parse_scenario(text, error).has_value()) << text;
    return error;
}

std::string change_error(const std::string& text) {
    std::string error;
    EXPECT_FALSE(tv::parse_changes(text, error).has_value()) << text;
    return error;
}

/// A scenario with one content and `script` as its script.
std::string with_script(const std::string& script) {
    return R"({"contents":[{"id":"dvb://a","timelines":[{"selector":"urn:dvb:css:timeline:pts",)"
           R"("tick_rate":90000}]}],"script":)" +
           script + "}";
}

TEST(Scenario, ParsesAGoodFile) {
    std::string error;
    const auto s = tv::parse_scenario(good, error);
    ASSERT_TRUE(s) << error;
    EXPECT_TRUE(error.empty());
    ASSERT_EQ(s->contents.size(), 2U);
    EXPECT_EQ(s->first, 1U);
    const auto& a = s->contents[0];
    EXPECT_EQ(a.id, "dvb://a");
    EXPECT_EQ(a.status, cii::id_status::final);
    EXPECT_EQ(a.presentation_status, std::vector<std::string>{"okay"});
    ASSERT_EQ(a.timelines.size(), 2U);
    EXPECT_EQ(a.timelines[0].selector, pts);
    EXPECT_EQ(a.timelines[0].tick_rate, 90000U);
    EXPECT_EQ(a.timelines[0].start_ticks, 900000);
    EXPECT_FALSE(a.timelines[0].parent);
    EXPECT_TRUE(a.timelines[0].available);
    EXPECT_EQ(a.timelines[1].parent, std::optional<std::string>(pts));
    EXPECT_FALSE(a.timelines[1].available);
    const auto& b = s->contents[1];
    EXPECT_EQ(b.status, cii::id_status::partial);
    EXPECT_EQ(b.presentation_status, (std::vector<std::string>{"transitioning", "extra"}));
    EXPECT_EQ(b.timelines[0].speed, 0.0);
    ASSERT_EQ(s->repeat_ns, std::optional<std::int64_t>(10'000'000'000));

    // Sorted by time, file order kept for equal times.
    ASSERT_EQ(s->script.size(), 11U);
    EXPECT_EQ(s->script[0].at_ns, 1'000'000'000);
    EXPECT_EQ(s->script[0].what.kind, change_kind::pause);
    EXPECT_EQ(s->script[0].what.speed, 0.0);
    EXPECT_EQ(s->script[1].at_ns, 1'500'000'000);
    EXPECT_EQ(s->script[1].what.kind, change_kind::seek);
    EXPECT_EQ(s->script[1].what.by_seconds, -5.0);
    EXPECT_FALSE(s->script[1].what.to_seconds);
    EXPECT_EQ(s->script[2].what.kind, change_kind::play);
    EXPECT_EQ(s->script[2].what.speed, 1.0);
    EXPECT_EQ(s->script[3].what.kind, change_kind::seek);
    EXPECT_EQ(s->script[3].what.to_seconds, std::optional<double>(60.0));
    EXPECT_EQ(s->script[3].what.timeline, std::optional<std::string>("pts"));
    EXPECT_EQ(s->script[4].what.kind, change_kind::tweak);
    EXPECT_DOUBLE_EQ(s->script[4].what.by_seconds, 0.020);
    EXPECT_EQ(s->script[5].what.speed, 2.0);
    EXPECT_EQ(s->script[6].what.kind, change_kind::unavailable);
    EXPECT_EQ(s->script[7].what.content_id, std::optional<std::string>("dvb://a"));
    EXPECT_FALSE(s->script[7].what.status);
    EXPECT_EQ(s->script[8].what.kind, change_kind::content);
    EXPECT_FALSE(s->script[8].what.content_id);
    EXPECT_EQ(s->script[9].what.status, std::optional<cii::id_status>(cii::id_status::partial));
    EXPECT_EQ(s->script[10].what.presentation_status, (std::vector<std::string>{"fault", "x"}));
}

TEST(Scenario, TheShippedDefaultScenarioIsTheBuiltInPretendContent) {
    std::ifstream file(DVBCSS_TEST_DATA_DIR "/../../scenarios/default.json");
    ASSERT_TRUE(file) << "scenarios/default.json";
    std::stringstream text;
    text << file.rdbuf();
    std::string error;
    const auto s = tv::parse_scenario(text.str(), error);
    ASSERT_TRUE(s) << error;
    ASSERT_EQ(s->contents.size(), 1U);
    EXPECT_EQ(s->contents[0].id, "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M");
    ASSERT_EQ(s->contents[0].timelines.size(), 2U);
    EXPECT_EQ(s->contents[0].timelines[0].selector, pts);
    EXPECT_EQ(s->contents[0].timelines[0].tick_rate, 90000U);
    EXPECT_EQ(s->contents[0].timelines[1].selector, temi);
    EXPECT_EQ(s->contents[0].timelines[1].tick_rate, 50U);
    EXPECT_EQ(s->contents[0].timelines[1].parent, std::optional<std::string>(pts));
    EXPECT_EQ(s->repeat_ns, std::optional<std::int64_t>(60'000'000'000));
    ASSERT_EQ(s->script.size(), 2U);
    EXPECT_EQ(s->script[0].at_ns, 30'000'000'000);
    EXPECT_EQ(s->script[0].what.kind, change_kind::unavailable);
    EXPECT_EQ(s->script[1].what.kind, change_kind::available);
}

TEST(Scenario, ASyntaxErrorNamesItsLineAndColumn) {
    const auto e = error_of("{\n  \"contents\": [\n    {\"id\": \"dvb://a\",, }\n  ]\n}");
    EXPECT_EQ(e.rfind("line 3, column 22: ", 0), 0U) << e;
    EXPECT_NE(e.find("syntax error"), std::string::npos) << e;
    const auto eof = error_of("{\"contents\": [");
    EXPECT_EQ(eof.rfind("line 1, column ", 0), 0U) << eof;
    const auto deep = error_of("\n  " + std::string(40, '['));
    EXPECT_EQ(deep, "line 2, column 19: nested deeper than 16 levels");
    EXPECT_EQ(error_of(""), "line 1, column 1: syntax error while parsing value - unexpected "
                            "end of input; expected '[', '{', or a literal");
}

TEST(Scenario, EachBadFieldIsNamedByItsPath) {
    const std::string tl = R"({"selector":"urn:dvb:css:timeline:pts","tick_rate":90000})";
    const auto content = [&](const std::string& timelines) {
        return R"({"contents":[{"id":"dvb://a","timelines":[)" + timelines + "]}]}";
    };
    EXPECT_EQ(error_of("[]"), "(top level): must be an object");
    EXPECT_EQ(error_of("{}"), "contents: missing");
    EXPECT_EQ(error_of(R"({"contents":[]})"), "contents: must be an array of 1 to 64 contents");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","timelines":[]}],"extra":1})"),
              "extra: unknown field (expected one of: description, contents, play, script, "
              "repeat)");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"","timelines":[]}]})"),
              "contents[0].id: must be a content id: 1 to 2048 bytes of printable ASCII "
              "without spaces");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","timelines":[]},)"
                       R"({"id":"dvb://a","timelines":[]}]})"),
              "contents[1].id: \"dvb://a\" is listed twice");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","status":"done","timelines":[]}]})"),
              "contents[0].status: must be \"partial\" or \"final\"");
    EXPECT_EQ(
        error_of(R"({"contents":[{"id":"dvb://a","presentation_status":"fine","timelines":[]}]})"),
        "contents[0].presentation_status: must start with okay, transitioning or fault");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x y","tick_rate":1})")),
              "contents[0].timelines[0].selector: must be a timeline selector: 1 to 512 bytes of "
              "printable ASCII without spaces or quotes");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":0})")),
              "contents[0].timelines[0].tick_rate: must be a whole number between 1 and "
              "1000000000");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":2.5})")),
              "contents[0].timelines[0].tick_rate: must be a whole number between 1 and "
              "1000000000");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":"90000"})")),
              "contents[0].timelines[0].tick_rate: must be a whole number between 1 and "
              "1000000000");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":1,"start":1e300})")),
              "contents[0].timelines[0].start: must be a whole number between "
              "-9007199254740992 and 9007199254740992");
    EXPECT_EQ(error_of(content(tl + "," + tl)),
              "contents[0].timelines[1].selector: \"urn:dvb:css:timeline:pts\" is listed twice "
              "in this content");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":1,"parent":"urn:y"})")),
              "contents[0].timelines[0].parent: must be the selector of a timeline listed before "
              "this one in the same content");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":1,"speed":101})")),
              "contents[0].timelines[0].speed: must be a number between -100 and 100");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":1,"available":"yes"})")),
              "contents[0].timelines[0].available: must be true or false");
    EXPECT_EQ(error_of(content(R"({"selector":"urn:x","tick_rate":1,"colour":1})")),
              "contents[0].timelines[0].colour: unknown field (expected one of: selector, "
              "tick_rate, start, parent, speed, available)");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","timelines":[]}],"play":"dvb://b"})"),
              "play: must be the id of one of the contents");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","timelines":[]}],"repeat":0})"),
              "repeat: must be a number between 0.01 and 2592000 (seconds)");
}

TEST(Scenario, EachBadScriptStepIsNamedByItsPath) {
    EXPECT_EQ(error_of(with_script(R"({})")), "script: must be an array of at most 10000 changes");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"pause"},{"at":2,"do":"speed","speed":200}])")),
              "script[1].speed: must be a number between -100 and 100");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"speed","speed":"fast"}])")),
              "script[0].speed: must be a number between -100 and 100");
    EXPECT_EQ(error_of(with_script(R"([{"do":"pause"}])")), "script[0].at: missing");
    EXPECT_EQ(error_of(with_script(R"([{"at":-1,"do":"pause"}])")),
              "script[0].at: must be a number between 0 and 2592000 (seconds)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1}])")), "script[0].do: missing");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"jump"}])")),
              "script[0].do: must be one of pause, play, resume, speed, seek, tweak, available, "
              "unavailable, content, content_id_status, presentation_status");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"pause","speed":2}])")),
              "script[0].speed: unknown field (expected one of: at, do, timeline)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"seek"}])")),
              "script[0]: seek needs exactly one of \"to\" (seconds) or \"by\" (seconds)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"seek","to":1,"by":2}])")),
              "script[0]: seek needs exactly one of \"to\" (seconds) or \"by\" (seconds)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"seek","by":86401}])")),
              "script[0].by: must be a number between -86400 and 86400 (seconds)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"tweak","ms":-86400001}])")),
              "script[0].ms: must be a number between -86400000 and 86400000 (milliseconds)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"unavailable"}])")),
              "script[0].timeline: missing");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"unavailable","timeline":"temi:1:1"}])")),
              "script[0].timeline: no content has a timeline \"temi:1:1\"");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"content"}])")), "script[0].id: missing");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"content","id":5}])")),
              "script[0].id: must be a content id: 1 to 2048 bytes of printable ASCII without "
              "spaces");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"content_id_status","status":"nearly"}])")),
              "script[0].status: must be \"partial\" or \"final\"");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"presentation_status","status":[]}])")),
              "script[0].status: must be 1 to 8 tokens");
    EXPECT_EQ(error_of(with_script(R"([{"at":1,"do":"presentation_status","status":[1]}])")),
              "script[0].status[0]: must be a string");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","timelines":[]}],"repeat":5,)"
                       R"("script":[{"at":6,"do":"pause"}]})"),
              "script[0].at: must not be later than \"repeat\"");
}

TEST(Scenario, LimitsAreKept) {
    std::string contents = "[";
    for (int i = 0; i < 65; ++i) {
        contents += std::string(i ? "," : "") + R"({"id":"dvb://)" + std::to_string(i) +
                    R"(","timelines":[]})";
    }
    EXPECT_EQ(error_of(R"({"contents":)" + contents + "]}"),
              "contents: must be an array of 1 to 64 contents");
    std::string timelines = "[";
    for (int i = 0; i < 17; ++i) {
        timelines += std::string(i ? "," : "") + R"({"selector":"urn:)" + std::to_string(i) +
                     R"(","tick_rate":1})";
    }
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://a","timelines":)" + timelines + "]}]}"),
              "contents[0].timelines: must be an array of at most 16 timelines");
    std::string steps = "[";
    for (int i = 0; i < 10001; ++i) {
        steps += std::string(i ? "," : "") + R"({"at":1,"do":"pause"})";
    }
    EXPECT_EQ(error_of(with_script(steps + "]")),
              "script: must be an array of at most 10000 changes");
    EXPECT_EQ(error_of(R"({"contents":[{"id":"dvb://)" + std::string(2048, 'a') +
                       R"(","timelines":[]}]})"),
              "contents[0].id: must be a content id: 1 to 2048 bytes of printable ASCII without "
              "spaces");
    EXPECT_EQ(error_of(std::string(1024 * 1024 + 1, ' ')), "larger than 1048576 bytes");
}

TEST(Scenario, ChangeObjectsAloneOrInAnArray) {
    std::string error;
    const auto one = tv::parse_changes(R"({"do":"speed","speed":-2,"timeline":"pts"})", error);
    ASSERT_TRUE(one) << error;
    ASSERT_EQ(one->size(), 1U);
    EXPECT_EQ((*one)[0].kind, change_kind::speed);
    EXPECT_EQ((*one)[0].speed, -2.0);
    EXPECT_EQ((*one)[0].timeline, std::optional<std::string>("pts"));
    const auto many = tv::parse_changes(
        R"([{"do":"pause"},{"do":"unavailable","timeline":"temi:1:1"},{"do":"content","id":"dvb://x","status":"partial"}])",
        error);
    ASSERT_TRUE(many) << error;
    ASSERT_EQ(many->size(), 3U);
    EXPECT_EQ((*many)[2].status, std::optional<cii::id_status>(cii::id_status::partial));

    EXPECT_EQ(change_error(R"({"do":"speed","speed":101})"),
              "speed: must be a number between -100 and 100");
    EXPECT_EQ(change_error(R"([{"do":"pause"},{"do":"speed"}])"), "[1].speed: missing");
    EXPECT_EQ(change_error(R"({"at":1,"do":"pause"})"),
              "at: unknown field (expected one of: do, timeline)");
    EXPECT_EQ(change_error("[]"),
              "(top level): must be a change object or an array of 1 to 100 of them");
    EXPECT_EQ(change_error("[1]"), "[0]: must be a change object, e.g. {\"do\":\"pause\"}");
    EXPECT_EQ(change_error("{\"do\":\n\"pause\""), "line 2, column 8: syntax error while "
                                                   "parsing object - unexpected end of input; "
                                                   "expected '}'");
    std::string many_changes = "[";
    for (int i = 0; i < 101; ++i) {
        many_changes += std::string(i ? "," : "") + R"({"do":"pause"})";
    }
    EXPECT_EQ(change_error(many_changes + "]"),
              "(top level): must be a change object or an array of 1 to 100 of them");
}

TEST(Scenario, ANumberBeyondTheRangeOfADoubleIsAnErrorNotAnException) {
    EXPECT_EQ(change_error(R"({"do":"speed","speed":1e400})"),
              "line 1, column 23: number 1e400 is beyond the range of a double (value out of "
              "range)");
    EXPECT_EQ(change_error("{\"do\":\"seek\",\n \"by\":-1e400}"),
              "line 2, column 7: number -1e400 is beyond the range of a double (value out of "
              "range)");
    EXPECT_EQ(error_of(with_script(R"([{"at":1e999,"do":"pause"}])")).rfind("line 1, column ", 0),
              0U);
}

TEST(Scenario, ChangesWriteBackInTheSameSyntax) {
    std::string error;
    for (const char* text :
         {R"({"do":"pause"})", R"({"do":"speed","speed":2.5})",
          R"({"do":"seek","by":-5.0,"timeline":"pts"})", R"({"do":"seek","to":60.0})",
          R"({"do":"tweak","ms":20.0})", R"({"do":"unavailable","timeline":"temi:1:1"})",
          R"({"do":"content","id":null})", R"({"do":"content","id":"dvb://a","status":"partial"})",
          R"({"do":"content_id_status","status":"final"})",
          R"({"do":"presentation_status","status":["fault","x"]})"}) {
        const auto parsed = tv::parse_changes(text, error);
        ASSERT_TRUE(parsed) << text << ": " << error;
        EXPECT_EQ(tv::to_json(parsed->front()), text);
        const auto again = tv::parse_changes(tv::to_json(parsed->front()), error);
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *parsed);
    }
}

TEST(Scenario, TimelinesAreFoundBySelectorOrItsTail) {
    tv::content_spec c;
    for (const char* selector : {pts, temi, "urn:dvb:css:timeline:temi:2:1"}) {
        tv::timeline_spec t;
        t.selector = selector;
        c.timelines.push_back(t);
    }
    EXPECT_EQ(tv::find_timeline(c, pts), std::optional<std::size_t>(0));
    EXPECT_EQ(tv::find_timeline(c, "pts"), std::optional<std::size_t>(0));
    EXPECT_EQ(tv::find_timeline(c, "temi:1:1"), std::optional<std::size_t>(1));
    EXPECT_EQ(tv::find_timeline(c, "1"), std::nullopt); // ambiguous
    EXPECT_EQ(tv::find_timeline(c, "ts"), std::nullopt);
    EXPECT_EQ(tv::find_timeline(c, "mpd"), std::nullopt);
    EXPECT_EQ(tv::timelines_named(c, "1"), (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(tv::timelines_named(c, temi), (std::vector<std::size_t>{1}));
    EXPECT_TRUE(tv::timelines_named(c, "mpd").empty());
}

TEST(Scenario, ConsoleCommandsAreChanges) {
    std::string error;
    const auto change_of = [&](const std::string& line) {
        const auto parsed = tv::parse_console_line(line, error);
        EXPECT_TRUE(parsed) << line << ": " << error;
        EXPECT_TRUE(parsed && std::holds_alternative<tv::change>(*parsed)) << line;
        return parsed && std::holds_alternative<tv::change>(*parsed)
                   ? tv::to_json(std::get<tv::change>(*parsed))
                   : std::string();
    };
    EXPECT_EQ(change_of("pause"), R"({"do":"pause"})");
    EXPECT_EQ(change_of("  play "), R"({"do":"play"})");
    EXPECT_EQ(change_of("resume"), R"({"do":"play"})");
    EXPECT_EQ(change_of("speed 2"), R"({"do":"speed","speed":2.0})");
    EXPECT_EQ(change_of("seek +5"), R"({"do":"seek","by":5.0})");
    EXPECT_EQ(change_of("seek -3"), R"({"do":"seek","by":-3.0})");
    EXPECT_EQ(change_of("seek to 60"), R"({"do":"seek","to":60.0})");
    EXPECT_EQ(change_of("tweak 20ms"), R"({"do":"tweak","ms":20.0})");
    EXPECT_EQ(change_of("tweak -20"), R"({"do":"tweak","ms":-20.0})");
    EXPECT_EQ(change_of("unavailable temi:1:1"), R"({"do":"unavailable","timeline":"temi:1:1"})");
    EXPECT_EQ(change_of("available pts"), R"({"do":"available","timeline":"pts"})");
    EXPECT_EQ(change_of("content dvb://x"), R"({"do":"content","id":"dvb://x"})");
    EXPECT_EQ(change_of("content (none)"), R"({"do":"content","id":null})");
    EXPECT_EQ(change_of("content"), R"({"do":"content","id":null})");
    EXPECT_EQ(change_of("status partial"), R"({"do":"content_id_status","status":"partial"})");
    EXPECT_EQ(change_of("presentation transitioning x"),
              R"({"do":"presentation_status","status":["transitioning","x"]})");

    const auto action_of = [&](const std::string& line) {
        const auto parsed = tv::parse_console_line(line, error);
        EXPECT_TRUE(parsed && std::holds_alternative<tv::console_action>(*parsed)) << line;
        return parsed ? std::get<tv::console_action>(*parsed) : tv::console_action::help;
    };
    EXPECT_EQ(action_of("stats"), tv::console_action::stats);
    EXPECT_EQ(action_of("quit"), tv::console_action::quit);
    EXPECT_EQ(action_of("exit"), tv::console_action::quit);
    EXPECT_EQ(action_of("?"), tv::console_action::help);
    EXPECT_FALSE(tv::console_help().empty());

    const auto refused = [&](const std::string& line) {
        EXPECT_FALSE(tv::parse_console_line(line, error)) << line;
        return error;
    };
    EXPECT_EQ(refused(""), "");
    EXPECT_EQ(refused("# a comment"), "");
    EXPECT_EQ(refused("speed"), "speed needs a number, e.g. speed 2");
    EXPECT_EQ(refused("speed fast"), "speed: not a number: fast");
    EXPECT_EQ(refused("speed 101"), "speed must be between -100 and 100");
    EXPECT_EQ(refused("seek +1e20"), "seek: at most 86400 s (a day) either way");
    EXPECT_EQ(refused("tweak 86400001"), "tweak: at most 86400 s (a day) either way");
    EXPECT_EQ(refused("seek nan"), "seek: not a number: nan");
    EXPECT_EQ(refused("unavailable"), "unavailable needs a timeline selector, e.g. temi:1:1");
    EXPECT_EQ(refused("status done"), "status needs partial or final");
    EXPECT_EQ(refused("presentation great"),
              "presentation: must start with okay, transitioning or fault, e.g. presentation okay");
    EXPECT_EQ(refused("jump"), "unknown command: jump (try help)");
}

TEST(Scenario, TheScriptCursorGivesStepsWhenDue) {
    std::string error;
    const auto s = tv::parse_scenario(
        with_script(
            R"([{"at":1,"do":"pause"},{"at":2,"do":"play"},{"at":2,"do":"speed","speed":3}])"),
        error);
    ASSERT_TRUE(s) << error;
    tv::script_cursor once(s->script, std::nullopt);
    EXPECT_EQ(once.next_due_ns(), std::optional<std::int64_t>(1'000'000'000));
    EXPECT_TRUE(once.take_due(999'999'999).empty());
    auto due = once.take_due(1'500'000'000);
    ASSERT_EQ(due.size(), 1U);
    EXPECT_EQ(due[0]->kind, change_kind::pause);
    EXPECT_EQ(once.next_due_ns(), std::optional<std::int64_t>(2'000'000'000));
    due = once.take_due(5'000'000'000);
    ASSERT_EQ(due.size(), 2U);
    EXPECT_EQ(due[0]->kind, change_kind::play);
    EXPECT_EQ(due[1]->kind, change_kind::speed);
    EXPECT_EQ(once.next_due_ns(), std::nullopt);
    EXPECT_TRUE(once.take_due(100'000'000'000).empty());

    // Repeating every 10 s: the steps of cycle n at n * 10 s + at; a late caller gets at most
    // max_steps at a time.
    tv::script_cursor repeating(s->script, 10'000'000'000);
    EXPECT_EQ(repeating.take_due(2'000'000'000).size(), 3U);
    EXPECT_EQ(repeating.next_due_ns(), std::optional<std::int64_t>(11'000'000'000));
    EXPECT_TRUE(repeating.take_due(10'999'999'999).empty());
    EXPECT_EQ(repeating.take_due(11'000'000'000).size(), 1U);
    EXPECT_EQ(repeating.take_due(1'000'000'000'000, 5).size(), 5U);
    EXPECT_EQ(repeating.take_due(32'000'000'000).size(), 3U);
    EXPECT_EQ(repeating.next_due_ns(), std::optional<std::int64_t>(41'000'000'000));

    const std::vector<tv::script_step> none;
    tv::script_cursor empty(none, 10'000'000'000);
    EXPECT_EQ(empty.next_due_ns(), std::nullopt);
    EXPECT_TRUE(empty.take_due(100'000'000'000).empty());
}

} // namespace
