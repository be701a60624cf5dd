#pragma once

// The client side of the WebSocket wire (RFC 6455) as the lean load generator needs it: the
// opening handshake request, masked frames to send, and the server's frames parsed from a byte
// buffer. No library, no allocation per frame beyond the output string.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace dvbcss::bench::ws_wire {

/// Frame opcodes (RFC 6455 section 5.2).
enum class opcode : std::uint8_t {
    continuation = 0,
    text = 1,
    binary = 2,
    close = 8,
    ping = 9,
    pong = 10
};

/// A Sec-WebSocket-Key: the base64 text of 16 random bytes (22 characters, the last one with
/// its low four bits zero, then "==").
inline std::string handshake_key(std::mt19937& random) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string key;
    for (int i = 0; i < 21; ++i) {
        key += alphabet[random() % 64];
    }
    key += "AQgw"[random() % 4];
    return key + "==";
}

/// The HTTP/1.1 upgrade request for `path` on 127.0.0.1:`port`.
inline std::string upgrade_request(std::string_view path, std::uint16_t port,
                                   const std::string& key) {
    std::string r = "GET ";
    r.append(path);
    r += " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
         "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    return r;
}

/// A final client frame of `op` carrying `payload`, masked with `mask` as clients must.
inline std::string masked_frame(opcode op, std::string_view payload, std::uint32_t mask) {
    std::string f;
    f += static_cast<char>(0x80 | static_cast<std::uint8_t>(op));
    const auto size = payload.size();
    if (size < 126) {
        f += static_cast<char>(0x80 | size);
    } else if (size <= 0xffff) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(size >> 8);
        f += static_cast<char>(size & 0xff);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            f += static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xff);
        }
    }
    const char key[4] = {static_cast<char>(mask >> 24), static_cast<char>(mask >> 16),
                         static_cast<char>(mask >> 8), static_cast<char>(mask)};
    f.append(key, 4);
    for (std::size_t i = 0; i < size; ++i) {
        f += static_cast<char>(payload[i] ^ key[i % 4]);
    }
    return f;
}

/// One frame found at the start of a buffer.
struct frame {
    bool fin = false;
    opcode op = opcode::continuation;
    std::string_view payload; ///< unmasked already if the server masked it (it should not)
    std::size_t size = 0;     ///< bytes of the whole frame in the buffer
};

/// Largest frame payload accepted from a server (bytes); a bigger one is a protocol error.
inline constexpr std::uint64_t max_payload = 16 * 1024 * 1024;

/// The result of looking at the start of a buffer.
enum class parse_status {
    frame,
    need_more,
    too_big
};

/// Parses the frame at the start of `buffer` (unmasking a masked payload in place) into `out`.
inline parse_status parse(std::string& buffer, std::size_t from, frame& out) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer.data() + from);
    const auto available = buffer.size() - from;
    if (available < 2) {
        return parse_status::need_more;
    }
    std::size_t header = 2;
    std::uint64_t length = p[1] & 0x7f;
    if (length == 126) {
        header = 4;
        if (available < header) {
            return parse_status::need_more;
        }
        length = (std::uint64_t{p[2]} << 8) | p[3];
    } else if (length == 127) {
        header = 10;
        if (available < header) {
            return parse_status::need_more;
        }
        length = 0;
        for (int i = 2; i < 10; ++i) {
            length = (length << 8) | p[i];
        }
    }
    if (length > max_payload) {
        return parse_status::too_big;
    }
    const bool masked = (p[1] & 0x80) != 0;
    const std::size_t mask_at = header;
    if (masked) {
        header += 4;
    }
    if (available < header + length) {
        return parse_status::need_more;
    }
    char* payload = buffer.data() + from + header;
    if (masked) {
        const char* key = buffer.data() + from + mask_at;
        for (std::uint64_t i = 0; i < length; ++i) {
            payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
        }
    }
    out.fin = (p[0] & 0x80) != 0;
    out.op = static_cast<opcode>(p[0] & 0x0f);
    out.payload = std::string_view(payload, static_cast<std::size_t>(length));
    out.size = header + static_cast<std::size_t>(length);
    return parse_status::frame;
}

} // namespace dvbcss::bench::ws_wire
