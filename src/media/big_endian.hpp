#pragma once
/// Big-endian integers in media bytes (MP4 boxes, MPEG-TS headers, tables and descriptors).
/// Internal to the media core; the caller has checked that the bytes are there.
#include <cstdint>

namespace dvbcss::media::detail {

/// The 32-bit big-endian integer at `p` (4 bytes).
[[nodiscard]] inline std::uint32_t be32(const std::uint8_t* p) noexcept {
    return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
           (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}

/// The 13-bit MPEG-TS PID in the low bits of the 16-bit big-endian field at `p` (2 bytes): a
/// packet header's (from its second byte), a PAT or PMT entry's.
[[nodiscard]] inline std::uint16_t pid13(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(((p[0] & 0x1F) << 8) | p[1]);
}

/// The 64-bit big-endian integer at `p` (8 bytes).
[[nodiscard]] inline std::uint64_t be64(const std::uint8_t* p) noexcept {
    return (static_cast<std::uint64_t>(be32(p)) << 32) | be32(p + 4);
}

} // namespace dvbcss::media::detail
