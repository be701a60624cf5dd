#pragma once

/// CSS-WC carried over WebSocket, for companions that cannot send UDP (web pages): the de-facto
/// form of the BBC's `dvbcss-protocols` (createBinaryWebSocketServer / JSON WebSocket client).

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/wc/server.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace dvbcss::net {

/// How a WebSocket wall clock endpoint is set up.
///
/// Thread safety: a value type.
struct wall_clock_ws_server_config {
    /// Follow-up mode and precision / max frequency error overrides (as on UDP).
    wc::server_config core{};
    /// Connection limit, outbox bounds; `accept_binary` is forced on.
    websocket_endpoint_config endpoint{};
    /// Logger name for ignored messages (rate-limited).
    std::string logger = "wc.ws";
};

/// Counters of a WebSocket wall clock endpoint. Monotonic.
///
/// Thread safety: a value type.
struct wall_clock_ws_server_statistics {
    std::uint64_t binary_requests = 0; ///< 32-byte requests in binary frames answered.
    std::uint64_t json_requests = 0;   ///< JSON requests in text frames answered.
    std::uint64_t ignored = 0;         ///< Messages that were not a valid request (logged).
    wc::server_statistics core{};      ///< The core's counters (answered, ignored by reason).
};

/// Serves CSS-WC on one path of a `websocket_server` (e.g. "/wc"). A binary frame holding the
/// 32-byte request (ETSI TS 103 286-2 §8) is answered with the 32-byte response in a binary
/// frame; a text frame holding the BBC JSON form (`wc::decode_json`, wc/json_message.hpp) is
/// answered in the same JSON form (a request is turned into the 32-byte form and given to the
/// same `wc::server` core, whose reply is spelt back as JSON). Both framings may be mixed on one
/// connection.
///
/// Times: the receive time t2 is the connection's `incoming_message::received_monotonic_ns` (read
/// as soon as the WebSocket read of the message completed) converted to the wall clock
/// (`wall_clock_time`); the transmit time t3 is read immediately before the reply is queued on
/// the connection (for JSON, after the rest of the text is written). In follow-up mode the type-3
/// follow-up's t3 is read just after the type-2 response was queued: no kernel timestamps exist
/// for bytes on a TCP stream, so that is the latest time known not to be after the departure.
///
/// Ignored input: a text frame that is not a valid JSON message (the codec's reason), or a
/// request the core ignores (its reason: a binary message not 32 bytes long, a bad version or
/// type, a response sent to the server) is counted in `statistics().ignored` and logged,
/// rate-limited (10 lines, then one per second), under `config.logger`; the connection stays
/// open and gets no answer.
///
/// Thread safety: the wall clock's tree is read from session callbacks, on whatever threads run
/// the server's sessions, several at once with session threads. So either those sessions run on
/// the one thread that owns the clock tree (wallclock-server's io thread), or the clock given is
/// one that nothing changes while the server runs (tv-device gives it a private copy of its wall
/// clock, read by its session threads). The core and the counters are guarded by a mutex, so
/// `statistics()` may be called from any thread.
///
/// Lifetime: the wall clock and the websocket_server must outlive this object; stop the server
/// (and let its io_context finish) before destroying it.
class wall_clock_ws_server final : public websocket_handler {
public:
    wall_clock_ws_server(websocket_server& server, std::string path, clock::clock_base& wall_clock,
                         wall_clock_ws_server_config config = {});
    ~wall_clock_ws_server() override;
    wall_clock_ws_server(const wall_clock_ws_server&) = delete;
    wall_clock_ws_server& operator=(const wall_clock_ws_server&) = delete;

    [[nodiscard]] websocket_endpoint& endpoint() noexcept;
    [[nodiscard]] wall_clock_ws_server_statistics statistics() const;

    void on_open(const connection_info& connection) override;
    void on_text(connection_id id, std::string_view text) override;
    void on_message(connection_id id, const incoming_message& message) override;
    void on_close(connection_id id, const close_info& info) override;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace dvbcss::net
