#pragma once

/// The protocol logic of a CSS-TS client (the companion side), without any I/O: sends the set-up
/// data when the connection opens, decodes the control timestamps the TV pushes, and queues the
/// companion's actual, earliest and latest presentation timestamps (ETSI TS 103 286-2 clause 5.7;
/// reference behaviour: pydvbcss TSClientConnection).

#include <dvbcss/error.hpp>
#include <dvbcss/protocol.hpp>
#include <dvbcss/ts/message.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::ts {

/// Callbacks a CSS-TS client application may set; each is optional. They run synchronously inside
/// the client call that caused them (`on_open`, `on_text`, `on_binary`, `on_close`), on the
/// caller's thread, after the client's own state has been updated.
struct client_handlers {
    /// The WebSocket connection is open (the set-up data is pending).
    std::function<void()> connected;
    /// The connection closed: WebSocket close code (1006 if none was received) and reason. The
    /// one signature used everywhere (the reference declared a stub with no parameters and called
    /// it with two: B10).
    std::function<void(std::uint16_t code, std::string_view reason)> disconnected;
    /// Every control timestamp decoded successfully, repeated or not.
    std::function<void(const ts::control_timestamp& ct)> control_timestamp;
    /// A message could not be used: a text frame that is not a valid control timestamp (bad JSON,
    /// a missing property, a wrong type or value) or a binary frame. The connection stays open and
    /// the latest control timestamp is unchanged. `text` is the offending message (empty for a
    /// binary frame). The reference only logged bad control timestamps (B23) and raised KeyError
    /// for missing properties (B24).
    std::function<void(error_code error, std::string_view text)> protocol_error;
};

/// CSS-TS client logic; models `dvbcss::client_protocol`.
///
/// Constructed with the set-up data (content id stem, timeline selector, optional private data).
/// `on_open` makes the set-up data pending, so the transport's first `take_pending` returns it;
/// one set-up message is sent per connection. Each text frame from the TV must be a control
/// timestamp: the latest one is kept and reported. `send_apt_ept_lpt` queues the companion's
/// presentation timestamps: at most one is pending at a time (a newer one replaces an unsent
/// older one), so the outbox is bounded whatever the rate of calls.
///
/// Protocol errors never close the connection: the message is dropped, counted and reported.
///
/// Thread safety: distinct objects safe; shared objects unsafe (use from one executor).
class client {
public:
    /// Encodes `setup` once, here: std::invalid_argument if it cannot be encoded (see
    /// `encode(const setup_data&)`).
    explicit client(setup_data setup, client_handlers handlers = {});

    /// Replaces the callbacks.
    void set_handlers(client_handlers handlers);

    /// The connection opened: forgets the previous connection's control timestamp, counts and
    /// unsent presentation timestamps, makes the set-up data pending and calls `connected`.
    void on_open();

    /// One text frame: a control timestamp. Success, or the decode error (errc::bad_json,
    /// errc::missing_field, errc::bad_field_type, errc::bad_field_value,
    /// errc::value_out_of_range, errc::message_too_large), which is also passed to
    /// `protocol_error`. Never throws on bad input.
    error_code on_text(std::string_view text);

    /// One binary frame: errc::binary_frame, reported to `protocol_error` and otherwise ignored.
    error_code on_binary(std::size_t size);

    /// The connection closed (code 1006 when the transport saw no close frame). Drops anything
    /// unsent and calls `disconnected` if the connection was open.
    void on_close(std::uint16_t code, std::string_view reason = {});

    /// The next message to send: the set-up data first (once per connection), then the pending
    /// presentation timestamps, if any. Nothing while the connection is closed.
    std::optional<std::string> take_pending();

    /// Queues `m` to be sent (it replaces a pending one not yet taken). Returns false, and queues
    /// nothing, while the connection is closed. std::invalid_argument if `m` cannot be encoded
    /// (an infinity in `actual`, or on the wrong side).
    bool send_apt_ept_lpt(const apt_ept_lpt& m);

    [[nodiscard]] bool connected() const noexcept { return connected_; }

    /// True if `take_pending` would return a message.
    [[nodiscard]] bool has_pending() const noexcept {
        return connected_ && (setup_pending_ || pending_apt_.has_value());
    }

    [[nodiscard]] const setup_data& setup() const noexcept { return setup_; }

    /// The last control timestamp decoded on this connection, if any.
    [[nodiscard]] const std::optional<ts::control_timestamp>& latest() const noexcept {
        return latest_;
    }

    /// Counts for this connection: control timestamps decoded, messages rejected (text and
    /// binary), and presentation timestamps replaced before they were sent.
    [[nodiscard]] std::size_t control_timestamps_received() const noexcept { return received_; }

    [[nodiscard]] std::size_t protocol_errors() const noexcept { return errors_; }

    [[nodiscard]] std::size_t apt_ept_lpt_replaced() const noexcept { return replaced_; }

    /// Where the last rejected text frame failed (the JSON path of the offending property; empty
    /// when the whole text was at fault or nothing was rejected yet).
    [[nodiscard]] const decode_detail& last_error_detail() const noexcept { return detail_; }

private:
    client_handlers handlers_;
    setup_data setup_;
    std::string setup_text_;
    std::optional<std::string> pending_apt_;
    std::optional<ts::control_timestamp> latest_;
    decode_detail detail_;
    bool connected_ = false;
    bool setup_pending_ = false;
    std::size_t received_ = 0;
    std::size_t errors_ = 0;
    std::size_t replaced_ = 0;
};

static_assert(dvbcss::client_protocol<client>);

} // namespace dvbcss::ts
