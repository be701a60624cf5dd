#include <dvbcss/cii/message.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cii = dvbcss::cii;
namespace json = dvbcss::json;

namespace {

cii::message sample() {
    cii::message m;
    m.protocol_version = "1.1";
    m.content_id = "dvb://1";
    m.content_id_status = cii::id_status::final;
    m.presentation_status = std::vector<std::string>{"okay"};
    m.mrs_url = "http://mrs";
    return m;
}

} // namespace

TEST(CiiDiff, EqualMessagesGiveEmptyDiff) {
    EXPECT_TRUE(cii::diff(sample(), sample()).empty());
    EXPECT_TRUE(cii::diff(cii::message{}, cii::message{}).empty());
    EXPECT_TRUE(cii::diff(cii::message::all_null(), cii::message::all_null()).empty());
}

TEST(CiiDiff, ChangedValueIsCarried) {
    auto next = sample();
    next.content_id = "dvb://2";
    const auto d = cii::diff(sample(), next);
    EXPECT_EQ(d.defined_properties().count(), 1U);
    EXPECT_EQ(d.content_id.value(), "dvb://2");
}

TEST(CiiDiff, AbsentToNullIsCarried) {
    cii::message next;
    next.ts_url = json::null;
    const auto d = cii::diff(cii::message{}, next);
    EXPECT_TRUE(d.ts_url.is_null());
    EXPECT_EQ(d.defined_properties().count(), 1U);
}

TEST(CiiDiff, ValueToAbsentIsSentAsNull) {
    // The reference example: diff({contentId:a, mrsUrl:m}, {contentId:b, tsUrl:null}).
    cii::message old_cii;
    old_cii.content_id = "a";
    old_cii.mrs_url = "m";
    cii::message new_cii;
    new_cii.content_id = "b";
    new_cii.ts_url = json::null;
    const auto d = cii::diff(old_cii, new_cii);
    EXPECT_EQ(d.content_id.value(), "b");
    EXPECT_TRUE(d.ts_url.is_null());
    // The reference leaves mrsUrl out (removal cannot be expressed); here it is null.
    EXPECT_TRUE(d.mrs_url.is_null());
    EXPECT_EQ(d.defined_properties().count(), 3U);
}

TEST(CiiDiff, NullToAbsentIsNoChange) {
    cii::message old_cii;
    old_cii.te_url = json::null;
    EXPECT_TRUE(cii::diff(old_cii, cii::message{}).empty());
}

TEST(CiiDiff, NullToNullAndEqualListsAreNoChange) {
    cii::message a;
    a.wc_url = json::null;
    a.presentation_status = std::vector<std::string>{"okay", "sub"};
    a.timelines = std::vector<cii::timeline_option>{};
    const cii::message b = a;
    EXPECT_TRUE(cii::diff(a, b).empty());
}

TEST(CiiDiff, ValueToNullIsCarried) {
    auto next = sample();
    next.content_id = json::null;
    const auto d = cii::diff(sample(), next);
    EXPECT_TRUE(d.content_id.is_null());
    EXPECT_EQ(d.defined_properties().count(), 1U);
}

TEST(CiiDiff, ApplyingTheDiffReproducesTheNewMessage) {
    const auto old_cii = sample();
    cii::message new_cii;
    new_cii.protocol_version = "1.1";
    new_cii.content_id = "dvb://9";
    new_cii.content_id_status = cii::id_status::partial;
    new_cii.wc_url = "udp://h:1";
    new_cii.timelines = std::vector<cii::timeline_option>{};
    const auto combined = cii::combine(old_cii, cii::diff(old_cii, new_cii));
    // Properties dropped from new_cii read as null; everything else equals new_cii.
    auto expected = new_cii;
    expected.presentation_status = json::null;
    expected.mrs_url = json::null;
    EXPECT_EQ(combined, expected);
}

TEST(CiiUpdate, OverwritesPresentPropertiesOnly) {
    auto target = sample();
    cii::message changes;
    changes.content_id = json::null;
    changes.ts_url = "ws://x/ts";
    cii::update(target, changes);
    EXPECT_TRUE(target.content_id.is_null());
    EXPECT_EQ(target.ts_url.value(), "ws://x/ts");
    EXPECT_EQ(target.mrs_url.value(), "http://mrs");
    EXPECT_EQ(target.content_id_status.value(), cii::id_status::final);
}

TEST(CiiCombine, LeavesTheBaseUntouched) {
    const auto base = sample();
    cii::message changes;
    changes.mrs_url = "http://other";
    const auto result = cii::combine(base, changes);
    EXPECT_EQ(base.mrs_url.value(), "http://mrs");
    EXPECT_EQ(result.mrs_url.value(), "http://other");
    EXPECT_EQ(result.content_id, base.content_id);
}

TEST(CiiChangedProperties, ReportsOnlyRealChanges) {
    const auto current = sample();
    cii::message received;
    received.content_id = "dvb://1";   // same
    received.mrs_url = json::null;     // value -> null
    received.wc_url = "udp://a:1";     // absent -> value
    received.protocol_version = "1.1"; // same
    const auto changed = cii::changed_properties(current, received);
    EXPECT_EQ(changed.count(), 2U);
    EXPECT_TRUE(cii::contains(changed, cii::property::mrs_url));
    EXPECT_TRUE(cii::contains(changed, cii::property::wc_url));
}

TEST(CiiMessageHelpers, CopyAndSetEachProperty) {
    const auto full = sample();
    for (const auto p : cii::all_properties) {
        cii::message m;
        cii::copy_property(m, full, p);
        EXPECT_TRUE(cii::same_property(m, full, p));
        cii::set_property_null(m, p);
        EXPECT_EQ(cii::property_state(m, p), json::field_state::json_null);
        cii::set_property_absent(m, p);
        EXPECT_EQ(cii::property_state(m, p), json::field_state::absent_key);
    }
}
