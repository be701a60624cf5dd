// Fuzz target: the MPEG-TS PTS scanner (media::pts_scanner) on hostile bytes, fed whole and in
// pieces whose size the first input byte picks. Whatever it reports must be a 33-bit PTS on a
// stream that carries a PES header; its memory stays bounded (less than one packet left unscanned
// at the end); first_pts agrees with what was reported; and a stream of well-formed packets gives
// the same result however it is cut. TEMI descriptors come with their timescale and are no more
// than an adaptation field can hold. The TEMI timelines found from them (with the component tags
// of the PMTs read on the way) stay bounded, and each maps onto a PTS timeline without overflow,
// its jumps in order and each mapping to its own position.
#include <dvbcss/media/pts_scanner.hpp>
#include <dvbcss/media/temi_timelines.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <span>
#include <vector>

namespace {

constexpr std::size_t packet_size = 188;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "pts_scanner: %s\n", what);
    std::abort();
}

std::vector<dvbcss::media::pes_pts> scan(dvbcss::media::pts_scanner& scanner,
                                         std::span<const std::uint8_t> bytes, std::size_t piece) {
    std::vector<dvbcss::media::pes_pts> all;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        const auto found = scanner.feed(bytes.subspan(at, std::min(piece, bytes.size() - at)));
        all.insert(all.end(), found.begin(), found.end());
    }
    return all;
}

void check(const dvbcss::media::pts_scanner& scanner,
           const std::vector<dvbcss::media::pes_pts>& found, std::size_t fed) {
    const auto scanned = scanner.packets() * packet_size + scanner.skipped_bytes();
    if (scanned > fed || fed - scanned >= packet_size) {
        fail("bytes scanned and skipped do not account for the input");
    }
    std::map<std::uint16_t, std::int64_t> firsts;
    for (const auto& f : found) {
        if (f.pts < 0 || f.pts >= (std::int64_t{1} << 33)) {
            fail("PTS outside 33 bits");
        }
        if (f.pid == 0x1FFF || f.stream_id == 0xBC || f.stream_id == 0xBE || f.stream_id == 0xBF) {
            fail("PTS reported for a null packet or a stream without a PES header");
        }
        for (const auto& t : f.temi) {
            if (t.media_timestamp.has_value() != t.timescale.has_value()) {
                fail("a TEMI media timestamp without its timescale, or the other way round");
            }
        }
        if (f.temi.size() > 183 / 5) {
            fail("more TEMI descriptors than an adaptation field can hold");
        }
        if (firsts.size() < dvbcss::media::pts_scanner::max_tracked_pids) {
            firsts.try_emplace(f.pid, f.pts);
        }
    }
    for (const auto& [pid, pts] : firsts) {
        if (scanner.first_pts(pid) != pts) {
            fail("first_pts differs from the first PTS reported on its PID");
        }
    }
    if (found.empty() != !scanner.first().has_value()) {
        fail("first() disagrees with what was reported");
    }
    dvbcss::media::temi_timeline_finder finder;
    finder.add_all(found, scanner);
    if (finder.timelines().size() > dvbcss::media::temi_timeline_finder::max_timelines) {
        fail("more TEMI timelines followed than the bound");
    }
    for (const auto& t : finder.timelines()) {
        if (t.timescale == 0) {
            fail("a TEMI timeline without a timescale");
        }
        if (t.departs_at_pts && !t.confirmed()) {
            fail("a TEMI timeline departs from a line never confirmed");
        }
        if (t.jumps.size() > dvbcss::media::temi_timeline_finder::max_jumps ||
            (!t.jumps.empty() && !t.confirmed())) {
            fail("more jumps than the bound, or jumps from a line never confirmed");
        }
        if (scanner.first()) {
            const auto pts = dvbcss::media::pts_timeline(scanner.first()->pts, 0);
            static_cast<void>(dvbcss::media::temi_timeline_problem(t, pts, INT64_MAX / 2));
            if (const auto m = dvbcss::media::temi_timeline(t, pts)) {
                static_cast<void>(m->ticks_at(m->origin_position_ns + 1'000'000'000));
                // Served lines: each jump after the one before (and the origin), its own value
                // where it starts, and found there again from its value.
                auto previous = m->origin_position_ns;
                for (const auto& j : m->jumps) {
                    if (j.position_ns <= previous) {
                        fail("a served jump not after the line before it");
                    }
                    previous = j.position_ns;
                    if (m->ticks_at(j.position_ns) != j.ticks ||
                        m->position_at(j.ticks, j.position_ns) != j.position_ns) {
                        fail("a served jump's value and position do not map onto each other");
                    }
                }
            }
        }
    }
}

bool well_formed_packets(std::span<const std::uint8_t> bytes) {
    if (bytes.empty() || bytes.size() % packet_size != 0) {
        return false;
    }
    for (std::size_t at = 0; at < bytes.size(); at += packet_size) {
        if (bytes[at] != 0x47) {
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t piece = data[0] == 0 ? 1 : data[0];
    const std::span<const std::uint8_t> stream(data + 1, size - 1);

    dvbcss::media::pts_scanner whole;
    const auto at_once = scan(whole, stream, stream.size() + 1);
    check(whole, at_once, stream.size());

    dvbcss::media::pts_scanner cut;
    const auto in_pieces = scan(cut, stream, piece);
    check(cut, in_pieces, stream.size());

    if (well_formed_packets(stream) && (at_once != in_pieces || whole.packets() != cut.packets())) {
        fail("well-formed packets scanned differently when cut into pieces");
    }
    if (well_formed_packets(stream)) {
        for (const auto& f : at_once) {
            if (whole.component_tag(f.pid) != cut.component_tag(f.pid)) {
                fail("well-formed packets gave another component tag when cut into pieces");
            }
        }
    }
    return 0;
}
