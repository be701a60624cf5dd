#include <dvbcss/net/cii_server.hpp>
#include <dvbcss/net/log.hpp>

#include <utility>
#include <vector>

namespace dvbcss::net {

namespace {

constexpr std::string_view log_name = "cii";

} // namespace

cii_server::cii_server(websocket_server& server, std::string path, cii::server_config config,
                       websocket_endpoint_config endpoint_config)
    : logic_(std::move(config))
    , endpoint_(server.add_endpoint(std::move(path), *this, endpoint_config)) {}

void cii_server::set_cii(cii::message cii) {
    std::vector<cii::connection_id> dirty;
    {
        const std::lock_guard lock(mutex_);
        dirty = logic_.set_cii(std::move(cii));
    }
    notify(dirty);
}

void cii_server::update(const cii::message& changes) {
    std::vector<cii::connection_id> dirty;
    {
        const std::lock_guard lock(mutex_);
        dirty = logic_.update(changes);
    }
    notify(dirty);
}

cii::message cii_server::cii() const {
    const std::lock_guard lock(mutex_);
    return logic_.cii();
}

void cii_server::notify(const std::vector<cii::connection_id>& dirty) {
    for (const auto id : dirty) {
        endpoint_.notify(id);
    }
}

void cii_server::on_open(const connection_info& connection) {
    std::string first;
    {
        const std::lock_guard lock(mutex_);
        first = logic_.on_open(connection.id, connection.local.address().to_string(),
                               connection.local.port());
    }
    endpoint_.send(connection.id, std::move(first));
}

void cii_server::on_text(connection_id id, std::string_view text) {
    std::string description;
    {
        const std::lock_guard lock(mutex_);
        description = logic_.on_text(id, text);
    }
    if (log::enabled(log::level::info)) {
        log::write(log::level::info, log_name,
                   "unexpected message on connection " + std::to_string(id) +
                       " ignored: " + description);
    }
}

void cii_server::on_close(connection_id id, const close_info& info) {
    static_cast<void>(info);
    const std::lock_guard lock(mutex_);
    logic_.on_close(id);
}

std::optional<std::string> cii_server::take_pending(connection_id id) {
    const std::lock_guard lock(mutex_);
    return logic_.take_pending(id);
}

} // namespace dvbcss::net
