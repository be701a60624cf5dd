#include <dvbcss/net/cii_server.hpp>

#include <utility>

namespace dvbcss::net {

namespace {

ws_server_adapter_options options_for(websocket_endpoint_config endpoint) {
    ws_server_adapter_options options;
    options.logger = "cii";
    options.ignored_level = log::level::info;
    options.endpoint = endpoint;
    return options;
}

} // namespace

cii_server::cii_server(websocket_server& server, boost::asio::any_io_executor owner,
                       std::string path, cii::server_config config,
                       websocket_endpoint_config endpoint_config)
    : current_(cii::server::checked_cii(config.initial_cii))
    , adapter_(server, std::move(path), std::move(owner), cii::server(std::move(config)),
               options_for(endpoint_config)) {}

void cii_server::set_cii(cii::message cii) {
    auto checked = cii::server::checked_cii(std::move(cii));
    const std::lock_guard lock(mutex_);
    publish(std::move(checked));
}

void cii_server::update(const cii::message& changes) {
    const std::lock_guard lock(mutex_);
    publish(cii::server::checked_cii(cii::combine(current_, changes)));
}

void cii_server::publish(cii::message cii) {
    // Posted under the mutex, so the owner applies changes in the order the snapshot saw them.
    current_ = cii;
    adapter_.with_core([cii = std::move(cii)](cii::server& core) { core.set_cii(cii); });
}

cii::message cii_server::cii() const {
    const std::lock_guard lock(mutex_);
    return current_;
}

} // namespace dvbcss::net
