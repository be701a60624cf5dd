#pragma once
/// TEMI timeline descriptors (ISO/IEC 13818-1, "timeline and external media information": the
/// `temi_timeline_descriptor`, af_descriptor tag 0x04) from the adaptation field of an MPEG
/// transport stream packet, for the `urn:dvb:css:timeline:temi:<component_tag>:<timeline_id>`
/// timelines of DVB-CSS (ETSI TS 103 286-2). A descriptor gives the media time, in ticks of its
/// own timescale, of the access unit whose PES packet starts in the same transport packet.
///
/// Sans-I/O; hostile-input safe: every length is checked against the bytes given, a truncated
/// or inconsistent field ends the walk, and nothing is kept between calls.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dvbcss::media {

/// One `temi_timeline_descriptor`, as carried (PTP time and time codes are skipped).
///
/// Thread safety: a value type.
struct temi_timeline_descriptor {
    /// The timeline within its component: the last part of the timeline selector.
    std::uint8_t timeline_id = 0;
    /// Ticks per second of `media_timestamp` (has_timestamp 1 or 2); nullopt without one.
    std::optional<std::uint32_t> timescale;
    /// The media time of the PES packet starting in this transport packet, ticks of
    /// `timescale` (32 or 64 bits on the wire); nullopt without one.
    std::optional<std::uint64_t> media_timestamp;
    /// NTP time (64-bit, seconds since 1900 and fraction) of that access unit, if carried.
    std::optional<std::uint64_t> ntp_timestamp;
    /// The timeline's external data changed: reload it.
    bool force_reload = false;
    /// The timeline does not advance until a descriptor without this flag.
    bool paused = false;
    /// The timeline jumped: earlier correlations no longer hold.
    bool discontinuity = false;

    friend bool operator==(const temi_timeline_descriptor&,
                           const temi_timeline_descriptor&) = default;
};

/// The TEMI timeline descriptors among the af_descriptors of one adaptation field, in order.
/// `adaptation_field`: the field's bytes after `adaptation_field_length` (that many bytes). The
/// af_descriptors are the end of the adaptation field extension, when its
/// `af_descriptor_not_present_flag` is 0; other descriptors (the TEMI location descriptor, ...)
/// are skipped by their length. A descriptor whose reserved `has_timestamp` value (3) or whose
/// length leaves its fields undefined is left out; a descriptor or extension longer than the
/// bytes that hold it ends the walk (the descriptors complete before it are returned).
[[nodiscard]] std::vector<temi_timeline_descriptor>
temi_descriptors_in(std::span<const std::uint8_t> adaptation_field);

} // namespace dvbcss::media
