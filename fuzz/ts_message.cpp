// Fuzz target: the three CSS-TS decoders on the same text. Whatever one of them accepts must
// survive encode -> decode unchanged, and its encoding must then be stable. Bad input must be
// rejected with an error code, never a crash, an exception or an error without a code.
#include <dvbcss/ts/message.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

template <class Message, class Decode>
void check(std::string_view text, Decode decode) {
    dvbcss::ts::decode_detail detail;
    const auto first = decode(text, &detail);
    if (!first) {
        if (!first.error()) {
            std::fprintf(stderr, "failure without an error code\n");
            std::abort();
        }
        return;
    }
    if (!detail.field.empty()) {
        std::fprintf(stderr, "success with a failure path: %s\n", detail.field.c_str());
        std::abort();
    }
    const std::string encoded = dvbcss::ts::encode(*first);
    const auto second = decode(encoded, &detail);
    if (!second || !(*second == *first)) {
        std::fprintf(stderr, "round trip changed the message:\n%s\n", encoded.c_str());
        std::abort();
    }
    if (dvbcss::ts::encode(*second) != encoded) {
        std::fprintf(stderr, "encoding is not stable:\n%s\n", encoded.c_str());
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check<dvbcss::ts::setup_data>(text, [](std::string_view t, dvbcss::ts::decode_detail* d) {
        return dvbcss::ts::decode_setup_data(t, d);
    });
    check<dvbcss::ts::control_timestamp>(text,
                                         [](std::string_view t, dvbcss::ts::decode_detail* d) {
                                             return dvbcss::ts::decode_control_timestamp(t, d);
                                         });
    check<dvbcss::ts::apt_ept_lpt>(text, [](std::string_view t, dvbcss::ts::decode_detail* d) {
        return dvbcss::ts::decode_apt_ept_lpt(t, d);
    });
    return 0;
}
