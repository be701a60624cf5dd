#pragma once

// Shared by the hostile-input, slow-consumer and churn tests: a pretend TV in process (one
// websocket_server with the CSS-CII and CSS-TS adapters, owned by one io thread as in tv-device),
// well-behaved companions that check they are still served, a raw TCP peer that writes WebSocket
// frames by hand (masking, fragmentation, control frames) with bounded waits, and readings of
// this process's descriptors and resident memory.

#include "support/sanitized.hpp"
#include "websocket_test_support.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/cii_server.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <boost/asio/post.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dvbcss::test {

inline constexpr const char* pts_selector = "urn:dvb:css:timeline:pts";
inline constexpr const char* tv_content = "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M";

/// A CII naming `content_id`, as a TV would send it.
inline cii::message cii_for(const std::string& content_id) {
    cii::message m;
    m.protocol_version = std::string(cii::protocol_version_1_1);
    m.content_id = content_id;
    m.content_id_status = cii::id_status::final;
    m.presentation_status = std::vector<std::string>{"okay"};
    return m;
}

/// The setup-data a well-behaved TS companion sends for the PTS timeline.
inline std::string pts_setup() {
    ts::setup_data s;
    s.content_id_stem = "dvb://";
    s.timeline_selector = pts_selector;
    return ts::encode(s);
}

/// A timeline source for one selector that counts how often a server said it is needed and no
/// longer needed (the selector reference counts, seen from the source). Owner thread only, but
/// the counters may be read from any thread.
class counting_source final : public ts::timeline_source {
public:
    explicit counting_source(std::string selector)
        : selector_(std::move(selector)) {}

    [[nodiscard]] bool recognises(std::string_view selector) const override {
        return selector == selector_;
    }

    [[nodiscard]] std::optional<ts::control_timestamp>
    control_timestamp_for(std::string_view /*selector*/) override {
        return ct_;
    }

    void selector_needed(std::string_view /*selector*/) override { ++needed; }

    void selector_not_needed(std::string_view /*selector*/) override { ++not_needed; }

    /// A new control timestamp (content time `content_time` at wall clock time `wall_ns`, speed
    /// 1), pushed to every attached server. Owner only.
    void set(std::int64_t content_time, std::int64_t wall_ns) {
        ct_ = ts::control_timestamp{content_time, wall_ns, 1.0};
        notify_changed(selector_);
    }

    std::atomic<int> needed{0};
    std::atomic<int> not_needed{0};

private:
    std::string selector_;
    std::optional<ts::control_timestamp> ct_ = ts::control_timestamp{0, 0, 1.0};
};

/// A pretend TV in process: one io thread is the owner (clock tree, cores) and runs the sessions
/// (unless `transport.session_threads` gives them threads of their own, as in tv-device). /cii is a
/// `net::cii_server`, /ts a `ws_server_adapter<ts::server>` with a counting source for the PTS
/// timeline.
class pretend_tv {
public:
    explicit pretend_tv(net::websocket_server_config transport = {},
                        net::websocket_endpoint_config cii_endpoint = {},
                        net::websocket_endpoint_config ts_endpoint = {})
        : sys_(clock::monotonic_time_source::instance(), 1e9, 500)
        , wall_clock_(sys_, 1e9)
        , server_(io.context.get_executor(), transport)
        , cii(server_, io.context.get_executor(), "/cii", cii_config(), cii_endpoint)
        , ts(server_, "/ts", io.context.get_executor(), ts_options(ts_endpoint), std::in_place,
             wall_clock_) {
        on_owner([this] {
            ts.core().attach(source);
            ts.core().set_content_id(std::string(tv_content));
            ts.flush();
            return 0;
        });
        started = !server_.start();
    }

    ~pretend_tv() {
        server_.join(); // with session threads, their connections end before the adapters go
        io.stop(1s);
    }

    pretend_tv(const pretend_tv&) = delete;
    pretend_tv& operator=(const pretend_tv&) = delete;
    pretend_tv(pretend_tv&&) = delete;
    pretend_tv& operator=(pretend_tv&&) = delete;

    /// Runs `f` on the owner and returns its result (waits at most 10 s; a default value then).
    template <class F>
    auto on_owner(F f) -> decltype(f()) {
        auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
        auto result = task->get_future();
        boost::asio::post(io.context, [task] { (*task)(); });
        if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
            return {};
        }
        return result.get();
    }

    /// Moves the PTS timeline to `content_time` and pushes it to the TS companions (owner hop).
    void set_timeline(std::int64_t content_time) {
        on_owner([this, content_time] {
            source.set(content_time, static_cast<std::int64_t>(wall_clock_.nanos()));
            ts.flush();
            return 0;
        });
    }

    [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const {
        return server_.local_endpoint();
    }

    [[nodiscard]] net::websocket_server& server() { return server_; }

    [[nodiscard]] std::string url(const std::string& path) const { return url_of(server_, path); }

    io_threads io{1};
    counting_source source{pts_selector};

private:
    static cii::server_config cii_config() {
        cii::server_config c;
        c.initial_cii = cii_for(tv_content);
        return c;
    }

    static net::ws_server_adapter_options ts_options(net::websocket_endpoint_config endpoint) {
        net::ws_server_adapter_options o;
        o.logger = "ts";
        o.endpoint = endpoint;
        return o;
    }

    clock::sys_clock sys_;
    clock::correlated_clock wall_clock_;
    net::websocket_server server_;

public:
    net::cii_server cii;
    net::ws_server_adapter<ts::server> ts;
    bool started = false;
};

/// One CII and one TS companion that behave, connected to a pretend TV for the whole test;
/// `still_served` proves that each still gets every change.
class good_companions {
public:
    explicit good_companions(pretend_tv& tv)
        : tv_(tv) {
        net::websocket_client_config config;
        config.url = tv.url("/cii");
        cii_ = std::make_unique<recording_client>(tv.io.context, config);
        config.url = tv.url("/ts");
        ts_ = std::make_unique<recording_client>(tv.io.context, config);
        ok = !cii_->client->start() && !ts_->client->start() &&
             eventually([&] { return cii_->opens() == 1 && ts_->opens() == 1; }) &&
             ts_->client->send_text(pts_setup()) &&
             eventually([&] { return cii_->text_count() >= 1 && ts_->text_count() >= 1; });
    }

    ~good_companions() { close(); }

    good_companions(const good_companions&) = delete;
    good_companions& operator=(const good_companions&) = delete;
    good_companions(good_companions&&) = delete;
    good_companions& operator=(good_companions&&) = delete;

    /// Changes the CII and the timeline once more and waits (at most `timeout`) until both
    /// companions have the change and are still open, never closed.
    [[nodiscard]] bool still_served(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        ++round_;
        const auto id = "dvb://good/" + std::to_string(round_);
        const std::int64_t content_time = 1'000'000 + round_;
        tv_.cii.set_cii(cii_for(id));
        tv_.set_timeline(content_time);
        const bool cii_ok = eventually(
            [&] {
                const auto texts = cii_->texts();
                return !texts.empty() && texts.back().find(id) != std::string::npos;
            },
            timeout);
        const bool ts_ok = eventually(
            [&] {
                const auto texts = ts_->texts();
                if (texts.empty()) {
                    return false;
                }
                const auto ct = ts::decode_control_timestamp(texts.back());
                return ct && ct->content_time == content_time;
            },
            timeout);
        return cii_ok && ts_ok && cii_->client->is_open() && ts_->client->is_open() &&
               cii_->closes().empty() && ts_->closes().empty();
    }

    void close() {
        if (cii_) {
            cii_->client->close();
        }
        if (ts_) {
            ts_->client->close();
        }
    }

    bool ok = false;

private:
    pretend_tv& tv_;
    std::unique_ptr<recording_client> cii_;
    std::unique_ptr<recording_client> ts_;
    int round_ = 0;
};

/// WebSocket opcodes (RFC 6455 §5.2).
namespace opcode {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
} // namespace opcode

/// A client frame built by hand: FIN bit, opcode, a real random mask applied to the payload.
/// `announced` overrides the length field (for frames that lie about their size).
inline std::string ws_frame(std::uint8_t op, std::string_view payload, bool fin = true,
                            std::optional<std::uint64_t> announced = std::nullopt) {
    static thread_local std::mt19937 rng(4242);
    std::string frame;
    frame.push_back(static_cast<char>((fin ? 0x80U : 0U) | op));
    const std::uint64_t length = announced.value_or(payload.size());
    if (length < 126) {
        frame.push_back(static_cast<char>(0x80U | length));
    } else if (length <= 0xFFFFU) {
        frame.push_back(static_cast<char>(0x80U | 126U));
        frame.push_back(static_cast<char>((length >> 8U) & 0xFFU));
        frame.push_back(static_cast<char>(length & 0xFFU));
    } else {
        frame.push_back(static_cast<char>(0x80U | 127U));
        for (int shift = 56; shift >= 0; shift -= 8) {
            frame.push_back(static_cast<char>((length >> static_cast<unsigned>(shift)) & 0xFFU));
        }
    }
    std::array<unsigned char, 4> mask{};
    for (auto& m : mask) {
        m = static_cast<unsigned char>(rng());
    }
    frame.append(reinterpret_cast<const char*>(mask.data()), mask.size());
    for (std::size_t i = 0; i < payload.size(); ++i) {
        frame.push_back(static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]));
    }
    return frame;
}

/// One frame as the server sent it (servers never mask).
struct server_frame {
    bool fin = true;
    std::uint8_t op = 0;
    std::string payload;

    /// The close code of a close frame (1005 if it carries none).
    [[nodiscard]] int close_code() const {
        if (payload.size() < 2) {
            return 1005;
        }
        return (static_cast<unsigned char>(payload[0]) << 8U) |
               static_cast<unsigned char>(payload[1]);
    }
};

/// A TCP peer on a plain socket, for requests and frames no well-behaved client sends. Every
/// wait is bounded so that a server bug fails the test instead of hanging it.
class hostile_peer {
public:
    explicit hostile_peer(const boost::asio::ip::tcp::endpoint& server, int receive_buffer = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) {
            return;
        }
        if (receive_buffer > 0) {
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        }
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(server.port());
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }

    ~hostile_peer() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    hostile_peer(const hostile_peer&) = delete;
    hostile_peer& operator=(const hostile_peer&) = delete;
    hostile_peer(hostile_peer&&) = delete;
    hostile_peer& operator=(hostile_peer&&) = delete;

    [[nodiscard]] bool connected() const { return connected_; }

    /// Writes every byte unless the connection fails (or `timeout` passes while the peer's
    /// window is closed); returns false then.
    bool write(std::string_view bytes,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (!bytes.empty()) {
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, 50) <= 0) {
                if (std::chrono::steady_clock::now() > end) {
                    return false;
                }
                continue;
            }
            const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    continue;
                }
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Sends a WebSocket upgrade request for `path` and returns the response header ("" if none).
    std::string upgrade(const std::string& path, const std::string& extra_headers = {}) {
        write("GET " + path +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
              extra_headers + "\r\n");
        return read_http_header();
    }

    /// Reads until the end of an HTTP header block; "" if the connection ends or 10 s pass first.
    std::string read_http_header(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            const auto at = buffer_.find("\r\n\r\n");
            if (at != std::string::npos) {
                auto header = buffer_.substr(0, at + 4);
                buffer_.erase(0, at + 4);
                return header;
            }
            if (!fill(end)) {
                break;
            }
        }
        return {};
    }

    /// The next frame from the server, or nothing if the connection ends or `timeout` passes.
    std::optional<server_frame>
    read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto f = parse_frame()) {
                return f;
            }
            if (std::chrono::steady_clock::now() >= end || !fill(end)) {
                return std::nullopt;
            }
        }
    }

    /// Reads frames until a close frame arrives and returns its code; -1 if the connection ended
    /// (or `timeout` passed) without one. Other frames are kept in `skipped`.
    int read_close(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            const auto f = read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now()));
            if (!f) {
                return -1;
            }
            if (f->op == opcode::close) {
                return f->close_code();
            }
            skipped.push_back(*f);
        }
        return -1;
    }

    /// True once the server has closed (or reset) the connection, within `timeout`; bytes that
    /// arrive meanwhile are kept.
    bool closed_by_server(std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (!eof_) {
            if (std::chrono::steady_clock::now() >= end) {
                return false;
            }
            fill(end);
        }
        return true;
    }

    /// Bytes received but not yet taken as a header or frame.
    [[nodiscard]] const std::string& received() const { return buffer_; }

    [[nodiscard]] int fd() const { return fd_; }

    std::vector<server_frame> skipped;

private:
    /// Reads what is there (waiting until `end`); false once the connection has ended.
    bool fill(std::chrono::steady_clock::time_point end) {
        if (eof_) {
            return false;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1,
                   static_cast<int>(std::max<std::int64_t>(
                       0, std::min<std::int64_t>(left.count(), 100)))) <= 0) {
            return true;
        }
        char chunk[16384];
        const auto n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return true;
        }
        eof_ = true; // orderly close or reset
        return false;
    }

    std::optional<server_frame> parse_frame() {
        if (buffer_.size() < 2) {
            return std::nullopt;
        }
        const auto b0 = static_cast<unsigned char>(buffer_[0]);
        const auto b1 = static_cast<unsigned char>(buffer_[1]);
        std::size_t header = 2;
        std::uint64_t length = b1 & 0x7FU;
        if (length == 126) {
            header = 4;
        } else if (length == 127) {
            header = 10;
        }
        if (buffer_.size() < header) {
            return std::nullopt;
        }
        if (header > 2) {
            length = 0;
            for (std::size_t i = 2; i < header; ++i) {
                length = (length << 8U) | static_cast<unsigned char>(buffer_[i]);
            }
        }
        if (buffer_.size() < header + length) {
            return std::nullopt;
        }
        server_frame f;
        f.fin = (b0 & 0x80U) != 0;
        f.op = static_cast<std::uint8_t>(b0 & 0x0FU);
        f.payload = buffer_.substr(header, static_cast<std::size_t>(length));
        buffer_.erase(0, header + static_cast<std::size_t>(length));
        return f;
    }

    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string buffer_;
};

/// Open file descriptors of this process (entries of /proc/self/fd).
inline std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

/// Resident memory of this process in bytes (/proc/self/statm, second field, times the page size).
inline std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size = 0;
    std::size_t resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace dvbcss::test
