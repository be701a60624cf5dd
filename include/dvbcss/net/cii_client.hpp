#pragma once

/// A CSS-CII client over a WebSocket connection: `cii::client` (protocol logic) driven by the
/// generic `ws_client_adapter`.

#include <dvbcss/cii/client.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/ws_client_adapter.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <string>

namespace dvbcss::net {

/// Transport events a CII client application may want besides the CII callbacks.
using cii_client_events = ws_client_events;

/// Connects to a CSS-CII server (a ws:// URL) and folds what it pushes into one picture of what
/// the TV is showing (`cii::client`). The `cii::client_handlers` and the events run on the owner
/// executor given at construction; binary frames and malformed messages are reported through
/// `protocol_error` (and logged at info level, logger "cii-client", rate-limited) and the
/// connection is kept.
///
/// Thread safety: `start`, `close` and `is_open` are safe from any thread; `logic()` must be used
/// on the owner (e.g. from the handlers) or once it has stopped. Destroy the object on the owner's
/// thread or once the owner has stopped.
class cii_client {
public:
    /// `executor` is the owner: a single-threaded io_context or a strand.
    cii_client(boost::asio::any_io_executor executor, websocket_client_config config,
               cii::client_handlers handlers, cii_client_events events = {});

    /// Starts connecting; returns an error if the URL is not a valid ws:// URL.
    error_code start() { return adapter_.start(); }

    /// Closes the connection (1000 by default) and stops reconnecting.
    void close(std::uint16_t code = close_codes::normal, std::string reason = {}) {
        adapter_.close(code, std::move(reason));
    }

    [[nodiscard]] bool is_open() const { return adapter_.is_open(); }

    /// The protocol state: the combined CII, counters.
    [[nodiscard]] const cii::client& logic() const noexcept { return adapter_.core(); }

    /// The adapter, e.g. to reach the core with `with_core`.
    [[nodiscard]] ws_client_adapter<cii::client>& adapter() noexcept { return adapter_; }

private:
    ws_client_adapter<cii::client> adapter_;
};

} // namespace dvbcss::net
