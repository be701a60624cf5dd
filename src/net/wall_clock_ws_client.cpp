#include "wall_clock_client_driver.hpp"

#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_ws_client.hpp>
#include <dvbcss/wc/json_message.hpp>
#include <dvbcss/wc/message.hpp>

#include <optional>
#include <span>
#include <string>
#include <utility>

namespace dvbcss::net {
namespace {

constexpr const char* logger = "wc.ws.client";

} // namespace

const char* to_string(wall_clock_framing framing) noexcept {
    return framing == wall_clock_framing::json ? "json" : "binary";
}

websocket_client_config default_wall_clock_websocket_config() {
    websocket_client_config c;
    c.reconnect = true;
    return c;
}

wall_clock_ws_client::wall_clock_ws_client(const boost::asio::any_io_executor& executor,
                                           clock::correlated_clock& wall_clock,
                                           std::unique_ptr<wc::estimator> est,
                                           wall_clock_ws_client_config config)
    : config_(std::move(config))
    , executor_(executor)
    , driver_(std::make_unique<detail::wall_clock_client_driver>(
          executor, "wall_clock_ws_client", wall_clock, std::move(est), config_.core, logger,
          config_.url,
          detail::wall_clock_transport{[this](const wc::message_bytes& request) { send(request); },
                                       [this] {
                                           service();
                                       }}))
    , alive_(std::make_shared<int>(0)) {
    config_.websocket.url = config_.url;
}

wall_clock_ws_client::~wall_clock_ws_client() {
    alive_.reset();
    stop();
}

error_code wall_clock_ws_client::start() {
    if (ws_) {
        return {};
    }
    const std::weak_ptr<int> alive = alive_;
    websocket_client_callbacks callbacks;
    callbacks.on_open = [this, alive] {
        if (alive.expired()) {
            return;
        }
        open_ = true;
        ++stats_.connects;
        log::write(log::level::info, logger, "connected to " + config_.url);
        driver_->service_now(); // a request may be due now
    };
    callbacks.on_message = [this, alive](const incoming_message& message) {
        if (alive.expired()) {
            return;
        }
        handle(message);
    };
    callbacks.on_close = [this, alive](const close_info& info) {
        if (alive.expired()) {
            return;
        }
        open_ = false;
        ++stats_.disconnects;
        driver_->write_log(log::level::warning,
                           "connection to " + config_.url + " closed (" +
                               std::to_string(info.code) +
                               (info.reason.empty() ? std::string() : " " + info.reason) + ")");
    };
    callbacks.on_connect_failed = [this, alive](const connect_failure& failure) {
        if (alive.expired()) {
            return;
        }
        ++stats_.connect_failures;
        stats_.last_failure = failure.message;
    };
    auto ws =
        std::make_unique<websocket_client>(executor_, config_.websocket, std::move(callbacks));
    if (auto ec = ws->start()) {
        return ec;
    }
    ws_ = std::move(ws);
    service();
    return {};
}

void wall_clock_ws_client::stop() noexcept {
    if (!ws_) {
        return;
    }
    ws_->close(close_codes::normal);
    ws_.reset(); // later callbacks of that connection are suppressed
    open_ = false;
    driver_->cancel_timer();
    log::write(log::level::info, logger, "stopped");
}

void wall_clock_ws_client::service() {
    if (!ws_) {
        return;
    }
    if (!open_ && stats_.connects == 0) {
        return; // the first request goes when the first connection opens
    }
    // Once a connection has been open, requests keep going while it is re-established (they
    // fail and time out), so the core's rule reports the loss of synchronisation.
    driver_->service();
}

void wall_clock_ws_client::send(const wc::message_bytes& request) {
    const auto m = wc::decode(request); // the core's own encoding: always decodes
    if (!m) {
        return;
    }
    std::string payload;
    if (config_.framing == wall_clock_framing::json) {
        payload = wc::encode_json(*m);
    } else {
        payload.assign(reinterpret_cast<const char*>(request.data()), request.size());
    }
    // t1: read after encoding, immediately before the request is queued on the connection. The
    // originate on the wire (read by the core a moment earlier) still identifies the request.
    static_cast<void>(driver_->core().on_request_sent(m->originate, driver_->local_time().now()));
    const bool sent = config_.framing == wall_clock_framing::json
                          ? ws_->send_text(std::move(payload))
                          : ws_->send_binary(std::move(payload));
    if (!sent) {
        ++stats_.send_failures;
        if (open_) {
            driver_->write_log(log::level::warning,
                               "request to " + config_.url + " not sent: outbox full");
        }
    }
}

void wall_clock_ws_client::handle(const incoming_message& message) {
    ++stats_.messages;
    const std::int64_t t4 = driver_->local_time().at_monotonic(message.received_monotonic_ns);

    std::optional<wc::message_bytes> converted;
    std::span<const std::byte> bytes;
    if (message.binary) {
        bytes = std::as_bytes(std::span(message.data.data(), message.data.size()));
    } else {
        auto decoded = wc::bytes_from_json(message.data);
        if (!decoded) {
            ++stats_.undecodable_json;
            driver_->write_log(log::level::warning, "ignored a " +
                                                        std::to_string(message.data.size()) +
                                                        "-byte text message from " + config_.url +
                                                        ": " + decoded.error().message());
            driver_->report_unusable(t4);
            return;
        }
        converted = *decoded;
        bytes = *converted;
    }

    driver_->handle_response(bytes, t4, true, [this, &message] {
        return "a " + std::to_string(message.data.size()) + "-byte " +
               (message.binary ? "binary" : "text") + " message from " + config_.url;
    });
    // The core may want to send at once (or later): re-arm.
    driver_->service_now();
}

void wall_clock_ws_client::on_event(event_handler handler) {
    driver_->on_event(std::move(handler));
}

double wall_clock_ws_client::dispersion_ns() const {
    return driver_->dispersion_ns();
}

std::int64_t wall_clock_ws_client::offset_ns() const {
    return driver_->offset_ns();
}

std::int64_t wall_clock_ws_client::wall_clock_ns() const {
    return driver_->wall_clock_ns();
}

wall_clock_ws_client_statistics wall_clock_ws_client::statistics() const {
    auto s = stats_;
    s.core = driver_->core().statistics();
    return s;
}

bool wall_clock_ws_client::synchronised() const noexcept {
    return driver_->core().synchronised();
}

const wc::estimator& wall_clock_ws_client::current_estimator() const noexcept {
    return driver_->core().current_estimator();
}

wc::estimator& wall_clock_ws_client::current_estimator() noexcept {
    return driver_->core().current_estimator();
}

} // namespace dvbcss::net
