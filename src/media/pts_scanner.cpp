#include "big_endian.hpp"

#include <dvbcss/media/psi.hpp>
#include <dvbcss/media/pts_scanner.hpp>

#include <algorithm>

namespace dvbcss::media {
namespace {

constexpr std::size_t packet_size = 188;
constexpr std::uint8_t sync_byte = 0x47;

} // namespace

std::optional<std::int64_t> decode_pts(std::span<const std::uint8_t, 5> b) noexcept {
    const auto prefix = b[0] >> 4;
    if (prefix != 0x2 && prefix != 0x3) {
        return std::nullopt;
    }
    const auto v = (static_cast<std::int64_t>((b[0] >> 1) & 0x07) << 30) |
                   (static_cast<std::int64_t>(b[1]) << 22) |
                   (static_cast<std::int64_t>(b[2] >> 1) << 15) |
                   (static_cast<std::int64_t>(b[3]) << 7) | static_cast<std::int64_t>(b[4] >> 1);
    return v;
}

std::vector<pes_pts> pts_scanner::feed(std::span<const std::uint8_t> bytes) {
    std::vector<pes_pts> out;
    std::size_t used = 0;
    while (used < bytes.size()) {
        // Keep at most two packets' worth buffered: enough to confirm a sync byte.
        const auto room = 2 * packet_size - pending_.size();
        const auto take = std::min(room, bytes.size() - used);
        pending_.insert(pending_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(used),
                        bytes.begin() + static_cast<std::ptrdiff_t>(used + take));
        used += take;
        std::size_t at = 0;
        while (pending_.size() - at >= packet_size) {
            if (pending_[at] != sync_byte ||
                (pending_.size() - at > packet_size && pending_[at + packet_size] != sync_byte)) {
                ++at;
                ++skipped_;
                continue;
            }
            if (pending_.size() - at < 2 * packet_size && used < bytes.size()) {
                break; // wait for the next packet's sync byte
            }
            packet(std::span<const std::uint8_t, packet_size>(pending_.data() + at, packet_size),
                   out);
            at += packet_size;
        }
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
    }
    return out;
}

void pts_scanner::packet(std::span<const std::uint8_t, 188> p, std::vector<pes_pts>& out) {
    ++packets_;
    const bool transport_error = (p[1] & 0x80) != 0;
    const bool unit_start = (p[1] & 0x40) != 0;
    const auto pid = detail::pid13(p.data() + 1);
    const auto adaptation = (p[3] >> 4) & 0x3;
    if (transport_error || !unit_start || pid == 0x1FFF || (adaptation & 0x1) == 0) {
        return;
    }
    std::size_t at = 4;
    if ((adaptation & 0x2) != 0) {
        at += 1 + static_cast<std::size_t>(p[4]);
    }
    if (pid == 0 || std::find(pmt_pids_.begin(), pmt_pids_.end(), pid) != pmt_pids_.end()) {
        if (at < p.size()) {
            table(pid, p.subspan(at));
        }
        return;
    }
    // PES header: start code 00 00 01, stream_id, length (2), flags (2), header length, PTS (5).
    if (at + 14 > p.size()) {
        return;
    }
    const auto* h = p.data() + at;
    if (h[0] != 0 || h[1] != 0 || h[2] != 1) {
        return;
    }
    const std::uint8_t stream_id = h[3];
    // Streams without the optional PES header (padding, private_stream_2, ECM, ...).
    if (stream_id == 0xBC || stream_id == 0xBE || stream_id == 0xBF || stream_id == 0xF0 ||
        stream_id == 0xF1 || stream_id == 0xFF || stream_id == 0xF2 || stream_id == 0xF8) {
        return;
    }
    if ((h[6] & 0xC0) != 0x80 || (h[7] & 0x80) == 0 || h[8] < 5) {
        return;
    }
    const auto pts = decode_pts(std::span<const std::uint8_t, 5>(h + 9, 5));
    if (!pts) {
        return;
    }
    const pes_pts found{pid, stream_id, *pts, {}};
    const bool known = std::any_of(firsts_.begin(), firsts_.end(),
                                   [pid](const pes_pts& f) { return f.pid == pid; });
    if (!known && firsts_.size() < max_tracked_pids) {
        firsts_.push_back(found);
    }
    out.push_back(found);
    if ((adaptation & 0x2) != 0 && 5 + static_cast<std::size_t>(p[4]) <= p.size()) {
        out.back().temi = temi_descriptors_in(p.subspan(5, p[4]));
    }
}

void pts_scanner::table(std::uint16_t pid, std::span<const std::uint8_t> payload) {
    // pointer_field, then the section (read only when it ends in this packet).
    const std::size_t start = 1 + static_cast<std::size_t>(payload[0]);
    if (start >= payload.size()) {
        return;
    }
    const auto section = payload.subspan(start);
    if (pid == 0) {
        for (const auto& program : parse_pat(section).value_or(std::vector<pat_program>{})) {
            if (program.program_number != 0 &&
                std::find(pmt_pids_.begin(), pmt_pids_.end(), program.pmt_pid) == pmt_pids_.end() &&
                pmt_pids_.size() < max_tracked_pids && program.pmt_pid != 0) {
                pmt_pids_.push_back(program.pmt_pid);
            }
        }
        return;
    }
    for (const auto& stream : parse_pmt(section).value_or(std::vector<pmt_stream>{})) {
        auto known = std::find_if(component_tags_.begin(), component_tags_.end(),
                                  [&](const auto& t) { return t.first == stream.pid; });
        if (!stream.component_tag) {
            if (known != component_tags_.end()) {
                component_tags_.erase(known); // a new version of the map took it away
            }
        } else if (known != component_tags_.end()) {
            known->second = *stream.component_tag;
        } else if (component_tags_.size() < max_tracked_pids) {
            component_tags_.emplace_back(stream.pid, *stream.component_tag);
        }
    }
}

std::optional<std::uint8_t> pts_scanner::component_tag(std::uint16_t pid) const noexcept {
    for (const auto& [p, tag] : component_tags_) {
        if (p == pid) {
            return tag;
        }
    }
    return std::nullopt;
}

std::optional<std::int64_t> pts_scanner::first_pts(std::uint16_t pid) const noexcept {
    for (const auto& f : firsts_) {
        if (f.pid == pid) {
            return f.pts;
        }
    }
    return std::nullopt;
}

} // namespace dvbcss::media
