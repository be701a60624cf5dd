#pragma once

/// What a pretend TV is doing, for people watching it: the companions connected per protocol,
/// the timelines with their current control timestamps, the wall clock's request rate and
/// processing delay, and recent events, as the JSON document served at /status.json (schema
/// "dvbcss-status/1", docs/status.md) and rendered live by the page at /status.

#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/net/http_route.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/ts/server.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dvbcss::tools {

class wall_clock_thread;

/// The schema name of the document, the value of its top-level "schema" property. A change that
/// removes or retypes a property gets a new number; new properties may appear within one number.
inline constexpr std::string_view status_schema = "dvbcss-status/1";

/// One timeline as the status board shows it.
///
/// Thread safety: a value type.
struct timeline_status {
    std::string selector;    ///< e.g. "urn:dvb:css:timeline:pts".
    double tick_rate_hz = 0; ///< Ticks per second (90000 for PTS).
    bool available = false;  ///< False while the timeline is unavailable to companions.
    /// The control timestamp a companion following this timeline is sent now (content time in
    /// ticks, wall clock ns, speed multiplier; the first and last empty when unavailable), or
    /// nothing if unknown (e.g. the source has nothing to say yet).
    std::optional<ts::control_timestamp> control_timestamp;
    /// For a timeline from playing media (tv-device --media): the render latency accounted in
    /// its control timestamps (the pipeline's latency, ns: a buffer is rendered that long after
    /// its running time). Nothing for pretend timelines.
    std::optional<std::int64_t> render_latency_ns;
};

/// Returns the timelines of the current content, in the order to show them. Called on the owner.
using timeline_provider = std::function<std::vector<timeline_status>()>;

/// Figures of a CSS-WC-over-WebSocket endpoint (tv-device's /wc).
///
/// Thread safety: a value type.
struct wc_websocket_figures {
    std::size_t companions = 0;         ///< Connections open on the endpoint.
    std::uint64_t binary_requests = 0;  ///< 32-byte requests answered, since start.
    std::uint64_t json_requests = 0;    ///< JSON requests answered, since start.
    std::uint64_t ignored_messages = 0; ///< Messages that were no valid request, since start.
};

/// Returns the WebSocket wall clock's figures now. Called on the owner.
using wc_websocket_provider = std::function<wc_websocket_figures()>;

/// Settings of a `status_board`.
///
/// Thread safety: a value type.
struct status_board_options {
    /// Events kept (the oldest goes first); also the most a document lists.
    std::size_t max_events = 50;
    /// Longest event text kept, bytes (longer texts are cut at a character boundary and end
    /// with "...").
    std::size_t max_event_bytes = 300;
    /// How far back request rates and processing delay percentiles look.
    std::chrono::nanoseconds window = std::chrono::seconds(10);
};

/// Gathers the status of a pretend TV from its parts and serves it as JSON (docs/status.md).
///
/// The parts are watched, never owned: the CSS-CII and CSS-TS endpoints (their cores and their
/// per-connection descriptions), optionally the UDP wall clock thread, the WebSocket wall clock,
/// and a function listing the timelines. Set them up with the `watch_*`/`set_*` calls before the
/// server starts; a part never set is reported as null (unknown). The board keeps only what no
/// part remembers: the recent events (a ring of `max_events`), when each companion's AptEptLpt
/// arrived (`apt_ept_lpt_recorder`), and samples of request counts for rates.
///
/// `json_handler()` answers GET and HEAD of /status.json: it posts to the owner executor, builds
/// the document there (so every figure comes from the owner's state at one instant) and responds
/// with 200, "application/json", "Cache-Control: no-store". Other methods get 405 with "Allow:
/// GET, HEAD". Text that came from the network (TS stems and selectors) is escaped by the JSON
/// encoder; invalid UTF-8 is replaced, never thrown on.
///
/// Thread safety: construct, set up, `record_event`, `snapshot` and destroy on the owner (the
/// thread running the single-threaded io_context of the cores); `json_handler()`'s handler may be
/// called from any thread (it only posts). The UDP wall clock's figures are asked of its own
/// thread (a short wait for that thread's answer, never the other way round).
///
/// Lifetime: the watched parts must outlive the board; the board must outlive the server's
/// activity (stop the server before destroying it). A request posted to the owner that finds the
/// board destroyed is answered with 503.
class status_board {
public:
    /// `owner`: the executor of the cores; `wall_clock`: the owner's wall clock (1 GHz, read for
    /// the document's and the events' wall clock time).
    status_board(boost::asio::any_io_executor owner, const clock::clock_base& wall_clock,
                 status_board_options options = {});
    ~status_board();
    status_board(const status_board&) = delete;
    status_board& operator=(const status_board&) = delete;

    /// Reports the CSS-CII endpoint: the content (content id, its status, presentation status)
    /// and its companions.
    void watch_cii(net::ws_server_adapter<cii::server>& cii);

    /// Reports the CSS-TS endpoint's companions: set-up, last control timestamp sent, latest
    /// AptEptLpt.
    void watch_ts(net::ws_server_adapter<ts::server>& ts);

    /// Reports the UDP wall clock's request rate and processing delay (`recent_activity`).
    void watch_wall_clock_udp(wall_clock_thread& wall_clock);

    /// Reports the WebSocket wall clock endpoint.
    void watch_wall_clock_websocket(wc_websocket_provider provider);

    /// Lists the timelines.
    void set_timelines(timeline_provider provider);

    /// A CSS-TS AptEptLpt handler that notes when each companion's AptEptLpt arrived
    /// (CLOCK_MONOTONIC) and how many came, then calls `next` (if any). Install it with
    /// `ts::server::set_apt_ept_lpt_handler`. Entries of closed connections are dropped at the
    /// next snapshot.
    [[nodiscard]] ts::apt_ept_lpt_handler apt_ept_lpt_recorder(ts::apt_ept_lpt_handler next = {});

    /// Adds an event (a change the TV made: pause, seek, content, availability...), stamped now
    /// with CLOCK_MONOTONIC, the wall clock and UTC. Owner only.
    void record_event(std::string text);

    /// The number of events recorded since construction (the "seq" of the latest).
    [[nodiscard]] std::uint64_t events_recorded() const noexcept { return next_seq_ - 1; }

    /// The document, built now (properties in the documented order). Owner only (not const: it
    /// samples request counts for the rates).
    [[nodiscard]] nlohmann::ordered_json snapshot();

    /// The document as compact JSON text (invalid UTF-8 replaced). Owner only.
    [[nodiscard]] std::string snapshot_text();

    /// The handler of GET /status.json (see the class comment). Safe from any thread.
    [[nodiscard]] net::http_handler& json_handler() noexcept;

private:
    struct event {
        std::uint64_t seq = 0;
        std::int64_t monotonic_ns = 0;
        std::optional<std::int64_t> wall_clock_ns;
        std::string utc;
        std::string text;
    };

    struct apt_arrival {
        std::int64_t monotonic_ns = 0;
        std::uint64_t count = 0;
    };

    struct count_sample {
        std::int64_t monotonic_ns = 0;
        std::uint64_t count = 0;
    };

    class json_route;

    [[nodiscard]] nlohmann::ordered_json content_json() const;
    [[nodiscard]] nlohmann::ordered_json timelines_json() const;
    [[nodiscard]] nlohmann::ordered_json companions_json(std::int64_t now_ns);
    [[nodiscard]] nlohmann::ordered_json wall_clock_json(std::int64_t now_ns);
    [[nodiscard]] nlohmann::ordered_json events_json() const;

    boost::asio::any_io_executor owner_;
    const clock::clock_base& wall_clock_;
    status_board_options options_;
    net::ws_server_adapter<cii::server>* cii_ = nullptr;
    net::ws_server_adapter<ts::server>* ts_ = nullptr;
    wall_clock_thread* wc_udp_ = nullptr;
    wc_websocket_provider wc_websocket_;
    timeline_provider timelines_;
    std::deque<event> events_;
    std::uint64_t next_seq_ = 1;
    std::shared_ptr<std::unordered_map<net::connection_id, apt_arrival>> apt_arrivals_;
    std::deque<count_sample> wc_websocket_samples_;
    std::unique_ptr<json_route> route_;
    std::shared_ptr<int> alive_; // posted requests hold a weak_ptr: expired once the board is gone
};

} // namespace dvbcss::tools
