// tv-device --dial as a process, inside a network namespace holding only lo (made by
// run_in_netns.sh; the program refuses to run anywhere else): its usage errors, and a companion
// that finds it by SSDP, reads its HbbTV application and gets CII at the URL named there.

#include "netns_support.hpp"
#include "support/child_process.hpp"
#include "support/io_loop.hpp"

#include <dvbcss/dial/description.hpp>
#include <dvbcss/dial/ssdp.hpp>
#include <dvbcss/net/ssdp_socket.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

const std::string tv_device = std::string(DVBCSS_BIN_DIR) + "/tv-device";

/// tv-device with `args`, standard error merged into the captured output.
child_process run_shell(const std::string& args) {
    return child_process({"/bin/sh", "-c", "exec " + tv_device + " " + args + " 2>&1"});
}

TEST(TvDeviceDial, DialWithoutInterfaceIsAUsageErrorListingInterfaces) {
    auto p = run_shell("--dial --no-console 127.0.0.1 0 127.0.0.1 0");
    EXPECT_EQ(p.wait_exit(10s), 2);
    EXPECT_NE(p.output().find("--interface"), std::string::npos) << p.output();
    EXPECT_NE(p.output().find("lo (127.0.0.1)"), std::string::npos) << p.output();
    EXPECT_EQ(lines_of(p.output()).size(), 1u) << p.output();
}

TEST(TvDeviceDial, UnknownInterfaceIsAUsageError) {
    auto p = run_shell("--dial --interface eth7 --no-console 127.0.0.1 0 127.0.0.1 0");
    EXPECT_EQ(p.wait_exit(10s), 2);
    EXPECT_NE(p.output().find("eth7"), std::string::npos) << p.output();
    EXPECT_NE(p.output().find("lo (127.0.0.1)"), std::string::npos) << p.output();
}

TEST(TvDeviceDial, AnHttpAddressUnreachableOnTheInterfaceIsAUsageError) {
    auto p = run_shell("--dial --interface lo --no-console 127.0.0.2 0 127.0.0.1 0");
    EXPECT_EQ(p.wait_exit(10s), 2);
    EXPECT_NE(p.output().find("127.0.0.2"), std::string::npos) << p.output();
}

TEST(TvDeviceDial, OptionsWithoutDialAreAUsageError) {
    auto p = run_shell("--friendly-name X --no-console 127.0.0.1 0 127.0.0.1 0");
    EXPECT_EQ(p.wait_exit(10s), 2);
}

TEST(TvDeviceDial, BadUuidIsAUsageError) {
    auto p = run_shell("--dial --interface lo --uuid nope --no-console 127.0.0.1 0 127.0.0.1 0");
    EXPECT_EQ(p.wait_exit(10s), 2);
    EXPECT_NE(p.output().find("--uuid"), std::string::npos) << p.output();
}

http::response<http::string_body> get(const std::string& host, std::uint16_t port,
                                      const std::string& target) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address(host), port});
    http::request<http::string_body> request(http::verb::get, target, 11);
    request.set(http::field::host, host + ":" + std::to_string(port));
    request.set(http::field::connection, "close");
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return response;
}

TEST(TvDeviceDial, ACompanionFindsItReadsTheHbbTVApplicationAndGetsCii) {
    const auto lo = net::find_multicast_interface("lo");
    ASSERT_TRUE(lo);
    boost::asio::io_context io;
    std::vector<std::string> notifies;
    std::vector<std::string> answers;
    net::ssdp_socket watcher(io.get_executor());
    ASSERT_FALSE(
        watcher.open(net::ssdp_socket::role::listener, *lo,
                     [&](std::string_view b, bool, const auto&) { notifies.emplace_back(b); }));
    net::ssdp_socket searcher(io.get_executor());
    ASSERT_FALSE(
        searcher.open(net::ssdp_socket::role::searcher, *lo,
                      [&](std::string_view b, bool, const auto&) { answers.emplace_back(b); }));

    const std::string uuid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    auto tv = run_shell("--dial --interface lo --friendly-name 'Test TV' --uuid " + uuid +
                        " --no-console 0.0.0.0 0 127.0.0.1 0");
    const auto location = tv.read_until(std::regex("DIAL on lo: device description (\\S+) "), 10s);
    ASSERT_FALSE(location.empty()) << tv.output();
    const auto usn = "uuid:" + uuid + "::" + std::string(dial::dial_search_target);

    const auto count_notifies = [&](bool alive) {
        int n = 0;
        for (const auto& d : notifies) {
            auto m = dial::parse_ssdp(d);
            if (m && std::holds_alternative<dial::ssdp_notify>(*m)) {
                const auto& note = std::get<dial::ssdp_notify>(*m);
                n += note.alive == alive && note.usn == usn ? 1 : 0;
            }
        }
        return n;
    };
    ASSERT_TRUE(run_until(
        io, [&] { return count_notifies(true) >= 1; }, 3s));

    dial::ssdp_search s;
    s.search_target = std::string(dial::dial_search_target);
    s.mx_s = 1;
    ASSERT_FALSE(searcher.send_to(dial::format_ssdp(s), net::ssdp_socket::multicast_group()));
    ASSERT_TRUE(run_until(
        io, [&] { return !answers.empty(); }, 2500ms));
    auto answer = dial::parse_ssdp(answers.front());
    ASSERT_TRUE(answer);
    ASSERT_TRUE(std::holds_alternative<dial::ssdp_search_response>(*answer));
    const auto& response = std::get<dial::ssdp_search_response>(*answer);
    EXPECT_EQ(response.location, location);
    EXPECT_EQ(response.usn, usn);

    std::smatch m;
    ASSERT_TRUE(std::regex_match(location, m, std::regex("http://([0-9.]+):([0-9]+)(/.*)")));
    const auto host = m[1].str();
    const auto port = static_cast<std::uint16_t>(std::stoi(m[2].str()));
    const auto description = get(host, port, m[3].str());
    ASSERT_EQ(description.result_int(), 200u);
    const auto d = dial::parse_device_description(description.body());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->friendly_name, "Test TV");
    EXPECT_EQ(d->udn, "uuid:" + uuid);
    const std::string app_url(description[std::string("Application-URL")]);
    ASSERT_EQ(app_url, "http://" + host + ":" + std::to_string(port) + "/apps/");

    const auto application = get(host, port, "/apps/HbbTV");
    ASSERT_EQ(application.result_int(), 200u);
    const auto app = dial::parse_hbbtv_application(application.body());
    ASSERT_TRUE(app);
    ASSERT_TRUE(app->inter_dev_sync_url);
    EXPECT_EQ(*app->inter_dev_sync_url, "ws://" + host + ":" + std::to_string(port) + "/cii");

    const auto first = first_cii(io, *app->inter_dev_sync_url, 5s);
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->content_id.has_value());

    tv.signal(SIGINT);
    EXPECT_EQ(tv.wait_exit(10s), 0) << tv.output();
    EXPECT_TRUE(run_until(
        io, [&] { return count_notifies(false) >= 1; }, 3s));
}

TEST(CiiServerDial, WithoutAnAddressItListensOnTheInterfaceAndNamesItsCii) {
    auto usage = child_process(
        {"/bin/sh", "-c", "exec " + std::string(DVBCSS_BIN_DIR) + "/cii-server --dial 2>&1"});
    EXPECT_EQ(usage.wait_exit(10s), 2);
    EXPECT_NE(usage.output().find("lo (127.0.0.1)"), std::string::npos) << usage.output();

    child_process server({std::string(DVBCSS_BIN_DIR) + "/cii-server", "--dial", "--interface",
                          "lo", "--friendly-name", "Kitchen"});
    const auto location = server.read_until(std::regex("device description (\\S+) "), 10s);
    ASSERT_EQ(location, "http://127.0.0.1:7681/dial/dd.xml") << server.output();
    const auto description = get("127.0.0.1", 7681, "/dial/dd.xml");
    const auto d = dial::parse_device_description(description.body());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->friendly_name, "Kitchen");
    const auto app = dial::parse_hbbtv_application(get("127.0.0.1", 7681, "/apps/HbbTV").body());
    ASSERT_TRUE(app);
    EXPECT_EQ(app->inter_dev_sync_url, std::optional<std::string>("ws://127.0.0.1:7681/cii"));
    server.signal(SIGINT);
    EXPECT_EQ(server.wait_exit(10s), 0);
}

} // namespace
} // namespace dvbcss::test

int main(int argc, char** argv) {
    return dvbcss::test::run_tests_beside_lo_only(argc, argv, "netns_tv_device_dial_test");
}
