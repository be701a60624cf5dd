// The TV side of DIAL over real sockets, inside a network namespace that holds only lo (made by
// run_in_netns.sh; the program refuses to run anywhere else): SSDP searches and their answers,
// NOTIFY alive and byebye, the device description, the HbbTV application description and the CII
// served at the URL it names.

#include "netns_support.hpp"
#include "support/io_loop.hpp"

#include <dvbcss/dial/description.hpp>
#include <dvbcss/dial/ssdp.hpp>
#include <dvbcss/net/cii_server.hpp>
#include <dvbcss/net/dial_server.hpp>
#include <dvbcss/net/ssdp_socket.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

struct received_datagram {
    std::string bytes;
    bool truncated = false;
    std::chrono::steady_clock::time_point at;
};

struct http_answer {
    unsigned status = 0;
    std::string body;
    http::fields headers;
};

/// One blocking HTTP/1.1 request to 127.0.0.1:port.
http_answer http_request(std::uint16_t port, http::verb method, const std::string& target,
                         const std::string& body = {}) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::address_v4::loopback(), port});
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    request.set(http::field::connection, "close");
    request.body() = body;
    request.prepare_payload();
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    http_answer a;
    a.status = response.result_int();
    a.body = response.body();
    a.headers = response.base();
    return a;
}

/// The path of an http://host:port/path URL.
std::string url_path(const std::string& url) {
    const auto slash = url.find('/', std::string("http://").size());
    return slash == std::string::npos ? "/" : url.substr(slash);
}

/// A TV: a WebSocket server with CII at /cii and the DIAL server on lo, run by its own thread.
/// Beside it, on the test thread: a companion's SSDP searcher and an SSDP listener that sees the
/// TV's NOTIFYs.
class DialServer : public ::testing::Test {
protected:
    void SetUp() override {
        auto lo = net::find_multicast_interface("lo");
        ASSERT_TRUE(lo) << "lo is not multicast-capable: run me through run_in_netns.sh";
        iface = *lo;

        // The companion side first, so it sees the first NOTIFY.
        ASSERT_FALSE(watcher.open(net::ssdp_socket::role::listener, iface,
                                  [this](std::string_view b, bool t, const auto&) {
                                      notifies.push_back({std::string(b), t, now()});
                                  }));
        ASSERT_FALSE(searcher.open(net::ssdp_socket::role::searcher, iface,
                                   [this](std::string_view b, bool t, const auto&) {
                                       answers.push_back({std::string(b), t, now()});
                                   }));

        net::websocket_server_config ws;
        ws.address = boost::asio::ip::address_v4::loopback();
        server = std::make_unique<net::websocket_server>(tv_io.get_executor(), ws);
        cii = std::make_unique<net::cii_server>(*server, tv_io.get_executor());
        ASSERT_FALSE(server->start());
        port = server->local_endpoint().port();

        net::dial_server_config config;
        config.iface = iface;
        config.http_port = port;
        config.cii_port = port;
        config.friendly_name = "Living room <TV> & co";
        config.user_agent = "dvbcss-test";
        dial = std::make_unique<net::dial_server>(tv_io.get_executor(), *server, config);
        ASSERT_FALSE(dial->start());
        tv_thread = std::thread([this] { tv_io.run(); });
    }

    void TearDown() override {
        stop_tv();
        searcher.close();
        watcher.close();
    }

    void stop_tv() {
        if (!tv_thread.joinable()) {
            return;
        }
        std::promise<void> stopped;
        boost::asio::post(tv_io, [&] {
            dial->stop();
            server->stop();
            stopped.set_value();
        });
        stopped.get_future().wait();
        work.reset();
        tv_thread.join();
    }

    static std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

    void search(const std::string& target, int mx_s = 1) {
        dial::ssdp_search s;
        s.search_target = target;
        s.mx_s = mx_s;
        ASSERT_FALSE(searcher.send_to(dial::format_ssdp(s), net::ssdp_socket::multicast_group()));
    }

    /// Answers received (parsed as search responses).
    std::vector<dial::ssdp_search_response> parsed_answers() const {
        std::vector<dial::ssdp_search_response> out;
        for (const auto& a : answers) {
            auto m = dial::parse_ssdp(a.bytes);
            if (m && std::holds_alternative<dial::ssdp_search_response>(*m)) {
                out.push_back(std::get<dial::ssdp_search_response>(*m));
            }
        }
        return out;
    }

    /// NOTIFYs seen for the DIAL target with NTS alive (true) or byebye (false).
    int dial_notifies(bool alive) const {
        int n = 0;
        for (const auto& d : notifies) {
            auto m = dial::parse_ssdp(d.bytes);
            if (m && std::holds_alternative<dial::ssdp_notify>(*m)) {
                const auto& note = std::get<dial::ssdp_notify>(*m);
                if (note.alive == alive && note.notification_type == dial::dial_search_target &&
                    note.usn ==
                        "uuid:" + dial->uuid() + "::" + std::string(dial::dial_search_target)) {
                    EXPECT_TRUE(!alive || note.location == dial->location());
                    ++n;
                }
            }
        }
        return n;
    }

    boost::asio::io_context tv_io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
        boost::asio::make_work_guard(tv_io);
    std::thread tv_thread;
    std::unique_ptr<net::websocket_server> server;
    std::unique_ptr<net::cii_server> cii;
    std::unique_ptr<net::dial_server> dial;
    std::uint16_t port = 0;
    net::network_interface iface;

    boost::asio::io_context companion_io;
    net::ssdp_socket searcher{companion_io.get_executor()};
    net::ssdp_socket watcher{companion_io.get_executor()};
    std::vector<received_datagram> answers;
    std::vector<received_datagram> notifies;
};

TEST_F(DialServer, SearchForDialGetsOneAnswerWithinMxNamingTheDevice) {
    const auto sent = now();
    search(std::string(dial::dial_search_target), 1);
    run_for(companion_io, 1500ms); // MX 1 s plus slack; a second answer would show up here
    const auto got = parsed_answers();
    ASSERT_EQ(got.size(), 1u) << "answers: " << answers.size();
    EXPECT_EQ(got[0].location, dial->location());
    EXPECT_EQ(got[0].location, "http://127.0.0.1:" + std::to_string(port) + "/dial/dd.xml");
    EXPECT_EQ(got[0].search_target, dial::dial_search_target);
    EXPECT_EQ(got[0].usn, "uuid:" + dial->uuid() + "::" + std::string(dial::dial_search_target));
    EXPECT_TRUE(got[0].headers.get("EXT").has_value());
    EXPECT_GT(got[0].max_age_s, 0);
    EXPECT_LT(answers[0].at - sent, 1200ms);
    const auto s = dial->statistics();
    EXPECT_EQ(s.searches, 1u);
    EXPECT_EQ(s.answered, 1u);
}

TEST_F(DialServer, SsdpAllIsAnswered) {
    search("ssdp:all", 1);
    ASSERT_TRUE(run_until(
        companion_io, [&] { return !parsed_answers().empty(); }, 2500ms));
    run_for(companion_io, 1200ms);
    bool dial_seen = false;
    for (const auto& a : parsed_answers()) {
        EXPECT_EQ(a.location, dial->location());
        dial_seen = dial_seen || a.search_target == dial::dial_search_target;
    }
    EXPECT_TRUE(dial_seen);
}

TEST_F(DialServer, ASearchForAnotherTargetIsIgnored) {
    search("urn:schemas-upnp-org:service:ContentDirectory:1", 1);
    run_for(companion_io, 1500ms);
    EXPECT_TRUE(parsed_answers().empty());
    EXPECT_EQ(dial->statistics().answered, 0u);
    EXPECT_GE(dial->statistics().not_for_us, 1u);
}

TEST_F(DialServer, MalformedDatagramsAreCountedAndOthersStillAnswered) {
    quiet_log quiet;
    const auto group = net::ssdp_socket::multicast_group();
    ASSERT_FALSE(searcher.send_to("hello, TV", group));
    ASSERT_FALSE(searcher.send_to("M-SEARCH * HTTP/1.1\r\nMAN: \"nope\"\r\nST: ssdp:all\r\n"
                                  "MX: 1\r\n\r\n",
                                  group));
    ASSERT_FALSE(searcher.send_to(std::string(9000, 'x'), group)); // over the 8 KiB limit
    ASSERT_FALSE(searcher.send_to(std::string("M-SEARCH * HTTP/1.1\r\n\0\r\n\r\n", 26), group));
    search(std::string(dial::dial_search_target), 1);
    // The server counts an answer once its send has returned, which can be after the answer
    // arrived here: wait for both.
    ASSERT_TRUE(run_until(
        companion_io,
        [&] { return parsed_answers().size() == 1 && dial->statistics().answered >= 1; }, 2500ms));
    EXPECT_GE(dial->statistics().malformed, 4u);
    EXPECT_EQ(dial->statistics().answered, 1u);
}

TEST_F(DialServer, NotifyAliveAtStartAndByebyeAtStop) {
    ASSERT_TRUE(run_until(
        companion_io, [&] { return dial_notifies(true) >= 2; }, 3000ms))
        << "alive copies seen: " << dial_notifies(true);
    EXPECT_EQ(dial_notifies(false), 0);
    stop_tv();
    ASSERT_TRUE(run_until(
        companion_io, [&] { return dial_notifies(false) >= 1; }, 3000ms));
}

TEST_F(DialServer, DeviceDescriptionCarriesApplicationUrl) {
    const auto a = http_request(port, http::verb::get, url_path(dial->location()));
    ASSERT_EQ(a.status, 200u);
    EXPECT_EQ(std::string(a.headers["Application-URL"]),
              "http://127.0.0.1:" + std::to_string(port) + "/apps/");
    EXPECT_EQ(std::string(a.headers["Application-URL"]), dial->application_url());
    const auto d = dial::parse_device_description(a.body);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(d->udn, "uuid:" + dial->uuid());
    EXPECT_EQ(d->friendly_name, "Living room <TV> & co");
    EXPECT_EQ(d->device_type, dial::dial_device_type);
    EXPECT_EQ(http_request(port, http::verb::post, url_path(dial->location())).status, 405u);
}

TEST_F(DialServer, HbbTVApplicationNamesTheRealCiiUrlAndACompanionGetsCiiThere) {
    const auto a = http_request(port, http::verb::get, "/apps/HbbTV");
    ASSERT_EQ(a.status, 200u);
    const auto app = dial::parse_hbbtv_application(a.body);
    ASSERT_TRUE(app) << app.error().message();
    EXPECT_EQ(app->name, "HbbTV");
    EXPECT_EQ(app->state, "running");
    ASSERT_TRUE(app->inter_dev_sync_url);
    EXPECT_EQ(*app->inter_dev_sync_url, "ws://127.0.0.1:" + std::to_string(port) + "/cii");
    EXPECT_FALSE(app->app2app_url); // no App2App server
    EXPECT_EQ(app->user_agent, std::optional<std::string>("dvbcss-test"));

    const auto first = first_cii(companion_io, *app->inter_dev_sync_url, 5000ms);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->protocol_version, std::optional<std::string>("1.1"));
}

TEST_F(DialServer, LaunchAndStopAreRefusedOtherMethodsAndAppsAreNot) {
    const auto launch = http_request(port, http::verb::post, "/apps/HbbTV", "url=x");
    EXPECT_EQ(launch.status, 403u);
    EXPECT_NE(launch.body.find("not supported"), std::string::npos);
    EXPECT_EQ(http_request(port, http::verb::delete_, "/apps/HbbTV").status, 403u);
    const auto put = http_request(port, http::verb::put, "/apps/HbbTV");
    EXPECT_EQ(put.status, 405u);
    EXPECT_EQ(std::string(put.headers["Allow"]), "GET, HEAD, POST, DELETE");
    EXPECT_EQ(http_request(port, http::verb::get, "/apps/YouTube").status, 404u);
    EXPECT_EQ(dial->statistics().launch_refused, 2u);
}

TEST(DeviceUuid, DerivedUuidIsStableValidAndDiffersByPort) {
    const auto a = boost::asio::ip::make_address_v4("192.0.2.4");
    const auto u = net::derive_device_uuid("tv", a, 7681);
    EXPECT_TRUE(net::is_uuid(u)) << u;
    EXPECT_EQ(u[14], '5'); // version 5
    EXPECT_EQ(u, net::derive_device_uuid("tv", a, 7681));
    EXPECT_NE(u, net::derive_device_uuid("tv", a, 7682));
    EXPECT_NE(u, net::derive_device_uuid("tv2", a, 7681));
    EXPECT_FALSE(net::is_uuid("uuid:" + u));
    EXPECT_FALSE(net::is_uuid("not-a-uuid"));
}

} // namespace
} // namespace dvbcss::test

int main(int argc, char** argv) {
    return dvbcss::test::run_tests_beside_lo_only(argc, argv, "netns_dial_server_test");
}
