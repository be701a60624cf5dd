#include <dvbcss/net/cii_client.hpp>

#include <utility>

namespace dvbcss::net {

namespace {

ws_client_adapter_options cii_client_options() {
    ws_client_adapter_options options;
    options.logger = "cii-client";
    options.ignored_level = log::level::info;
    return options;
}

} // namespace

cii_client::cii_client(boost::asio::any_io_executor executor, websocket_client_config config,
                       cii::client_handlers handlers, cii_client_events events)
    : adapter_(std::move(executor), std::move(config), cii::client(std::move(handlers)),
               std::move(events), cii_client_options()) {}

} // namespace dvbcss::net
