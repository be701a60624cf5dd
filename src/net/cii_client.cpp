#include <dvbcss/net/cii_client.hpp>

#include <utility>

namespace dvbcss::net {

cii_client::cii_client(boost::asio::any_io_executor executor, websocket_client_config config,
                       cii::client_handlers handlers, cii_client_events events)
    : logic_(std::make_shared<cii::client>(std::move(handlers))) {
    websocket_client_callbacks callbacks;
    // The callbacks share ownership of the logic, so late callbacks never see a dangling object.
    callbacks.on_open = [logic = logic_] {
        logic->on_open();
    };
    callbacks.on_text = [logic = logic_](std::string_view text) {
        static_cast<void>(logic->on_text(text));
    };
    callbacks.on_binary = [logic = logic_](std::size_t size) {
        static_cast<void>(logic->on_binary(size));
    };
    callbacks.on_close = [logic = logic_](const close_info& info) {
        logic->on_close(info.code, info.reason);
    };
    callbacks.on_connect_failed = std::move(events.connect_failed);
    callbacks.on_finished = std::move(events.finished);
    transport_ = std::make_unique<websocket_client>(std::move(executor), std::move(config),
                                                    std::move(callbacks));
}

error_code cii_client::start() {
    return transport_->start();
}

void cii_client::close(std::uint16_t code, std::string reason) {
    transport_->close(code, std::move(reason));
}

} // namespace dvbcss::net
