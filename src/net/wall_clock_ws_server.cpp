#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_time.hpp>
#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/net/ws_adapter.hpp>
#include <dvbcss/wc/json_message.hpp>
#include <dvbcss/wc/message.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

namespace dvbcss::net {

namespace {

// A binary WebSocket payload as the 32 bytes of a CSS-WC message, ready to be stamped in place.
std::string to_payload(const wc::message_bytes& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<std::byte, wc::message_size> as_message(std::string& payload) {
    return std::span<std::byte, wc::message_size>(reinterpret_cast<std::byte*>(payload.data()),
                                                  wc::message_size);
}

} // namespace

struct wall_clock_ws_server::impl {
    impl(clock::clock_base& wall_clock, const wall_clock_ws_server_config& config)
        : wall_time(wall_clock)
        , core(wall_clock, config.core)
        , log(config.logger, 10, std::chrono::seconds(1)) {}

    // The core's reply to `request` (32 bytes, maybe converted from JSON), or nothing (counted and
    // logged).
    std::optional<wc::reply> ask_core(connection_id id, std::span<const std::byte> request,
                                      std::int64_t t2, bool json, std::size_t size) {
        const std::lock_guard lock(mutex);
        errc why = errc::ok;
        auto reply = core.on_datagram(request, t2, why);
        if (!reply) {
            note_ignored(id, json, size, why);
            return std::nullopt;
        }
        ++(json ? stats.json_requests : stats.binary_requests);
        return reply;
    }

    // Call with `mutex` held.
    void note_ignored(connection_id id, bool json, std::size_t size, errc why) {
        ++stats.ignored;
        if (!log::enabled(log::level::warning)) {
            return;
        }
        const auto peer = peers.find(id);
        const std::string from =
            peer == peers.end() ? "connection " + std::to_string(id) : peer->second;
        log.write(log::level::warning, std::string("ignored a ") + std::to_string(size) + "-byte " +
                                           (json ? "text" : "binary") + " message from " + from +
                                           ": " + make_error_code(why).message());
    }

    void on_binary(connection_id id, std::string_view data, std::int64_t t2) {
        const auto reply = ask_core(id, std::as_bytes(std::span(data.data(), data.size())), t2,
                                    false, data.size());
        if (!reply) {
            return;
        }
        auto payload = to_payload(reply->bytes);
        // t3: read immediately before the message is queued on the connection.
        wc::write_timestamp(as_message(payload), wc::transmit_offset, wall_time.now());
        endpoint->send_binary(id, std::move(payload));
        if (reply->followup) {
            endpoint->send_binary(id, to_payload(reply->make_followup(wall_time.now())));
        }
    }

    void on_json(connection_id id, std::string_view text, std::int64_t t2) {
        const auto request = wc::bytes_from_json(text);
        if (!request) {
            const std::lock_guard lock(mutex);
            note_ignored(id, true, text.size(), static_cast<errc>(request.error().value()));
            return;
        }
        const auto reply = ask_core(id, *request, t2, true, text.size());
        if (!reply) {
            return;
        }
        const auto m = wc::decode(reply->bytes); // the core's own encoding: always decodes
        if (!m) {
            return;
        }
        auto out = wc::encode_json_head(*m);
        // t3: read after the rest of the text is written, immediately before it is queued.
        const std::int64_t t3 = wall_time.now();
        wc::append_seconds(out, t3);
        out.push_back('}');
        endpoint->send(id, std::move(out));
        if (reply->followup) {
            auto followup = *m;
            followup.type = wc::message_type::followup;
            followup.transmit_ns = wall_time.now();
            endpoint->send(id, wc::encode_json(followup));
        }
    }

    wall_clock_time wall_time; // read on the io thread only (see the class's thread safety)
    websocket_endpoint* endpoint = nullptr;

    mutable std::mutex mutex;
    wc::server core;                                      // guarded by mutex
    wall_clock_ws_server_statistics stats;                // guarded by mutex
    detail::limited_log log;                              // guarded by mutex
    std::unordered_map<connection_id, std::string> peers; // guarded by mutex
};

wall_clock_ws_server::wall_clock_ws_server(websocket_server& server, std::string path,
                                           clock::clock_base& wall_clock,
                                           wall_clock_ws_server_config config)
    : impl_(std::make_unique<impl>(wall_clock, config)) {
    auto endpoint_config = config.endpoint;
    endpoint_config.accept_binary = true;
    impl_->endpoint = &server.add_endpoint(std::move(path), *this, endpoint_config);
}

wall_clock_ws_server::~wall_clock_ws_server() = default;

websocket_endpoint& wall_clock_ws_server::endpoint() noexcept {
    return *impl_->endpoint;
}

wall_clock_ws_server_statistics wall_clock_ws_server::statistics() const {
    const std::lock_guard lock(impl_->mutex);
    auto s = impl_->stats;
    s.core = impl_->core.statistics();
    return s;
}

void wall_clock_ws_server::on_open(const connection_info& connection) {
    const std::lock_guard lock(impl_->mutex);
    impl_->peers[connection.id] = detail::describe_endpoint(connection.remote);
}

void wall_clock_ws_server::on_text(connection_id id, std::string_view text) {
    // Only reached if a server calls on_text directly: the receive time is now.
    incoming_message message;
    message.data = text;
    message.received_monotonic_ns = detail::monotonic_ns();
    on_message(id, message);
}

void wall_clock_ws_server::on_message(connection_id id, const incoming_message& message) {
    const std::int64_t t2 = impl_->wall_time.at_monotonic(message.received_monotonic_ns);
    if (message.binary) {
        impl_->on_binary(id, message.data, t2);
    } else {
        impl_->on_json(id, message.data, t2);
    }
}

void wall_clock_ws_server::on_close(connection_id id, const close_info& info) {
    static_cast<void>(info);
    const std::lock_guard lock(impl_->mutex);
    impl_->peers.erase(id);
}

} // namespace dvbcss::net
