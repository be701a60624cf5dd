#pragma once

// Hex <-> bytes helpers for the CSS-WC tests.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::wc::test {

/// Bytes of a hex string; spaces and '|' are skipped.
inline std::vector<std::byte> from_hex(std::string_view hex) {
    std::vector<std::byte> out;
    int hi = -1;
    for (const char ch : hex) {
        int v = -1;
        if (ch >= '0' && ch <= '9') {
            v = ch - '0';
        } else if (ch >= 'a' && ch <= 'f') {
            v = ch - 'a' + 10;
        } else if (ch >= 'A' && ch <= 'F') {
            v = ch - 'A' + 10;
        } else {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::byte>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

template <class Bytes>
std::string to_hex(const Bytes& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (const std::byte b : bytes) {
        const auto v = std::to_integer<unsigned>(b);
        s += digits[v >> 4U];
        s += digits[v & 15U];
    }
    return s;
}

} // namespace dvbcss::wc::test
