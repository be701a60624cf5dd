#pragma once
/// Recovers the stream's own PES presentation timestamps (PTS) from MPEG transport stream bytes
/// (ISO/IEC 13818-1 clauses 2.4.3 and 2.4.3.6), as a TV needs for `urn:dvb:css:timeline:pts`:
/// GStreamer's tsdemux outputs timestamps that are not the stream's PTS, so the bytes are read
/// before the demuxer.
///
/// Fed bytes in any pieces; works on 188-byte packets, resynchronising on the 0x47 sync byte
/// (a sync byte is trusted when the byte 188 further is one too, or when no more is buffered).
/// No PAT/PMT needed: every packet that starts a PES (payload_unit_start_indicator) whose header
/// carries a PTS is reported. The PAT and PMTs are read on the way (psi.hpp; a section that does
/// not end in the packet it starts in is not read) for each stream's component tag, which names
/// its TEMI timelines. Hostile-input safe: memory is bounded (one partial packet and at most
/// `max_tracked_pids` first PTS values, PMT PIDs and component tags), every length is checked
/// against the packet.
#include <dvbcss/media/temi.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace dvbcss::media {

/// One PES start: the packet's PID, the PES stream_id (0xC0-0xDF audio, 0xE0-0xEF video, ...),
/// its 33-bit PTS (90 kHz ticks) and the TEMI timeline descriptors in the adaptation field of
/// the packet it starts in (each gives its timeline's media time at this PTS; see temi.hpp). A
/// TEMI descriptor in a packet that starts no PES with a PTS is not reported.
struct pes_pts {
    std::uint16_t pid = 0;
    std::uint8_t stream_id = 0;
    std::int64_t pts = 0;
    std::vector<temi_timeline_descriptor> temi;

    friend bool operator==(const pes_pts&, const pes_pts&) = default;
};

/// Thread safety: distinct objects safe; shared objects unsafe.
class pts_scanner {
public:
    /// PIDs whose first PTS is remembered (later new PIDs are still reported by `feed`).
    static constexpr std::size_t max_tracked_pids = 64;

    /// Scans `bytes` (the next bytes of the stream) and returns the PES starts with a PTS found
    /// in the packets completed by them, in stream order.
    std::vector<pes_pts> feed(std::span<const std::uint8_t> bytes);

    /// The first PTS seen on `pid`, if any.
    [[nodiscard]] std::optional<std::int64_t> first_pts(std::uint16_t pid) const noexcept;

    /// The first PES start with a PTS seen on any PID (its `temi` is not kept).
    [[nodiscard]] std::optional<pes_pts> first() const noexcept {
        return firsts_.empty() ? std::nullopt : std::optional<pes_pts>(firsts_.front());
    }

    /// The component tag the latest PMT gives the elementary stream on `pid`
    /// (stream_identifier_descriptor), if any.
    [[nodiscard]] std::optional<std::uint8_t> component_tag(std::uint16_t pid) const noexcept;

    /// Whole packets scanned, and bytes skipped looking for a sync byte.
    [[nodiscard]] std::uint64_t packets() const noexcept { return packets_; }

    [[nodiscard]] std::uint64_t skipped_bytes() const noexcept { return skipped_; }

private:
    void packet(std::span<const std::uint8_t, 188> p, std::vector<pes_pts>& out);
    void table(std::uint16_t pid, std::span<const std::uint8_t> payload); // PAT or a PMT

    std::vector<std::uint8_t> pending_;   // < 2 packets of not yet scanned bytes
    std::vector<pes_pts> firsts_;         // first PTS per PID, in the order PIDs appeared
    std::vector<std::uint16_t> pmt_pids_; // from the PAT
    std::vector<std::pair<std::uint16_t, std::uint8_t>> component_tags_; // PID, tag
    std::uint64_t packets_ = 0;
    std::uint64_t skipped_ = 0;
};

/// The 33-bit PTS in the 5 bytes `b` of a PES header (marker bits not checked), or nullopt if
/// the 4-bit prefix is neither '0010' nor '0011'.
[[nodiscard]] std::optional<std::int64_t> decode_pts(std::span<const std::uint8_t, 5> b) noexcept;

} // namespace dvbcss::media
