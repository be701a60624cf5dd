#include <dvbcss/cii/server.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace cii = dvbcss::cii;
namespace json = dvbcss::json;
using nlohmann::json_literals::operator""_json; // NOLINT(misc-unused-using-decls)

namespace {

nlohmann::json parsed(const std::string& text) {
    return nlohmann::json::parse(text);
}

nlohmann::json take(cii::server& s, cii::connection_id conn) {
    auto text = s.take_pending(conn);
    EXPECT_TRUE(text.has_value()) << "nothing pending on " << conn;
    return text ? parsed(*text) : nlohmann::json();
}

// Opens `conn` as the transport does (open, take_dirty, pull) and returns the first message it is
// sent (the full CII).
nlohmann::json open(cii::server& s, cii::connection_id conn, const std::string& host,
                    std::uint16_t port) {
    s.on_open(conn, dvbcss::connection_origin{host, port, "198.51.100.1:4000"});
    const auto dirty = s.take_dirty();
    EXPECT_NE(std::find(dirty.begin(), dirty.end(), conn), dirty.end());
    return take(s, conn);
}

cii::message with_content(const std::string& id, cii::id_status status) {
    cii::message m;
    m.protocol_version = "1.1";
    m.content_id = id;
    m.content_id_status = status;
    return m;
}

} // namespace

TEST(CiiServer, DefaultServerSendsProtocolVersionOnConnect) {
    cii::server s;
    EXPECT_EQ(open(s, 1, "127.0.0.1", 7681), R"({"protocolVersion":"1.1"})"_json);
    EXPECT_EQ(s.connection_count(), 1U);
    EXPECT_FALSE(s.is_dirty(1));
    EXPECT_EQ(s.take_pending(1), std::nullopt);
}

TEST(CiiServer, ConnectSendsEveryPresentPropertyIncludingNulls) {
    cii::server_config config;
    config.initial_cii.mrs_url = json::null;
    config.initial_cii.content_id = "dvb://a";
    cii::server s(config);
    EXPECT_EQ(open(s, 1, "10.0.0.1", 80),
              R"({"protocolVersion":"1.1","mrsUrl":null,"contentId":"dvb://a"})"_json);
}

TEST(CiiServer, ProtocolVersionIsAddedWhenAbsent) {
    cii::server_config config;
    config.initial_cii = cii::message{};
    cii::server s(config);
    EXPECT_EQ(s.cii().protocol_version.value(), "1.1");
    EXPECT_FALSE(s.set_cii(cii::message{})); // same after the version is filled in
}

TEST(CiiServer, InvalidCiiIsAProgrammingError) {
    cii::server s;
    cii::message bad;
    bad.presentation_status = std::vector<std::string>{};
    EXPECT_THROW(s.set_cii(bad), std::invalid_argument);
    cii::server_config config;
    config.initial_cii.protocol_version = "1.0";
    EXPECT_THROW(cii::server{config}, std::invalid_argument);
}

TEST(CiiServer, NoChangeSendsNothing) {
    cii::server s;
    open(s, 1, "127.0.0.1", 7681);
    EXPECT_FALSE(s.set_cii(s.cii()));
    EXPECT_FALSE(s.is_dirty(1));
    EXPECT_TRUE(s.take_dirty().empty());
    EXPECT_TRUE(s.drain().empty());
}

TEST(CiiServer, ChangedContentIdIsSentWithItsStatus) {
    cii::server s(cii::server_config{with_content("dvb://1", cii::id_status::partial), {}});
    open(s, 1, "127.0.0.1", 7681);
    // Only contentId changes; its status must still travel with it.
    EXPECT_TRUE(s.set_cii(with_content("dvb://2", cii::id_status::partial)));
    EXPECT_EQ(s.take_dirty(), std::vector<cii::connection_id>{1});
    EXPECT_TRUE(s.is_dirty(1));
    EXPECT_EQ(take(s, 1), R"({"contentId":"dvb://2","contentIdStatus":"partial"})"_json);
    EXPECT_FALSE(s.is_dirty(1));
    // Only the status changes: the id is not repeated.
    (void)s.set_cii(with_content("dvb://2", cii::id_status::final));
    EXPECT_EQ(take(s, 1), R"({"contentIdStatus":"final"})"_json);
}

TEST(CiiServer, ContentIdWithoutStatusIsSentWithNullStatus) {
    cii::server s;
    open(s, 1, "h", 1);
    cii::message m;
    m.content_id = "dvb://x";
    (void)s.update(m);
    EXPECT_EQ(take(s, 1), R"({"contentId":"dvb://x","contentIdStatus":null})"_json);
}

TEST(CiiServer, ExampleSequenceFromTheReferenceCiiServer) {
    cii::server s;
    open(s, 7, "127.0.0.1", 7681);
    auto step1 =
        with_content("dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M", cii::id_status::final);
    step1.presentation_status = std::vector<std::string>{"transitioning"};
    (void)s.set_cii(step1);
    EXPECT_EQ(take(s, 7), nlohmann::json({{"contentId", *step1.content_id.get_if()},
                                          {"contentIdStatus", "final"},
                                          {"presentationStatus", "transitioning"}}));
    auto step2 = step1;
    step2.presentation_status = std::vector<std::string>{"okay"};
    (void)s.set_cii(step2);
    EXPECT_EQ(take(s, 7), R"({"presentationStatus":"okay"})"_json);
    // A companion connecting now gets the whole current state.
    EXPECT_EQ(open(s, 8, "127.0.0.1", 7681), parsed(cii::encode(step2)));
}

TEST(CiiServer, RemovedPropertyIsSentAsNull) {
    cii::server s;
    cii::message m = s.cii();
    m.mrs_url = "http://mrs";
    (void)s.set_cii(m);
    open(s, 1, "h", 1);
    m.mrs_url = json::absent;
    (void)s.set_cii(m);
    EXPECT_EQ(take(s, 1), R"({"mrsUrl":null})"_json);
    EXPECT_EQ(s.take_pending(1), std::nullopt);
}

TEST(CiiServer, SeveralUpdatesCollapseIntoOneDiff) {
    cii::server s;
    open(s, 1, "h", 1);
    cii::message a;
    a.content_id = "dvb://a";
    a.content_id_status = cii::id_status::partial;
    (void)s.update(a);
    cii::message b;
    b.mrs_url = "http://mrs";
    (void)s.update(b);
    cii::message c;
    c.content_id = "dvb://c";
    (void)s.update(c);
    // Nothing is lost (mrsUrl from the second update) and only the newest contentId is sent.
    EXPECT_EQ(take(s, 1),
              R"({"mrsUrl":"http://mrs","contentId":"dvb://c","contentIdStatus":"partial"})"_json);
    EXPECT_EQ(s.take_pending(1), std::nullopt);
}

TEST(CiiServer, ChangesThatCancelOutSendNothing) {
    cii::server s;
    open(s, 1, "h", 1);
    const auto original = s.cii();
    auto changed = original;
    changed.wc_url = "udp://x:1";
    EXPECT_TRUE(s.set_cii(changed));
    EXPECT_TRUE(s.set_cii(original));
    EXPECT_EQ(s.take_dirty(), std::vector<cii::connection_id>{1}); // once, not twice
    EXPECT_TRUE(s.is_dirty(1));
    EXPECT_EQ(s.take_pending(1), std::nullopt);
    EXPECT_FALSE(s.is_dirty(1));
}

TEST(CiiServer, HostAndPortAreRewrittenPerConnection) {
    cii::server_config config;
    config.initial_cii.wc_url = "udp://{{host}}:6677";
    config.initial_cii.ts_url = "ws://{{host}}:{{port}}/ts";
    config.initial_cii.te_url = "ws://{{host}}:{{port}}/te?again={{host}}";
    config.initial_cii.mrs_url = "http://{{host}}/not-rewritten";
    cii::server s(config);
    EXPECT_EQ(open(s, 1, "192.168.1.5", 7681),
              R"({"protocolVersion":"1.1","mrsUrl":"http://{{host}}/not-rewritten",
                  "wcUrl":"udp://192.168.1.5:6677","tsUrl":"ws://192.168.1.5:7681/ts",
                  "teUrl":"ws://192.168.1.5:7681/te?again=192.168.1.5"})"_json);
    EXPECT_EQ(open(s, 2, "10.0.0.9", 8000)["tsUrl"], "ws://10.0.0.9:8000/ts");
    EXPECT_EQ(open(s, 3, "::1", 7681)["wcUrl"], "udp://[::1]:6677");
    // The server keeps the templates; each connection sees its own expansion.
    EXPECT_EQ(s.cii().wc_url.value(), "udp://{{host}}:6677");
    EXPECT_EQ(s.cii_for(2)->wc_url.value(), "udp://10.0.0.9:6677");
    EXPECT_EQ(s.cii_for(99), std::nullopt);

    auto next = s.cii();
    next.ts_url = "ws://{{host}}:{{port}}/ts2";
    (void)s.set_cii(next);
    EXPECT_EQ(take(s, 1), R"({"tsUrl":"ws://192.168.1.5:7681/ts2"})"_json);
    EXPECT_EQ(take(s, 2), R"({"tsUrl":"ws://10.0.0.9:8000/ts2"})"_json);
}

TEST(CiiServer, RewriteIsConfigurable) {
    cii::server_config config;
    config.initial_cii.mrs_url = "http://{{host}}:{{port}}/mrs";
    config.initial_cii.wc_url = "udp://{{host}}:6677";
    config.rewrite_host_port.reset();
    cii::add(config.rewrite_host_port, cii::property::mrs_url);
    cii::server s(config);
    const auto first = open(s, 1, "1.2.3.4", 5);
    EXPECT_EQ(first["mrsUrl"], "http://1.2.3.4:5/mrs");
    EXPECT_EQ(first["wcUrl"], "udp://{{host}}:6677");
}

TEST(CiiServer, NullAndAbsentUrlsAreFineWithRewriting) {
    // The reference crashes here (B16) and sends nothing on connect.
    cii::server_config config;
    config.initial_cii.wc_url = json::null;
    config.initial_cii.ts_url = json::null;
    cii::server s(config);
    EXPECT_EQ(open(s, 1, "h", 2), R"({"protocolVersion":"1.1","wcUrl":null,"tsUrl":null})"_json);
    auto next = s.cii();
    next.ts_url = "ws://{{host}}:{{port}}/ts";
    (void)s.set_cii(next);
    EXPECT_EQ(take(s, 1), R"({"tsUrl":"ws://h:2/ts"})"_json);
}

TEST(CiiServer, DrainReturnsOneMessagePerChangedConnection) {
    cii::server s;
    open(s, 1, "a", 1);
    open(s, 2, "b", 2);
    cii::message m;
    m.content_id = "dvb://z";
    m.content_id_status = cii::id_status::final;
    EXPECT_TRUE(s.update(m));
    EXPECT_EQ(s.take_dirty().size(), 2U);
    auto out = s.drain();
    std::sort(out.begin(), out.end(),
              [](const auto& x, const auto& y) { return x.connection < y.connection; });
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].connection, 1U);
    EXPECT_EQ(out[1].connection, 2U);
    EXPECT_EQ(parsed(out[0].text), R"({"contentId":"dvb://z","contentIdStatus":"final"})"_json);
    EXPECT_TRUE(s.drain().empty());
}

TEST(CiiServer, TakeFullSendsEverythingEvenIfEmpty) {
    cii::server s;
    open(s, 1, "h", 1);
    EXPECT_EQ(parsed(*s.take_full(1)), R"({"protocolVersion":"1.1"})"_json);
    auto m = s.cii();
    m.mrs_url = "x";
    (void)s.set_cii(m);
    (void)s.take_pending(1);
    m.mrs_url = json::absent;
    (void)s.set_cii(m);
    EXPECT_EQ(parsed(*s.take_full(1)), R"({"protocolVersion":"1.1","mrsUrl":null})"_json);
    EXPECT_FALSE(s.is_dirty(1));
    EXPECT_EQ(s.take_full(42), std::nullopt);
}

TEST(CiiServer, ConnectionsComeAndGo) {
    cii::server s;
    open(s, 1, "h", 1);
    open(s, 2, "h", 1);
    EXPECT_THROW(open(s, 1, "h", 1), std::logic_error);
    s.on_close(1);
    s.on_close(1);  // unknown: ignored
    s.on_close(77); // unknown: ignored
    EXPECT_EQ(s.connections(), std::vector<cii::connection_id>{2});
    cii::message m;
    m.te_url = "ws://te";
    EXPECT_TRUE(s.update(m));
    EXPECT_EQ(s.take_dirty(), std::vector<cii::connection_id>{2});
    EXPECT_EQ(s.take_pending(1), std::nullopt);
    open(s, 1, "h", 1); // an id may be reused after close: full state again
    EXPECT_FALSE(s.is_dirty(1));
}

TEST(CiiServer, IncomingTextIsIgnoredWithAReason) {
    cii::server s;
    open(s, 3, "h", 1);
    const auto before = s.cii();
    EXPECT_EQ(s.on_text(3, "{\"hello\":\n1}"), make_error_code(dvbcss::errc::unexpected_message));
    EXPECT_EQ(s.on_text(99, "x"), make_error_code(dvbcss::errc::unexpected_message));
    EXPECT_EQ(s.messages_ignored(), 2U);
    EXPECT_EQ(s.cii(), before);
    EXPECT_FALSE(s.is_dirty(3));
    EXPECT_TRUE(s.take_dirty().empty());
}

TEST(CiiServer, OpenMarksTheConnectionDirtyWithTheFullCii) {
    cii::server_config config;
    config.initial_cii.ts_url = "ws://{{host}}:{{port}}/ts";
    cii::server s(config);
    s.on_open(5, dvbcss::connection_origin{"fe80::1%eth0", 7681, "[fe80::2%eth0]:5000"});
    EXPECT_TRUE(s.is_dirty(5));
    EXPECT_EQ(s.take_dirty(), std::vector<cii::connection_id>{5});
    EXPECT_TRUE(s.take_dirty().empty()); // each id once
    // The zone id is percent-encoded inside the URL (RFC 6874).
    // A change before the first pull still yields one full message, not a diff.
    auto next = s.cii();
    next.content_id = "dvb://early";
    (void)s.set_cii(next);
    EXPECT_EQ(take(s, 5), R"({"protocolVersion":"1.1","contentId":"dvb://early",
                             "tsUrl":"ws://[fe80::1%25eth0]:7681/ts"})"_json);
    EXPECT_EQ(s.take_pending(5), std::nullopt);
}

TEST(CiiServer, ClosedConnectionsAreNotReportedDirty) {
    cii::server s;
    s.on_open(1, dvbcss::connection_origin{"h", 1, {}});
    s.on_open(2, dvbcss::connection_origin{"h", 1, {}});
    s.on_close(1);
    EXPECT_EQ(s.take_dirty(), std::vector<cii::connection_id>{2});
    EXPECT_EQ(s.take_pending(1), std::nullopt);
}

TEST(CiiServer, PendingStateIsBoundedWhateverTheUpdateRate) {
    cii::server s;
    open(s, 1, "h", 1);
    cii::message m = s.cii();
    for (int i = 0; i < 10000; ++i) {
        m.content_id = "dvb://" + std::to_string(i);
        (void)s.set_cii(m);
    }
    const auto text = s.take_pending(1);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(parsed(*text), R"({"contentId":"dvb://9999","contentIdStatus":null})"_json);
}
