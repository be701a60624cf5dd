#include "big_endian.hpp"

#include <dvbcss/media/temi.hpp>

#include <cstddef>

namespace dvbcss::media {
namespace {

constexpr std::uint8_t temi_timeline_tag = 0x04;

using detail::be32;
using detail::be64;

/// The descriptor's body (after tag and length); nullopt if its fields do not fit or are
/// undefined.
std::optional<temi_timeline_descriptor> decode_timeline(std::span<const std::uint8_t> body) {
    if (body.size() < 3) {
        return std::nullopt;
    }
    const unsigned has_timestamp = body[0] >> 6;
    const bool has_ntp = (body[0] & 0x20) != 0;
    const bool has_ptp = (body[0] & 0x10) != 0;
    const unsigned has_timecode = (body[0] >> 2) & 0x3;
    if (has_timestamp == 3 || has_timecode == 3) {
        return std::nullopt; // reserved: the lengths of what follows are unknown
    }
    temi_timeline_descriptor d;
    d.force_reload = (body[0] & 0x02) != 0;
    d.paused = (body[0] & 0x01) != 0;
    d.discontinuity = (body[1] & 0x80) != 0;
    d.timeline_id = body[2];
    std::size_t at = 3;
    const auto take = [&](std::size_t n) -> const std::uint8_t* {
        if (body.size() - at < n) {
            return nullptr;
        }
        const auto* p = body.data() + at;
        at += n;
        return p;
    };
    if (has_timestamp != 0) {
        const auto* scale = take(4);
        const std::size_t width = has_timestamp == 1 ? 4 : 8;
        const auto* stamp = scale ? take(width) : nullptr;
        if (!stamp) {
            return std::nullopt;
        }
        d.timescale = be32(scale);
        d.media_timestamp = width == 4 ? be32(stamp) : be64(stamp);
    }
    if (has_ntp) {
        const auto* ntp = take(8);
        if (!ntp) {
            return std::nullopt;
        }
        d.ntp_timestamp = be64(ntp);
    }
    if (has_ptp && !take(10)) {
        return std::nullopt;
    }
    // Time code: drop, frames_per_tc_seconds, duration (4 bytes), then 3 or 8 bytes of code.
    if (has_timecode != 0 && !take(4 + (has_timecode == 1 ? 3 : 8))) {
        return std::nullopt;
    }
    return d;
}

} // namespace

std::vector<temi_timeline_descriptor>
temi_descriptors_in(std::span<const std::uint8_t> adaptation_field) {
    std::vector<temi_timeline_descriptor> out;
    const auto& f = adaptation_field;
    if (f.empty() || (f[0] & 0x01) == 0) {
        return out; // no adaptation field extension
    }
    std::size_t at = 1;
    if ((f[0] & 0x10) != 0) {
        at += 6; // PCR
    }
    if ((f[0] & 0x08) != 0) {
        at += 6; // OPCR
    }
    if ((f[0] & 0x04) != 0) {
        at += 1; // splice_countdown
    }
    if ((f[0] & 0x02) != 0) {
        if (at >= f.size()) {
            return out;
        }
        at += 1 + static_cast<std::size_t>(f[at]); // transport_private_data
    }
    // adaptation_field_extension_length, then that many bytes: flags, optional fields,
    // af_descriptors.
    if (at + 2 > f.size()) {
        return out;
    }
    const std::size_t length = f[at];
    const std::size_t end = at + 1 + length;
    if (length < 1 || end > f.size()) {
        return out;
    }
    const std::uint8_t flags = f[at + 1];
    at += 2;
    if ((flags & 0x80) != 0) {
        at += 2; // ltw_valid_flag, ltw_offset
    }
    if ((flags & 0x40) != 0) {
        at += 3; // piecewise_rate
    }
    if ((flags & 0x20) != 0) {
        at += 5; // splice_type, DTS_next_AU
    }
    if ((flags & 0x10) != 0) {
        return out; // af_descriptor_not_present_flag
    }
    while (at + 2 <= end) {
        const std::uint8_t tag = f[at];
        const std::size_t body_length = f[at + 1];
        if (at + 2 + body_length > end) {
            break;
        }
        if (tag == temi_timeline_tag) {
            if (auto d = decode_timeline(f.subspan(at + 2, body_length))) {
                out.push_back(*d);
            }
        }
        at += 2 + body_length;
    }
    return out;
}

} // namespace dvbcss::media
