#pragma once
/// Reads what `urn:dvb:css:timeline:ct` needs from an ISOBMFF/MP4 file's `moov` box (ISO/IEC
/// 14496-12 clauses 8.3.2 tkhd, 8.4.2 mdhd, 8.4.3 hdlr, 8.6.6 elst): each track's id, handler
/// ("soun", "vide", ...), media timescale, and which composition time is presented at
/// presentation position 0 (from the edit list).
///
/// A bounded box walk over bytes already read: 32-bit and 64-bit box sizes, size 0 ("to the end
/// of the enclosing box"), every length checked against its parent; depth and track count are
/// bounded. Hostile-input safe: malformed boxes end the walk of their parent, never crash.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dvbcss::media {

/// One box header: its four-character type, the header's length and the whole box's length
/// (header included); `size` is nullopt for a box that runs to the end of its container.
struct box_header {
    std::string type;
    std::uint64_t header_size = 8;
    std::optional<std::uint64_t> size;
};

/// The header at the start of `bytes` (at least 8 bytes, 16 for a 64-bit size), or nullopt if
/// there are too few bytes or the size is smaller than the header.
[[nodiscard]] std::optional<box_header> read_box_header(std::span<const std::uint8_t> bytes);

/// What one track says about its composition timeline.
struct mp4_track {
    std::uint32_t track_id = 0;
    std::string handler;         ///< hdlr handler_type: "soun", "vide", "text", ...
    std::uint32_t timescale = 0; ///< mdhd timescale, ticks per second (positive).
    /// Presentation position (ns) of the origin below: the length of leading empty edits.
    std::int64_t origin_position_ns = 0;
    /// Composition time (track timescale ticks) presented at `origin_position_ns`: the first
    /// non-empty edit's media_time (0 without an edit list).
    std::int64_t origin_ct = 0;
};

/// The tracks of a `moov` box's payload (the bytes after its header). Tracks without a valid
/// mdhd timescale are left out. At most 64 tracks.
[[nodiscard]] std::vector<mp4_track> parse_moov(std::span<const std::uint8_t> payload);

} // namespace dvbcss::media
