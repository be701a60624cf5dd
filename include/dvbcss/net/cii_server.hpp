#pragma once

/// CSS-CII served over a WebSocket endpoint: `cii::server` (protocol logic) driven by the generic
/// `ws_server_adapter`, with a convenience API for applications.

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <mutex>
#include <string>

namespace dvbcss::net {

/// A CSS-CII endpoint (by default "/cii") on a WebSocket server. Each companion gets the full CII
/// when it connects; after `set_cii` / `update`, each connection is only *notified*, and the diff
/// against what that connection was last sent is computed when its socket is ready to write. A
/// slow companion therefore gets one up-to-date diff instead of a queue of stale ones, and its
/// outbox never grows. Messages from companions are ignored and logged at info level (logger
/// "cii", rate-limited).
///
/// `cii::server` runs on the owner executor only (see `ws_server_adapter`); `set_cii` and `update`
/// validate on the caller's thread, then hand the change to the owner.
///
/// Thread safety: member functions are safe from any thread. The object must outlive the server's
/// activity (see `websocket_server`) and be destroyed on the owner's thread or once the owner has
/// stopped.
class cii_server {
public:
    /// Adds the endpoint `path` to `server`, served on `owner` (a single-threaded io_context or a
    /// strand). Throws as `websocket_server::add_endpoint`, or std::invalid_argument if
    /// `config.initial_cii` is invalid.
    cii_server(websocket_server& server, boost::asio::any_io_executor owner,
               std::string path = "/cii", cii::server_config config = {},
               websocket_endpoint_config endpoint_config = {});

    /// Replaces the whole CII and pushes the changes to every companion. Throws
    /// std::invalid_argument (on the caller's thread) if `cii::validate` fails.
    void set_cii(cii::message cii);

    /// Applies `changes` (`cii::update`) and pushes them. Throws std::invalid_argument if the
    /// result is invalid (nothing changes then).
    void update(const cii::message& changes);

    /// The current CII as last set through this object, with `{{host}}`/`{{port}}` templates
    /// unexpanded. Changes made with `adapter().with_core` are not reflected.
    [[nodiscard]] cii::message cii() const;

    /// The WebSocket endpoint (enable/disable, limits, connection count).
    [[nodiscard]] websocket_endpoint& endpoint() noexcept { return adapter_.endpoint(); }

    /// The adapter, for direct access to the core on the owner.
    [[nodiscard]] ws_server_adapter<cii::server>& adapter() noexcept { return adapter_; }

private:
    void publish(cii::message cii); // with mutex_ held

    mutable std::mutex mutex_;
    cii::message current_; // guarded by mutex_: the CII the owner will hold once queued work ran
    ws_server_adapter<cii::server> adapter_;
};

} // namespace dvbcss::net
