#pragma once

// Helpers shared by the WebSocket and CSS-CII integration tests: an io_context on a background
// thread, a recording protocol handler, a recording client, and a raw TCP peer for misbehaving
// clients (no Beast here: only our public API and plain Asio sockets).

#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {

using namespace std::chrono_literals;

/// Polls `predicate` until it is true or `timeout` passes; returns its last value.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 10s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (predicate()) {
            return true;
        }
        std::this_thread::sleep_for(2ms);
    }
    return predicate();
}

/// An io_context run by `threads` background threads until `stop()`.
class io_threads {
public:
    explicit io_threads(int threads = 1)
        : guard_(boost::asio::make_work_guard(context)) {
        for (int i = 0; i < threads; ++i) {
            threads_.emplace_back([this] { context.run(); });
        }
    }

    io_threads(const io_threads&) = delete;
    io_threads& operator=(const io_threads&) = delete;

    ~io_threads() { stop(); }

    /// Lets the context finish its work for at most `grace`, then stops it and joins.
    void stop(std::chrono::milliseconds grace = 0ms) {
        guard_.reset();
        if (grace.count() > 0) {
            const auto end = std::chrono::steady_clock::now() + grace;
            while (!context.stopped() && std::chrono::steady_clock::now() < end) {
                std::this_thread::sleep_for(5ms);
            }
        }
        context.stop();
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
        threads_.clear();
    }

    boost::asio::io_context context;

private:
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::vector<std::thread> threads_;
};

/// A protocol handler that records everything and can echo text back.
class recording_handler final : public net::websocket_handler {
public:
    void on_open(const net::connection_info& connection) override {
        const std::lock_guard lock(mutex);
        opened.push_back(connection);
        open_ids.push_back(connection.id);
    }

    void on_text(net::connection_id id, std::string_view text) override {
        {
            const std::lock_guard lock(mutex);
            texts[id].emplace_back(text);
        }
        if (echo && endpoint != nullptr) {
            endpoint->send(id, std::string(text));
        }
    }

    void on_close(net::connection_id id, const net::close_info& info) override {
        const std::lock_guard lock(mutex);
        closed[id] = info;
        std::erase(open_ids, id);
    }

    std::optional<std::string> take_pending(net::connection_id id) override {
        const std::lock_guard lock(mutex);
        ++takes[id];
        if (pending_text) {
            return pending_text(id);
        }
        return std::nullopt;
    }

    void on_ready_for_next(net::connection_id id) override {
        const std::lock_guard lock(mutex);
        ++ready_for_next[id];
    }

    int ready_for_next_count(net::connection_id id) const {
        const std::lock_guard lock(mutex);
        const auto it = ready_for_next.find(id);
        return it == ready_for_next.end() ? 0 : it->second;
    }

    std::size_t open_count() const {
        const std::lock_guard lock(mutex);
        return open_ids.size();
    }

    std::size_t opened_count() const {
        const std::lock_guard lock(mutex);
        return opened.size();
    }

    std::size_t closed_count() const {
        const std::lock_guard lock(mutex);
        return closed.size();
    }

    std::optional<net::close_info> close_of(net::connection_id id) const {
        const std::lock_guard lock(mutex);
        const auto it = closed.find(id);
        return it == closed.end() ? std::nullopt : std::optional(it->second);
    }

    std::vector<net::connection_id> ids() const {
        const std::lock_guard lock(mutex);
        return open_ids;
    }

    mutable std::mutex mutex;
    std::vector<net::connection_info> opened;
    std::vector<net::connection_id> open_ids;
    std::map<net::connection_id, std::vector<std::string>> texts;
    std::map<net::connection_id, net::close_info> closed;
    std::map<net::connection_id, int> takes;
    std::map<net::connection_id, int> ready_for_next;
    std::function<std::optional<std::string>(net::connection_id)> pending_text;
    bool echo = false;
    net::websocket_endpoint* endpoint = nullptr;
};

/// A websocket_client that records what happens to it.
class recording_client {
public:
    recording_client(boost::asio::io_context& context, net::websocket_client_config config) {
        net::websocket_client_callbacks callbacks;
        callbacks.on_open = [this] {
            const std::lock_guard lock(mutex_);
            ++opens_;
        };
        callbacks.on_text = [this](std::string_view text) {
            const std::lock_guard lock(mutex_);
            texts_.emplace_back(text);
        };
        callbacks.on_binary = [this](std::size_t size) {
            const std::lock_guard lock(mutex_);
            binaries_.push_back(size);
        };
        callbacks.on_close = [this](const net::close_info& info) {
            const std::lock_guard lock(mutex_);
            closes_.push_back(info);
        };
        callbacks.on_connect_failed = [this](const net::connect_failure& failure) {
            const std::lock_guard lock(mutex_);
            failures_.push_back(failure);
        };
        callbacks.on_finished = [this] {
            const std::lock_guard lock(mutex_);
            finished_ = true;
        };
        client = std::make_unique<net::websocket_client>(context.get_executor(), std::move(config),
                                                         std::move(callbacks));
    }

    int opens() const {
        const std::lock_guard lock(mutex_);
        return opens_;
    }

    std::vector<std::string> texts() const {
        const std::lock_guard lock(mutex_);
        return texts_;
    }

    std::size_t text_count() const {
        const std::lock_guard lock(mutex_);
        return texts_.size();
    }

    std::vector<net::close_info> closes() const {
        const std::lock_guard lock(mutex_);
        return closes_;
    }

    std::vector<net::connect_failure> failures() const {
        const std::lock_guard lock(mutex_);
        return failures_;
    }

    std::vector<std::size_t> binaries() const {
        const std::lock_guard lock(mutex_);
        return binaries_;
    }

    bool finished() const {
        const std::lock_guard lock(mutex_);
        return finished_;
    }

    std::unique_ptr<net::websocket_client> client;

private:
    mutable std::mutex mutex_;
    int opens_ = 0;
    std::vector<std::string> texts_;
    std::vector<std::size_t> binaries_;
    std::vector<net::close_info> closes_;
    std::vector<net::connect_failure> failures_;
    bool finished_ = false;
};

/// A fixture's orderly end: every client in `client_lists` (containers of pointers to objects
/// with a `client` member, e.g. recording_client) closes its connection, then the server stops,
/// then the io threads get a second to finish before they stop. Null server or io: skipped.
template <class... ClientLists>
void shut_down(const std::unique_ptr<net::websocket_server>& server,
               const std::unique_ptr<io_threads>& io, const ClientLists&... client_lists) {
    [[maybe_unused]] const auto close_all = [](const auto& clients) {
        for (const auto& c : clients) {
            c->client->close();
        }
    };
    (close_all(client_lists), ...);
    if (server) {
        server->stop();
    }
    if (io) {
        io->stop(1s);
    }
}

/// "ws://127.0.0.1:<port><path>" for a server's bound endpoint.
inline std::string url_of(const net::websocket_server& server, const std::string& path) {
    const auto endpoint = server.local_endpoint();
    const auto address = endpoint.address().to_string();
    const auto host = endpoint.address().is_v6() ? "[" + address + "]" : address;
    return "ws://" + host + ":" + std::to_string(endpoint.port()) + path;
}

/// A blocking TCP peer that speaks raw bytes: for plain HTTP requests and for WebSocket clients
/// that stop reading.
class raw_peer {
public:
    explicit raw_peer(const boost::asio::ip::tcp::endpoint& server, int receive_buffer = 0)
        : socket_(context_) {
        socket_.open(server.protocol());
        if (receive_buffer > 0) {
            socket_.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
        }
        socket_.connect(server);
    }

    void write(const std::string& bytes) {
        boost::asio::write(socket_, boost::asio::buffer(bytes));
    }

    /// Reads until the end of an HTTP header block (or the connection closes) and returns it.
    std::string read_http_header() {
        std::string data;
        char chunk[512];
        while (data.find("\r\n\r\n") == std::string::npos) {
            boost::system::error_code ec;
            const auto n = socket_.read_some(boost::asio::buffer(chunk), ec);
            if (ec) {
                break;
            }
            data.append(chunk, n);
        }
        return data;
    }

    /// Sends a WebSocket upgrade request for `path` and returns the response header.
    std::string upgrade(const std::string& path) {
        write("GET " + path +
              " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        return read_http_header();
    }

    boost::asio::ip::tcp::socket& socket() { return socket_; }

private:
    boost::asio::io_context context_;
    boost::asio::ip::tcp::socket socket_;
};

} // namespace dvbcss::test
