#include "big_endian.hpp"

#include <dvbcss/media/psi.hpp>

#include <array>
#include <cstddef>

namespace dvbcss::media {
namespace {

constexpr std::uint8_t pat_table_id = 0x00;
constexpr std::uint8_t pmt_table_id = 0x02;
constexpr std::uint8_t stream_identifier_tag = 0x52;
constexpr std::size_t max_section_length = 1021; // section_length of a PAT or PMT

constexpr std::array<std::uint32_t, 256> crc_table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i << 24;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 0x80000000U) != 0 ? (c << 1) ^ 0x04C11DB7U : c << 1;
        }
        t[i] = c;
    }
    return t;
}();

std::size_t length12_at(const std::uint8_t* p) noexcept {
    return static_cast<std::size_t>(((p[0] & 0x0F) << 8) | p[1]);
}

/// The bytes between the 8-byte long-form header and the CRC of a whole, intact section with
/// `table_id`; empty span + false if it is not one.
bool section_body(std::span<const std::uint8_t> section, std::uint8_t table_id,
                  std::span<const std::uint8_t>& body) {
    if (section.size() < 3 || section[0] != table_id || (section[1] & 0x80) == 0) {
        return false;
    }
    const auto length = length12_at(section.data() + 1);
    if (length < 5 + 4 || length > max_section_length || 3 + length > section.size()) {
        return false;
    }
    const auto whole = section.first(3 + length);
    if (crc32_mpeg2(whole) != 0) {
        return false;
    }
    body = whole.subspan(8, whole.size() - 8 - 4);
    return true;
}

} // namespace

std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> bytes) noexcept {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const auto b : bytes) {
        crc = (crc << 8) ^ crc_table[((crc >> 24) ^ b) & 0xFF];
    }
    return crc;
}

std::optional<std::vector<pat_program>> parse_pat(std::span<const std::uint8_t> section) {
    std::span<const std::uint8_t> body;
    if (!section_body(section, pat_table_id, body) || body.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<pat_program> out;
    for (std::size_t at = 0; at < body.size(); at += 4) {
        out.push_back({static_cast<std::uint16_t>((body[at] << 8) | body[at + 1]),
                       detail::pid13(body.data() + at + 2)});
    }
    return out;
}

std::optional<std::vector<pmt_stream>> parse_pmt(std::span<const std::uint8_t> section) {
    std::span<const std::uint8_t> body;
    if (!section_body(section, pmt_table_id, body) || body.size() < 4) {
        return std::nullopt;
    }
    // PCR_PID (2), program_info_length (2), program descriptors, then the stream loop.
    const auto program_info = length12_at(body.data() + 2);
    if (4 + program_info > body.size()) {
        return std::nullopt;
    }
    std::vector<pmt_stream> out;
    std::size_t at = 4 + program_info;
    while (at < body.size()) {
        if (body.size() - at < 5) {
            return std::nullopt;
        }
        pmt_stream s;
        s.stream_type = body[at];
        s.pid = detail::pid13(body.data() + at + 1);
        const auto info_length = length12_at(body.data() + at + 3);
        at += 5;
        if (info_length > body.size() - at) {
            return std::nullopt;
        }
        const auto info_end = at + info_length;
        while (at + 2 <= info_end) {
            const auto tag = body[at];
            const std::size_t length = body[at + 1];
            if (at + 2 + length > info_end) {
                return std::nullopt;
            }
            if (tag == stream_identifier_tag && length >= 1) {
                s.component_tag = body[at + 2];
            }
            at += 2 + length;
        }
        at = info_end;
        out.push_back(s);
    }
    return out;
}

} // namespace dvbcss::media
