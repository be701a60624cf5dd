#include "websocket_close.hpp"

#include <boost/beast/websocket/error.hpp>

#include <string_view>

namespace dvbcss::net::detail {

namespace websocket = boost::beast::websocket;

bool sendable_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) ||
           (code >= 3000 && code <= 4999);
}

websocket::close_reason wire_close(const close_info& request) {
    if (request.code == close_codes::no_status) {
        return {};
    }
    std::string_view reason = request.reason;
    if (reason.size() > 123) {
        std::size_t cut = 123;
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0U) == 0x80U) {
            --cut; // do not split a multi-byte character
        }
        reason = reason.substr(0, cut);
    }
    return {static_cast<websocket::close_code>(request.code),
            boost::beast::string_view(reason.data(), reason.size())};
}

connection_end classify_end(const error_code& read_error, const websocket::close_reason& received) {
    if (read_error == websocket::error::closed || received.code != websocket::close_code::none) {
        const auto code = received.code == websocket::close_code::none
                              ? close_codes::no_status
                              : static_cast<std::uint16_t>(received.code);
        return {{code, std::string(received.reason.data(), received.reason.size())},
                end_kind::received};
    }
    // Beast fails the connection with these codes (see its read operation).
    if (read_error == websocket::error::message_too_big) {
        return {{close_codes::too_big, "message too big"}, end_kind::failed};
    }
    if (read_error == websocket::error::bad_frame_payload) {
        return {{close_codes::bad_payload, read_error.message()}, end_kind::failed};
    }
    if (read_error == websocket::condition::protocol_violation) {
        return {{close_codes::protocol_error, read_error.message()}, end_kind::failed};
    }
    return {{close_codes::abnormal, read_error.message()}, end_kind::dropped};
}

std::string describe(const close_info& info) {
    std::string text = std::to_string(info.code);
    if (info.code == close_codes::no_status) {
        text += " no status code";
    }
    if (!info.reason.empty()) {
        text += " " + info.reason;
    }
    return text;
}

} // namespace dvbcss::net::detail
