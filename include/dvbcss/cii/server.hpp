#pragma once

/// The protocol logic of a CSS-CII server (the TV side), without any I/O: what to send to each
/// connected companion when it connects and when the CII changes.

#include <dvbcss/cii/message.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dvbcss::cii {

/// Identifies one WebSocket connection; chosen by the transport, unique among open connections.
using connection_id = dvbcss::connection_id;

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
    /// and port the companion connected to (so one CII serves every network interface). With
    /// property::private_data (not in the default set) they are replaced inside the private
    /// array's string values, e.g. a `{"type":...,"url":"ws://{{host}}:{{port}}/wc"}` entry.
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

/// CSS-CII server logic in push/pull form; models `dvbcss::server_protocol`, so any transport
/// adapter (`net::ws_server_adapter`) drives it.
///
/// - The transport reports `on_open` / `on_text` / `on_close`. `on_open` marks the connection
///   dirty with the FULL CII owed (every property that is not absent, `{{host}}`/`{{port}}`
///   rewritten; "{}" if all are absent): its first `take_pending` returns that.
/// - The application calls `set_cii` / `update`; every connection becomes dirty if the CII
///   changed.
/// - `take_dirty()` returns the connections marked dirty (by on_open, set_cii, update) since the
///   last call, each once; the transport asks each one's socket to pull.
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
/// from companions have no meaning in CSS-CII: `on_text` ignores them and returns
/// errc::unexpected_message for the transport's (rate-limited) log. Host/port rewriting of a null
/// or absent property does nothing (reference bug B16 fixed).
///
/// Thread safety: distinct objects safe; shared objects unsafe (the transport serialises calls on
/// one owner executor).
class server {
public:
    explicit server(server_config config = {});

    /// `cii` as the server would hold it: throws std::invalid_argument if `validate(cii)` fails;
    /// protocol_version set to "1.1" if absent. Lets a caller check a CII before handing it over.
    [[nodiscard]] static message checked_cii(message cii);

    /// Registers a connection and marks it dirty with the full CII owed. `origin.local_host` and
    /// `origin.local_port` are the server-side address of the connection (the interface the
    /// companion reached); an IPv6 address is bracketed when substituted for `{{host}}`. Throws
    /// std::logic_error if `conn` is already open (a transport bug: ids are never reused while
    /// open).
    void on_open(connection_id conn, const connection_origin& origin);

    /// A text message from a companion: ignored, as the protocol defines none in that direction
    /// (TS 103 286-2 §6; pydvbcss and ORB log and ignore them). Counts it and returns
    /// errc::unexpected_message; the text is not looked at.
    [[nodiscard]] error_code on_text(connection_id conn, std::string_view text);

    /// Forgets a connection. Unknown ids are ignored.
    void on_close(connection_id conn);

    /// Replaces the whole CII. Throws std::invalid_argument if `validate(cii)` fails;
    /// protocol_version is set to "1.1" if absent. Returns true if the CII changed (every
    /// connection is then dirty), false if it was already this.
    bool set_cii(message cii);

    /// Applies `changes` to the CII (`cii::update`), then as set_cii.
    bool update(const message& changes);

    /// The connections marked dirty since the last call (by on_open, set_cii, update) that are
    /// still open, each once, in no particular order.
    [[nodiscard]] std::vector<connection_id> take_dirty();

    [[nodiscard]] const message& cii() const noexcept { return cii_; }

    /// The CII as a given connection sees it (templates expanded), or nothing for unknown ids.
    [[nodiscard]] std::optional<message> cii_for(connection_id conn) const;

    /// True if `conn` may have something to send (take_pending may still return nothing).
    [[nodiscard]] bool is_dirty(connection_id conn) const;

    /// The message to send now on `conn`, recorded as sent: the full CII if none was sent since
    /// on_open, else the diff; nothing if there is no change or `conn` is unknown. Clears the
    /// dirty flag.
    [[nodiscard]] std::optional<std::string> take_pending(connection_id conn);

    /// As `take_pending`, as a payload shared by every connection that is sent the same bytes:
    /// connections that were told the same CII version through the same host and port get one
    /// encoding of the change between them. Null for nothing.
    [[nodiscard]] shared_text take_pending_shared(connection_id conn);

    /// take_pending for every dirty connection, in no particular order.
    [[nodiscard]] std::vector<outgoing> drain();

    /// Like take_pending, but sends the whole CII (every non-absent property) even if unchanged,
    /// and even "{}" (the reference's `sendOnlyDiff=False, sendIfEmpty=True`).
    [[nodiscard]] std::optional<std::string> take_full(connection_id conn);

    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }

    [[nodiscard]] std::vector<connection_id> connections() const;

    /// Messages received from companions (and ignored) since construction.
    [[nodiscard]] std::uint64_t messages_ignored() const noexcept { return ignored_; }

    /// Messages encoded by take_pending/take_pending_shared since construction: one per
    /// distinct message, however many connections share it.
    [[nodiscard]] std::uint64_t messages_encoded() const noexcept { return encoded_; }

private:
    struct connection {
        std::string host; ///< As substituted for {{host}} (IPv6 bracketed).
        std::string port; ///< Decimal, as substituted for {{port}}.
        /// Everything this connection has been told, merged; null before anything was sent.
        /// Shared (immutable) among the connections told the same, so that many companions in
        /// one state hold one copy.
        std::shared_ptr<const message> last_sent;
        bool dirty = false;     ///< May have something to send.
        bool owes_full = false; ///< Nothing sent yet: the next message is the full CII.
        bool queued = false;    ///< Listed in dirty_queue_ (not yet returned by take_dirty).
    };

    // One computed message, for every connection with the same rewrite key and the same
    // `last_sent` (or owing the full CII) while the CII stays at one version.
    struct shared_message {
        bool full = false;   ///< For connections owing the full CII (then `before` is unused).
        std::string rewrite; ///< Host and port, or empty when nothing is rewritten.
        std::shared_ptr<const message> before; ///< The connections' last_sent before.
        shared_text text;                      ///< Null: nothing to send.
        std::shared_ptr<const message> after;  ///< Their last_sent afterwards.
    };

    static constexpr std::size_t max_shared_messages = 16;

    // The per-connection computation (no sharing): the message, last_sent updated.
    [[nodiscard]] std::optional<std::string> compute_pending(connection& c);

    void mark_dirty(connection_id id, connection& c);

    [[nodiscard]] message customise(const connection& c) const;
    void mark_all_dirty();

    server_config config_;
    message cii_;
    std::unordered_map<connection_id, connection> connections_;
    std::vector<connection_id> dirty_queue_;
    std::uint64_t ignored_ = 0;
    std::uint64_t encoded_ = 0;
    std::vector<shared_message> shared_; ///< For the current CII; cleared when it changes.
};

static_assert(dvbcss::shared_pending_protocol<server>);

} // namespace dvbcss::cii
