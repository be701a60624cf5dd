// DIAL discovery, the companion side, inside a network namespace that holds only lo (the test
// refuses to run anywhere else: SSDP multicast must never reach a real network). Fake TVs are
// made from the library's own parts (dial::responder on an SSDP listener socket, HTTP routes of a
// websocket_server); hostile peers answer searches with garbage, oversized datagrams and
// LOCATIONs that never answer, point elsewhere, or serve XML bombs and 1 MiB bodies.
//
// Run through tests/netns/run_in_netns.sh (see CMakeLists_discover.cmake).

#include "support/child_process.hpp"

#include <dvbcss/dial/description.hpp>
#include <dvbcss/dial/responder.hpp>
#include <dvbcss/net/dial_discovery.hpp>
#include <dvbcss/net/http_route.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/ssdp_socket.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <net/if.h>

namespace {

using namespace dvbcss;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// True when this process's network namespace holds no interface but lo.
bool only_loopback() {
    auto* names = if_nameindex();
    if (names == nullptr) {
        return false;
    }
    bool only_lo = true;
    for (auto* n = names; n->if_index != 0; ++n) {
        if (std::string(n->if_name) != "lo") {
            only_lo = false;
        }
    }
    if_freenameindex(names);
    return only_lo;
}

net::network_interface loopback() {
    auto lo = net::find_multicast_interface("lo");
    if (!lo) {
        throw std::runtime_error("lo is not multicast-capable here: run through run_in_netns.sh");
    }
    return *lo;
}

std::string bin(const std::string& name) {
    return std::string(DVBCSS_BIN_DIR) + "/" + name;
}

/// A DIAL TV made of the library's parts: an SSDP listener driving a dial::responder, and an
/// HTTP server with the device description (and its Application-URL header) and /apps/HbbTV.
class fake_tv {
public:
    struct settings {
        std::string uuid;
        std::string friendly_name;
        std::string inter_dev_sync_url = "ws://127.0.0.1:7681/cii";
        std::string app2app_url = "ws://127.0.0.1:8000/local/";
        std::string user_agent = "HbbTV/1.4.1 (+DRM; fake; tv; 1.0; 1.0;) dvbcss-test";
        int locations = 1; ///< Answer each search from this many LOCATIONs (same UDN).
    };

    fake_tv(asio::io_context& io, settings s)
        : io_(io)
        , settings_(std::move(s))
        , server_(io.get_executor(), {})
        , timer_(io)
        , random_(std::random_device{}()) {
        route_ = std::make_unique<net::http_function_handler>(
            [this](const net::http_request& r, net::http_responder respond) { serve(r, respond); });
        server_.add_http_route("/", *route_, {true, 1024});
        if (server_.start()) {
            throw std::runtime_error("fake TV: cannot start its HTTP server");
        }
        port_ = server_.local_endpoint().port();
        for (int i = 0; i < settings_.locations; ++i) {
            dial::responder_config c;
            c.uuid = settings_.uuid;
            c.location = base() + "/dd" + std::to_string(i) + ".xml";
            responders_.push_back(std::make_unique<dial::responder>(c));
        }
        socket_ = std::make_unique<net::ssdp_socket>(io.get_executor());
        if (socket_->open(net::ssdp_socket::role::listener, loopback(),
                          [this](std::string_view bytes, bool truncated,
                                 const net::ssdp_socket::endpoint& from) {
                              if (!truncated) {
                                  on_datagram(bytes, from);
                              }
                          })) {
            throw std::runtime_error("fake TV: cannot open its SSDP listener");
        }
    }

    ~fake_tv() {
        socket_->close();
        server_.stop();
    }

    [[nodiscard]] std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

    [[nodiscard]] std::uint64_t searches() const { return responders_[0]->statistics().searches; }

    [[nodiscard]] std::uint64_t description_gets() const { return description_gets_; }

private:
    void on_datagram(std::string_view bytes, const net::ssdp_socket::endpoint& from) {
        for (auto& r : responders_) {
            static_cast<void>(r->on_datagram(bytes, {from.address().to_string(), from.port()},
                                             now_ns(), random_()));
        }
        schedule();
    }

    void schedule() {
        std::optional<std::int64_t> due;
        for (auto& r : responders_) {
            if (auto d = r->next_due_ns(); d && (!due || *d < *due)) {
                due = d;
            }
        }
        if (!due) {
            return;
        }
        timer_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, *due - now_ns())));
        // A wait that has already completed runs even after the timer is gone: check `alive`.
        timer_.async_wait(
            [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                if (ec || alive.expired()) {
                    return;
                }
                for (auto& r : responders_) {
                    for (auto& a : r->take_due(now_ns())) {
                        static_cast<void>(socket_->send_to(
                            a.datagram,
                            {asio::ip::make_address(a.destination.address), a.destination.port}));
                    }
                }
                schedule();
            });
    }

    void serve(const net::http_request& r, const net::http_responder& respond) {
        net::http_response answer;
        answer.content_type = "text/xml; charset=utf-8";
        if (r.path.rfind("/dd", 0) == 0) {
            ++description_gets_;
            dial::device_description d;
            d.friendly_name = settings_.friendly_name;
            d.udn = "uuid:" + settings_.uuid;
            answer.body = dial::format_device_description(d);
            answer.headers.emplace_back("Application-URL", base() + "/apps/");
        } else if (r.path == "/apps/HbbTV") {
            dial::hbbtv_application a;
            a.inter_dev_sync_url = settings_.inter_dev_sync_url;
            a.app2app_url = settings_.app2app_url;
            a.user_agent = settings_.user_agent;
            answer.body = dial::format_hbbtv_application(a);
        } else {
            answer.status = 404;
            answer.body = "not here";
        }
        respond(std::move(answer));
    }

    asio::io_context& io_;
    settings settings_;
    net::websocket_server server_;
    std::unique_ptr<net::http_function_handler> route_;
    std::uint16_t port_ = 0;
    std::vector<std::unique_ptr<dial::responder>> responders_;
    std::unique_ptr<net::ssdp_socket> socket_;
    asio::steady_timer timer_;
    std::mt19937_64 random_;
    std::uint64_t description_gets_ = 0;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); ///< Expires with this object.
};

/// A peer that answers every search at once with garbage, an oversized datagram and answers
/// whose LOCATIONs are hostile: a TCP port that accepts and never answers, a server speaking
/// no HTTP, an address elsewhere (unreachable), an XML bomb, too deep XML, a 1 MiB body.
class hostile_peer {
public:
    explicit hostile_peer(asio::io_context& io)
        : server_(io.get_executor(), {})
        , silent_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0))
        , babbler_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
        route_ = std::make_unique<net::http_function_handler>(
            [](const net::http_request& r, net::http_responder respond) {
                net::http_response a;
                a.content_type = "text/xml";
                if (r.path == "/bomb.xml") {
                    a.body = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
                             "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                             "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
                             "<root><device><UDN>uuid:bomb</UDN><friendlyName>&c;</friendlyName>"
                             "</device></root>";
                } else if (r.path == "/deep.xml") {
                    for (int i = 0; i < 5000; ++i) {
                        a.body += "<a>";
                    }
                } else if (r.path == "/big.xml") {
                    a.body = "<root><device><UDN>uuid:big</UDN><friendlyName>" +
                             std::string(1 << 20, 'x') + "</friendlyName></device></root>";
                } else {
                    a.status = 404;
                }
                a.headers.emplace_back("Application-URL", "http://127.0.0.1:9/apps/");
                respond(std::move(a));
            });
        server_.add_http_route("/", *route_, {true, 1024});
        if (server_.start()) {
            throw std::runtime_error("hostile peer: cannot start its HTTP server");
        }
        // The silent one listens and never accepts: connections complete, nothing is said.
        babble();
        socket_ = std::make_unique<net::ssdp_socket>(io.get_executor());
        if (socket_->open(
                net::ssdp_socket::role::listener, loopback(),
                [this](std::string_view bytes, bool, const net::ssdp_socket::endpoint& from) {
                    if (bytes.substr(0, 8) == "M-SEARCH") {
                        answer(from);
                    }
                })) {
            throw std::runtime_error("hostile peer: cannot open its SSDP listener");
        }
    }

    ~hostile_peer() {
        socket_->close();
        server_.stop();
    }

private:
    void babble() {
        // An accept that has already completed runs even after the acceptor is gone.
        babbler_.async_accept([this, alive = std::weak_ptr<int>(alive_)](
                                  const boost::system::error_code& ec, tcp::socket s) {
            if (ec || alive.expired()) {
                return;
            }
            auto held = std::make_shared<tcp::socket>(std::move(s));
            asio::async_write(*held, asio::buffer(babble_text_),
                              [held](const boost::system::error_code&, std::size_t) {
                                  boost::system::error_code ignored;
                                  held->close(ignored);
                              });
            babble();
        });
    }

    void answer(const net::ssdp_socket::endpoint& to) {
        static_cast<void>(socket_->send_to("hello, this is not SSDP\r\n\r\n", to));
        static_cast<void>(socket_->send_to(std::string(9000, 'X'), to));
        static_cast<void>(socket_->send_to(
            "HTTP/1.1 200 OK\r\nST: " + std::string(dial::dial_search_target) + "\r\n\r\n",
            to)); // no LOCATION, no USN
        const auto http = "http://127.0.0.1:" + std::to_string(server_.local_endpoint().port());
        const std::vector<std::string> locations = {
            "http://127.0.0.1:" + std::to_string(silent_.local_endpoint().port()) + "/dd.xml",
            "http://127.0.0.1:" + std::to_string(babbler_.local_endpoint().port()) + "/dd.xml",
            "http://192.0.2.1:80/dd.xml", // elsewhere: unreachable from this namespace
            "ftp://127.0.0.1/dd.xml",
            http + "/bomb.xml",
            http + "/deep.xml",
            http + "/big.xml",
        };
        for (const auto& location : locations) {
            dial::ssdp_search_response r;
            r.location = location;
            r.search_target = std::string(dial::dial_search_target);
            r.usn = "uuid:hostile::" + std::string(dial::dial_search_target);
            static_cast<void>(socket_->send_to(dial::format_ssdp(r), to));
        }
    }

    net::websocket_server server_;
    std::unique_ptr<net::http_function_handler> route_;
    tcp::acceptor silent_;
    tcp::acceptor babbler_;
    std::string babble_text_ = "SSH-2.0-OpenSSH_9.2\r\nthis is no HTTP\r\n\r\n";
    std::unique_ptr<net::ssdp_socket> socket_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); ///< Expires with this object.
};

/// Fake TVs and hostile peers run on their own thread, as a TV would in another process.
class tv_thread {
public:
    tv_thread() = default;

    ~tv_thread() { stop(); }

    tv_thread(const tv_thread&) = delete;
    tv_thread& operator=(const tv_thread&) = delete;

    /// Makes an object on the TV thread's io_context (before `run`).
    template <class T, class... Args>
    T& make(Args&&... args) {
        auto p = std::make_shared<T>(io_, std::forward<Args>(args)...);
        auto& ref = *p;
        keep_.push_back(p);
        return ref;
    }

    void run() {
        thread_ = std::thread([this] { io_.run(); });
    }

    void stop() {
        if (thread_.joinable()) {
            std::promise<void> done;
            asio::post(io_, [this, &done] {
                keep_.clear(); // closes sockets and servers on their own thread
                done.set_value();
            });
            done.get_future().wait();
            work_.reset();
            io_.stop();
            thread_.join();
        }
    }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    std::vector<std::shared_ptr<void>> keep_;
    std::thread thread_;
};

/// Runs one discovery on its own io_context until `until` TVs are found or it finishes.
struct discovery_run {
    std::vector<net::discovered_tv> tvs;
    net::dial_discovery_statistics stats;
    bool finished = false;
    std::chrono::steady_clock::duration took{};
};

discovery_run discover(net::dial_discovery_config config, std::size_t until = 0) {
    asio::io_context io;
    discovery_run out;
    net::dial_discovery d(io.get_executor(), std::move(config));
    const auto start = std::chrono::steady_clock::now();
    const auto ec = d.start(
        [&](const net::discovered_tv& tv) {
            out.tvs.push_back(tv);
            if (until != 0 && out.tvs.size() >= until) {
                d.stop();
            }
        },
        [&] { out.finished = true; });
    EXPECT_FALSE(ec) << ec.message();
    io.run();
    out.took = std::chrono::steady_clock::now() - start;
    out.stats = d.statistics();
    return out;
}

net::dial_discovery_config config_on_lo(std::chrono::milliseconds timeout = 3000ms) {
    net::dial_discovery_config c;
    c.iface = loopback();
    c.mx_s = 1;
    c.timeout = timeout;
    return c;
}

int open_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

/// The fd count once it has not changed for 500 ms (at most 5 s).
int settled_fds() {
    int last = open_fds();
    auto stable_since = std::chrono::steady_clock::now();
    const auto give_up = stable_since + 5s;
    while (std::chrono::steady_clock::now() < give_up &&
           std::chrono::steady_clock::now() - stable_since < 500ms) {
        std::this_thread::sleep_for(20ms);
        if (const int n = open_fds(); n != last) {
            last = n;
            stable_since = std::chrono::steady_clock::now();
        }
    }
    return last;
}

int threads() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
        ++n;
    }
    return n;
}

struct quiet {
    quiet() { net::log::set_level(net::log::level::off); }

    ~quiet() { net::log::set_level(net::log::level::warning); }

    quiet(const quiet&) = delete;
    quiet& operator=(const quiet&) = delete;
};

// ---- In-process discovery against fake TVs ----

TEST(DialDiscovery, FindsOneTvWithEveryFieldWithinMxAndSlack) {
    tv_thread tvs;
    tvs.make<fake_tv>(fake_tv::settings{"11111111-2222-3333-4444-555555555555", "Living room"});
    tvs.run();
    // The first test of this binary runs its code cold: under CI's load (a compile beside it)
    // its first pages came in seconds late once, so the fetch gets 5 s and the run stops at the
    // TV rather than at a timeout.
    auto config = config_on_lo(8000ms);
    config.fetch_timeout = 5000ms;
    const auto run = discover(config, 1);
    ASSERT_EQ(run.tvs.size(), 1U);
    const auto& tv = run.tvs[0];
    EXPECT_EQ(tv.friendly_name, "Living room");
    EXPECT_EQ(tv.udn, "uuid:11111111-2222-3333-4444-555555555555");
    EXPECT_TRUE(std::regex_match(tv.location, std::regex(R"(http://127\.0\.0\.1:\d+/dd0\.xml)")))
        << tv.location;
    ASSERT_TRUE(tv.application_url);
    EXPECT_TRUE(
        std::regex_match(*tv.application_url, std::regex(R"(http://127\.0\.0\.1:\d+/apps/)")));
    EXPECT_EQ(tv.inter_dev_sync_url, "ws://127.0.0.1:7681/cii");
    EXPECT_EQ(tv.app2app_url, "ws://127.0.0.1:8000/local/");
    EXPECT_EQ(tv.user_agent, "HbbTV/1.4.1 (+DRM; fake; tv; 1.0; 1.0;) dvbcss-test");
    EXPECT_EQ(tv.address.to_string(), "127.0.0.1");
    // MX 1: the first answer comes within 1 s of the first search, then two local GETs; the
    // bound is generous for a loaded machine and still well before the run's 8 s timeout.
    EXPECT_GT(tv.found_after_ns, 0);
    EXPECT_LT(tv.found_after_ns, 4'000'000'000) << "found from the first answers";
    EXPECT_LE(run.took, 5s) << "stopped at the TV, not at the timeout";
    EXPECT_GE(run.stats.searches_sent, 1U);
    EXPECT_EQ(run.stats.tvs, 1U);
}

TEST(DialDiscovery, SeveralAnswersAndLocationsOfOneTvGiveOneTv) {
    tv_thread tvs;
    auto& tv = tvs.make<fake_tv>(fake_tv::settings{"aaaaaaaa-0000-0000-0000-000000000001",
                                                   "Kitchen", "ws://x/cii", "", "",
                                                   2}); // two LOCATIONs per search, three searches
    tvs.run();
    const auto run = discover(config_on_lo(2500ms));
    ASSERT_EQ(run.tvs.size(), 1U);
    EXPECT_EQ(run.tvs[0].udn, "uuid:aaaaaaaa-0000-0000-0000-000000000001");
    EXPECT_FALSE(run.tvs[0].app2app_url) << "an empty element is absent";
    EXPECT_FALSE(run.tvs[0].user_agent);
    EXPECT_EQ(run.stats.searches_sent, 3U);
    EXPECT_EQ(run.stats.locations, 2U) << "each LOCATION fetched once across three searches";
    EXPECT_EQ(run.stats.duplicates, 1U) << "the second LOCATION names a UDN already known";
    EXPECT_EQ(tv.description_gets(), 2U);
}

TEST(DialDiscovery, TwoTvsGiveTwo) {
    tv_thread tvs;
    tvs.make<fake_tv>(fake_tv::settings{"bbbbbbbb-0000-0000-0000-000000000001", "One"});
    tvs.make<fake_tv>(fake_tv::settings{"bbbbbbbb-0000-0000-0000-000000000002", "Two"});
    tvs.run();
    const auto run = discover(config_on_lo(8000ms), 2); // stops once both are found
    ASSERT_EQ(run.tvs.size(), 2U);
    std::set<std::string> names{*run.tvs[0].friendly_name, *run.tvs[1].friendly_name};
    EXPECT_EQ(names, (std::set<std::string>{"One", "Two"}));
    EXPECT_NE(run.tvs[0].location, run.tvs[1].location);
}

TEST(DialDiscovery, HostilePeersDoNotStopDiscoveryOfAGoodTv) {
    const quiet silence;
    tv_thread tvs;
    tvs.make<hostile_peer>();
    tvs.make<fake_tv>(fake_tv::settings{"cccccccc-0000-0000-0000-000000000001", "Good"});
    tvs.run();
    const auto run = discover(config_on_lo(3000ms));
    ASSERT_EQ(run.tvs.size(), 1U);
    EXPECT_EQ(run.tvs[0].friendly_name, "Good");
    EXPECT_EQ(run.tvs[0].inter_dev_sync_url, "ws://127.0.0.1:7681/cii");
    EXPECT_LT(run.tvs[0].found_after_ns, 2'000'000'000);
    // Per search: garbage, an oversized datagram and an answer without LOCATION.
    EXPECT_GE(run.stats.malformed, 3U * 3U);
    // Seven hostile LOCATIONs (each fetched once) and the good one.
    EXPECT_EQ(run.stats.locations, 8U);
    // Every hostile one failed: silent (timeout), not HTTP, unreachable, ftp, bomb, deep, 1 MiB.
    EXPECT_EQ(run.stats.fetch_failed, 7U);
    EXPECT_TRUE(run.finished);
}

TEST(DialDiscovery, LocationsAreBoundedPerDiscovery) {
    const quiet silence;
    tv_thread tvs;
    tvs.make<hostile_peer>();
    tvs.run();
    auto config = config_on_lo(1500ms);
    config.max_locations = 3;
    config.max_concurrent_fetches = 2;
    config.fetch_timeout = 500ms;
    const auto run = discover(config);
    EXPECT_EQ(run.stats.locations, 3U);
    EXPECT_GE(run.stats.over_limit, 4U);
    EXPECT_TRUE(run.tvs.empty());
}

TEST(DialDiscovery, NoTvFinishesEmptyAtTheTimeoutAfterEverySearch) {
    const auto run = discover(config_on_lo(1200ms));
    EXPECT_TRUE(run.finished);
    EXPECT_TRUE(run.tvs.empty());
    EXPECT_EQ(run.stats.searches_sent, 3U) << "M-SEARCH at 0, 0.5 and 1 s";
    EXPECT_GE(run.took, 1150ms);
    EXPECT_LT(run.took, 3000ms);
}

TEST(DialDiscovery, TwentyCyclesLeaveNoFileDescriptorsBehind) {
    const quiet silence;
    tv_thread tvs;
    tvs.make<fake_tv>(fake_tv::settings{"dddddddd-0000-0000-0000-000000000001", "Leak check"});
    tvs.make<hostile_peer>();
    tvs.run();
    static_cast<void>(discover(config_on_lo(1500ms), 1)); // warm-up: io services, log set-up
    const int before = settled_fds();
    const int threads_before = threads();
    int found = 0;
    for (int i = 0; i < 20; ++i) {
        if (i % 2 == 0) {
            found += static_cast<int>(discover(config_on_lo(1500ms), 1).tvs.size());
        } else {
            // Stopped while fetches (the silent LOCATION among them) are in flight.
            asio::io_context io;
            net::dial_discovery d(io.get_executor(), config_on_lo(1500ms));
            ASSERT_FALSE(d.start([](const net::discovered_tv&) {}, [] {}));
            asio::steady_timer t(io, 300ms);
            t.async_wait([&](const boost::system::error_code&) { d.stop(); });
            io.run();
        }
    }
    EXPECT_EQ(found, 10);
    // The fake TVs' server-side sockets (same process) close as they see the companion leave,
    // so the count is compared once it has settled: a leak would add about one per cycle.
    EXPECT_LE(settled_fds(), before);
    EXPECT_EQ(threads(), threads_before);
}

TEST(DialDiscovery, StartTwiceIsRefused) {
    asio::io_context io;
    net::dial_discovery d(io.get_executor(), config_on_lo(100ms));
    ASSERT_FALSE(d.start({}, {}));
    EXPECT_EQ(d.start({}, {}), asio::error::already_started);
    d.stop();
    io.run();
}

// ---- dial-discover the program ----

TEST(DialDiscoverProgram, PrintsEachTvAsJsonAndExitsZero) {
    tv_thread tvs;
    tvs.make<fake_tv>(fake_tv::settings{"eeeeeeee-0000-0000-0000-000000000001", "Den \"TV\""});
    tvs.run();
    test::child_process p({bin("dial-discover"), "--interface", "lo", "--json", "--timeout", "2"});
    ASSERT_TRUE(p.started());
    EXPECT_EQ(p.wait_exit(10s), 0);
    const auto lines = test::lines_of(p.output());
    ASSERT_EQ(lines.size(), 1U) << p.output();
    const std::regex shape(
        R"(\{"friendly_name":"Den \\"TV\\"","udn":"uuid:eeeeeeee-0000-0000-0000-000000000001",)"
        R"("location":"http://127\.0\.0\.1:\d+/dd0\.xml","application_url":"http://127\.0\.0\.1:\d+/apps/",)"
        R"("inter_dev_sync_url":"ws://127\.0\.0\.1:7681/cii","app2app_url":"ws://127\.0\.0\.1:8000/local/",)"
        R"("user_agent":"[^"]+","address":"127\.0\.0\.1","found_after_s":[0-9.e-]+\})");
    EXPECT_TRUE(std::regex_match(lines[0], shape)) << lines[0];
}

TEST(DialDiscoverProgram, TextBlockAndNameFilter) {
    tv_thread tvs;
    tvs.make<fake_tv>(fake_tv::settings{"ffffffff-0000-0000-0000-000000000001", "Wanted"});
    tvs.make<fake_tv>(fake_tv::settings{"ffffffff-0000-0000-0000-000000000002", "Other"});
    tvs.run();
    test::child_process p(
        {bin("dial-discover"), "--interface", "lo", "--name", "Wanted", "--timeout", "3"});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.wait_exit(10s), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms) << "stops once the TV is found";
    EXPECT_NE(p.output().find("TV: Wanted\n"), std::string::npos) << p.output();
    EXPECT_NE(p.output().find("  InterDevSync URL: ws://127.0.0.1:7681/cii\n"), std::string::npos);
    EXPECT_EQ(p.output().find("Other"), std::string::npos);
}

TEST(DialDiscoverProgram, NoTvExitsOne) {
    test::child_process p({bin("dial-discover"), "--interface", "lo", "--timeout", "0.8"});
    EXPECT_EQ(p.wait_exit(10s), 1);
    EXPECT_TRUE(p.output().empty());
}

TEST(DialDiscoverProgram, UsageErrorsExitTwoAndListInterfaces) {
    // stderr is not captured by child_process: run through sh to fold it into stdout.
    for (const auto& args :
         {std::string(""), std::string("--interface nosuch0"), std::string("--interface lo --mx 9"),
          std::string("--interface lo --timeout -1"), std::string("--bogus")}) {
        test::child_process p({"/bin/sh", "-c", bin("dial-discover") + " " + args + " 2>&1"});
        EXPECT_EQ(p.wait_exit(10s), 2) << args;
        if (args.empty() || args.find("nosuch") != std::string::npos) {
            EXPECT_NE(p.output().find("lo (127.0.0.1)"), std::string::npos) << p.output();
        }
    }
}

// ---- Against the real tv-device --dial process ----

/// tv-device --dial on lo, its WebSocket server on 0.0.0.0 (so on lo too), wall clock on lo.
test::child_process start_tv_device(const std::string& name) {
    return test::child_process({"/bin/sh", "-c",
                                "exec " + bin("tv-device") +
                                    " --dial --interface lo --friendly-name '" + name +
                                    "' --no-console 0.0.0.0 0 127.0.0.1 0 2>&1"});
}

TEST(DialDiscoverTvDevice, DialDiscoverFindsTvDeviceAndItsCiiUrl) {
    auto tv = start_tv_device("Real TV");
    ASSERT_FALSE(tv.read_until(std::regex("DIAL on lo: device description (\\S+) "), 10s).empty())
        << tv.output();
    test::child_process p({bin("dial-discover"), "--interface", "lo", "--json", "--name", "Real TV",
                           "--timeout", "3"});
    EXPECT_EQ(p.wait_exit(10s), 0) << p.output();
    const auto lines = test::lines_of(p.output());
    ASSERT_EQ(lines.size(), 1U) << p.output();
    EXPECT_TRUE(std::regex_search(
        lines[0], std::regex(R"("inter_dev_sync_url":"ws://127\.0\.0\.1:\d+/cii")")))
        << lines[0];
    EXPECT_NE(lines[0].find("\"app2app_url\":null"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"address\":\"127.0.0.1\""), std::string::npos) << lines[0];
    const std::regex after(R"("found_after_s":([0-9.e-]+))");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(lines[0], m, after));
    EXPECT_LT(std::stod(m[1].str()), 1.6) << "MX 1 plus two local GETs";
}

TEST(DialDiscoverTvDevice, CiiClientDiscoverGetsCiiFromTvDevice) {
    auto tv = start_tv_device("CII TV");
    ASSERT_FALSE(tv.read_until(std::regex("DIAL on lo: device description (\\S+) "), 10s).empty())
        << tv.output();
    test::child_process p({bin("cii-client"), "--discover", "--interface", "lo", "--name", "CII TV",
                           "--json", "--duration", "1.5"});
    EXPECT_EQ(p.wait_exit(15s), 0) << p.output();
    EXPECT_TRUE(std::regex_search(
        p.output(), std::regex(R"("event":"connected".*"url":"ws://127\.0\.0\.1:\d+/cii")")))
        << p.output();
    EXPECT_TRUE(std::regex_search(
        p.output(), std::regex(R"("event":"cii".*"message":\{.*"protocolVersion":"1\.1")")))
        << p.output();
}

TEST(DialDiscoverTvDevice, TsClientDiscoverFollowsTheTimeline) {
    auto tv = start_tv_device("TS TV");
    ASSERT_FALSE(tv.read_until(std::regex("DIAL on lo: device description (\\S+) "), 10s).empty())
        << tv.output();
    test::child_process p(
        {bin("ts-client"), "--discover", "--interface", "lo", "--json", "--duration", "4"});
    EXPECT_EQ(p.wait_exit(20s), 0) << p.output();
    EXPECT_TRUE(std::regex_search(p.output(), std::regex(R"("available":true)"))) << p.output();
}

TEST(DialDiscoverTvDevice, ClientsWithoutATvExitOne) {
    for (const auto& program : {std::string("cii-client"), std::string("ts-client")}) {
        test::child_process p(
            {bin(program), "--discover", "--interface", "lo", "--discover-timeout", "0.8"});
        EXPECT_EQ(p.wait_exit(10s), 1) << program;
    }
}

} // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (!only_loopback()) {
        std::fprintf(stderr, "dial_discover_test: refusing to run: this network namespace holds "
                             "interfaces besides lo (run it through run_in_netns.sh)\n");
        return 77;
    }
    return RUN_ALL_TESTS();
}
