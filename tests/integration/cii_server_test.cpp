// CSS-CII over loopback: our CII server glue and CII client glue end to end.
#include "websocket_test_support.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/json/private_data.hpp>
#include <dvbcss/net/cii_client.hpp>
#include <dvbcss/net/cii_server.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dvbcss::test {
namespace {

/// A cii_client plus everything its handlers saw.
class observed_cii_client {
public:
    observed_cii_client(boost::asio::io_context& context, net::websocket_client_config config) {
        cii::client_handlers handlers;
        handlers.connected = [this] {
            const std::lock_guard lock(mutex_);
            ++connects_;
            picture_ = cii::message::all_null();
        };
        handlers.disconnected = [this](std::uint16_t code, std::string_view) {
            const std::lock_guard lock(mutex_);
            close_codes_.push_back(code);
        };
        // The message and the picture it makes are recorded together, so a test that sees the
        // message also sees the picture (the client's own `changed` call comes later).
        handlers.message_received = [this](const cii::message& m) {
            const std::lock_guard lock(mutex_);
            received_.push_back(m);
            picture_ = cii::combine(picture_, m);
        };
        handlers.protocol_error = [this](error_code, std::string_view) {
            const std::lock_guard lock(mutex_);
            ++errors_;
        };
        net::cii_client_events events;
        events.connect_failed = [this](const net::connect_failure& failure) {
            const std::lock_guard lock(mutex_);
            http_status_ = failure.http_status;
        };
        client = std::make_unique<net::cii_client>(context.get_executor(), std::move(config),
                                                   std::move(handlers), std::move(events));
    }

    int connects() const {
        const std::lock_guard lock(mutex_);
        return connects_;
    }

    std::vector<cii::message> received() const {
        const std::lock_guard lock(mutex_);
        return received_;
    }

    cii::message picture() const {
        const std::lock_guard lock(mutex_);
        return picture_;
    }

    std::vector<std::uint16_t> close_codes() const {
        const std::lock_guard lock(mutex_);
        return close_codes_;
    }

    int errors() const {
        const std::lock_guard lock(mutex_);
        return errors_;
    }

    unsigned http_status() const {
        const std::lock_guard lock(mutex_);
        return http_status_;
    }

    std::unique_ptr<net::cii_client> client;

private:
    mutable std::mutex mutex_;
    int connects_ = 0;
    std::vector<cii::message> received_;
    cii::message picture_ = cii::message::all_null();
    std::vector<std::uint16_t> close_codes_;
    int errors_ = 0;
    unsigned http_status_ = 0;
};

cii::message content(const std::string& id, const std::string& status) {
    cii::message m;
    m.protocol_version = std::string(cii::protocol_version_1_1);
    m.content_id = id;
    m.content_id_status = cii::id_status::final;
    m.presentation_status = std::vector<std::string>{status};
    return m;
}

class CiiServerTest : public ::testing::Test {
protected:
    void start(cii::server_config config = {}, net::websocket_endpoint_config endpoint = {},
               net::websocket_server_config transport = {}) {
        io = std::make_unique<io_threads>(1);
        server = std::make_unique<net::websocket_server>(io->context.get_executor(), transport);
        cii = std::make_unique<net::cii_server>(*server, io->context.get_executor(), "/cii",
                                                std::move(config), endpoint);
        ASSERT_FALSE(server->start());
    }

    observed_cii_client& connect_cii(net::websocket_client_config config = {}) {
        config.url = url_of(*server, "/cii");
        cii_clients.push_back(std::make_unique<observed_cii_client>(io->context, config));
        EXPECT_FALSE(cii_clients.back()->client->start());
        return *cii_clients.back();
    }

    recording_client& connect_raw(net::websocket_client_config config = {}) {
        config.url = url_of(*server, "/cii");
        raw_clients.push_back(std::make_unique<recording_client>(io->context, config));
        EXPECT_FALSE(raw_clients.back()->client->start());
        return *raw_clients.back();
    }

    void TearDown() override { shut_down(server, io, cii_clients, raw_clients); }

    std::unique_ptr<io_threads> io;
    std::unique_ptr<net::websocket_server> server;
    std::unique_ptr<net::cii_server> cii;
    std::vector<std::unique_ptr<observed_cii_client>> cii_clients;
    std::vector<std::unique_ptr<recording_client>> raw_clients;
};

TEST_F(CiiServerTest, SendsTheInitialCiiOnConnect) {
    start();
    auto& raw = connect_raw();
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 1; }));
    EXPECT_EQ(raw.texts().at(0), R"({"protocolVersion":"1.1"})");

    auto& c = connect_cii();
    ASSERT_TRUE(eventually([&] { return c.received().size() == 1; }));
    EXPECT_EQ(c.connects(), 1);
    EXPECT_EQ(c.picture().protocol_version, std::string("1.1"));
    EXPECT_TRUE(c.picture().content_id.is_null());
}

TEST_F(CiiServerTest, PushesOnlyTheChangedProperties) {
    start();
    auto& raw = connect_raw();
    auto& c = connect_cii();
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 1 && c.received().size() == 1; }));

    cii->set_cii(content("dvb://233a.1004.1044", "transitioning"));
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 2; }));
    const auto first = cii::decode_cii(raw.texts().at(1));
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->protocol_version.is_absent()); // already sent on connect
    EXPECT_EQ(first->content_id, std::string("dvb://233a.1004.1044"));
    EXPECT_EQ(first->content_id_status, cii::id_status::final);
    EXPECT_EQ(first->presentation_status, std::vector<std::string>{"transitioning"});

    cii->set_cii(content("dvb://233a.1004.1044", "okay"));
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 3; }));
    EXPECT_EQ(raw.texts().at(2), R"({"presentationStatus":"okay"})");

    ASSERT_TRUE(eventually([&] { return c.received().size() == 3; }));
    EXPECT_EQ(c.picture().content_id, std::string("dvb://233a.1004.1044"));
    EXPECT_EQ(c.picture().presentation_status, std::vector<std::string>{"okay"});

    // No change: nothing is sent.
    cii->set_cii(content("dvb://233a.1004.1044", "okay"));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(raw.text_count(), 3U);
}

TEST_F(CiiServerTest, RewritesHostAndPortPerConnection) {
    cii::server_config config;
    config.initial_cii.wc_url = "udp://{{host}}:6677";
    config.initial_cii.ts_url = "ws://{{host}}:{{port}}/ts";
    start(config);
    auto& c = connect_cii();
    ASSERT_TRUE(eventually([&] { return c.received().size() == 1; }));
    const auto port = std::to_string(server->local_endpoint().port());
    EXPECT_EQ(c.picture().wc_url, std::string("udp://127.0.0.1:6677"));
    EXPECT_EQ(c.picture().ts_url, std::string("ws://127.0.0.1:" + port + "/ts"));
    EXPECT_EQ(cii->cii().ts_url, std::string("ws://{{host}}:{{port}}/ts"));
}

TEST_F(CiiServerTest, ConnectionLimitRefusesWith503) {
    net::websocket_endpoint_config endpoint;
    endpoint.max_connections = 2;
    start({}, endpoint);
    auto& a = connect_cii();
    auto& b = connect_cii();
    ASSERT_TRUE(eventually([&] { return a.connects() == 1 && b.connects() == 1; }));
    auto& refused = connect_cii();
    ASSERT_TRUE(eventually([&] { return refused.http_status() != 0; }));
    EXPECT_EQ(refused.http_status(), 503U);
    EXPECT_EQ(cii->endpoint().connection_count(), 2U);
}

TEST_F(CiiServerTest, DisablingClosesWith1001AndForgetsConnections) {
    start();
    auto& a = connect_cii();
    auto& b = connect_cii();
    ASSERT_TRUE(eventually([&] { return a.received().size() == 1 && b.received().size() == 1; }));
    cii->endpoint().set_enabled(false);
    ASSERT_TRUE(
        eventually([&] { return a.close_codes().size() == 1 && b.close_codes().size() == 1; }));
    EXPECT_EQ(a.close_codes().at(0), net::close_codes::going_away);
    EXPECT_EQ(b.close_codes().at(0), net::close_codes::going_away);
    ASSERT_TRUE(eventually([&] { return cii->endpoint().connection_count() == 0; }));

    auto& refused = connect_cii();
    ASSERT_TRUE(eventually([&] { return refused.http_status() != 0; }));
    EXPECT_EQ(refused.http_status(), 403U);

    // Re-enabled, a new companion gets the full current CII.
    cii->set_cii(content("dvb://1", "okay"));
    cii->endpoint().set_enabled(true);
    auto& again = connect_cii();
    ASSERT_TRUE(eventually([&] { return again.received().size() == 1; }));
    EXPECT_EQ(again.picture().content_id, std::string("dvb://1"));
}

TEST_F(CiiServerTest, UnknownPathGets404) {
    start();
    net::websocket_client_config config;
    config.url = url_of(*server, "/ts");
    observed_cii_client c(io->context, config);
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.http_status() != 0; }));
    EXPECT_EQ(c.http_status(), 404U);
}

TEST_F(CiiServerTest, MalformedMessagesFromCompanionsAreIgnored) {
    start();
    auto& raw = connect_raw();
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 1; }));
    for (const char* text :
         {"not json", R"({"contentId": 5})", "[1,2]", "", R"({"a":[[[[[[]]]]]]})"}) {
        ASSERT_TRUE(raw.client->send_text(text));
    }
    cii->set_cii(content("dvb://after", "okay"));
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 2; }));
    EXPECT_TRUE(raw.client->is_open());
    EXPECT_TRUE(raw.closes().empty());
}

TEST_F(CiiServerTest, BinaryFrameFromCompanionClosesWith1003) {
    start();
    auto& raw = connect_raw();
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 1; }));
    ASSERT_TRUE(raw.client->send_binary("\x7f"));
    ASSERT_TRUE(eventually([&] { return raw.closes().size() == 1; }));
    EXPECT_EQ(raw.closes().at(0).code, net::close_codes::unsupported_data);
    ASSERT_TRUE(eventually([&] { return cii->endpoint().connection_count() == 0; }));
}

TEST_F(CiiServerTest, OversizeMessageFromCompanionClosesWith1009) {
    start();
    auto& raw = connect_raw();
    ASSERT_TRUE(eventually([&] { return raw.text_count() == 1; }));
    ASSERT_TRUE(raw.client->send_text(std::string(limits::max_json_message_bytes + 1, ' ')));
    ASSERT_TRUE(eventually([&] { return raw.closes().size() == 1; }));
    // The server sends 1009 as soon as the frame header announces the size, then drops the TCP
    // connection; the peer may still be writing the payload, in which case its kernel sees a reset
    // before the close frame (1006). The server-side code is checked in WebSocketServerTest.
    const auto code = raw.closes().at(0).code;
    EXPECT_TRUE(code == net::close_codes::too_big || code == net::close_codes::abnormal) << code;
    ASSERT_TRUE(eventually([&] { return cii->endpoint().connection_count() == 0; }));
}

TEST_F(CiiServerTest, RapidUpdatesCollapseIntoACorrectPicture) {
    start();
    auto& c = connect_cii();
    ASSERT_TRUE(eventually([&] { return c.received().size() == 1; }));
    constexpr int updates = 2000;
    for (int i = 0; i < updates; ++i) {
        cii->set_cii(content("dvb://" + std::to_string(i), i % 2 == 0 ? "transitioning" : "okay"));
    }
    const auto expected = "dvb://" + std::to_string(updates - 1);
    ASSERT_TRUE(eventually([&] { return c.picture().content_id == expected; }));
    EXPECT_EQ(c.picture().presentation_status, std::vector<std::string>{"okay"});
    EXPECT_EQ(c.picture().content_id_status, cii::id_status::final);
    EXPECT_LE(c.received().size(), static_cast<std::size_t>(updates) + 1);
    EXPECT_EQ(cii->endpoint().connection_count(), 1U);
}

TEST_F(CiiServerTest, StalledCompanionDoesNotHoldBackOthersAndIsDropped) {
    net::websocket_server_config transport;
    transport.idle_timeout = 1s;
    transport.close_timeout = 300ms;
    start({}, {}, transport);
    raw_peer stalled(server->local_endpoint(), 4096);
    ASSERT_EQ(stalled.upgrade("/cii").rfind("HTTP/1.1 101", 0), 0U);
    auto& fast = connect_cii();
    ASSERT_TRUE(eventually([&] { return fast.received().size() == 1; }));
    ASSERT_TRUE(eventually([&] { return cii->endpoint().connection_count() == 2; }));

    // Large, ever-changing private data fills the stalled peer's socket buffers quickly.
    std::string last_id;
    const auto start_time = std::chrono::steady_clock::now();
    int i = 0;
    while (cii->endpoint().connection_count() == 2 &&
           std::chrono::steady_clock::now() - start_time < 20s) {
        auto m = content("dvb://" + std::to_string(i), "okay");
        auto data =
            json::private_data::parse(R"([{"type":"urn:test:fill","n":)" + std::to_string(i) +
                                      R"(,"pad":")" + std::string(16000, 'p') + R"("}])");
        ASSERT_TRUE(data);
        m.private_data = *data;
        cii->set_cii(m);
        last_id = "dvb://" + std::to_string(i);
        ++i;
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_EQ(cii->endpoint().connection_count(), 1U) << "stalled companion never dropped";
    ASSERT_TRUE(eventually([&] { return fast.picture().content_id == last_id; }));
    EXPECT_TRUE(fast.client->is_open());
    EXPECT_TRUE(fast.close_codes().empty());
}

TEST_F(CiiServerTest, ClientReportsMalformedServerMessagesAndKeepsTheConnection) {
    io = std::make_unique<io_threads>(1);
    server = std::make_unique<net::websocket_server>(io->context.get_executor(),
                                                     net::websocket_server_config{});
    recording_handler handler;
    auto& endpoint = server->add_endpoint("/cii", handler);
    ASSERT_FALSE(server->start());
    auto& c = connect_cii();
    ASSERT_TRUE(eventually([&] { return handler.open_count() == 1; }));
    const auto id = handler.ids().at(0);
    endpoint.send(id, "garbage");
    endpoint.send(id, R"({"contentIdStatus":"maybe"})");
    endpoint.send(id,
                  R"({"protocolVersion":"1.1","contentId":"dvb://ok","contentIdStatus":"final"})");
    ASSERT_TRUE(eventually([&] { return c.received().size() == 1; }));
    EXPECT_EQ(c.errors(), 2);
    EXPECT_EQ(c.picture().content_id, std::string("dvb://ok"));
    EXPECT_TRUE(c.client->is_open());
    c.client->close();
    ASSERT_TRUE(eventually([&] { return handler.closed_count() == 1; }));
    server->stop();
    io->stop(1s);
}

} // namespace
} // namespace dvbcss::test
