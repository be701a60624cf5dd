#pragma once

/// The protocol logic of a CSS-CII client (the companion side), without any I/O: folds the messages
/// a TV pushes into one picture of what it is showing, and says what changed.

#include <dvbcss/cii/message.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dvbcss::cii {

/// Callbacks a client application may set; each is optional. They run synchronously inside the
/// client call that caused them (on_open, on_text, on_binary, on_close), on the caller's thread.
struct client_handlers {
    /// The WebSocket connection is open.
    std::function<void()> connected;
    /// The connection closed: WebSocket close code (1006 if none was received) and reason.
    std::function<void(std::uint16_t code, std::string_view reason)> disconnected;
    /// Every message decoded successfully, changed or not (the reference's onCiiReceived).
    std::function<void(const message& received)> message_received;
    /// One call per changed property, in `all_properties` order; `cii` is the updated picture.
    std::function<void(property changed, const message& cii)> property_changed;
    /// Once per message that changed anything, after the per-property calls.
    std::function<void(const property_set& changed, const message& cii)> changed;
    /// A message could not be used (bad JSON, wrong types, a binary frame). The connection stays
    /// open and the picture unchanged. `text` is the offending message (empty for binary frames).
    std::function<void(error_code error, std::string_view text)> protocol_error;
};

/// CSS-CII client logic; models `dvbcss::client_protocol`, so `net::ws_client_adapter` drives it.
///
/// The transport reports `on_open`, each text frame (`on_text`), binary frames (`on_binary`) and
/// `on_close`; the client keeps the combined CII (`cii()`), which starts with every property
/// **null**, as the specification models it (the reference starts from all-absent), and is reset
/// to all-null on each new connection. A received property that is absent leaves the picture
/// alone; null or a value replaces it. A change is a property whose state or value differs.
///
/// Protocol errors never close the connection: the message is dropped and reported. A CII client
/// never sends anything, so `take_pending` always returns nothing.
///
/// Thread safety: distinct objects safe; shared objects unsafe (use from one executor).
class client {
public:
    client() = default;

    explicit client(client_handlers handlers)
        : handlers_(std::move(handlers)) {}

    /// Replaces the callbacks.
    void set_handlers(client_handlers handlers) { handlers_ = std::move(handlers); }

    /// The connection opened: resets the picture to all-null and calls `connected`.
    void on_open();

    /// One text frame. Returns success (the properties it changed are then in `last_changed()`),
    /// or the decode error (also passed to `protocol_error`; `last_changed()` is then empty).
    /// Never throws on bad input.
    error_code on_text(std::string_view text);

    /// One binary frame: a protocol error (errc::binary_frame), reported and otherwise ignored.
    error_code on_binary(std::size_t size);

    /// The connection closed (code 1006 when the transport saw no close frame).
    void on_close(std::uint16_t code, std::string_view reason = {});

    /// Nothing: a CSS-CII client has nothing to say to the server.
    [[nodiscard]] std::optional<std::string> take_pending() const noexcept { return std::nullopt; }

    /// The properties changed by the last text frame (none if it changed nothing or failed).
    [[nodiscard]] const property_set& last_changed() const noexcept { return last_changed_; }

    [[nodiscard]] bool connected() const noexcept { return connected_; }

    /// Everything known so far: every message of this connection folded in with `update`.
    [[nodiscard]] const message& cii() const noexcept { return cii_; }

    /// The last message decoded successfully on this connection, if any.
    [[nodiscard]] const std::optional<message>& latest() const noexcept { return latest_; }

    /// Counts for this connection: messages decoded, and messages rejected.
    [[nodiscard]] std::size_t messages_received() const noexcept { return received_; }

    [[nodiscard]] std::size_t protocol_errors() const noexcept { return errors_; }

    /// "Nothing received from TV yet." before the first message, else the CII as JSON.
    [[nodiscard]] std::string status_summary() const;

private:
    client_handlers handlers_;
    message cii_ = message::all_null();
    std::optional<message> latest_;
    property_set last_changed_;
    bool connected_ = false;
    std::size_t received_ = 0;
    std::size_t errors_ = 0;
};

static_assert(dvbcss::client_protocol<client>);

} // namespace dvbcss::cii
