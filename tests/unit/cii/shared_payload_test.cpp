// CSS-CII fan-out: connections that are told the same change share one encoded payload, and what
// each is sent is exactly what it would be sent alone.

#include <dvbcss/cii/server.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cii = dvbcss::cii;
namespace json = dvbcss::json;

namespace {

void open(cii::server& s, cii::connection_id conn, const std::string& host, std::uint16_t port) {
    s.on_open(conn, dvbcss::connection_origin{host, port, "198.51.100.1:4000"});
}

cii::message programme(const std::string& id) {
    cii::message m;
    m.protocol_version = "1.1";
    m.content_id = id;
    m.content_id_status = cii::id_status::final;
    m.ts_url = std::string("ws://{{host}}:{{port}}/ts");
    return m;
}

} // namespace

TEST(CiiSharedPayload, OneEncodingServesEveryConnectionOnTheSameAddress) {
    cii::server s;
    ASSERT_TRUE(s.set_cii(programme("dvb://1")));
    for (cii::connection_id id = 1; id <= 100; ++id) {
        open(s, id, "127.0.0.1", 7681);
    }
    EXPECT_EQ(s.take_dirty().size(), 100U);
    const auto first = s.take_pending_shared(1);
    ASSERT_TRUE(first);
    for (cii::connection_id id = 2; id <= 100; ++id) {
        EXPECT_EQ(s.take_pending_shared(id), first) << id; // the same buffer, not a copy
    }
    EXPECT_EQ(s.messages_encoded(), 1U);
    EXPECT_NE(first->find("ws://127.0.0.1:7681/ts"), std::string::npos) << *first;

    ASSERT_TRUE(s.set_cii(programme("dvb://2")));
    EXPECT_EQ(s.take_dirty().size(), 100U);
    const auto change = s.take_pending_shared(7);
    ASSERT_TRUE(change);
    EXPECT_EQ(*change, R"({"contentId":"dvb://2","contentIdStatus":"final"})");
    for (cii::connection_id id = 1; id <= 100; ++id) {
        if (id != 7) {
            EXPECT_EQ(s.take_pending_shared(id), change) << id;
        }
    }
    EXPECT_EQ(s.messages_encoded(), 2U);
    // Nothing left to say to anyone.
    EXPECT_EQ(s.take_pending_shared(1), nullptr);
}

TEST(CiiSharedPayload, ConnectionsOnAnotherAddressGetTheirOwnRewrite) {
    cii::server s;
    ASSERT_TRUE(s.set_cii(programme("dvb://1")));
    open(s, 1, "127.0.0.1", 7681);
    open(s, 2, "192.0.2.7", 7681);
    open(s, 3, "127.0.0.1", 7681);
    static_cast<void>(s.take_dirty());
    const auto a = s.take_pending_shared(1);
    const auto b = s.take_pending_shared(2);
    const auto c = s.take_pending_shared(3);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a, c);
    EXPECT_NE(a, b);
    EXPECT_NE(b->find("ws://192.0.2.7:7681/ts"), std::string::npos) << *b;
    EXPECT_EQ(s.messages_encoded(), 2U);
}

TEST(CiiSharedPayload, AConnectionThatMissedAChangeGetsItsOwnDiff) {
    cii::server s;
    ASSERT_TRUE(s.set_cii(programme("dvb://1")));
    open(s, 1, "127.0.0.1", 7681);
    open(s, 2, "127.0.0.1", 7681);
    static_cast<void>(s.take_dirty());
    ASSERT_TRUE(s.take_pending_shared(1));
    ASSERT_TRUE(s.take_pending_shared(2));

    // Connection 1 hears of dvb://2 (content and status), connection 2 does not pull in time.
    auto two = programme("dvb://2");
    two.content_id_status = cii::id_status::partial;
    ASSERT_TRUE(s.set_cii(two));
    static_cast<void>(s.take_dirty());
    EXPECT_EQ(*s.take_pending_shared(1), R"({"contentId":"dvb://2","contentIdStatus":"partial"})");

    // Then only the status changes: 1 gets the status alone, 2 (two changes behind) both.
    auto three = two;
    three.content_id_status = cii::id_status::final;
    ASSERT_TRUE(s.set_cii(three));
    static_cast<void>(s.take_dirty());
    EXPECT_EQ(*s.take_pending_shared(1), R"({"contentIdStatus":"final"})");
    EXPECT_EQ(*s.take_pending_shared(2), R"({"contentId":"dvb://2","contentIdStatus":"final"})");
}

TEST(CiiSharedPayload, TakePendingReturnsTheSameBytesAsTheSharedForm) {
    cii::server one;
    cii::server other;
    for (auto* s : {&one, &other}) {
        ASSERT_TRUE(s->set_cii(programme("dvb://1")));
        open(*s, 1, "127.0.0.1", 7681);
        static_cast<void>(s->take_dirty());
    }
    const auto text = one.take_pending(1);
    const auto shared = other.take_pending_shared(1);
    ASSERT_TRUE(text && shared);
    EXPECT_EQ(*text, *shared);
}
