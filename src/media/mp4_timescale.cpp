#include "big_endian.hpp"

#include <dvbcss/media/mp4_timescale.hpp>

#include <limits>

namespace dvbcss::media {
namespace {

constexpr std::size_t max_tracks = 64;
constexpr std::size_t max_edits = 1024;

using detail::be32;
using detail::be64;

/// Calls `on_box(type, payload)` for each child box of `bytes`; stops at the first malformed one.
template <class F>
void for_each_box(std::span<const std::uint8_t> bytes, F&& on_box) {
    while (!bytes.empty()) {
        const auto h = read_box_header(bytes);
        if (!h) {
            return;
        }
        const std::uint64_t size = h->size.value_or(bytes.size());
        if (size > bytes.size()) {
            return;
        }
        on_box(h->type, bytes.subspan(h->header_size, size - h->header_size));
        bytes = bytes.subspan(size);
    }
}

struct movie {
    std::uint32_t timescale = 0; // mvhd
};

void read_mdhd(std::span<const std::uint8_t> b, mp4_track& t) {
    if (b.size() < 4) {
        return;
    }
    const auto version = b[0];
    const std::size_t at = version == 1 ? 4 + 16 : 4 + 8;
    if (b.size() < at + 4) {
        return;
    }
    t.timescale = be32(b.data() + at);
}

void read_hdlr(std::span<const std::uint8_t> b, mp4_track& t) {
    if (b.size() < 12) {
        return;
    }
    t.handler.assign(reinterpret_cast<const char*>(b.data() + 8), 4);
}

void read_tkhd(std::span<const std::uint8_t> b, mp4_track& t) {
    if (b.size() < 4) {
        return;
    }
    const std::size_t at = b[0] == 1 ? 4 + 16 : 4 + 8;
    if (b.size() < at + 4) {
        return;
    }
    t.track_id = be32(b.data() + at);
}

// Leading empty edits (movie timescale) and the first real edit's media time (track timescale).
struct edits {
    std::uint64_t empty_duration = 0;
    std::int64_t media_time = 0;
};

std::optional<edits> read_elst(std::span<const std::uint8_t> b) {
    if (b.size() < 8) {
        return std::nullopt;
    }
    const auto version = b[0];
    const std::uint32_t count = be32(b.data() + 4);
    const std::size_t entry = version == 1 ? 20 : 12;
    edits e;
    for (std::uint32_t i = 0; i < count && i < max_edits; ++i) {
        const std::size_t at = 8 + i * entry;
        if (b.size() < at + entry) {
            break;
        }
        std::uint64_t duration = 0;
        std::int64_t media_time = 0;
        if (version == 1) {
            duration = be64(b.data() + at);
            media_time = static_cast<std::int64_t>(be64(b.data() + at + 8));
        } else {
            duration = be32(b.data() + at);
            media_time = static_cast<std::int32_t>(be32(b.data() + at + 4));
        }
        if (media_time == -1) {
            if (duration > std::numeric_limits<std::uint64_t>::max() - e.empty_duration) {
                return std::nullopt;
            }
            e.empty_duration += duration;
            continue;
        }
        e.media_time = media_time;
        return e;
    }
    return e;
}

} // namespace

std::optional<box_header> read_box_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 8) {
        return std::nullopt;
    }
    box_header h;
    h.type.assign(reinterpret_cast<const char*>(bytes.data() + 4), 4);
    const std::uint32_t size32 = be32(bytes.data());
    if (size32 == 1) {
        if (bytes.size() < 16) {
            return std::nullopt;
        }
        h.header_size = 16;
        h.size = be64(bytes.data() + 8);
    } else if (size32 == 0) {
        h.size = std::nullopt;
    } else {
        h.size = size32;
    }
    if (h.size && *h.size < h.header_size) {
        return std::nullopt;
    }
    return h;
}

std::vector<mp4_track> parse_moov(std::span<const std::uint8_t> payload) {
    std::vector<mp4_track> tracks;
    movie mv;
    // The movie timescale first: mvhd may follow the tracks.
    for_each_box(payload, [&](const std::string& type, std::span<const std::uint8_t> b) {
        if (type == "mvhd" && b.size() >= 4 && mv.timescale == 0) {
            const std::size_t at = b[0] == 1 ? 4 + 16 : 4 + 8;
            if (b.size() >= at + 4) {
                mv.timescale = be32(b.data() + at);
            }
        }
    });
    for_each_box(payload, [&](const std::string& type, std::span<const std::uint8_t> b) {
        if (type != "trak" || tracks.size() >= max_tracks) {
            return;
        }
        mp4_track t;
        std::optional<edits> e;
        for_each_box(b, [&](const std::string& ttype, std::span<const std::uint8_t> tb) {
            if (ttype == "tkhd") {
                read_tkhd(tb, t);
            } else if (ttype == "edts") {
                for_each_box(tb, [&](const std::string& etype, std::span<const std::uint8_t> eb) {
                    if (etype == "elst" && !e) {
                        e = read_elst(eb);
                    }
                });
            } else if (ttype == "mdia") {
                for_each_box(tb, [&](const std::string& mtype, std::span<const std::uint8_t> mb) {
                    if (mtype == "mdhd") {
                        read_mdhd(mb, t);
                    } else if (mtype == "hdlr") {
                        read_hdlr(mb, t);
                    }
                });
            }
        });
        if (t.timescale == 0) {
            return;
        }
        if (e) {
            t.origin_ct = e->media_time;
            if (mv.timescale != 0 && e->empty_duration != 0) {
                __extension__ using wide = unsigned __int128;
                const wide ns =
                    static_cast<wide>(e->empty_duration) * 1'000'000'000U / mv.timescale;
                t.origin_position_ns =
                    ns > static_cast<wide>(std::numeric_limits<std::int64_t>::max())
                        ? std::numeric_limits<std::int64_t>::max()
                        : static_cast<std::int64_t>(ns);
            }
        }
        tracks.push_back(t);
    });
    return tracks;
}

} // namespace dvbcss::media
