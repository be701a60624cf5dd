#include "websocket_endpoint_state.hpp"

#include <dvbcss/net/websocket_endpoint.hpp>

#include <algorithm>
#include <functional>
#include <iterator>
#include <utility>

namespace dvbcss::net {

namespace detail {

websocket_endpoint_state::websocket_endpoint_state(std::string path, websocket_handler& handler,
                                                   websocket_endpoint_config config)
    : path_(std::move(path))
    , handler_(handler)
    , max_outbox_messages_(config.max_outbox_messages)
    , max_outbox_bytes_(config.max_outbox_bytes)
    , overflow_close_code_(config.overflow_close_code)
    , accept_binary_(config.accept_binary)
    , enabled_(config.enabled)
    , max_connections_(config.max_connections) {}

websocket_endpoint_state::admission websocket_endpoint_state::try_reserve() {
    const std::lock_guard lock(mutex_);
    if (!enabled_) {
        return admission::disabled;
    }
    if (max_connections_ >= 0 && reserved_ >= static_cast<std::size_t>(max_connections_)) {
        return admission::full;
    }
    ++reserved_;
    return admission::accepted;
}

void websocket_endpoint_state::release_reservation() {
    const std::lock_guard lock(mutex_);
    if (reserved_ > 0) {
        --reserved_;
    }
}

bool websocket_endpoint_state::attach(connection_id id,
                                      std::weak_ptr<websocket_session_base> session) {
    const std::lock_guard lock(mutex_);
    if (!enabled_) {
        if (reserved_ > 0) {
            --reserved_;
        }
        return false;
    }
    sessions_.emplace(id, std::move(session));
    return true;
}

void websocket_endpoint_state::detach(connection_id id) {
    const std::lock_guard lock(mutex_);
    if (sessions_.erase(id) > 0 && reserved_ > 0) {
        --reserved_;
    }
}

std::shared_ptr<websocket_session_base> websocket_endpoint_state::find(connection_id id) const {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.lock();
}

std::vector<std::pair<connection_id, std::shared_ptr<websocket_session_base>>>
websocket_endpoint_state::find(std::span<const connection_id> ids) const {
    std::vector<std::pair<connection_id, std::shared_ptr<websocket_session_base>>> result;
    result.reserve(ids.size());
    const std::lock_guard lock(mutex_);
    for (const auto id : ids) {
        if (const auto it = sessions_.find(id); it != sessions_.end()) {
            if (auto session = it->second.lock()) {
                result.emplace_back(id, std::move(session));
            }
        }
    }
    return result;
}

std::vector<std::shared_ptr<websocket_session_base>> websocket_endpoint_state::all() const {
    std::vector<std::shared_ptr<websocket_session_base>> result;
    const std::lock_guard lock(mutex_);
    result.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) {
        if (auto session = weak.lock()) {
            result.push_back(std::move(session));
        }
    }
    return result;
}

void websocket_endpoint_state::set_enabled(bool enabled) {
    const std::lock_guard lock(mutex_);
    enabled_ = enabled;
}

bool websocket_endpoint_state::enabled() const {
    const std::lock_guard lock(mutex_);
    return enabled_;
}

void websocket_endpoint_state::set_max_connections(int max_connections) {
    const std::lock_guard lock(mutex_);
    max_connections_ = max_connections;
}

int websocket_endpoint_state::max_connections() const {
    const std::lock_guard lock(mutex_);
    return max_connections_;
}

std::size_t websocket_endpoint_state::open_count() const {
    const std::lock_guard lock(mutex_);
    return sessions_.size();
}

std::vector<connection_id> websocket_endpoint_state::ids() const {
    std::vector<connection_id> result;
    const std::lock_guard lock(mutex_);
    result.reserve(sessions_.size());
    for (const auto& entry : sessions_) {
        result.push_back(entry.first);
    }
    return result;
}

} // namespace detail

websocket_endpoint::websocket_endpoint(std::shared_ptr<detail::websocket_endpoint_state> state)
    : state_(std::move(state)) {}

const std::string& websocket_endpoint::path() const {
    return state_->path();
}

bool websocket_endpoint::send(connection_id id, std::string text) {
    auto session = state_->find(id);
    if (!session) {
        return false;
    }
    session->post_send(std::make_shared<const std::string>(std::move(text)), false);
    return true;
}

bool websocket_endpoint::send(connection_id id, std::shared_ptr<const std::string> text) {
    if (!text) {
        return false;
    }
    auto session = state_->find(id);
    if (!session) {
        return false;
    }
    session->post_send(std::move(text), false);
    return true;
}

bool websocket_endpoint::send_binary(connection_id id, std::string data) {
    auto session = state_->find(id);
    if (!session) {
        return false;
    }
    session->post_send(std::make_shared<const std::string>(std::move(data)), true);
    return true;
}

bool websocket_endpoint::notify(connection_id id) {
    auto session = state_->find(id);
    if (!session) {
        return false;
    }
    session->post_notify(true);
    return true;
}

namespace {

/// Notifies `sessions` (`pull`: as `notify`; otherwise for what `offer` left them): one task per
/// thread for sessions that share one (their batch key), one post per session otherwise.
void notify_sessions(std::vector<std::shared_ptr<detail::websocket_session_base>> sessions,
                     bool pull) {
    std::vector<
        std::pair<const void*, std::vector<std::shared_ptr<detail::websocket_session_base>>>>
        batches;
    for (auto& session : sessions) {
        const void* key = session->batch_key();
        if (key == nullptr) {
            session->post_notify(pull);
            continue;
        }
        auto it = std::find_if(batches.begin(), batches.end(),
                               [key](const auto& batch) { return batch.first == key; });
        if (it == batches.end()) {
            batches.emplace_back(key,
                                 std::vector<std::shared_ptr<detail::websocket_session_base>>{});
            it = std::prev(batches.end());
            it->second.reserve(sessions.size());
        }
        it->second.push_back(std::move(session));
    }
    for (auto& [key, batch] : batches) {
        auto& first = *batch.front();
        first.post_notify_batch(std::move(batch), pull);
    }
}

} // namespace

std::size_t websocket_endpoint::notify(std::span<const connection_id> ids) {
    std::vector<std::shared_ptr<detail::websocket_session_base>> sessions;
    for (auto& [id, session] : state_->find(ids)) {
        sessions.push_back(std::move(session));
    }
    const auto count = sessions.size();
    notify_sessions(std::move(sessions), true);
    return count;
}

std::size_t websocket_endpoint::offer(
    std::span<const connection_id> ids,
    const std::function<std::shared_ptr<const std::string>(connection_id)>& compute) {
    auto found = state_->find(ids);
    std::vector<std::shared_ptr<detail::websocket_session_base>> filled;
    filled.reserve(found.size());
    for (auto& [id, session] : found) {
        auto& slot = session->offered();
        if (!slot.reserve()) {
            continue; // still holds the last one: marked, the handler is asked again later
        }
        std::shared_ptr<const std::string> payload;
        try {
            payload = compute(id);
        } catch (...) {
            slot.cancel();
            notify_sessions(std::move(filled), false); // those filled before still get theirs
            throw;
        }
        if (!payload) {
            slot.cancel();
            continue;
        }
        slot.fill(std::move(payload));
        filled.push_back(std::move(session));
    }
    const auto count = filled.size();
    notify_sessions(std::move(filled), false);
    return count;
}

void websocket_endpoint::notify_all() {
    notify_sessions(state_->all(), true);
}

bool websocket_endpoint::close(connection_id id, std::uint16_t code, std::string reason) {
    auto session = state_->find(id);
    if (!session) {
        return false;
    }
    session->post_close(code, std::move(reason));
    return true;
}

void websocket_endpoint::set_enabled(bool enabled) {
    state_->set_enabled(enabled);
    if (!enabled) {
        for (const auto& session : state_->all()) {
            session->post_close(close_codes::going_away, "endpoint disabled");
        }
    }
}

bool websocket_endpoint::enabled() const {
    return state_->enabled();
}

void websocket_endpoint::set_max_connections(int max_connections) {
    state_->set_max_connections(max_connections);
}

int websocket_endpoint::max_connections() const {
    return state_->max_connections();
}

std::size_t websocket_endpoint::connection_count() const {
    return state_->open_count();
}

std::vector<connection_id> websocket_endpoint::connections() const {
    return state_->ids();
}

} // namespace dvbcss::net
