#pragma once
/// MPEG-2 program specific information (ISO/IEC 13818-1 clause 2.4.4): the program association
/// table (PAT) and program map tables (PMT) of a transport stream, as far as a TV needs them for
/// DVB-CSS: which PID carries which program's map, and each elementary stream's component tag
/// (the DVB `stream_identifier_descriptor`, tag 0x52, ETSI EN 300 468 clause 6.2.39), which names
/// a TEMI timeline: `urn:dvb:css:timeline:temi:<component_tag>:<timeline_id>`.
///
/// Sans-I/O; hostile-input safe: a section is accepted only whole, with its CRC_32 right and
/// every length inside it; anything else is nullopt.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dvbcss::media {

/// The CRC_32 of MPEG-2 sections (ISO/IEC 13818-1 Annex A: polynomial 0x04C11DB7, initial value
/// 0xFFFFFFFF, most significant bit first, no final inversion). Over a whole section, CRC_32
/// field included, it is 0.
[[nodiscard]] std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> bytes) noexcept;

/// One program of a PAT: its number and the PID of its PMT (program 0 gives the network PID).
struct pat_program {
    std::uint16_t program_number = 0;
    std::uint16_t pmt_pid = 0;

    friend bool operator==(const pat_program&, const pat_program&) = default;
};

/// One elementary stream of a PMT.
struct pmt_stream {
    std::uint8_t stream_type = 0; ///< 0x0F AAC (ADTS), 0x02 MPEG-2 video, 0x1B H.264, ...
    std::uint16_t pid = 0;
    /// From its stream_identifier_descriptor, if it has one.
    std::optional<std::uint8_t> component_tag;

    friend bool operator==(const pmt_stream&, const pmt_stream&) = default;
};

/// A PAT section (table_id 0x00), from table_id through CRC_32 (`section_length` + 3 bytes;
/// bytes after that are ignored); nullopt if it is not one or is damaged.
[[nodiscard]] std::optional<std::vector<pat_program>>
parse_pat(std::span<const std::uint8_t> section);

/// A PMT section (table_id 0x02), as `parse_pat`.
[[nodiscard]] std::optional<std::vector<pmt_stream>>
parse_pmt(std::span<const std::uint8_t> section);

} // namespace dvbcss::media
