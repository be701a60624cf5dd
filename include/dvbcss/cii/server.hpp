#pragma once

/// The protocol logic of a CSS-CII server (the TV side), without any I/O: what to send to each
/// connected companion when it connects and when the CII changes.

#include <dvbcss/cii/message.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dvbcss::cii {

/// Identifies one WebSocket connection; chosen by the transport, unique among open connections.
using connection_id = std::uint64_t;

/// Configuration of a CII server.
///
/// Thread safety: a value type.
struct server_config {
    /// The CII before the first set_cii. protocol_version is forced to "1.1" if absent.
    message initial_cii = [] {
        message m;
        m.protocol_version = std::string(protocol_version_1_1);
        return m;
    }();
    /// Properties in which `{{host}}` and `{{port}}` are replaced, per connection, by the address
    /// and port the companion connected to (so one CII serves every network interface).
    property_set rewrite_host_port = [] {
        property_set s;
        add(s, property::wc_url);
        add(s, property::ts_url);
        add(s, property::te_url);
        return s;
    }();
};

/// One text message to send on one connection.
struct outgoing {
    connection_id connection = 0;
    std::string text;

    friend bool operator==(const outgoing&, const outgoing&) = default;
};

/// CSS-CII server logic in push/pull form.
///
/// - The transport reports `on_open` / `on_text` / `on_close`; `on_open` returns the first message
///   (every property that is not absent, `{{host}}`/`{{port}}` rewritten; "{}" if all are absent).
/// - The application calls `set_cii` / `update`; they return the connections that may now have
///   something to send (they become "dirty").
/// - When a dirty connection's socket can take a message, the transport calls
///   `take_pending(conn)`: it computes the diff between what that connection was last sent and the
///   current CII, records it as sent, and returns it (nothing if the changes cancelled out).
///
/// Several set_cii calls before the socket is ready therefore collapse into one correct diff, and
/// the per-connection state is one message, whatever the update rate: the outbox is bounded by
/// design. `drain()` does the same for every dirty connection at once, for simple transports.
///
/// Diffs follow `cii::diff`, plus: whenever contentId is sent, contentIdStatus is sent with it
/// (null if the CII has none); a property that becomes absent is sent as null. Messages received
/// from companions have no meaning in CSS-CII and are ignored (`on_text` describes them for a log
/// line). Host/port rewriting of a null or absent property does nothing (reference bug B16 fixed).
///
/// Thread safety: distinct objects safe; shared objects unsafe (the transport serialises calls,
/// e.g. on one strand or under one mutex).
class server {
public:
    explicit server(server_config config = {});

    /// Registers a connection and returns the full CII to send first. `local_host` and
    /// `local_port` are the server-side address of the connection (the interface the companion
    /// reached); an IPv6 address is bracketed when substituted for `{{host}}`. Throws
    /// std::logic_error if `conn` is already open.
    [[nodiscard]] std::string on_open(connection_id conn, std::string_view local_host,
                                      std::uint16_t local_port);

    /// A text message from a companion: ignored per the protocol. Returns a one-line description
    /// for the transport's log (message size and a sanitised prefix of at most 64 characters).
    [[nodiscard]] std::string on_text(connection_id conn, std::string_view text) const;

    /// Forgets a connection. Unknown ids are ignored.
    void on_close(connection_id conn);

    /// Replaces the whole CII. Throws std::invalid_argument if `validate(cii)` fails;
    /// protocol_version is set to "1.1" if absent. Returns the connections marked dirty (all of
    /// them if the CII changed, none otherwise).
    std::vector<connection_id> set_cii(message cii);

    /// Applies `changes` to the CII (`cii::update`), then as set_cii.
    std::vector<connection_id> update(const message& changes);

    /// The current CII, with `{{host}}`/`{{port}}` templates unexpanded.
    [[nodiscard]] const message& cii() const noexcept { return cii_; }

    /// The CII as a given connection sees it (templates expanded), or nothing for unknown ids.
    [[nodiscard]] std::optional<message> cii_for(connection_id conn) const;

    /// True if `conn` may have something to send (take_pending may still return nothing).
    [[nodiscard]] bool is_dirty(connection_id conn) const;

    /// The diff to send now on `conn`, recorded as sent; nothing if there is no change or `conn`
    /// is unknown. Clears the dirty flag.
    [[nodiscard]] std::optional<std::string> take_pending(connection_id conn);

    /// take_pending for every dirty connection, in no particular order.
    [[nodiscard]] std::vector<outgoing> drain();

    /// Like take_pending, but sends the whole CII (every non-absent property) even if unchanged,
    /// and even "{}" (the reference's `sendOnlyDiff=False, sendIfEmpty=True`).
    [[nodiscard]] std::optional<std::string> take_full(connection_id conn);

    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }

    [[nodiscard]] std::vector<connection_id> connections() const;

private:
    struct connection {
        std::string host;  ///< As substituted for {{host}} (IPv6 bracketed).
        std::string port;  ///< Decimal, as substituted for {{port}}.
        message last_sent; ///< Everything this connection has been told, merged.
        bool dirty = false;
    };

    [[nodiscard]] message customise(const connection& c) const;
    std::vector<connection_id> mark_all_dirty();

    server_config config_;
    message cii_;
    std::unordered_map<connection_id, connection> connections_;
};

} // namespace dvbcss::cii
