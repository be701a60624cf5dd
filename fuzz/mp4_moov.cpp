// Fuzz target: the MP4 box walk (media::read_box_header, media::parse_moov) on hostile bytes.
// The input is read as a file's top-level boxes, each `moov` payload parsed, and also parsed as
// a `moov` payload itself. Every header must describe a box no smaller than itself, and every
// track reported must have a positive timescale, a 4-byte handler at most and a presentation
// origin that is not negative; at most 64 tracks per moov. No crash, leak or overflow.
#include <dvbcss/media/mp4_timescale.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "mp4_moov: %s\n", what);
    std::abort();
}

void check_moov(std::span<const std::uint8_t> payload) {
    const auto tracks = dvbcss::media::parse_moov(payload);
    if (tracks.size() > 64) {
        fail("more than 64 tracks");
    }
    for (const auto& t : tracks) {
        if (t.timescale == 0) {
            fail("a track with timescale 0");
        }
        if (t.handler.size() > 4) {
            fail("a handler longer than four characters");
        }
        if (t.origin_position_ns < 0) {
            fail("a negative presentation origin");
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> file(data, size);
    check_moov(file);
    std::size_t at = 0;
    for (int boxes = 0; at < file.size() && boxes < 1000; ++boxes) {
        const auto header = dvbcss::media::read_box_header(file.subspan(at));
        if (!header) {
            break;
        }
        if (header->type.size() != 4 || (header->header_size != 8 && header->header_size != 16) ||
            (header->size && *header->size < header->header_size)) {
            fail("a box header that describes a box smaller than itself");
        }
        const std::uint64_t left = file.size() - at;
        const std::uint64_t box_size = header->size.value_or(left);
        if (box_size > left) {
            break; // a box that runs past the end of the file: the walk stops
        }
        if (header->type == "moov") {
            check_moov(file.subspan(at + header->header_size,
                                    static_cast<std::size_t>(box_size - header->header_size)));
        }
        at += static_cast<std::size_t>(box_size);
    }
    return 0;
}
