#include <dvbcss/dial/responder.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>

namespace {

using namespace dvbcss::dial;
using dvbcss::errc;

constexpr std::int64_t s = 1'000'000'000;
constexpr const char* uuid = "5b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const ssdp_peer phone{"192.0.2.7", 50000};

responder_config config_for_tests() {
    responder_config config;
    config.uuid = uuid;
    config.location = "http://192.0.2.1:8008/dd.xml";
    config.server = "Linux/6 UPnP/1.1 dvbcss/0.1";
    config.max_age_s = 900;
    return config;
}

std::string search(std::string_view st, int mx = 3) {
    ssdp_search message;
    message.search_target = std::string(st);
    message.mx_s = mx;
    return format_ssdp(message);
}

ssdp_search_response response_of(const responder::answer& answer) {
    const auto parsed = parse_ssdp(answer.datagram);
    EXPECT_TRUE(parsed) << answer.datagram;
    EXPECT_TRUE(parsed && std::holds_alternative<ssdp_search_response>(*parsed));
    return parsed && std::holds_alternative<ssdp_search_response>(*parsed)
               ? std::get<ssdp_search_response>(*parsed)
               : ssdp_search_response{};
}

TEST(DialResponder, AnswersADialSearchAfterItsDelay) {
    responder r(config_for_tests());
    const std::int64_t now = 1000 * s;
    const std::uint64_t random = 1'234'567'890; // 1.23 s within MX 3
    EXPECT_FALSE(r.on_datagram(search(dial_search_target), phone, now, random));
    ASSERT_TRUE(r.next_due_ns());
    EXPECT_EQ(*r.next_due_ns(), now + 1'234'567'890);
    EXPECT_TRUE(r.take_due(now + 1'234'567'889).empty());
    const auto due = r.take_due(now + 1'234'567'890);
    ASSERT_EQ(due.size(), 1U);
    EXPECT_EQ(due[0].destination, phone);
    const auto response = response_of(due[0]);
    EXPECT_EQ(response.search_target, dial_search_target);
    EXPECT_EQ(response.usn, std::string("uuid:") + uuid + "::" + std::string(dial_search_target));
    EXPECT_EQ(response.location, "http://192.0.2.1:8008/dd.xml");
    EXPECT_EQ(response.max_age_s, 900);
    EXPECT_EQ(response.server, "Linux/6 UPnP/1.1 dvbcss/0.1");
    EXPECT_EQ(response.headers.get("EXT"), "");
    EXPECT_FALSE(r.next_due_ns());
    EXPECT_EQ(r.statistics().searches, 1U);
    EXPECT_EQ(r.statistics().answered, 1U);
}

TEST(DialResponder, AnswersOtherMatchingTargetsAsUpnpSays) {
    responder r(config_for_tests());
    const std::string udn = std::string("uuid:") + uuid;
    r.on_datagram(search("ssdp:all"), phone, 0, 0);
    r.on_datagram(search("upnp:rootdevice"), phone, 0, 1);
    r.on_datagram(search("uuid:5B1E2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"), phone, 0, 2);
    const auto due = r.take_due(2); // delays of 0, 1 and 2 ns
    ASSERT_EQ(due.size(), 3U);
    const auto all = response_of(due[0]);
    EXPECT_EQ(all.search_target, dial_search_target);
    EXPECT_EQ(all.usn, udn + "::" + std::string(dial_search_target));
    const auto root = response_of(due[1]);
    EXPECT_EQ(root.search_target, "upnp:rootdevice");
    EXPECT_EQ(root.usn, udn + "::upnp:rootdevice");
    const auto by_uuid = response_of(due[2]);
    EXPECT_EQ(by_uuid.search_target, udn);
    EXPECT_EQ(by_uuid.usn, udn);
}

TEST(DialResponder, IgnoresSearchesForOtherTargetsAndOtherMessages) {
    responder r(config_for_tests());
    EXPECT_FALSE(r.on_datagram(search("urn:schemas-upnp-org:device:MediaRenderer:1"), phone, 0, 0));
    EXPECT_FALSE(r.on_datagram(search("uuid:00000000-0000-4000-8000-000000000000"), phone, 0, 0));
    EXPECT_FALSE(r.on_datagram(search("URN:DIAL-MULTISCREEN-ORG:SERVICE:DIAL:1"), phone, 0, 0));
    ssdp_notify other;
    other.notification_type = std::string(dial_search_target);
    other.usn = "uuid:other::" + std::string(dial_search_target);
    other.location = "http://192.0.2.99/dd.xml";
    EXPECT_FALSE(r.on_datagram(format_ssdp(other), phone, 0, 0));
    EXPECT_FALSE(r.next_due_ns());
    EXPECT_TRUE(r.take_due(100 * s).empty());
    EXPECT_EQ(r.statistics().searches, 3U);
    EXPECT_EQ(r.statistics().not_for_us, 4U);
    EXPECT_EQ(r.statistics().answered, 0U);
}

TEST(DialResponder, ReturnsTheParseErrorAndCountsMalformed) {
    responder r(config_for_tests());
    EXPECT_EQ(r.on_datagram("GET / HTTP/1.1\r\n\r\n", phone, 0, 0), errc::bad_message_type);
    EXPECT_EQ(r.on_datagram(std::string(9000, 'M'), phone, 0, 0), errc::message_too_large);
    EXPECT_EQ(r.on_datagram(
                  "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nMX: x\r\nST: ssdp:all\r\n\r\n",
                  phone, 0, 0),
              errc::bad_field_value);
    EXPECT_EQ(r.statistics().malformed, 3U);
    EXPECT_EQ(r.statistics().searches, 0U);
    EXPECT_FALSE(r.next_due_ns());
}

TEST(DialResponder, DelayStaysWithinMxForAnyRandomValue) {
    std::mt19937_64 rng(42);
    for (int mx = 1; mx <= 5; ++mx) {
        responder r(config_for_tests());
        std::int64_t smallest = INT64_MAX;
        std::int64_t largest = 0;
        for (int i = 0; i < 2000; ++i) {
            r.on_datagram(search(dial_search_target, mx), phone, 0, rng());
        }
        for (const std::uint64_t edge :
             {std::uint64_t{0}, ~std::uint64_t{0}, static_cast<std::uint64_t>(mx) * s,
              static_cast<std::uint64_t>(mx) * s + 1}) {
            r.on_datagram(search(dial_search_target, mx), phone, 0, edge);
        }
        while (const auto due = r.next_due_ns()) {
            smallest = std::min(smallest, *due);
            largest = std::max(largest, *due);
            r.take_due(*due);
        }
        EXPECT_EQ(smallest, 0) << mx; // random 0 and random MX*1e9+1 both give no delay
        EXPECT_LE(largest, mx * s) << mx;
        EXPECT_GT(largest, mx * s * 9 / 10) << mx; // spread over the whole window
        EXPECT_EQ(r.statistics().answered, 2004U);
    }
}

TEST(DialResponder, MxIsClampedBeforeTheDelay) {
    responder r(config_for_tests());
    // MX 120 is read as 5: the largest random value still lands within 5 s.
    r.on_datagram(search(dial_search_target, 120), phone, 0, 5 * s);
    EXPECT_EQ(r.next_due_ns(), 5 * s);
    r.take_due(5 * s);
    r.on_datagram(search(dial_search_target, 120), phone, 0, 5 * s + 1);
    EXPECT_EQ(r.next_due_ns(), 0);
}

TEST(DialResponder, TakesDueAnswersEarliestFirstThenInArrivalOrder) {
    responder r(config_for_tests());
    const ssdp_peer a{"192.0.2.1", 1};
    const ssdp_peer b{"192.0.2.2", 2};
    const ssdp_peer c{"192.0.2.3", 3};
    const ssdp_peer d{"192.0.2.4", 4};
    r.on_datagram(search(dial_search_target), a, 0, 2 * s);     // due 2 s
    r.on_datagram(search(dial_search_target), b, 0, s / 2);     // due 0.5 s
    r.on_datagram(search(dial_search_target), c, s / 4, s / 4); // due 0.5 s, later arrival
    r.on_datagram(search(dial_search_target), d, 0, 3 * s);     // due 3 s
    EXPECT_EQ(r.next_due_ns(), s / 2);
    auto due = r.take_due(2 * s);
    ASSERT_EQ(due.size(), 3U);
    EXPECT_EQ(due[0].destination, b);
    EXPECT_EQ(due[1].destination, c);
    EXPECT_EQ(due[2].destination, a);
    EXPECT_EQ(r.next_due_ns(), 3 * s);
    due = r.take_due(10 * s);
    ASSERT_EQ(due.size(), 1U);
    EXPECT_EQ(due[0].destination, d);
}

TEST(DialResponder, BoundsThePendingQueueAndCountsDrops) {
    auto config = config_for_tests();
    config.max_pending_answers = 10;
    responder r(config);
    for (int i = 0; i < 25; ++i) {
        EXPECT_FALSE(
            r.on_datagram(search("ssdp:all"), phone, 0, static_cast<std::uint64_t>(i) * 1000));
    }
    EXPECT_EQ(r.statistics().searches, 25U);
    EXPECT_EQ(r.statistics().dropped_full, 15U);
    EXPECT_EQ(r.take_due(10 * s).size(), 10U);
    // Room again once answers have gone.
    r.on_datagram(search("ssdp:all"), phone, 20 * s, 0);
    EXPECT_EQ(r.take_due(20 * s).size(), 1U);
    EXPECT_EQ(r.statistics().answered, 11U);
    EXPECT_EQ(r.statistics().dropped_full, 15U);
}

TEST(DialResponder, AliveAnnouncesRootdeviceUuidAndDial) {
    responder r(config_for_tests());
    const std::string udn = std::string("uuid:") + uuid;
    const auto datagrams = r.alive();
    ASSERT_EQ(datagrams.size(), 3U);
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& datagram : datagrams) {
        EXPECT_TRUE(datagram.starts_with("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"));
        const auto parsed = parse_ssdp(datagram);
        ASSERT_TRUE(parsed) << datagram;
        const auto& notify = std::get<ssdp_notify>(*parsed);
        EXPECT_TRUE(notify.alive);
        EXPECT_EQ(notify.location, "http://192.0.2.1:8008/dd.xml");
        EXPECT_EQ(notify.max_age_s, 900);
        EXPECT_EQ(notify.server, "Linux/6 UPnP/1.1 dvbcss/0.1");
        pairs.emplace(notify.notification_type, notify.usn);
    }
    const std::set<std::pair<std::string, std::string>> expected{
        {"upnp:rootdevice", udn + "::upnp:rootdevice"},
        {udn, udn},
        {std::string(dial_search_target), udn + "::" + std::string(dial_search_target)}};
    EXPECT_EQ(pairs, expected);
}

TEST(DialResponder, ByebyeWithdrawsTheSameTargets) {
    responder r(config_for_tests());
    const auto alive = r.alive();
    const auto byebye = r.byebye();
    ASSERT_EQ(byebye.size(), alive.size());
    for (std::size_t i = 0; i < byebye.size(); ++i) {
        const auto gone = parse_ssdp(byebye[i]);
        const auto here = parse_ssdp(alive[i]);
        ASSERT_TRUE(gone && here);
        const auto& g = std::get<ssdp_notify>(*gone);
        const auto& h = std::get<ssdp_notify>(*here);
        EXPECT_FALSE(g.alive);
        EXPECT_EQ(g.notification_type, h.notification_type);
        EXPECT_EQ(g.usn, h.usn);
        EXPECT_EQ(byebye[i].find("LOCATION"), std::string::npos);
    }
}

TEST(DialResponder, KeepsItsConfig) {
    responder r(config_for_tests());
    EXPECT_EQ(r.config().uuid, uuid);
    EXPECT_EQ(r.config().max_pending_answers, 65536U);
}

} // namespace
