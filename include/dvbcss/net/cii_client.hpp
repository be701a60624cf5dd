#pragma once

/// A CSS-CII client over a WebSocket connection: the glue between `websocket_client` (transport)
/// and `cii::client` (protocol logic).

#include <dvbcss/cii/client.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/websocket_client.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dvbcss::net {

/// Transport events a CII client application may want besides the CII callbacks.
struct cii_client_events {
    /// A connection attempt failed (see `connect_failure::retry_in`).
    std::function<void(const connect_failure& failure)> connect_failed;
    /// No more attempts will be made (after `close()`, or a failure/close without reconnection).
    std::function<void()> finished;
};

/// Connects to a CSS-CII server (a ws:// URL) and folds what it pushes into one picture of what
/// the TV is showing (`cii::client`). The `cii::client_handlers` run on the client's strand;
/// binary frames and malformed messages are reported through `protocol_error` and the
/// connection is kept.
///
/// Thread safety: `start`, `close` and `is_open` are safe from any thread; `logic()` must be used
/// from the handlers (the client's strand) or once the io_context has stopped.
class cii_client {
public:
    cii_client(boost::asio::any_io_executor executor, websocket_client_config config,
               cii::client_handlers handlers, cii_client_events events = {});

    /// Starts connecting; returns an error if the URL is not a valid ws:// URL.
    error_code start();

    /// Closes the connection (1000 by default) and stops reconnecting.
    void close(std::uint16_t code = close_codes::normal, std::string reason = {});

    [[nodiscard]] bool is_open() const { return transport_->is_open(); }

    /// The protocol state: the combined CII, counters.
    [[nodiscard]] const cii::client& logic() const noexcept { return *logic_; }

private:
    std::shared_ptr<cii::client> logic_;
    std::unique_ptr<websocket_client> transport_;
};

} // namespace dvbcss::net
