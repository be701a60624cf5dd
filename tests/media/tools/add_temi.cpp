// Rewrites an MPEG-2 transport stream so that it carries TEMI timelines (ISO/IEC 13818-1
// "timeline and external media information"), for the media tests' TEMI timeline sources. Used by
// scripts/make-test-media.sh, which makes temi.ts from clicks.ts.
//
//   add_temi IN.ts OUT.ts [--pid PID] [--component-tag N|none] --timeline
//   ID:TIMESCALE:START_SECONDS
//            [--timeline ...] [--jump ID:AT_SECONDS:TO_SECONDS ...] [--from ID:AT_SECONDS ...]
//
// --pid names the elementary stream that carries the timelines (decimal or 0x hex; default: the
// first stream of the PAT's first program's PMT). Every PMT packet gains, for that stream, a DVB
// stream_identifier_descriptor with --component-tag (default 1; an existing one is replaced) and a
// new CRC_32; each PMT section must start and end in one packet. The first transport packet of
// every PES on the PID gains, in its adaptation field's extension, one temi_timeline_descriptor
// per --timeline (ID 0-255, TIMESCALE ticks a second, 1-4294967295) whose media_timestamp is
// START_SECONDS (a decimal, rounded to the nearest tick) plus the PES's PTS minus the PID's first
// PTS (modulo 2^33) in ticks, rounded half away from zero; 32 bits when it fits, else 64. The
// rest of the adaptation field is kept (minus stuffing). Each PES is laid out again over its
// packets, with extra packets after its last one for the bytes that no longer fit, and the PID's
// continuity counters are renumbered; PES without a PTS are copied without timelines.
// --component-tag none leaves the PMT as it is (the timelines then have no DVB-CSS name).
// --jump makes timeline ID count from TO_SECONDS at the PES AT_SECONDS after the first PTS and on
// (until its next --jump), the first of those with the discontinuity flag (a programme boundary);
// a timeline may jump many times, and a jump after the last PES is said on stderr. --from makes
// timeline ID appear only from the PES AT_SECONDS after the first PTS (its values as if it had
// been there from the start), as a timeline that begins with a programme part-way through. Other
// PIDs are unchanged. Exit status: 0 written; 1 IN.ts could not be read, is not a usable transport
// stream or OUT.ts could not be written (one line on stderr says why); 2 usage error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace {

__extension__ typedef unsigned __int128 u128;

constexpr std::size_t packet_size = 188;
constexpr std::uint64_t pts_modulus = std::uint64_t{1} << 33;

using bytes = std::vector<std::uint8_t>;

struct timeline {
    unsigned id = 0;
    std::uint32_t timescale = 0;
    std::uint64_t start_ticks = 0;

    // --jump: from PTS offset `at_pts` (90 kHz) on, the timeline counts from `ticks` instead,
    // and the first descriptor from there carries the discontinuity flag. In order of `at_pts`.
    struct jump {
        std::uint64_t at_pts = 0;
        std::uint64_t ticks = 0;
        std::string given; // as the option gave it, for messages
        bool reached = false;
    };

    std::vector<jump> jumps;
    std::uint64_t from_pts = 0; // --from: no descriptor before this PTS offset (90 kHz)
};

// Thrown for input that cannot be rewritten and for write failures: exit status 1.
struct failure {
    std::string why;
};

const char* const usage_line =
    "usage: add_temi IN.ts OUT.ts [--pid PID] [--component-tag N|none] "
    "--timeline ID:TIMESCALE:START_SECONDS [--timeline ...] [--jump ID:AT_SECONDS:TO_SECONDS] "
    "[--from ID:AT_SECONDS]";

int usage(const std::string& why) {
    std::fprintf(stderr, "add_temi: %s; %s\n", why.c_str(), usage_line);
    return 2;
}

// An unsigned decimal (or 0x hex when hex_ok) of at most max; nullopt when malformed.
std::optional<std::uint64_t> parse_unsigned(const std::string& s, std::uint64_t max,
                                            bool hex_ok = false) {
    std::uint64_t base = 10;
    std::size_t i = 0;
    if (hex_ok && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= s.size()) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        std::uint64_t digit = 0;
        if (c >= '0' && c <= '9') {
            digit = static_cast<std::uint64_t>(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            digit = static_cast<std::uint64_t>(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            digit = static_cast<std::uint64_t>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
        if (v > (max - digit) / base) {
            return std::nullopt;
        }
        v = v * base + digit;
    }
    return v;
}

// START_SECONDS ("12", "0.5", ".25") in ticks of timescale, rounded to the nearest tick (halves
// up); nullopt when malformed or beyond 64 bits.
std::optional<std::uint64_t> parse_start_ticks(const std::string& s, std::uint32_t timescale) {
    const std::size_t dot = s.find('.');
    const std::string whole = s.substr(0, dot);
    const std::string fraction = dot == std::string::npos ? std::string() : s.substr(dot + 1);
    if ((whole.empty() && fraction.empty()) || fraction.size() > 18) {
        return std::nullopt;
    }
    std::uint64_t seconds = 0;
    if (!whole.empty()) {
        const auto w = parse_unsigned(whole, UINT64_MAX);
        if (!w) {
            return std::nullopt;
        }
        seconds = *w;
    }
    u128 numerator = 0;
    u128 denominator = 1;
    for (const char c : fraction) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        numerator = numerator * 10 + static_cast<unsigned>(c - '0');
        denominator *= 10;
    }
    const u128 ticks = static_cast<u128>(seconds) * timescale +
                       (numerator * timescale * 2 + denominator) / (denominator * 2);
    if (ticks > UINT64_MAX) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(ticks);
}

std::optional<timeline> parse_timeline(const std::string& s) {
    const std::size_t first = s.find(':');
    const std::size_t second = first == std::string::npos ? first : s.find(':', first + 1);
    if (second == std::string::npos) {
        return std::nullopt;
    }
    const auto id = parse_unsigned(s.substr(0, first), 255);
    const auto timescale = parse_unsigned(s.substr(first + 1, second - first - 1), UINT32_MAX);
    if (!id || !timescale || *timescale == 0) {
        return std::nullopt;
    }
    timeline t;
    t.id = static_cast<unsigned>(*id);
    t.timescale = static_cast<std::uint32_t>(*timescale);
    const auto start = parse_start_ticks(s.substr(second + 1), t.timescale);
    if (!start) {
        return std::nullopt;
    }
    t.start_ticks = *start;
    return t;
}

std::uint32_t crc32_mpeg2(const std::uint8_t* data, std::size_t size) {
    std::uint32_t crc = 0xFFFFFFFF;
    for (std::size_t i = 0; i < size; ++i) {
        crc ^= static_cast<std::uint32_t>(data[i]) << 24;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
        }
    }
    return crc;
}

unsigned packet_pid(const std::uint8_t* p) {
    return static_cast<unsigned>(((p[1] & 0x1F) << 8) | p[2]);
}

// One transport packet taken apart. af_content is the adaptation field without its length byte
// and stuffing (empty when absent or only stuffing).
struct packet_view {
    unsigned pid = 0;
    bool pusi = false;
    bool has_af = false;
    bool has_payload = false;
    unsigned cc = 0;
    bytes af_content;
    bool af_has_extension = false;
    const std::uint8_t* payload = nullptr;
    std::size_t payload_size = 0;
};

packet_view parse_packet(const std::uint8_t* p, std::size_t index) {
    packet_view v;
    v.pid = packet_pid(p);
    v.pusi = (p[1] & 0x40) != 0;
    v.has_af = (p[3] & 0x20) != 0;
    v.has_payload = (p[3] & 0x10) != 0;
    v.cc = p[3] & 0x0Fu;
    std::size_t offset = 4;
    if (v.has_af) {
        const std::size_t length = p[4];
        if (v.has_payload ? length > 182 : length != 183) {
            throw failure{"packet " + std::to_string(index) + ": bad adaptation_field_length " +
                          std::to_string(length)};
        }
        if (length > 0) {
            const std::uint8_t flags = p[5];
            std::size_t used = 1;
            if ((flags & 0x10) != 0) {
                used += 6; // PCR
            }
            if ((flags & 0x08) != 0) {
                used += 6; // OPCR
            }
            if ((flags & 0x04) != 0) {
                used += 1; // splice_countdown
            }
            if ((flags & 0x02) != 0 && used < length) {
                used += 1 + std::size_t{p[5 + used]}; // transport_private_data
            } else if ((flags & 0x02) != 0) {
                used = length + 1;
            }
            if ((flags & 0x01) != 0 && used < length) {
                v.af_has_extension = true;
                used += 1 + std::size_t{p[5 + used]};
            } else if ((flags & 0x01) != 0) {
                used = length + 1;
            }
            if (used > length) {
                throw failure{"packet " + std::to_string(index) +
                              ": adaptation field fields overrun its length"};
            }
            if (flags != 0 || used > 1) {
                v.af_content.assign(p + 5, p + 5 + used);
            }
        }
        offset += 1 + length;
    }
    if (v.has_payload) {
        v.payload = p + offset;
        v.payload_size = packet_size - offset;
    }
    return v;
}

// A packet for pid with af (adaptation field content without length byte, may be empty) and
// payload, stuffed to 188 bytes in the adaptation field. An empty payload gives an
// adaptation-field-only packet. The transport_error and priority bits come from byte1_bits and the
// scrambling bits from scrambling, each as in the original packet's header.
void build_packet(bytes& out, unsigned pid, bool pusi, std::uint8_t byte1_bits,
                  std::uint8_t scrambling, unsigned cc, const bytes& af,
                  const std::uint8_t* payload, std::size_t payload_size) {
    const std::size_t af_size = af.empty() ? 0 : 1 + af.size();
    const std::size_t stuffing = 184 - af_size - payload_size;
    const bool has_af = af_size > 0 || stuffing > 0;
    out.push_back(0x47);
    out.push_back(
        static_cast<std::uint8_t>((byte1_bits & 0xA0) | (pusi ? 0x40 : 0) | ((pid >> 8) & 0x1F)));
    out.push_back(static_cast<std::uint8_t>(pid & 0xFF));
    out.push_back(static_cast<std::uint8_t>((scrambling & 0xC0) | (has_af ? 0x20 : 0) |
                                            (payload_size > 0 ? 0x10 : 0) | (cc & 0x0F)));
    if (!af.empty()) {
        out.push_back(static_cast<std::uint8_t>(af.size() + stuffing));
        out.insert(out.end(), af.begin(), af.end());
        out.insert(out.end(), stuffing, 0xFF);
    } else if (stuffing > 0) {
        out.push_back(static_cast<std::uint8_t>(stuffing - 1));
        if (stuffing > 1) {
            out.push_back(0x00);
            out.insert(out.end(), stuffing - 2, 0xFF);
        }
    }
    out.insert(out.end(), payload, payload + payload_size);
}

// The temi_timeline_descriptors for one PES: each timeline's start plus the PTS offset in ticks.
bytes temi_descriptors(std::vector<timeline>& timelines, std::uint64_t pts_offset) {
    bytes d;
    for (timeline& t : timelines) {
        if (pts_offset < t.from_pts) {
            continue; // not carried yet
        }
        timeline::jump* in_force = nullptr; // the last jump at or before this PES
        for (auto& j : t.jumps) {
            if (pts_offset >= j.at_pts) {
                in_force = &j;
            }
        }
        const bool discontinuity = in_force != nullptr && !in_force->reached;
        if (in_force != nullptr) {
            in_force->reached = true;
        }
        const std::uint64_t from = in_force != nullptr ? in_force->at_pts : 0;
        const u128 ticks =
            static_cast<u128>(in_force != nullptr ? in_force->ticks : t.start_ticks) +
            (static_cast<u128>(pts_offset - from) * t.timescale + 45000) / 90000;
        if (ticks > UINT64_MAX) {
            throw failure{"timeline " + std::to_string(t.id) + ": media_timestamp beyond 64 bits"};
        }
        const auto value = static_cast<std::uint64_t>(ticks);
        const bool wide = value > UINT32_MAX;
        d.push_back(0x04);                                          // af_descr_tag: TEMI timeline
        d.push_back(wide ? 15 : 11);                                // af_descr_length
        d.push_back(static_cast<std::uint8_t>(wide ? 0x80 : 0x40)); // has_timestamp, rest 0
        d.push_back(discontinuity ? 0xFF : 0x7F);                   // discontinuity, reserved
        d.push_back(static_cast<std::uint8_t>(t.id));
        for (int shift = 24; shift >= 0; shift -= 8) {
            d.push_back(static_cast<std::uint8_t>((t.timescale >> shift) & 0xFF));
        }
        for (int shift = wide ? 56 : 24; shift >= 0; shift -= 8) {
            d.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFF));
        }
    }
    return d;
}

// The PTS of the PES starting at pes, or nullopt when it has none.
std::optional<std::uint64_t> pes_pts(const bytes& pes) {
    if (pes.size() < 14 || pes[0] != 0 || pes[1] != 0 || pes[2] != 1) {
        return std::nullopt;
    }
    const std::uint8_t id = pes[3];
    if (id == 0xBC || id == 0xBE || id == 0xBF || id == 0xF0 || id == 0xF1 || id == 0xF2 ||
        id == 0xF8 || id == 0xFF || (pes[7] & 0x80) == 0) {
        return std::nullopt;
    }
    return (std::uint64_t{pes[9] & 0x0Eu} << 29) | (std::uint64_t{pes[10]} << 22) |
           (std::uint64_t{pes[11] & 0xFEu} << 14) | (std::uint64_t{pes[12]} << 7) |
           (std::uint64_t{pes[13]} >> 1);
}

// The PSI section in a packet's payload: offset of its first byte and its size including CRC.
struct section_place {
    std::size_t start = 0;
    std::size_t size = 0;
};

section_place find_section(const packet_view& v, std::size_t index, const char* what) {
    if (!v.pusi || !v.has_payload || v.payload_size < 1) {
        throw failure{std::string(what) + " packet " + std::to_string(index) +
                      " does not start a section"};
    }
    const std::size_t start = 1 + std::size_t{v.payload[0]};
    if (start + 3 > v.payload_size) {
        throw failure{std::string(what) + " packet " + std::to_string(index) +
                      ": section does not fit in the packet"};
    }
    const std::size_t length =
        static_cast<std::size_t>(((v.payload[start + 1] & 0x0F) << 8) | v.payload[start + 2]);
    if (start + 3 + length > v.payload_size || length < 9) {
        throw failure{std::string(what) + " packet " + std::to_string(index) +
                      ": section does not fit in the packet"};
    }
    if (crc32_mpeg2(v.payload + start, 3 + length) != 0) {
        throw failure{std::string(what) + " packet " + std::to_string(index) + ": bad CRC_32"};
    }
    return {start, 3 + length};
}

struct es_entry {
    unsigned pid = 0;
    std::size_t info_start = 0; // offset in the section of the ES_info loop
    std::size_t info_length = 0;
};

std::vector<es_entry> pmt_streams(const std::uint8_t* s, std::size_t size, std::size_t index) {
    if (s[0] != 0x02) {
        throw failure{"PMT packet " + std::to_string(index) + ": table_id is not 0x02"};
    }
    const std::size_t program_info_length = static_cast<std::size_t>(((s[10] & 0x0F) << 8) | s[11]);
    std::size_t i = 12 + program_info_length;
    const std::size_t end = size - 4;
    std::vector<es_entry> streams;
    while (i < end) {
        if (i + 5 > end) {
            throw failure{"PMT packet " + std::to_string(index) + ": truncated stream loop"};
        }
        es_entry e;
        e.pid = static_cast<unsigned>(((s[i + 1] & 0x1F) << 8) | s[i + 2]);
        e.info_length = static_cast<std::size_t>(((s[i + 3] & 0x0F) << 8) | s[i + 4]);
        e.info_start = i + 5;
        if (e.info_start + e.info_length > end) {
            throw failure{"PMT packet " + std::to_string(index) + ": truncated ES_info"};
        }
        streams.push_back(e);
        i = e.info_start + e.info_length;
    }
    return streams;
}

// The PMT packet at p rewritten with the stream_identifier_descriptor for pid, appended to out.
void rewrite_pmt(bytes& out, const std::uint8_t* p, std::size_t index, unsigned pid,
                 unsigned component_tag) {
    const packet_view v = parse_packet(p, index);
    const section_place place = find_section(v, index, "PMT");
    const std::uint8_t* s = v.payload + place.start;
    const std::vector<es_entry> streams = pmt_streams(s, place.size, index);
    const es_entry* target = nullptr;
    for (const es_entry& e : streams) {
        if (e.pid == pid) {
            target = &e;
            break;
        }
    }
    if (target == nullptr) {
        throw failure{"PMT packet " + std::to_string(index) + " does not list PID " +
                      std::to_string(pid)};
    }
    bytes info;
    bool replaced = false;
    for (std::size_t i = target->info_start; i < target->info_start + target->info_length;) {
        if (i + 2 > target->info_start + target->info_length ||
            i + 2 + s[i + 1] > target->info_start + target->info_length) {
            throw failure{"PMT packet " + std::to_string(index) + ": truncated descriptor"};
        }
        const std::size_t size = 2 + std::size_t{s[i + 1]};
        if (s[i] == 0x52 && !replaced) {
            info.insert(info.end(), {0x52, 0x01, static_cast<std::uint8_t>(component_tag)});
            replaced = true;
        } else {
            info.insert(info.end(), s + i, s + i + size);
        }
        i += size;
    }
    if (!replaced) {
        info.insert(info.end(), {0x52, 0x01, static_cast<std::uint8_t>(component_tag)});
    }
    if (info.size() > 0x3FF) {
        throw failure{"PMT packet " + std::to_string(index) + ": ES_info too long"};
    }
    bytes section(s, s + target->info_start);
    section[target->info_start - 2] =
        static_cast<std::uint8_t>((section[target->info_start - 2] & 0xF0) | (info.size() >> 8));
    section[target->info_start - 1] = static_cast<std::uint8_t>(info.size() & 0xFF);
    section.insert(section.end(), info.begin(), info.end());
    section.insert(section.end(), s + target->info_start + target->info_length, s + place.size - 4);
    const std::size_t section_length = section.size() + 4 - 3;
    if (section_length > 1021) {
        throw failure{"PMT packet " + std::to_string(index) + ": section too long"};
    }
    section[1] = static_cast<std::uint8_t>((section[1] & 0xF0) | (section_length >> 8));
    section[2] = static_cast<std::uint8_t>(section_length & 0xFF);
    const std::uint32_t crc = crc32_mpeg2(section.data(), section.size());
    for (int shift = 24; shift >= 0; shift -= 8) {
        section.push_back(static_cast<std::uint8_t>((crc >> shift) & 0xFF));
    }

    // The payload: pointer_field and what it skips, the new section, then as much of the old
    // trailing stuffing as still fits; beyond that the adaptation field's stuffing shrinks.
    bytes payload(v.payload, v.payload + place.start);
    payload.insert(payload.end(), section.begin(), section.end());
    for (std::size_t i = place.start + place.size; i < v.payload_size; ++i) {
        if (v.payload[i] != 0xFF) {
            throw failure{"PMT packet " + std::to_string(index) +
                          ": more than one section in the packet"};
        }
    }
    if (payload.size() < v.payload_size) {
        payload.resize(v.payload_size, 0xFF);
    }
    const std::size_t af_size = v.af_content.empty() ? 0 : 1 + v.af_content.size();
    if (af_size + payload.size() > 184) {
        throw failure{"PMT packet " + std::to_string(index) + ": no room for the descriptor"};
    }
    build_packet(out, v.pid, v.pusi, p[1], p[3], v.cc, v.af_content, payload.data(),
                 payload.size());
}

struct options {
    std::string in_path;
    std::string out_path;
    std::optional<unsigned> pid;
    std::optional<unsigned> component_tag = 1; // nullopt: --component-tag none
    std::vector<timeline> timelines;
};

bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw failure{"cannot open " + path};
    }
    bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        throw failure{"cannot read " + path};
    }
    return data;
}

// The PID of the first program's PMT, from the first PAT section.
unsigned find_pmt_pid(const bytes& ts) {
    for (std::size_t i = 0; i < ts.size() / packet_size; ++i) {
        const std::uint8_t* p = ts.data() + i * packet_size;
        if (packet_pid(p) != 0) {
            continue;
        }
        const packet_view v = parse_packet(p, i);
        if (!v.pusi || !v.has_payload) {
            continue;
        }
        const section_place place = find_section(v, i, "PAT");
        const std::uint8_t* s = v.payload + place.start;
        if (s[0] != 0x00) {
            throw failure{"PAT packet " + std::to_string(i) + ": table_id is not 0x00"};
        }
        for (std::size_t j = 8; j + 4 <= place.size - 4; j += 4) {
            const unsigned program = static_cast<unsigned>((s[j] << 8) | s[j + 1]);
            if (program != 0) {
                return static_cast<unsigned>(((s[j + 2] & 0x1F) << 8) | s[j + 3]);
            }
        }
        throw failure{"PAT packet " + std::to_string(i) + " lists no program"};
    }
    throw failure{"no PAT"};
}

// One PES on the chosen PID: the indices of its packets with payload and its bytes.
struct pes_run {
    std::vector<std::size_t> packets;
    bytes data;
};

bytes rewrite(const bytes& ts, options& opt) {
    const std::size_t count = ts.size() / packet_size;
    const unsigned pmt_pid = find_pmt_pid(ts);
    unsigned pid = 0;
    bool have_pmt = false;
    for (std::size_t i = 0; i < count && !have_pmt; ++i) {
        if (packet_pid(ts.data() + i * packet_size) != pmt_pid) {
            continue;
        }
        const packet_view v = parse_packet(ts.data() + i * packet_size, i);
        const section_place place = find_section(v, i, "PMT");
        const std::vector<es_entry> streams = pmt_streams(v.payload + place.start, place.size, i);
        if (streams.empty()) {
            throw failure{"the PMT lists no stream"};
        }
        pid = streams.front().pid;
        if (opt.pid) {
            pid = *opt.pid;
            bool listed = false;
            for (const es_entry& e : streams) {
                listed = listed || e.pid == pid;
            }
            if (!listed) {
                throw failure{"the PMT does not list PID " + std::to_string(pid)};
            }
        }
        have_pmt = true;
    }
    if (!have_pmt) {
        throw failure{"no PMT on PID " + std::to_string(pmt_pid)};
    }

    // The chosen PID's PES: from each packet with payload_unit_start_indicator to the next.
    std::vector<pes_run> runs;
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = ts.data() + i * packet_size;
        if (packet_pid(p) != pid) {
            continue;
        }
        const packet_view v = parse_packet(p, i);
        if (!v.has_payload) {
            continue;
        }
        if ((p[3] & 0xC0) != 0) {
            throw failure{"packet " + std::to_string(i) + " is scrambled"};
        }
        if (v.pusi) {
            runs.emplace_back();
        } else if (runs.empty()) {
            continue; // before the first PES start: copied as it is
        }
        runs.back().packets.push_back(i);
        runs.back().data.insert(runs.back().data.end(), v.payload, v.payload + v.payload_size);
    }

    std::optional<std::uint64_t> first_pts;
    // What each of a PES's packets becomes: one packet, or none when the payload ran out before
    // it and it has no adaptation field content to keep; the last also gets the overflow.
    std::vector<bytes> laid_out(count);
    std::vector<bool> replaced(count, false);
    for (const pes_run& run : runs) {
        const std::optional<std::uint64_t> pts = pes_pts(run.data);
        if (pts && !first_pts) {
            first_pts = pts;
        }
        std::size_t taken = 0;
        for (std::size_t k = 0; k < run.packets.size(); ++k) {
            const std::size_t i = run.packets[k];
            const std::uint8_t* p = ts.data() + i * packet_size;
            const packet_view v = parse_packet(p, i);
            bytes af = v.af_content;
            if (k == 0 && pts) {
                if (v.af_has_extension) {
                    throw failure{"packet " + std::to_string(i) +
                                  ": adaptation field already has an extension"};
                }
                const bytes temi =
                    temi_descriptors(opt.timelines, (*pts - *first_pts) % pts_modulus);
                if (af.empty()) {
                    af.push_back(0x00);
                }
                af[0] = static_cast<std::uint8_t>(af[0] | 0x01);
                af.push_back(static_cast<std::uint8_t>(1 + temi.size())); // extension length
                af.push_back(0x0F); // no ltw, piecewise_rate, seamless_splice; af_descriptors
                af.insert(af.end(), temi.begin(), temi.end());
                if (af.size() + 1 + 1 > 184) {
                    throw failure{"packet " + std::to_string(i) + ": no room for the timelines"};
                }
            }
            const std::size_t room = 184 - (af.empty() ? 0 : 1 + af.size());
            const std::size_t take = std::min(room, run.data.size() - taken);
            if (take > 0 || !af.empty()) {
                build_packet(laid_out[i], pid, k == 0, p[1], p[3], v.cc, af,
                             run.data.data() + taken, take);
            }
            taken += take;
            replaced[i] = true;
        }
        const std::uint8_t* last = ts.data() + run.packets.back() * packet_size;
        while (taken < run.data.size()) {
            const std::size_t take = std::min<std::size_t>(184, run.data.size() - taken);
            build_packet(laid_out[run.packets.back()], pid, false, last[1], last[3], 0, {},
                         run.data.data() + taken, take);
            taken += take;
        }
    }

    // Write in the original order, each PES's packets after its last original one, renumbering
    // the chosen PID's continuity counters.
    bytes out;
    out.reserve(ts.size() + ts.size() / 16);
    // Packets with payload count on from the first one's counter; those without repeat the last.
    std::optional<unsigned> last_cc;
    auto renumber = [&](std::uint8_t* q) {
        if ((q[3] & 0x10) == 0) {
            if (last_cc) {
                q[3] = static_cast<std::uint8_t>((q[3] & 0xF0) | *last_cc);
            }
            return;
        }
        last_cc = last_cc ? (*last_cc + 1) % 16 : q[3] & 0x0Fu;
        q[3] = static_cast<std::uint8_t>((q[3] & 0xF0) | *last_cc);
    };
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = ts.data() + i * packet_size;
        if (packet_pid(p) == pmt_pid) {
            if (opt.component_tag) {
                rewrite_pmt(out, p, i, pid, *opt.component_tag);
            } else {
                out.insert(out.end(), p, p + packet_size);
            }
            continue;
        }
        if (packet_pid(p) != pid) {
            out.insert(out.end(), p, p + packet_size);
            continue;
        }
        if (!replaced[i]) {
            out.insert(out.end(), p, p + packet_size);
            renumber(out.data() + out.size() - packet_size);
            continue;
        }
        for (std::size_t k = 0; k < laid_out[i].size(); k += packet_size) {
            out.insert(out.end(), laid_out[i].begin() + static_cast<std::ptrdiff_t>(k),
                       laid_out[i].begin() + static_cast<std::ptrdiff_t>(k + packet_size));
            renumber(out.data() + out.size() - packet_size);
        }
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    options opt;
    std::vector<std::string> jumps;
    std::vector<std::string> froms;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--pid" && has_value) {
            const std::string value = argv[++i];
            const auto pid = parse_unsigned(value, 0x1FFE, true);
            if (!pid || *pid == 0) {
                return usage("bad --pid " + value);
            }
            opt.pid = static_cast<unsigned>(*pid);
        } else if (a == "--component-tag" && has_value) {
            const std::string value = argv[++i];
            const auto tag = parse_unsigned(value, 255);
            if (!tag && value != "none") {
                return usage("bad --component-tag " + value);
            }
            opt.component_tag.reset();
            if (tag) {
                opt.component_tag = static_cast<unsigned>(*tag);
            }
        } else if (a == "--timeline" && has_value) {
            const std::string value = argv[++i];
            const auto t = parse_timeline(value);
            if (!t) {
                return usage("bad --timeline " + value);
            }
            opt.timelines.push_back(*t);
        } else if (a == "--jump" && has_value) {
            jumps.emplace_back(argv[++i]);
        } else if (a == "--from" && has_value) {
            froms.emplace_back(argv[++i]);
        } else if (!a.empty() && a[0] != '-' && opt.in_path.empty()) {
            opt.in_path = a;
        } else if (!a.empty() && a[0] != '-' && opt.out_path.empty()) {
            opt.out_path = a;
        } else {
            return usage("unknown or incomplete argument " + a);
        }
    }
    if (opt.out_path.empty()) {
        return usage("IN.ts and OUT.ts are needed");
    }
    if (opt.timelines.empty()) {
        return usage("no --timeline");
    }
    for (const auto& jump : jumps) {
        // ID:AT_SECONDS:TO_SECONDS, read as a timeline ID:90000:AT and one ID:TIMESCALE:TO.
        const auto at =
            parse_timeline(jump.substr(0, jump.find(':')) + ":90000:" +
                           jump.substr(jump.find(':') + 1, jump.rfind(':') - jump.find(':') - 1));
        auto found = std::find_if(opt.timelines.begin(), opt.timelines.end(),
                                  [&](const timeline& t) { return at && t.id == at->id; });
        if (!at || found == opt.timelines.end() || jump.find(':') == jump.rfind(':')) {
            return usage("bad --jump " + jump + " (ID:AT_SECONDS:TO_SECONDS of a --timeline)");
        }
        const auto to = parse_start_ticks(jump.substr(jump.rfind(':') + 1), found->timescale);
        if (!to) {
            return usage("bad --jump " + jump + " (ID:AT_SECONDS:TO_SECONDS of a --timeline)");
        }
        found->jumps.push_back(timeline::jump{at->start_ticks, *to, jump});
    }
    for (const auto& from : froms) {
        // ID:AT_SECONDS, read as a timeline ID:90000:AT.
        const auto at = from.find(':') == std::string::npos
                            ? std::nullopt
                            : parse_timeline(from.substr(0, from.find(':')) +
                                             ":90000:" + from.substr(from.find(':') + 1));
        auto found = std::find_if(opt.timelines.begin(), opt.timelines.end(),
                                  [&](const timeline& t) { return at && t.id == at->id; });
        if (found == opt.timelines.end()) {
            return usage("bad --from " + from + " (ID:AT_SECONDS of a --timeline)");
        }
        found->from_pts = at->start_ticks;
    }
    for (auto& t : opt.timelines) {
        std::stable_sort(t.jumps.begin(), t.jumps.end(),
                         [](const auto& a, const auto& b) { return a.at_pts < b.at_pts; });
    }

    try {
        const bytes ts = read_file(opt.in_path);
        if (ts.empty() || ts.size() % packet_size != 0) {
            throw failure{opt.in_path + ": size " + std::to_string(ts.size()) +
                          " is not a positive multiple of 188"};
        }
        for (std::size_t i = 0; i < ts.size(); i += packet_size) {
            if (ts[i] != 0x47) {
                throw failure{opt.in_path + ": no sync byte at packet " +
                              std::to_string(i / packet_size)};
            }
        }
        const bytes out = rewrite(ts, opt);
        for (const auto& t : opt.timelines) {
            for (const auto& j : t.jumps) {
                if (!j.reached) {
                    std::fprintf(stderr, "add_temi: --jump %s: after the last PES, never reached\n",
                                 j.given.c_str());
                }
            }
        }
        std::ofstream file(opt.out_path, std::ios::binary | std::ios::trunc);
        if (!file) {
            throw failure{"cannot create " + opt.out_path};
        }
        file.write(reinterpret_cast<const char*>(out.data()),
                   static_cast<std::streamsize>(out.size()));
        file.close();
        if (!file) {
            std::remove(opt.out_path.c_str());
            throw failure{"cannot write " + opt.out_path};
        }
    } catch (const failure& f) {
        std::fprintf(stderr, "add_temi: %s\n", f.why.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "add_temi: %s\n", e.what());
        return 1;
    }
    return 0;
}
