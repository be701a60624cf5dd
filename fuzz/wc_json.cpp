// Fuzz target: any text that decodes as a CSS-WC message in the JSON form (BBC dvbcss-protocols)
// re-encodes to text that decodes to the same message (receive and transmit times within the
// rounding of a double), the originate pair survives verbatim, and decoding never throws or
// accepts something the binary form could not carry.
#include <dvbcss/error.hpp>
#include <dvbcss/wc/json_message.hpp>
#include <dvbcss/wc/message.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

// The largest difference double rounding allows between a time and its re-read value, ns: half a
// unit in the last place of the seconds value (at most t * 2^-53), plus the rounding to whole ns.
bool close_enough(std::int64_t a, std::int64_t b) {
    const std::int64_t diff = a > b ? a - b : b - a;
    return diff <= (a >> 52) + 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dvbcss::wc;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto first = decode_json(text);
    const auto bytes = bytes_from_json(text);
    if (static_cast<bool>(first) != static_cast<bool>(bytes)) {
        std::abort();
    }
    if (!first) {
        if (first.error().category() != dvbcss::error_category()) {
            std::abort();
        }
        return 0;
    }
    if (first->receive_ns < 0 || first->receive_ns > max_wire_ns || first->transmit_ns < 0 ||
        first->transmit_ns > max_wire_ns) {
        std::abort();
    }
    // The 32-byte form carries the same message.
    const auto from_bytes = decode(*bytes);
    if (!from_bytes || !(*from_bytes == *first)) {
        std::abort();
    }
    const auto encoded = encode_json(*first);
    const auto second = decode_json(encoded);
    if (!second) {
        std::abort();
    }
    if (second->type != first->type || second->precision != first->precision ||
        second->max_freq_error != first->max_freq_error || second->originate != first->originate ||
        !close_enough(first->receive_ns, second->receive_ns) ||
        !close_enough(first->transmit_ns, second->transmit_ns)) {
        std::abort();
    }
    // The JSON of the 32-byte form is the same text.
    const auto via_bytes = json_from_bytes(*bytes);
    if (!via_bytes || *via_bytes != encoded) {
        std::abort();
    }
    return 0;
}
