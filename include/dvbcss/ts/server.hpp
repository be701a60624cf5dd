#pragma once

/// The protocol logic of a CSS-TS server (the TV side), without any I/O: which control timestamp
/// each connected companion should be sent, and when. Models `dvbcss::server_protocol`.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/protocol.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dvbcss::ts {

/// Counters of a CSS-TS server since construction.
///
/// Thread safety: a value type.
struct server_stats {
    std::uint64_t setups_accepted = 0;         ///< Valid setup-data messages (one per connection).
    std::uint64_t apt_ept_lpts_received = 0;   ///< Valid AptEptLpt messages.
    std::uint64_t control_timestamps_sent = 0; ///< Messages returned by take_pending.
    /// Control timestamps encoded: one per distinct message, however many connections share it.
    std::uint64_t control_timestamps_encoded = 0;
    std::uint64_t ignored_invalid_setup = 0;       ///< Undecodable first messages (still waiting).
    std::uint64_t ignored_invalid_apt_ept_lpt = 0; ///< Undecodable messages after set-up.
    std::uint64_t ignored_repeated_setup = 0;      ///< A second valid setup-data on a connection.
    std::uint64_t ignored_unknown_connection = 0;  ///< Text for a connection that is not open.
    /// Every ignored message counted by the reason on_text returned (the codec's error, or
    /// errc::unexpected_message for a repeated setup-data or an unknown connection).
    std::map<error_code, std::uint64_t> ignored_by_reason;

    friend bool operator==(const server_stats&, const server_stats&) = default;
};

/// Called when a companion's valid AptEptLpt arrives, with its connection id.
using apt_ept_lpt_handler = std::function<void(connection_id, const apt_ept_lpt&)>;

/// CSS-TS server logic in push/pull form (the reference's TSServer, behaviour notes §4.4).
///
/// Per connection:
/// - Nothing is sent before a valid setup-data. An invalid first message is ignored (on_text
///   returns the decoder's reason) and the connection keeps waiting for one.
/// - After set-up, every message is decoded as an AptEptLpt; the latest valid one is kept per
///   connection (`apt_ept_lpt_of`) and offered to the handler. Invalid ones are ignored with the
///   decoder's reason. A second valid setup-data is ignored with errc::unexpected_message: the
///   timeline a connection follows is fixed for its lifetime (a companion that wants another one
///   opens another connection). No message ever closes a connection.
///
/// What a set-up connection is sent, computed at the moment `take_pending` is called:
/// - the content id does not match the stem (prefix test; the empty stem matches every content
///   id; no content id matches nothing): the "unavailable" control timestamp stamped with the
///   wall clock's time now;
/// - no attached source recognises the selector: the same "unavailable" timestamp;
/// - otherwise the answer of the most recently attached source that recognises the selector
///   (the reference's "last attached wins"): its control timestamp, or nothing at all if it says
///   "not yet" (the previously sent timestamp stays in force). A malformed timestamp from a
///   source is replaced by "unavailable".
/// A timestamp is sent only if it differs from the last one sent on that connection (any field);
/// unavailable after unavailable is never resent although the wall clock time differs
/// (reference `isControlTimestampChanged`).
///
/// Dirty tracking: a connection becomes dirty after its setup-data, when the content id changes
/// (every set-up connection), when a source pushes a change for its selector, or when a source
/// recognising its selector is attached, detached or destroyed. `take_dirty` returns each dirty
/// connection once; several changes before the transport pulls collapse into one message.
///
/// Selector reference counting: over the set-up connections, a source hears `selector_needed`
/// when the first one asks for a selector and `selector_not_needed` when the last one closes.
/// A source attached late is told every selector already needed (fixes B21); a source detached
/// is told every needed selector is no longer needed. When an endpoint is disabled, the transport
/// calls on_close for every connection, so the counts return to zero (B15).
///
/// Wall clock: `wall_clock` is the clock tree's wall clock (ticking at 1e9; other tick rates
/// are converted to nanoseconds). The server reads it (never the OS clock) to stamp unavailable
/// timestamps. It must outlive the server.
///
/// Lifetime: sources and the server may die in any order. The server detaches every source in
/// its destructor (each is told its needed selectors are no longer needed); a dying source
/// detaches itself. Not copyable or movable.
///
/// Thread safety: distinct objects safe; shared objects unsafe. The transport, the application,
/// the sources and the clock tree use the server from one thread or executor.
class server {
public:
    /// `content_id`: the initial content id (nullopt: no content / unknown).
    explicit server(const clock::clock_base& wall_clock,
                    std::optional<std::string> content_id = std::nullopt);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    server(server&&) = delete;
    server& operator=(server&&) = delete;

    // ---- server_protocol ----

    /// Registers a connection; nothing is pending until its setup-data. Throws std::logic_error if
    /// `id` is already open.
    void on_open(connection_id id, const connection_origin& origin);

    /// One message from a companion. Success if it was used (a setup-data, then AptEptLpt);
    /// otherwise the reason it was ignored: a decoder error (condition::bad_message),
    /// errc::unexpected_message for a repeated setup-data or an unknown connection.
    [[nodiscard]] error_code on_text(connection_id id, std::string_view text);

    /// Forgets a connection (and its use of a selector). Unknown ids are ignored.
    void on_close(connection_id id);

    /// The connections that became dirty since the last call, each once.
    [[nodiscard]] std::vector<connection_id> take_dirty();

    /// The encoded control timestamp to send on `id` now, recorded as sent; nothing if the
    /// connection is unknown, not set up, its source says "not yet", or the timestamp equals the
    /// last one sent. Works whether or not `id` was dirty.
    [[nodiscard]] std::optional<std::string> take_pending(connection_id id);

    /// As `take_pending`, as a payload shared by every connection sent the same control
    /// timestamp: a change followed by N companions on one timeline is encoded once (the last
    /// few distinct timestamps are kept encoded). Null for nothing.
    [[nodiscard]] shared_text take_pending_shared(connection_id id);

    // ---- application ----

    /// Sets the current content id (nullopt: none). Cheap and idempotent: an equal value changes
    /// nothing; a different one marks every set-up connection dirty. Call it in the same step as
    /// the CSS-CII change so both protocols describe the same content.
    void set_content_id(std::optional<std::string> content_id);

    [[nodiscard]] const std::optional<std::string>& content_id() const noexcept {
        return content_id_;
    }

    /// Attaches `source` (returns false if already attached), tells it every currently needed
    /// selector, and marks dirty the connections whose selector it recognises. The source may be
    /// attached to other servers too.
    bool attach(timeline_source& source);

    /// Detaches `source` (returns false if not attached), tells it every currently needed
    /// selector is no longer needed, and marks dirty the connections whose selector it
    /// recognised.
    bool detach(timeline_source& source);

    /// Attached sources, oldest first.
    [[nodiscard]] const std::vector<timeline_source*>& sources() const noexcept {
        return sink_.sources();
    }

    /// Marks every set-up connection dirty (for a source whose changes it cannot push).
    void refresh();

    /// Called after each valid AptEptLpt (after it is stored). May call back into the server.
    void set_apt_ept_lpt_handler(apt_ept_lpt_handler handler);

    // ---- inspection ----

    /// The setup-data of `id`, or nothing if unknown or not set up yet.
    [[nodiscard]] std::optional<setup_data> setup_of(connection_id id) const;

    /// The latest valid AptEptLpt of `id`, or nothing.
    [[nodiscard]] std::optional<apt_ept_lpt> apt_ept_lpt_of(connection_id id) const;

    /// The last control timestamp sent on `id`, or nothing.
    [[nodiscard]] std::optional<control_timestamp> last_sent(connection_id id) const;

    /// The number of set-up connections following `selector` (0 if none).
    [[nodiscard]] std::size_t selector_use_count(std::string_view selector) const;

    /// How many distinct shared setup-data the open connections sent: connections that sent the
    /// same one, without private data and with stem and selector together at most 512 bytes,
    /// share a single copy, forgotten when the last of them closes (the others are not counted).
    [[nodiscard]] std::size_t distinct_setup_count() const noexcept {
        return interned_setups_.size();
    }

    /// Selectors with at least one set-up connection, in lexicographic order.
    [[nodiscard]] std::vector<std::string> needed_selectors() const;

    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }

    [[nodiscard]] const server_stats& stats() const noexcept { return stats_; }

    /// True if `content_id` matches `stem` (prefix test; nullopt matches nothing).
    [[nodiscard]] static bool matches_stem(const std::optional<std::string>& content_id,
                                           std::string_view stem) noexcept;

private:
    struct connection {
        /// Shared by every connection that sent the same setup-data, if it has no private data
        /// and its stem and selector together are at most 512 bytes (see `intern`): 10 000
        /// companions of one timeline hold one copy, not 10 000.
        std::shared_ptr<const setup_data> setup;
        std::optional<control_timestamp> last_sent;
        std::optional<ts::apt_ept_lpt> latest_apt_ept_lpt;
        bool queued = false; ///< In dirty_.
    };

    // The server's end of its sources' attachments; private so only the server attaches it.
    class sink final : public timeline_sink {
    public:
        explicit sink(server& owner) noexcept
            : owner_(&owner) {}

        void on_timeline_changed(timeline_source& source,
                                 std::optional<std::string_view> selector) override;
        void on_source_destroyed(timeline_source& source) override;

    private:
        server* owner_;
    };

    error_code ignore(error_code reason);
    void mark(connection_id id, connection& c);
    void mark_set_up(const std::function<bool(const setup_data&)>& which);
    void selector_added(const std::string& selector);
    void selector_removed(const std::string& selector);
    [[nodiscard]] std::optional<control_timestamp> current_for(const setup_data& setup);
    [[nodiscard]] std::int64_t wall_clock_ns() const;
    [[nodiscard]] shared_text encoded(const control_timestamp& ct);
    [[nodiscard]] std::shared_ptr<const setup_data> intern(setup_data setup);
    void release(const std::shared_ptr<const setup_data>& setup);

    // The most recently encoded control timestamps (a change reaches every companion of a
    // timeline in turn, and a few timelines change together), newest overwriting the oldest.
    static constexpr std::size_t encoded_cache_size = 8;

    struct encoded_entry {
        control_timestamp ct;
        shared_text text;
    };

    const clock::clock_base* wall_clock_;
    std::optional<std::string> content_id_;
    std::unordered_map<connection_id, connection> connections_;
    std::vector<connection_id> dirty_;
    std::map<std::string, std::size_t, std::less<>> selector_counts_;
    // The distinct setup-data without private data that open connections sent, by content id
    // stem and timeline selector (at most one entry per connection).
    std::unordered_map<std::string, std::weak_ptr<const setup_data>> interned_setups_;
    apt_ept_lpt_handler on_apt_ept_lpt_;
    server_stats stats_;
    std::vector<encoded_entry> encoded_cache_;
    std::size_t encoded_next_ = 0;
    sink sink_{*this}; // Last: detached first when the server dies.
};

static_assert(shared_pending_protocol<server>);

} // namespace dvbcss::ts
