#include <dvbcss/cii/client.hpp>

namespace dvbcss::cii {

void client::on_open() {
    connected_ = true;
    cii_ = message::all_null();
    latest_.reset();
    last_changed_.reset();
    received_ = 0;
    errors_ = 0;
    if (handlers_.connected)
        handlers_.connected();
}

error_code client::on_text(std::string_view text) {
    last_changed_.reset();
    auto decoded = decode_cii(text);
    if (!decoded) {
        ++errors_;
        if (handlers_.protocol_error)
            handlers_.protocol_error(decoded.error(), text);
        return decoded.error();
    }
    ++received_;
    latest_ = std::move(*decoded);
    if (handlers_.message_received)
        handlers_.message_received(*latest_);
    const property_set changed = changed_properties(cii_, *latest_);
    if (changed.none())
        return {};
    last_changed_ = changed;
    update(cii_, *latest_);
    if (handlers_.property_changed) {
        for (const auto p : all_properties) {
            if (contains(changed, p))
                handlers_.property_changed(p, cii_);
        }
    }
    if (handlers_.changed)
        handlers_.changed(changed, cii_);
    return {};
}

error_code client::on_binary(std::size_t /*size*/) {
    ++errors_;
    const auto ec = make_error_code(errc::binary_frame);
    if (handlers_.protocol_error)
        handlers_.protocol_error(ec, {});
    return ec;
}

void client::on_close(std::uint16_t code, std::string_view reason) {
    const bool was_connected = connected_;
    connected_ = false;
    if (was_connected && handlers_.disconnected)
        handlers_.disconnected(code, reason);
}

std::string client::status_summary() const {
    if (!latest_)
        return "Nothing received from TV yet.";
    return encode(cii_);
}

} // namespace dvbcss::cii
