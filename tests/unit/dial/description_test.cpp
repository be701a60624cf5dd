#include <dvbcss/dial/description.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

using namespace dvbcss::dial;
using dvbcss::errc;

std::string golden(const std::string& name) {
    std::ifstream in(std::string(DVBCSS_TEST_DATA_DIR) + "/dial/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A device description whose deepest element (UDN) sits `depth` levels deep (root is level 1).
std::string nested_device(int depth) {
    std::string open;
    std::string close;
    for (int i = 0; i < depth - 3; ++i) {
        open += "<n>";
        close = "</n>" + close;
    }
    return "<root>" + open + "<device><UDN>uuid:deep</UDN></device>" + close + "</root>";
}

TEST(DialDeviceDescription, ReadsTheDialFormWithDefaultNamespace) {
    const auto parsed = parse_device_description(golden("device_dial.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->device_type, dial_device_type);
    EXPECT_EQ(parsed->friendly_name, "Living Room TV");
    EXPECT_EQ(parsed->udn, "uuid:3e1b0c5a-7d2f-4b8e-9a61-0f4c2d8e7b10");
    EXPECT_EQ(parsed->manufacturer, "Example Electronics");
    EXPECT_EQ(parsed->model_name, "EX-55 HbbTV");
}

TEST(DialDeviceDescription, ReadsAPrefixedDocumentAndTrimsText) {
    const auto parsed = parse_device_description(golden("device_prefixed.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->device_type, dial_device_type);
    EXPECT_EQ(parsed->friendly_name, "Bedroom Set");
    EXPECT_EQ(parsed->udn, "uuid:0a1b2c3d-0000-4000-8000-00000000beef");
    EXPECT_EQ(parsed->manufacturer, "Prefix Corp");
    EXPECT_EQ(parsed->model_name, "");
}

TEST(DialDeviceDescription, ReadsADocumentWithoutNamespace) {
    const auto parsed = parse_device_description(golden("device_no_namespace.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->friendly_name, "Kitchen & Diner");
    EXPECT_EQ(parsed->udn, "uuid:11111111-2222-4333-8444-555555555555");
}

TEST(DialDeviceDescription, ReadsTvDeviceTypeAndIgnoresEmbeddedDevices) {
    const auto parsed = parse_device_description(golden("device_tvdevice.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->device_type, tv_device_type);
    EXPECT_EQ(parsed->friendly_name, "[TV] Salon 4K");
    EXPECT_EQ(parsed->udn, "uuid:ffffffff-eeee-4ddd-8ccc-bbbbbbbbbbbb");
    EXPECT_EQ(parsed->model_name, "UE-4K");
}

TEST(DialDeviceDescription, FormatsTheGoldenDocumentWithEscapes) {
    device_description description;
    description.device_type = std::string(tv_device_type);
    description.friendly_name = "Tom & Jerry's <TV>";
    description.udn = "uuid:6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    description.manufacturer = "dvbcss";
    description.model_name = "tv-device";
    const auto text = format_device_description(description);
    EXPECT_EQ(text, golden("device_formatted.xml"));
    const auto parsed = parse_device_description(text);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->device_type, description.device_type);
    EXPECT_EQ(parsed->friendly_name, description.friendly_name);
    EXPECT_EQ(parsed->udn, description.udn);
    EXPECT_EQ(parsed->manufacturer, description.manufacturer);
    EXPECT_EQ(parsed->model_name, description.model_name);
}

TEST(DialDeviceDescription, OmitsEmptyOptionalElementsAndKeepsUtf8) {
    device_description description;
    description.friendly_name = "Wohnzimmer \xC3\xBC \xE2\x9C\x93";
    description.udn = "uuid:1";
    const auto text = format_device_description(description);
    EXPECT_EQ(text.find("manufacturer"), std::string::npos);
    EXPECT_EQ(text.find("modelName"), std::string::npos);
    const auto parsed = parse_device_description(text);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->friendly_name, description.friendly_name);
    EXPECT_EQ(parsed->device_type, dial_device_type);
}

TEST(DialDeviceDescription, ControlCharactersReadAsSpaces) {
    const auto parsed = parse_device_description(
        "<root><device><friendlyName>Evil&#27;[2J\tTV&#13;\nline2\x7f</friendlyName>"
        "<UDN>uuid:c</UDN></device></root>");
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->friendly_name, "Evil [2J TV  line2");
    // Formatting a value with a CR and reading it back gives the same text as the first read.
    device_description with_cr;
    with_cr.friendly_name = "a\rb";
    with_cr.udn = "uuid:c";
    EXPECT_EQ(parse_device_description(format_device_description(with_cr))->friendly_name, "a b");
}

TEST(DialDeviceDescription, MissingDeviceOrUdnIsMissingField) {
    EXPECT_EQ(parse_device_description("<root><specVersion/></root>").error(), errc::missing_field);
    EXPECT_EQ(
        parse_device_description("<root><device><friendlyName>x</friendlyName></device></root>")
            .error(),
        errc::missing_field);
    EXPECT_EQ(parse_device_description("<root><device><UDN>  </UDN></device></root>").error(),
              errc::missing_field);
}

TEST(DialDeviceDescription, RefusesBillionLaughsWithoutExpanding) {
    std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
    bomb += " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
    for (int i = 2; i <= 9; ++i) {
        bomb += " <!ENTITY lol" + std::to_string(i) + " \"";
        for (int j = 0; j < 10; ++j) {
            bomb += "&lol" + std::to_string(i - 1) + ";";
        }
        bomb += "\">\n";
    }
    bomb +=
        "]>\n<root><device><friendlyName>&lol9;</friendlyName><UDN>uuid:x</UDN></device></root>";
    const auto parsed = parse_device_description(bomb);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error(), errc::bad_xml);
    EXPECT_EQ(parsed.error(), dvbcss::condition::bad_message);
    const auto app = parse_hbbtv_application(bomb);
    ASSERT_FALSE(app);
    EXPECT_EQ(app.error(), errc::bad_xml);
}

TEST(DialDeviceDescription, NeverExpandsUndeclaredEntities) {
    const auto parsed = parse_device_description(
        "<root><device><friendlyName>&lol9;</friendlyName><UDN>uuid:x</UDN></device></root>");
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->friendly_name, "&lol9;");
}

TEST(DialDeviceDescription, RefusesDepthSeventeenAcceptsSixteen) {
    const auto ok = parse_device_description(nested_device(16));
    ASSERT_TRUE(ok) << ok.error().message();
    EXPECT_EQ(ok->udn, "uuid:deep");
    EXPECT_EQ(parse_device_description(nested_device(17)).error(), errc::bad_xml);
    // Far deeper than any stack would like: refused, not recursed.
    EXPECT_EQ(parse_device_description(nested_device(9000)).error(), errc::bad_xml);
    xml_limits shallow;
    shallow.max_depth = 3;
    EXPECT_EQ(parse_device_description(nested_device(4), shallow).error(), errc::bad_xml);
}

TEST(DialDeviceDescription, RefusesOneByteOverTheSizeLimit) {
    const std::string head = "<root><device><UDN>uuid:big</UDN></device><!--";
    const std::string tail = "--></root>";
    std::string exact = head + std::string(64 * 1024 - head.size() - tail.size(), 'x') + tail;
    ASSERT_EQ(exact.size(), 64U * 1024U);
    EXPECT_TRUE(parse_device_description(exact));
    std::string over = head + std::string(64 * 1024 + 1 - head.size() - tail.size(), 'x') + tail;
    const auto parsed = parse_device_description(over);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error(), errc::message_too_large);
    EXPECT_EQ(parsed.error(), dvbcss::condition::limit_exceeded);
    EXPECT_EQ(parse_hbbtv_application(over).error(), errc::message_too_large);
}

TEST(DialDeviceDescription, RefusesEveryTruncationOfAGoldenDocument) {
    const auto whole = golden("device_dial.xml");
    const auto end = whole.rfind("</root>");
    ASSERT_NE(end, std::string::npos);
    for (std::size_t size = 0; size < end; ++size) {
        const auto parsed = parse_device_description(std::string_view(whole).substr(0, size));
        ASSERT_FALSE(parsed) << size;
        EXPECT_EQ(parsed.error(), errc::bad_xml) << size;
    }
}

TEST(DialDeviceDescription, RefusesMalformedDocuments) {
    for (const std::string_view bad :
         {std::string_view(""), std::string_view("not xml"), std::string_view("<root>"),
          std::string_view("<root><device></root></device>"), std::string_view("<root/><root/>"),
          std::string_view("<root><!DOCTYPE x><device><UDN>u</UDN></device></root>"),
          std::string_view("<!DOCTYPE root SYSTEM \"http://192.0.2.1/x.dtd\"><root/>"),
          std::string_view("<root a=1><device><UDN>u</UDN></device></root>"),
          std::string_view("<root><device><UDN>u\0</UDN></device></root>", 43)}) {
        const auto parsed = parse_device_description(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error(), errc::bad_xml) << bad;
    }
}

TEST(DialHbbtvApplication, ReadsTheHbbtvPrefixForm) {
    const auto parsed = parse_hbbtv_application(golden("hbbtv_app.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->name, "HbbTV");
    EXPECT_EQ(parsed->state, "running");
    EXPECT_EQ(parsed->app2app_url, "ws://192.0.2.10:8900/app2app/");
    EXPECT_EQ(parsed->inter_dev_sync_url, "ws://192.0.2.10:7681/cii");
    EXPECT_EQ(parsed->user_agent,
              "Mozilla/5.0 (Linux; Tizen) HbbTV/1.4.1 (+DRM; Example; EX-55; 1.0; ;)");
}

TEST(DialHbbtvApplication, ReadsAnotherPrefixDeclaredOnTheElement) {
    const auto parsed = parse_hbbtv_application(golden("hbbtv_other_prefix.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->state, "stopped");
    EXPECT_EQ(parsed->app2app_url, "ws://[2001:db8::7]:8900/a2a/");
    EXPECT_EQ(parsed->inter_dev_sync_url, "ws://[2001:db8::7]:7681/css-cii?x=1&y=2");
    EXPECT_EQ(parsed->user_agent, "HbbTV/1.5.1 (; Other; TV2; 2.0; ;)");
}

TEST(DialHbbtvApplication, ReadsNoNamespaceWithWhiteSpaceAndCdata) {
    const auto parsed = parse_hbbtv_application(golden("hbbtv_no_namespace.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->app2app_url, "ws://10.0.0.5:8900/");
    EXPECT_EQ(parsed->inter_dev_sync_url, "ws://10.0.0.5:7681/cii");
    EXPECT_EQ(parsed->user_agent, "HbbTV/1.4.1 (+PVR; Brand<&>; Model; 3.0; ;)");
}

TEST(DialHbbtvApplication, MissingAndEmptyElementsAreAbsent) {
    const auto parsed = parse_hbbtv_application(golden("hbbtv_missing.xml"));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_FALSE(parsed->app2app_url);
    EXPECT_FALSE(parsed->inter_dev_sync_url);
    EXPECT_EQ(parsed->user_agent, "HbbTV/1.4.1 (;;;;;)");
    const auto bare = parse_hbbtv_application("<service><name>HbbTV</name></service>");
    ASSERT_TRUE(bare) << bare.error().message();
    EXPECT_EQ(bare->state, "");
    EXPECT_FALSE(bare->app2app_url);
    EXPECT_FALSE(bare->inter_dev_sync_url);
    EXPECT_FALSE(bare->user_agent);
}

TEST(DialHbbtvApplication, MissingServiceOrNameIsMissingField) {
    EXPECT_EQ(parse_hbbtv_application("<root><name>HbbTV</name></root>").error(),
              errc::missing_field);
    EXPECT_EQ(parse_hbbtv_application("<service><state>running</state></service>").error(),
              errc::missing_field);
}

TEST(DialHbbtvApplication, FormatsTheGoldenDocumentAndReadsItBack) {
    hbbtv_application application;
    application.inter_dev_sync_url = "ws://192.0.2.1:7681/cii?a=1&b=<2>";
    application.user_agent = "dvbcss tv-device";
    const auto text = format_hbbtv_application(application);
    EXPECT_EQ(text, golden("hbbtv_formatted.xml"));
    const auto parsed = parse_hbbtv_application(text);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->name, "HbbTV");
    EXPECT_EQ(parsed->state, "running");
    EXPECT_FALSE(parsed->app2app_url);
    EXPECT_EQ(parsed->inter_dev_sync_url, application.inter_dev_sync_url);
    EXPECT_EQ(parsed->user_agent, application.user_agent);
}

TEST(DialHbbtvApplication, AllThreeUrlsRoundTrip) {
    hbbtv_application application;
    application.state = "stopped";
    application.app2app_url = "ws://h/a2a?<&>";
    application.inter_dev_sync_url = "ws://h/cii";
    application.user_agent = "UA \"quoted\" 'single'";
    const auto parsed = parse_hbbtv_application(format_hbbtv_application(application));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->state, "stopped");
    EXPECT_EQ(parsed->app2app_url, application.app2app_url);
    EXPECT_EQ(parsed->inter_dev_sync_url, application.inter_dev_sync_url);
    EXPECT_EQ(parsed->user_agent, application.user_agent);
}

TEST(DialHbbtvApplication, RefusesDeepAndTruncatedDocuments) {
    std::string deep = "<service><name>HbbTV</name><additionalData>";
    for (int i = 0; i < 15; ++i) {
        deep += "<n>";
    }
    deep += "<X_HbbTV_InterDevSyncURL>ws://h/</X_HbbTV_InterDevSyncURL>";
    for (int i = 0; i < 15; ++i) {
        deep += "</n>";
    }
    deep += "</additionalData></service>";
    EXPECT_EQ(parse_hbbtv_application(deep).error(), errc::bad_xml);
    const auto whole = golden("hbbtv_app.xml");
    const auto end = whole.rfind("</service>");
    for (std::size_t size = 0; size < end; size += 7) {
        EXPECT_EQ(parse_hbbtv_application(std::string_view(whole).substr(0, size)).error(),
                  errc::bad_xml)
            << size;
    }
}

} // namespace
