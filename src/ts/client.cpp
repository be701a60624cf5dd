#include <dvbcss/ts/client.hpp>

#include <utility>

namespace dvbcss::ts {

client::client(setup_data setup, client_handlers handlers)
    : handlers_(std::move(handlers))
    , setup_(std::move(setup))
    , setup_text_(encode(setup_)) {}

void client::set_handlers(client_handlers handlers) {
    handlers_ = std::move(handlers);
}

void client::on_open() {
    connected_ = true;
    setup_pending_ = true;
    pending_apt_.reset();
    latest_.reset();
    detail_ = {};
    received_ = 0;
    errors_ = 0;
    replaced_ = 0;
    if (handlers_.connected)
        handlers_.connected();
}

error_code client::on_text(std::string_view text) {
    decode_detail detail;
    auto decoded = decode_control_timestamp(text, &detail);
    if (!decoded) {
        ++errors_;
        detail_ = std::move(detail);
        if (handlers_.protocol_error)
            handlers_.protocol_error(decoded.error(), text);
        return decoded.error();
    }
    ++received_;
    latest_ = *decoded;
    if (handlers_.control_timestamp)
        handlers_.control_timestamp(*decoded);
    return {};
}

error_code client::on_binary(std::size_t /*size*/) {
    ++errors_;
    detail_ = {};
    const auto ec = make_error_code(errc::binary_frame);
    if (handlers_.protocol_error)
        handlers_.protocol_error(ec, {});
    return ec;
}

void client::on_close(std::uint16_t code, std::string_view reason) {
    const bool was_connected = connected_;
    connected_ = false;
    setup_pending_ = false;
    pending_apt_.reset();
    if (was_connected && handlers_.disconnected)
        handlers_.disconnected(code, reason);
}

std::optional<std::string> client::take_pending() {
    if (!connected_)
        return std::nullopt;
    if (setup_pending_) {
        setup_pending_ = false;
        return setup_text_;
    }
    if (pending_apt_) {
        std::optional<std::string> out = std::move(pending_apt_);
        pending_apt_.reset();
        return out;
    }
    return std::nullopt;
}

bool client::send_apt_ept_lpt(const apt_ept_lpt& m) {
    if (!connected_)
        return false;
    std::string text = encode(m); // throws std::invalid_argument before anything changes
    if (pending_apt_)
        ++replaced_;
    pending_apt_ = std::move(text);
    return true;
}

} // namespace dvbcss::ts
