#pragma once

/// CSS-CII served over a WebSocket endpoint: the glue between `cii::server` (protocol logic) and
/// `websocket_server` (transport).

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::net {

/// A CSS-CII endpoint (by default "/cii") on a WebSocket server. Each companion gets the full CII
/// when it connects; after `set_cii` / `update`, each connection is only *notified*, and the diff
/// against what that connection was last sent is computed when its socket is ready to write. A
/// slow companion therefore gets one up-to-date diff instead of a queue of stale ones, and its
/// outbox never grows. Messages from companions are ignored and logged at info level.
///
/// Thread safety: member functions are safe from any thread (the CII logic is guarded by a
/// mutex). The object must outlive the server's activity (see `websocket_server`).
class cii_server final : public websocket_handler {
public:
    /// Adds the endpoint `path` to `server`. Throws as `websocket_server::add_endpoint`, or
    /// std::invalid_argument if `config.initial_cii` is invalid.
    cii_server(websocket_server& server, std::string path = "/cii", cii::server_config config = {},
               websocket_endpoint_config endpoint_config = {});

    /// Replaces the whole CII and pushes the changes to every companion. Throws
    /// std::invalid_argument if `cii::validate` fails.
    void set_cii(cii::message cii);

    /// Applies `changes` (`cii::update`) and pushes them.
    void update(const cii::message& changes);

    /// The current CII, with `{{host}}`/`{{port}}` templates unexpanded.
    [[nodiscard]] cii::message cii() const;

    /// The WebSocket endpoint (enable/disable, limits, connection count).
    [[nodiscard]] websocket_endpoint& endpoint() noexcept { return endpoint_; }

    void on_open(const connection_info& connection) override;
    void on_text(connection_id id, std::string_view text) override;
    void on_close(connection_id id, const close_info& info) override;
    std::optional<std::string> take_pending(connection_id id) override;

private:
    void notify(const std::vector<cii::connection_id>& dirty);

    mutable std::mutex mutex_;
    cii::server logic_; // guarded by mutex_
    websocket_endpoint& endpoint_;
};

} // namespace dvbcss::net
