#include <dvbcss/dial/ssdp.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace {

using namespace dvbcss::dial;
using dvbcss::errc;

constexpr const char* search_text = "M-SEARCH * HTTP/1.1\r\n"
                                    "HOST: 239.255.255.250:1900\r\n"
                                    "MAN: \"ssdp:discover\"\r\n"
                                    "MX: 3\r\n"
                                    "ST: urn:dial-multiscreen-org:service:dial:1\r\n"
                                    "USER-AGENT: Android/14 UPnP/1.1 SecondScreen/2.0\r\n"
                                    "\r\n";

std::string search_with(const std::string& extra_headers) {
    return "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n" +
           extra_headers + "\r\n";
}

ssdp_search as_search(const dvbcss::result<ssdp_message>& parsed) {
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message());
    EXPECT_TRUE(parsed && std::holds_alternative<ssdp_search>(*parsed));
    return parsed && std::holds_alternative<ssdp_search>(*parsed) ? std::get<ssdp_search>(*parsed)
                                                                  : ssdp_search{};
}

int mx_of(const std::string& mx_line) {
    return as_search(parse_ssdp(search_with(mx_line + "\r\nST: ssdp:all\r\n"))).mx_s;
}

TEST(SsdpParse, ReadsADialSearch) {
    const auto search = as_search(parse_ssdp(search_text));
    EXPECT_EQ(search.search_target, dial_search_target);
    EXPECT_EQ(search.mx_s, 3);
    EXPECT_EQ(search.man, "\"ssdp:discover\"");
    EXPECT_EQ(search.host, "239.255.255.250:1900");
    EXPECT_EQ(search.user_agent, "Android/14 UPnP/1.1 SecondScreen/2.0");
    ASSERT_EQ(search.headers.fields.size(), 5U);
    EXPECT_EQ(search.headers.fields[3].first, "ST");
    EXPECT_EQ(search.headers.get("st"), dial_search_target);
    EXPECT_FALSE(search.headers.get("LOCATION"));
}

TEST(SsdpParse, StartLineAndNamesAreCaseInsensitiveAndLfOnlyLinesWork) {
    const auto search = as_search(parse_ssdp("m-search * http/1.1\n"
                                             "host:239.255.255.250:1900\n"
                                             "man:   \"ssdp:discover\"  \n"
                                             "mx:\t2\n"
                                             "sT: ssdp:all\n"
                                             "\n"));
    EXPECT_EQ(search.search_target, "ssdp:all");
    EXPECT_EQ(search.mx_s, 2);
    EXPECT_EQ(search.host, "239.255.255.250:1900");
    EXPECT_EQ(search.man, "\"ssdp:discover\"");
}

TEST(SsdpParse, AcceptsAMissingFinalBlankLineAndIgnoresABody) {
    EXPECT_EQ(as_search(parse_ssdp("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: x"))
                  .search_target,
              "x");
    EXPECT_EQ(as_search(parse_ssdp(search_with("ST: y\r\n") + "\x01garbage: \xff")).search_target,
              "y");
}

TEST(SsdpParse, ClampsMxToOneThroughFive) {
    EXPECT_EQ(mx_of("MX: 0"), 1);
    EXPECT_EQ(mx_of("MX: 1"), 1);
    EXPECT_EQ(mx_of("MX: 5"), 5);
    EXPECT_EQ(mx_of("MX: 9"), 5);
    EXPECT_EQ(mx_of("MX: 120"), 5);
    EXPECT_EQ(mx_of("MX: 99999999999999999999999999"), 5);
    EXPECT_EQ(mx_of("MX: 007"), 5);
}

TEST(SsdpParse, MissingMxMeansOneSecond) {
    EXPECT_EQ(as_search(parse_ssdp(search_with("ST: ssdp:all\r\n"))).mx_s, 1);
}

TEST(SsdpParse, RefusesMxThatIsNotDigits) {
    for (const char* mx : {"MX: -1", "MX: 2.5", "MX: three", "MX: 0x3", "MX:", "MX: 3 4"}) {
        const auto parsed = parse_ssdp(search_with(std::string(mx) + "\r\nST: ssdp:all\r\n"));
        ASSERT_FALSE(parsed) << mx;
        EXPECT_EQ(parsed.error(), errc::bad_field_value) << mx;
    }
}

TEST(SsdpParse, ChecksMan) {
    const auto unquoted = parse_ssdp("M-SEARCH * HTTP/1.1\r\nMAN: ssdp:discover\r\nST: a\r\n\r\n");
    EXPECT_EQ(as_search(unquoted).man, "ssdp:discover");
    for (const char* man : {"MAN: \"ssdp:alive\"", "MAN: \"SSDP:DISCOVER\"", "MAN: discover",
                            "MAN: \"ssdp:discover\"; ns=01"}) {
        const auto parsed =
            parse_ssdp("M-SEARCH * HTTP/1.1\r\n" + std::string(man) + "\r\nST: a\r\n\r\n");
        ASSERT_FALSE(parsed) << man;
        EXPECT_EQ(parsed.error(), errc::bad_field_value) << man;
    }
    EXPECT_EQ(parse_ssdp("M-SEARCH * HTTP/1.1\r\nST: a\r\n\r\n").error(), errc::missing_field);
    EXPECT_EQ(parse_ssdp(search_with("MX: 1\r\n")).error(), errc::missing_field);
    EXPECT_EQ(parse_ssdp(search_with("ST:   \r\n")).error(), errc::missing_field);
}

TEST(SsdpParse, RefusesOtherStartLines) {
    for (const char* text :
         {"", "\r\n", "GET / HTTP/1.1\r\n\r\n", "M-SEARCH / HTTP/1.1\r\nST: a\r\n\r\n",
          "M-SEARCH * HTTP/2\r\nST: a\r\n\r\n", "M-SEARCH *\r\n\r\n",
          "SUBSCRIBE * HTTP/1.1\r\n\r\n", "HTTP/1.1\r\n\r\n",
          "HTTP/1.1 404 Not Found\r\nST: a\r\nUSN: b\r\nLOCATION: c\r\n\r\n",
          "HTTP/1.1 500 Internal Server Error\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
          "M-SEARCH * HTTP/1.1 extra\r\n\r\n", "M-SEARCH\xc2\xa0* HTTP/1.1\r\n\r\n"}) {
        const auto parsed = parse_ssdp(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error(), errc::bad_message_type) << text;
        EXPECT_EQ(parsed.error(), dvbcss::condition::bad_message) << text;
    }
}

TEST(SsdpParse, ReadsASearchResponse) {
    const auto parsed = parse_ssdp("HTTP/1.1 200 OK\r\n"
                                   "CACHE-CONTROL: max-age = 900\r\n"
                                   "DATE: Tue, 01 Oct 2024 10:00:00 GMT\r\n"
                                   "EXT:\r\n"
                                   "LOCATION: http://192.0.2.10:56789/dd.xml\r\n"
                                   "SERVER: Linux/5.4 UPnP/1.1 TV/1.0\r\n"
                                   "ST: urn:dial-multiscreen-org:service:dial:1\r\n"
                                   "USN: uuid:abcd::urn:dial-multiscreen-org:service:dial:1\r\n"
                                   "BOOTID.UPNP.ORG: 7\r\n"
                                   "\r\n");
    ASSERT_TRUE(parsed) << parsed.error().message();
    const auto& response = std::get<ssdp_search_response>(*parsed);
    EXPECT_EQ(response.location, "http://192.0.2.10:56789/dd.xml");
    EXPECT_EQ(response.search_target, dial_search_target);
    EXPECT_EQ(response.usn, "uuid:abcd::urn:dial-multiscreen-org:service:dial:1");
    EXPECT_EQ(response.max_age_s, 900);
    EXPECT_EQ(response.server, "Linux/5.4 UPnP/1.1 TV/1.0");
    EXPECT_EQ(response.headers.get("bootid.upnp.org"), "7");
    EXPECT_EQ(response.headers.get("EXT"), "");
}

TEST(SsdpParse, ResponseMaxAgeFallsBackTo1800) {
    const auto max_age = [](const std::string& cache_control) {
        const auto parsed =
            parse_ssdp("http/1.0 200 ok\nLOCATION: l\nST: s\nUSN: u\n" + cache_control + "\n\n");
        EXPECT_TRUE(parsed);
        return parsed ? std::get<ssdp_search_response>(*parsed).max_age_s : -1;
    };
    EXPECT_EQ(max_age(""), 1800);
    EXPECT_EQ(max_age("CACHE-CONTROL: no-cache"), 1800);
    EXPECT_EQ(max_age("CACHE-CONTROL: max-age=abc"), 1800);
    EXPECT_EQ(max_age("CACHE-CONTROL: max-age=-5"), 1800);
    EXPECT_EQ(max_age("CACHE-CONTROL: max-age=99999999999999"), 1800);
    EXPECT_EQ(max_age("CACHE-CONTROL: no-cache=\"Ext\", MAX-AGE=60"), 60);
}

TEST(SsdpParse, ResponseNeedsLocationStAndUsn) {
    EXPECT_EQ(parse_ssdp("HTTP/1.1 200 OK\r\nST: s\r\nUSN: u\r\n\r\n").error(),
              errc::missing_field);
    EXPECT_EQ(parse_ssdp("HTTP/1.1 200 OK\r\nLOCATION: l\r\nUSN: u\r\n\r\n").error(),
              errc::missing_field);
    EXPECT_EQ(parse_ssdp("HTTP/1.1 200 OK\r\nLOCATION: l\r\nST: s\r\n\r\n").error(),
              errc::missing_field);
}

TEST(SsdpParse, ReadsNotifyAliveAndByebye) {
    const auto alive = parse_ssdp("NOTIFY * HTTP/1.1\r\n"
                                  "HOST: 239.255.255.250:1900\r\n"
                                  "CACHE-CONTROL: max-age=1800\r\n"
                                  "LOCATION: http://192.0.2.10:56789/dd.xml\r\n"
                                  "NT: urn:dial-multiscreen-org:service:dial:1\r\n"
                                  "NTS: ssdp:alive\r\n"
                                  "SERVER: Linux UPnP/1.1 TV/1\r\n"
                                  "USN: uuid:abcd::urn:dial-multiscreen-org:service:dial:1\r\n"
                                  "\r\n");
    ASSERT_TRUE(alive) << alive.error().message();
    const auto& a = std::get<ssdp_notify>(*alive);
    EXPECT_TRUE(a.alive);
    EXPECT_EQ(a.notification_type, dial_search_target);
    EXPECT_EQ(a.usn, "uuid:abcd::urn:dial-multiscreen-org:service:dial:1");
    EXPECT_EQ(a.location, "http://192.0.2.10:56789/dd.xml");
    EXPECT_EQ(a.max_age_s, 1800);
    EXPECT_EQ(a.server, "Linux UPnP/1.1 TV/1");

    const auto byebye = parse_ssdp("notify * HTTP/1.1\nNT: upnp:rootdevice\nNTS: SSDP:BYEBYE\n"
                                   "USN: uuid:abcd::upnp:rootdevice\n\n");
    ASSERT_TRUE(byebye) << byebye.error().message();
    const auto& b = std::get<ssdp_notify>(*byebye);
    EXPECT_FALSE(b.alive);
    EXPECT_EQ(b.notification_type, "upnp:rootdevice");
    EXPECT_EQ(b.usn, "uuid:abcd::upnp:rootdevice");
    EXPECT_EQ(b.location, "");
}

TEST(SsdpParse, NotifyNeedsItsFields) {
    EXPECT_EQ(parse_ssdp("NOTIFY * HTTP/1.1\r\nNTS: ssdp:byebye\r\nUSN: u\r\n\r\n").error(),
              errc::missing_field);
    EXPECT_EQ(parse_ssdp("NOTIFY * HTTP/1.1\r\nNT: n\r\nUSN: u\r\n\r\n").error(),
              errc::missing_field);
    EXPECT_EQ(parse_ssdp("NOTIFY * HTTP/1.1\r\nNT: n\r\nNTS: ssdp:byebye\r\n\r\n").error(),
              errc::missing_field);
    EXPECT_EQ(parse_ssdp("NOTIFY * HTTP/1.1\r\nNT: n\r\nNTS: ssdp:alive\r\nUSN: u\r\n\r\n").error(),
              errc::missing_field); // alive without LOCATION
    EXPECT_EQ(parse_ssdp(
                  "NOTIFY * HTTP/1.1\r\nNT: n\r\nNTS: ssdp:update\r\nUSN: u\r\nLOCATION: l\r\n\r\n")
                  .error(),
              errc::bad_field_value);
}

TEST(SsdpParse, RefusesBadHeaderLines) {
    for (const char* line :
         {"NOCOLON", ": empty name", "ST: a\r\n continued", "ST: a\r\n\tcontinued", "BAD NAME: x",
          "X-\x01: y", "X-A: tab\tok\x7f"}) {
        const auto parsed = parse_ssdp(search_with("ST: a\r\n" + std::string(line) + "\r\n"));
        ASSERT_FALSE(parsed) << line;
        EXPECT_EQ(parsed.error(), errc::bad_field_value) << line;
    }
    // A tab inside a value is white space and allowed.
    EXPECT_TRUE(parse_ssdp(search_with("ST: a\r\nX-A: tab\there\r\n")));
}

TEST(SsdpParse, RefusesNonAsciiBytes) {
    for (const std::string& bad : {std::string("X-NAME: Caf\xc3\xa9\r\n"),
                                   std::string("X-\xff: v\r\n"), std::string("ST: a\x00z\r\n", 9),
                                   std::string("ST: a\rb\r\n"), std::string("X-A: \x80\r\n")}) {
        const auto parsed = parse_ssdp(search_with("ST: a\r\n" + bad));
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error(), errc::bad_field_value) << bad;
    }
}

TEST(SsdpParse, RefusesOverLimits) {
    const ssdp_limits limits;
    // Datagram size: exactly the limit passes, one byte more is refused.
    ssdp_limits roomy;
    roomy.max_header_value_bytes = limits.max_datagram_bytes;
    std::string fits = search_with("ST: a\r\n");
    fits.resize(fits.size() - 2);
    fits += "X-PAD: ";
    const std::size_t filler = limits.max_datagram_bytes - fits.size() - 4;
    fits += std::string(filler, 'x') + "\r\n\r\n";
    ASSERT_EQ(fits.size(), limits.max_datagram_bytes);
    EXPECT_TRUE(parse_ssdp(fits, roomy));
    const auto over = parse_ssdp(fits + "\n", roomy);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error(), errc::message_too_large);
    EXPECT_EQ(over.error(), dvbcss::condition::limit_exceeded);

    // A value longer than max_header_value_bytes.
    EXPECT_TRUE(parse_ssdp(search_with("ST: a\r\nX-V: " + std::string(1024, 'v') + "\r\n")));
    EXPECT_EQ(parse_ssdp(search_with("ST: a\r\nX-V: " + std::string(1025, 'v') + "\r\n")).error(),
              errc::message_too_large);
}

TEST(SsdpParse, RefusesAHeaderCountFlood) {
    std::string headers = "ST: a\r\n";
    for (int i = 0; i < 29; ++i) { // HOST, MAN, ST and X0..X28: 32 fields
        headers += "X" + std::to_string(i) + ": v\r\n";
    }
    headers.resize(headers.size() - std::string("X28: v\r\n").size());
    EXPECT_TRUE(parse_ssdp(search_with(headers + "X28: v\r\n")));
    const auto flood = parse_ssdp(search_with(headers + "X28: v\r\nX29: v\r\n"));
    ASSERT_FALSE(flood);
    EXPECT_EQ(flood.error(), errc::message_too_large);
    std::string many;
    for (int i = 0; i < 2000; ++i) {
        many += "A:\n";
    }
    EXPECT_EQ(parse_ssdp("M-SEARCH * HTTP/1.1\n" + many).error(), errc::message_too_large);
}

TEST(SsdpFormat, SearchRoundTrips) {
    ssdp_search search;
    search.search_target = std::string(dial_search_target);
    search.mx_s = 2;
    search.user_agent = "Linux/6 UPnP/1.1 dial-discover/0.1";
    const auto text = format_ssdp(search);
    EXPECT_EQ(text, "M-SEARCH * HTTP/1.1\r\n"
                    "HOST: 239.255.255.250:1900\r\n"
                    "MAN: \"ssdp:discover\"\r\n"
                    "MX: 2\r\n"
                    "ST: urn:dial-multiscreen-org:service:dial:1\r\n"
                    "USER-AGENT: Linux/6 UPnP/1.1 dial-discover/0.1\r\n"
                    "\r\n");
    const auto back = as_search(parse_ssdp(text));
    EXPECT_EQ(back.search_target, search.search_target);
    EXPECT_EQ(back.mx_s, 2);
    EXPECT_EQ(back.user_agent, search.user_agent);
    EXPECT_EQ(back.host, "239.255.255.250:1900");
    search.user_agent.clear();
    EXPECT_EQ(format_ssdp(search).find("USER-AGENT"), std::string::npos);
}

TEST(SsdpFormat, ResponseRoundTrips) {
    ssdp_search_response response;
    response.location = "http://192.0.2.1:8080/dd.xml";
    response.search_target = std::string(dial_search_target);
    response.usn = "uuid:u1::" + std::string(dial_search_target);
    response.max_age_s = 120;
    response.server = "Linux/6 UPnP/1.1 dvbcss/0.1";
    const auto text = format_ssdp(response);
    EXPECT_NE(text.find("\r\nEXT:\r\n"), std::string::npos);
    EXPECT_TRUE(text.ends_with("\r\n\r\n"));
    const auto parsed = parse_ssdp(text);
    ASSERT_TRUE(parsed) << parsed.error().message();
    const auto& back = std::get<ssdp_search_response>(*parsed);
    EXPECT_EQ(back.location, response.location);
    EXPECT_EQ(back.search_target, response.search_target);
    EXPECT_EQ(back.usn, response.usn);
    EXPECT_EQ(back.max_age_s, 120);
    EXPECT_EQ(back.server, response.server);
}

TEST(SsdpFormat, NotifyRoundTrips) {
    for (const bool alive : {true, false}) {
        ssdp_notify notify;
        notify.alive = alive;
        notify.notification_type = "upnp:rootdevice";
        notify.usn = "uuid:u1::upnp:rootdevice";
        notify.location = "http://192.0.2.1:8080/dd.xml";
        notify.max_age_s = 600;
        notify.server = "S/1";
        const auto text = format_ssdp(notify);
        EXPECT_NE(text.find("HOST: 239.255.255.250:1900\r\n"), std::string::npos);
        const auto parsed = parse_ssdp(text);
        ASSERT_TRUE(parsed) << parsed.error().message();
        const auto& back = std::get<ssdp_notify>(*parsed);
        EXPECT_EQ(back.alive, alive);
        EXPECT_EQ(back.notification_type, notify.notification_type);
        EXPECT_EQ(back.usn, notify.usn);
        EXPECT_EQ(back.location, alive ? notify.location : "");
        EXPECT_EQ(back.max_age_s, alive ? 600 : 1800);
        EXPECT_EQ(back.server, alive ? "S/1" : "");
        EXPECT_EQ(text.find("LOCATION") == std::string::npos, !alive);
    }
}

TEST(SsdpFormat, HeaderInjectionThrows) {
    ssdp_search search;
    search.search_target = "ssdp:all\r\nX-EVIL: 1";
    EXPECT_THROW((void)format_ssdp(search), std::invalid_argument);
    search.search_target = "ssdp:all";
    search.user_agent = "ua\nX: y";
    EXPECT_THROW((void)format_ssdp(search), std::invalid_argument);
    ssdp_search_response response;
    response.location = "http://h/\r\n\r\n<html>";
    response.search_target = "s";
    response.usn = "u";
    EXPECT_THROW((void)format_ssdp(response), std::invalid_argument);
    ssdp_notify notify;
    notify.notification_type = "n";
    notify.usn = "u\r";
    notify.location = "l";
    EXPECT_THROW((void)format_ssdp(notify), std::invalid_argument);
}

TEST(SsdpSearchTarget, Matches) {
    const std::string udn = "uuid:3e1b0c5a-7d2f-4b8e-9a61-0f4c2d8e7b10";
    EXPECT_TRUE(search_target_matches("ssdp:all", dial_search_target, udn));
    EXPECT_TRUE(search_target_matches("upnp:rootdevice", dial_search_target, udn));
    EXPECT_TRUE(search_target_matches(udn, dial_search_target, udn));
    EXPECT_TRUE(search_target_matches("uuid:3E1B0C5A-7D2F-4B8E-9A61-0F4C2D8E7B10",
                                      dial_search_target, udn));
    EXPECT_TRUE(search_target_matches(dial_search_target, dial_search_target, udn));

    EXPECT_FALSE(
        search_target_matches("urn:DIAL-multiscreen-org:service:dial:1", dial_search_target, udn));
    EXPECT_FALSE(
        search_target_matches("urn:dial-multiscreen-org:service:dial:2", dial_search_target, udn));
    EXPECT_FALSE(search_target_matches("SSDP:ALL", dial_search_target, udn));
    EXPECT_FALSE(search_target_matches("UUID:3e1b0c5a-7d2f-4b8e-9a61-0f4c2d8e7b10",
                                       dial_search_target, udn));
    EXPECT_FALSE(search_target_matches("uuid:3e1b0c5a-7d2f-4b8e-9a61-0f4c2d8e7b11",
                                       dial_search_target, udn));
    EXPECT_FALSE(search_target_matches("uuid:", dial_search_target, "uuid:"));
    EXPECT_FALSE(search_target_matches("urn:schemas-upnp-org:device:MediaRenderer:1",
                                       dial_search_target, udn));
    EXPECT_FALSE(search_target_matches("", dial_search_target, udn));
}

} // namespace
