#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_ws_client.hpp>
#include <dvbcss/wc/json_message.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

namespace dvbcss::net {
namespace {

constexpr const char* logger = "wc.ws.client";

const clock::clock_base& parent_of(const clock::correlated_clock& wall) {
    if (wall.parent() == nullptr) {
        throw std::invalid_argument("wall_clock_ws_client: the wall clock must have a parent");
    }
    return *wall.parent();
}

// Why the core ignored a message: the one counter it bumped.
const char* ignored_reason(const wc::client_statistics& before,
                           const wc::client_statistics& after) {
    if (after.malformed != before.malformed) {
        return "not a CSS-WC message (wrong length, version or type)";
    }
    if (after.not_a_response != before.not_a_response) {
        return "a request, not a response";
    }
    if (after.wrong_originate != before.wrong_originate) {
        return "its originate time matches no recent request";
    }
    if (after.late != before.late) {
        return "a response to a request that had already timed out";
    }
    if (after.duplicates != before.duplicates) {
        return "a second copy of an answered response";
    }
    if (after.implausible != before.implausible) {
        return "implausible timestamps (e.g. a negative round trip)";
    }
    return "ignored by the core";
}

std::int64_t floor_ns(tick_t v) {
    return std::isfinite(v) ? static_cast<std::int64_t>(std::floor(v)) : 0;
}

std::string dispersion_text(double ns) {
    return std::isfinite(ns) ? std::to_string(ns / 1e6) + " ms" : std::string("unknown");
}

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
    : wall_clock_(wall_clock)
    , config_(std::move(config))
    , executor_(executor)
    , local_time_(parent_of(wall_clock))
    , core_(wall_clock, std::move(est), config_.core)
    , timer_(executor)
    , log_(logger)
    , timeout_log_(logger, 3, 10'000'000'000)
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
        timer_.cancel(); // a request may be due now
        service();
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
        log_.write(log::level::warning,
                   "connection to " + config_.url + " closed (" + std::to_string(info.code) +
                       (info.reason.empty() ? std::string() : " " + info.reason) + ")",
                   monotonic_now_ns());
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
    timer_.cancel();
    log::write(log::level::info, logger, "stopped");
}

void wall_clock_ws_client::arm_timer() {
    const std::int64_t delay = core_.next_wakeup_ns() - local_time_.now();
    timer_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, delay)));
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (alive.expired() || ec == boost::asio::error::operation_aborted) {
            return;
        }
        service();
    });
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
    if (auto request = core_.next_request(local_time_.now())) {
        send(*request);
    }
    report_core_events();
    arm_timer();
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
    static_cast<void>(core_.on_request_sent(m->originate, local_time_.now()));
    const bool sent = config_.framing == wall_clock_framing::json
                          ? ws_->send_text(std::move(payload))
                          : ws_->send_binary(std::move(payload));
    if (!sent) {
        ++stats_.send_failures;
        if (open_) {
            log_.write(log::level::warning, "request to " + config_.url + " not sent: outbox full",
                       monotonic_now_ns());
        }
    }
}

void wall_clock_ws_client::handle(const incoming_message& message) {
    ++stats_.messages;
    const std::int64_t t4 = local_time_.at_monotonic(message.received_monotonic_ns);
    wall_clock_client_event event;
    event.local_ns = t4;

    std::optional<wc::message_bytes> converted;
    std::span<const std::byte> bytes;
    if (message.binary) {
        bytes = std::as_bytes(std::span(message.data.data(), message.data.size()));
    } else {
        auto decoded = wc::bytes_from_json(message.data);
        if (!decoded) {
            ++stats_.undecodable_json;
            log_.write(log::level::warning,
                       "ignored a " + std::to_string(message.data.size()) +
                           "-byte text message from " + config_.url + ": " +
                           decoded.error().message(),
                       monotonic_now_ns());
            event.offset_ns = offset_ns();
            event.dispersion_ns = dispersion_ns();
            if (handler_) {
                handler_(event);
            }
            return;
        }
        converted = *decoded;
        bytes = *converted;
    }

    const auto before = core_.statistics();
    const auto outcome = core_.on_datagram(bytes, t4, true);
    event.outcome = outcome;
    if (outcome == wc::client_outcome::ignored) {
        log_.write(log::level::warning,
                   "ignored a " + std::to_string(message.data.size()) + "-byte " +
                       (message.binary ? "binary" : "text") + " message from " + config_.url +
                       ": " + ignored_reason(before, core_.statistics()),
                   monotonic_now_ns());
    } else if (outcome == wc::client_outcome::candidate_not_used ||
               outcome == wc::client_outcome::clock_adjusted) {
        event.measurement = core_.last_candidate();
    }
    event.offset_ns = offset_ns();
    event.dispersion_ns = dispersion_ns();
    if (handler_) {
        handler_(event);
    }
    report_core_events();
    // The core may want to send at once (or later): re-arm.
    timer_.cancel();
    service();
}

void wall_clock_ws_client::report_core_events() {
    while (const auto e = core_.next_event()) {
        const std::string disp = dispersion_text(e->dispersion_ns);
        switch (e->kind) {
        case wc::client_event_kind::timeout:
            timeout_log_.write(log::level::info,
                               "no response from " + config_.url + " (" +
                                   std::to_string(e->misses) + " in a row); dispersion " + disp,
                               monotonic_now_ns());
            break;
        case wc::client_event_kind::sync_lost:
            log_.write(log::level::warning,
                       "synchronisation lost (" + std::to_string(e->misses) +
                           " requests in a row without a usable response); dispersion " + disp,
                       monotonic_now_ns());
            break;
        case wc::client_event_kind::sync_acquired:
        case wc::client_event_kind::sync_regained:
            log_.write(log::level::info,
                       std::string(e->kind == wc::client_event_kind::sync_acquired
                                       ? "synchronised"
                                       : "synchronisation regained") +
                           "; dispersion " + disp,
                       monotonic_now_ns());
            break;
        }
        if (handler_) {
            wall_clock_client_event event;
            event.status = *e;
            event.local_ns = e->local_ns;
            event.offset_ns = offset_ns();
            event.dispersion_ns = e->dispersion_ns;
            handler_(event);
        }
    }
}

double wall_clock_ws_client::dispersion_ns() const {
    return core_.dispersion_ns(local_time_.now());
}

std::int64_t wall_clock_ws_client::offset_ns() const {
    const auto& parent = *wall_clock_.parent();
    const tick_t p = parent.ticks();
    const tick_t w = wall_clock_.from_parent_ticks(p);
    return floor_ns(wall_clock_.ticks_to_nanos(w) - parent.ticks_to_nanos(p));
}

std::int64_t wall_clock_ws_client::wall_clock_ns() const {
    return floor_ns(wall_clock_.nanos());
}

wall_clock_ws_client_statistics wall_clock_ws_client::statistics() const {
    auto s = stats_;
    s.core = core_.statistics();
    return s;
}

} // namespace dvbcss::net
