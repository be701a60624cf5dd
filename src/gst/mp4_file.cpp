#include "gst/mp4_file.hpp"

#include <array>
#include <cstdint>
#include <fstream>

namespace dvbcss::gst {

std::vector<media::mp4_track> read_mp4_tracks(const std::string& path) {
    constexpr std::uint64_t max_moov = 64ULL << 20;
    constexpr int max_boxes = 4096;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return {};
    }
    std::uint64_t at = 0;
    for (int n = 0; n < max_boxes; ++n) {
        std::array<std::uint8_t, 16> head{};
        file.clear();
        file.seekg(static_cast<std::streamoff>(at));
        file.read(reinterpret_cast<char*>(head.data()), head.size());
        const auto got = static_cast<std::size_t>(file.gcount());
        const auto h = media::read_box_header(std::span(head.data(), got));
        if (!h) {
            return {};
        }
        if (h->type == "moov") {
            const std::uint64_t size = h->size.value_or(h->header_size + max_moov);
            const std::uint64_t payload = size - h->header_size;
            if (payload > max_moov) {
                return {};
            }
            std::vector<std::uint8_t> bytes(static_cast<std::size_t>(payload));
            file.clear();
            file.seekg(static_cast<std::streamoff>(at + h->header_size));
            file.read(reinterpret_cast<char*>(bytes.data()),
                      static_cast<std::streamsize>(bytes.size()));
            bytes.resize(static_cast<std::size_t>(file.gcount()));
            return media::parse_moov(bytes);
        }
        if (!h->size) {
            return {};
        }
        at += *h->size;
    }
    return {};
}

} // namespace dvbcss::gst
