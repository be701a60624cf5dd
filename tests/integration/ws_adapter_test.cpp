// The generic WebSocket adapters over loopback, with tiny fake protocol cores: every call into a
// core happens on the owner thread, output is pulled, updates collapse, a flood of bad messages
// writes a bounded number of log lines, and queued work survives the adapter's destruction.
#include "websocket_test_support.hpp"

#include <dvbcss/error.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/ws_client_adapter.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/protocol.hpp>

#include <boost/asio/ip/address_v6.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

/// What a fake core saw, readable from the test thread.
struct observations {
    mutable std::mutex mutex;
    std::thread::id owner;
    int calls = 0;
    int calls_off_owner = 0;
    std::vector<std::string> events;
    std::vector<connection_origin> origins;
    int bad_messages = 0;
    int pulls = 0;

    void record(const std::string& event) {
        const std::lock_guard lock(mutex);
        ++calls;
        if (std::this_thread::get_id() != owner) {
            ++calls_off_owner;
        }
        events.push_back(event);
    }

    int get(int observations::*member) const {
        const std::lock_guard lock(mutex);
        return this->*member;
    }

    std::vector<std::string> event_list() const {
        const std::lock_guard lock(mutex);
        return events;
    }

    bool saw(const std::string& event) const {
        const std::lock_guard lock(mutex);
        return std::find(events.begin(), events.end(), event) != events.end();
    }

    bool saw_prefix(const std::string& prefix) const {
        const std::lock_guard lock(mutex);
        return std::any_of(events.begin(), events.end(),
                           [&](const std::string& e) { return e.starts_with(prefix); });
    }
};

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

/// A server core: answers each text with its upper case; "bad..." is rejected; `broadcast` sets a
/// value every connection is owed. Output is pulled: one reply slot per connection.
class echo_core {
public:
    explicit echo_core(std::shared_ptr<observations> seen)
        : seen_(std::move(seen)) {}

    void on_open(connection_id id, const connection_origin& origin) {
        seen_->record("open " + std::to_string(id));
        {
            const std::lock_guard lock(seen_->mutex);
            seen_->origins.push_back(origin);
        }
        owed_[id];
    }

    error_code on_text(connection_id id, std::string_view text) {
        seen_->record("text");
        if (text.starts_with("bad")) {
            const std::lock_guard lock(seen_->mutex);
            ++seen_->bad_messages;
            return make_error_code(errc::bad_json);
        }
        const auto it = owed_.find(id);
        if (it != owed_.end()) {
            it->second = upper(std::string(text));
            mark(id);
        }
        return {};
    }

    void on_close(connection_id id) {
        seen_->record("close " + std::to_string(id));
        owed_.erase(id);
    }

    std::vector<connection_id> take_dirty() {
        ++dirty_calls_;
        std::vector<connection_id> ids(dirty_.begin(), dirty_.end());
        dirty_.clear();
        return ids;
    }

    std::optional<std::string> take_pending(connection_id id) {
        seen_->record("pull");
        {
            const std::lock_guard lock(seen_->mutex);
            ++seen_->pulls;
        }
        const auto it = owed_.find(id);
        if (it == owed_.end() || !it->second) {
            return std::nullopt;
        }
        return std::exchange(it->second, std::nullopt);
    }

    /// Every connection is owed `text` (replacing what it was owed).
    void broadcast(const std::string& text) {
        seen_->record("broadcast");
        for (auto& [id, owed] : owed_) {
            owed = text;
            mark(id);
        }
    }

    int dirty_calls() const { return dirty_calls_; }

private:
    void mark(connection_id id) { dirty_.insert(id); }

    std::shared_ptr<observations> seen_;
    std::map<connection_id, std::optional<std::string>> owed_;
    std::set<connection_id> dirty_;
    int dirty_calls_ = 0;
};

static_assert(server_protocol<echo_core>);

/// A client core: says "hello" on open, "again" when it hears "HELLO"; rejects "BAD..." and binary.
class greeter_core {
public:
    explicit greeter_core(std::shared_ptr<observations> seen)
        : seen_(std::move(seen)) {}

    void on_open() {
        seen_->record("open");
        outbox_.emplace_back("hello");
    }

    error_code on_text(std::string_view text) {
        seen_->record("text " + std::string(text));
        if (text.starts_with("BAD")) {
            return make_error_code(errc::bad_json);
        }
        if (text == "HELLO") {
            outbox_.emplace_back("again");
        }
        return {};
    }

    error_code on_binary(std::size_t size) {
        seen_->record("binary " + std::to_string(size));
        return make_error_code(errc::binary_frame);
    }

    void on_close(std::uint16_t code, std::string_view reason) {
        seen_->record("close " + std::to_string(code) + " " + std::string(reason));
    }

    std::optional<std::string> take_pending() {
        if (outbox_.empty()) {
            return std::nullopt;
        }
        auto text = std::move(outbox_.front());
        outbox_.erase(outbox_.begin());
        return text;
    }

    void say(std::string text) { outbox_.push_back(std::move(text)); }

private:
    std::shared_ptr<observations> seen_;
    std::vector<std::string> outbox_;
};

static_assert(client_protocol<greeter_core>);

std::thread::id thread_of(boost::asio::io_context& context) {
    std::promise<std::thread::id> id;
    boost::asio::post(context, [&] { id.set_value(std::this_thread::get_id()); });
    return id.get_future().get();
}

/// Captures the log lines of one logger (and restores the default sink and level afterwards).
class log_capture {
public:
    explicit log_capture(std::string logger, net::log::level level = net::log::level::info)
        : logger_(std::move(logger))
        , previous_(net::log::current_level()) {
        net::log::set_level(level);
        net::log::set_sink([this](net::log::level, std::string_view name, std::string_view line) {
            if (name == logger_) {
                const std::lock_guard lock(mutex_);
                lines_.emplace_back(line);
            }
        });
    }

    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;

    ~log_capture() {
        net::log::set_sink(nullptr);
        net::log::set_level(previous_);
    }

    std::vector<std::string> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    std::string logger_;
    net::log::level previous_;
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

/// A server on two io threads, with an echo_core endpoint "/echo" owned by a separate thread.
class WsAdapterTest : public ::testing::Test {
protected:
    void start(net::ws_server_adapter_options options = {}) {
        seen->owner = thread_of(owner_io->context);
        server = std::make_unique<net::websocket_server>(server_io->context.get_executor(),
                                                         net::websocket_server_config{});
        if (options.logger == "websocket") {
            options.logger = "echo";
        }
        adapter = std::make_unique<net::ws_server_adapter<echo_core>>(
            *server, "/echo", owner_io->context.get_executor(), echo_core(seen), options);
        ASSERT_FALSE(server->start());
    }

    recording_client& connect() {
        net::websocket_client_config config;
        config.url = url_of(*server, "/echo");
        clients.push_back(std::make_unique<recording_client>(client_io->context, config));
        EXPECT_FALSE(clients.back()->client->start());
        return *clients.back();
    }

    void TearDown() override {
        for (auto& c : clients) {
            c->client->close();
        }
        if (server) {
            server->stop();
        }
        client_io->stop(1s);
        server_io->stop(1s);
        owner_io->stop(1s);
    }

    std::shared_ptr<observations> seen = std::make_shared<observations>();
    std::unique_ptr<io_threads> owner_io = std::make_unique<io_threads>(1);
    std::unique_ptr<io_threads> server_io = std::make_unique<io_threads>(2);
    std::unique_ptr<io_threads> client_io = std::make_unique<io_threads>(1);
    std::unique_ptr<net::websocket_server> server;
    std::unique_ptr<net::ws_server_adapter<echo_core>> adapter;
    std::vector<std::unique_ptr<recording_client>> clients;
};

TEST_F(WsAdapterTest, OpenTextAndCloseReachTheCoreOnTheOwnerThread) {
    start();
    auto& c = connect();
    ASSERT_TRUE(eventually([&] { return c.opens() == 1; }));
    ASSERT_TRUE(eventually([&] { return seen->saw_prefix("open "); }));
    ASSERT_TRUE(c.client->send_text("hello"));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_EQ(c.texts().at(0), "HELLO");
    ASSERT_TRUE(c.client->send_text("again"));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 2; }));
    EXPECT_EQ(c.texts().at(1), "AGAIN");

    c.client->close();
    ASSERT_TRUE(eventually([&] { return seen->saw_prefix("close "); }));
    EXPECT_GE(seen->get(&observations::calls), 6);
    EXPECT_EQ(seen->get(&observations::calls_off_owner), 0);

    const std::lock_guard lock(seen->mutex);
    ASSERT_EQ(seen->origins.size(), 1U);
    EXPECT_EQ(seen->origins[0].local_host, "127.0.0.1");
    EXPECT_EQ(seen->origins[0].local_port, server->local_endpoint().port());
    EXPECT_TRUE(seen->origins[0].remote.starts_with("127.0.0.1:")) << seen->origins[0].remote;
}

TEST_F(WsAdapterTest, ChangesMadeWithWithCoreAreNotifiedAndPulled) {
    start();
    auto& a = connect();
    auto& b = connect();
    ASSERT_TRUE(eventually([&] { return adapter->endpoint().connection_count() == 2; }));
    ASSERT_TRUE(eventually([&] { return seen->get(&observations::calls) >= 2; }));
    adapter->with_core([](echo_core& core) { core.broadcast("news"); });
    ASSERT_TRUE(eventually([&] { return a.text_count() == 1 && b.text_count() == 1; }));
    EXPECT_EQ(a.texts().at(0), "news");
    EXPECT_EQ(b.texts().at(0), "news");
    EXPECT_EQ(seen->get(&observations::calls_off_owner), 0);
}

TEST_F(WsAdapterTest, SeveralUpdatesBeforeThePullCollapseIntoOneMessage) {
    start();
    auto& c = connect();
    ASSERT_TRUE(eventually([&] { return seen->saw_prefix("open "); }));
    // One owner turn with a thousand changes: one notify, one pull, one message.
    adapter->with_core([](echo_core& core) {
        for (int i = 0; i < 1000; ++i) {
            core.broadcast("v" + std::to_string(i));
        }
    });
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_EQ(c.texts().at(0), "v999");
    // Many turns: every message is a current value, never more messages than turns, and the last
    // one is the last value.
    for (int i = 0; i < 500; ++i) {
        adapter->with_core([i](echo_core& core) { core.broadcast("w" + std::to_string(i)); });
    }
    ASSERT_TRUE(eventually([&] {
        const auto texts = c.texts();
        return !texts.empty() && texts.back() == "w499";
    }));
    std::this_thread::sleep_for(50ms);
    EXPECT_LE(c.text_count(), 501U);
    EXPECT_EQ(c.texts().back(), "w499");
    EXPECT_TRUE(c.client->is_open());
    EXPECT_EQ(seen->get(&observations::calls_off_owner), 0);
}

TEST_F(WsAdapterTest, AFloodOfBadMessagesWritesABoundedNumberOfLogLines) {
    log_capture capture("echo");
    net::ws_server_adapter_options options;
    options.max_queued_messages = 4000; // this test is about the log, not the input bound
    start(options);
    auto& c = connect();
    ASSERT_TRUE(eventually([&] { return seen->saw_prefix("open "); }));
    const auto begin = std::chrono::steady_clock::now();
    constexpr int flood = 3000;
    int sent = 0;
    while (sent < flood) {
        if (c.client->send_text("bad message " + std::to_string(sent))) {
            ++sent;
        } else {
            std::this_thread::sleep_for(1ms); // the client's own outbox is full: let it drain
        }
    }
    ASSERT_TRUE(eventually([&] { return seen->get(&observations::bad_messages) == flood; }, 30s));
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - begin)
            .count();
    const auto lines = capture.lines();
    // Five lines at once, then at most one a second.
    EXPECT_GE(lines.size(), 1U);
    EXPECT_LE(lines.size(), 5U + static_cast<std::size_t>(seconds) + 1U) << lines.size();
    EXPECT_NE(lines.at(0).find("message ignored"), std::string::npos) << lines.at(0);
    EXPECT_TRUE(c.client->is_open());
    // A good message still gets its answer.
    ASSERT_TRUE(c.client->send_text("still here"));
    ASSERT_TRUE(eventually([&] { return c.text_count() == 1; }));
    EXPECT_EQ(c.texts().at(0), "STILL HERE");
}

TEST_F(WsAdapterTest, APeerThatQueuesMoreThanTheOwnerHandlesIsClosed) {
    net::ws_server_adapter_options options;
    options.max_queued_messages = 4;
    start(options);
    auto& c = connect();
    // Both ends must have seen the open: the server's side can finish first, and a send before
    // the client's own open completes is refused.
    ASSERT_TRUE(eventually([&] { return c.opens() == 1; }));
    ASSERT_TRUE(eventually([&] { return seen->saw_prefix("open "); }));
    // Hold the owner busy while the peer sends.
    std::promise<void> release;
    auto released = release.get_future().share();
    adapter->with_core([released](echo_core&) { released.wait(); });
    // The server may close the connection before the last few are sent, so
    // a refused send here is expected; at least the first five must go.
    int sent = 0;
    while (sent < 10 && c.client->send_text("m" + std::to_string(sent))) {
        ++sent;
    }
    EXPECT_GE(sent, 5);
    ASSERT_TRUE(eventually([&] { return c.closes().size() == 1; }));
    release.set_value();
    EXPECT_EQ(c.closes().at(0).code, net::close_codes::policy_violation);
    ASSERT_TRUE(eventually([&] { return seen->saw_prefix("close "); }));
}

TEST(WsAdapter, QueuedWorkDoesNothingOnceTheAdapterIsDestroyed) {
    auto seen = std::make_shared<observations>();
    boost::asio::io_context owner; // not run until the adapter is gone
    io_threads server_io(1);
    io_threads client_io(1);
    auto server = std::make_unique<net::websocket_server>(server_io.context.get_executor(),
                                                          net::websocket_server_config{});
    auto adapter = std::make_unique<net::ws_server_adapter<echo_core>>(
        *server, "/echo", owner.get_executor(), echo_core(seen));
    ASSERT_FALSE(server->start());
    net::websocket_client_config config;
    config.url = url_of(*server, "/echo");
    recording_client c(client_io.context, config);
    ASSERT_FALSE(c.client->start());
    ASSERT_TRUE(eventually([&] { return c.opens() == 1; }));
    ASSERT_TRUE(c.client->send_text("queued"));
    bool ran = false;
    adapter->with_core([&ran](echo_core&) { ran = true; });
    c.client->close();
    ASSERT_TRUE(eventually([&] { return c.closes().size() == 1; }));
    server->stop();
    server_io.stop(1s);

    adapter.reset();
    const auto handlers = owner.run(); // open, text, close and with_core were queued
    EXPECT_GE(handlers, 3U);
    EXPECT_FALSE(ran);
    EXPECT_EQ(seen->get(&observations::calls), 0);
    server.reset();
    client_io.stop(1s);
}

TEST(WsAdapter, ClientCoreTalksToAServerCoreOnTheOwnerThread) {
    auto server_seen = std::make_shared<observations>();
    auto client_seen = std::make_shared<observations>();
    io_threads owner(1);
    io_threads network(2);
    server_seen->owner = client_seen->owner = thread_of(owner.context);
    net::websocket_server server(network.context.get_executor(), {});
    net::ws_server_adapter<echo_core> echo(server, "/echo", owner.context.get_executor(),
                                           echo_core(server_seen));
    ASSERT_FALSE(server.start());

    std::atomic<int> finished{0};
    std::atomic<int> events_off_owner{0};
    net::ws_client_events events;
    events.finished = [&] {
        if (std::this_thread::get_id() != client_seen->owner) {
            ++events_off_owner;
        }
        ++finished;
    };
    net::websocket_client_config config;
    config.url = url_of(server, "/echo");
    net::ws_client_adapter<greeter_core> client(owner.context.get_executor(), config,
                                                greeter_core(client_seen), std::move(events));
    ASSERT_FALSE(client.start());
    // on_open queues "hello"; the server answers "HELLO"; the core then says "again".
    ASSERT_TRUE(eventually([&] { return client_seen->saw("text AGAIN"); }));
    EXPECT_TRUE(client_seen->saw("text HELLO"));

    client.with_core([](greeter_core& core) { core.say("later"); });
    ASSERT_TRUE(eventually([&] { return client_seen->saw("text LATER"); }));

    // A rejected message is logged by the adapter and the connection kept.
    client.with_core([](greeter_core& core) { core.say("Bad idea"); });
    ASSERT_TRUE(eventually([&] { return client_seen->saw("text BAD IDEA"); }));
    EXPECT_TRUE(client.is_open());

    client.close();
    ASSERT_TRUE(eventually([&] { return finished.load() == 1; }));
    ASSERT_TRUE(eventually([&] { return client_seen->saw_prefix("close "); }));
    EXPECT_EQ(client_seen->get(&observations::calls_off_owner), 0);
    EXPECT_EQ(server_seen->get(&observations::calls_off_owner), 0);
    EXPECT_EQ(events_off_owner.load(), 0);
    server.stop();
    network.stop(1s);
    owner.stop(1s);
}

TEST(WsAdapter, ClientReportsConnectFailureAndFinishedOnTheOwner) {
    io_threads owner(1);
    const auto owner_thread = thread_of(owner.context);
    // A port with no listener: bind one, note it, close it.
    std::uint16_t port = 0;
    {
        boost::asio::io_context scratch;
        boost::asio::ip::tcp::acceptor acceptor(scratch,
                                                {boost::asio::ip::address_v4::loopback(), 0});
        port = acceptor.local_endpoint().port();
    }
    std::mutex mutex;
    std::vector<unsigned> failures;
    int finished = 0;
    bool off_owner = false;
    net::ws_client_events events;
    events.connect_failed = [&](const net::connect_failure& failure) {
        const std::lock_guard lock(mutex);
        off_owner = off_owner || std::this_thread::get_id() != owner_thread;
        failures.push_back(failure.http_status);
    };
    events.finished = [&] {
        const std::lock_guard lock(mutex);
        off_owner = off_owner || std::this_thread::get_id() != owner_thread;
        ++finished;
    };
    net::websocket_client_config config;
    config.url = "ws://127.0.0.1:" + std::to_string(port) + "/echo";
    auto seen = std::make_shared<observations>();
    net::ws_client_adapter<greeter_core> client(owner.context.get_executor(), config,
                                                greeter_core(seen), std::move(events));
    ASSERT_FALSE(client.start());
    ASSERT_TRUE(eventually([&] {
        const std::lock_guard lock(mutex);
        return finished == 1;
    }));
    owner.stop(1s); // the adapter is destroyed once its owner no longer runs
    const std::lock_guard lock(mutex);
    EXPECT_EQ(failures.size(), 1U);
    EXPECT_FALSE(off_owner);
    EXPECT_EQ(seen->get(&observations::calls), 0); // never opened
}

TEST(WsAdapter, OriginNamesTheLocalAddressAsAnIpLiteral) {
    net::connection_info info;
    info.local = {boost::asio::ip::make_address("::ffff:192.0.2.7"), 7681};
    info.remote = {boost::asio::ip::make_address("::ffff:192.0.2.9"), 50000};
    auto origin = net::detail::origin_of(info);
    EXPECT_EQ(origin.local_host, "192.0.2.7");
    EXPECT_EQ(origin.local_port, 7681);
    EXPECT_EQ(origin.remote, "192.0.2.9:50000");

    auto link_local = boost::asio::ip::make_address_v6("fe80::1");
    link_local.scope_id(1);
    info.local = {link_local, 7681};
    info.remote = {boost::asio::ip::make_address("fe80::2"), 40000};
    origin = net::detail::origin_of(info);
    EXPECT_TRUE(origin.local_host.starts_with("fe80::1%")) << origin.local_host;
    EXPECT_GT(origin.local_host.size(), std::string("fe80::1%").size());
    EXPECT_EQ(origin.remote, "[fe80::2]:40000");
}

} // namespace
} // namespace dvbcss::test
