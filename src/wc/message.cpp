#include <dvbcss/wc/message.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dvbcss::wc {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

std::uint32_t read_u32(std::span<const std::byte> b, std::size_t at) noexcept {
    return (std::to_integer<std::uint32_t>(b[at]) << 24U) |
           (std::to_integer<std::uint32_t>(b[at + 1]) << 16U) |
           (std::to_integer<std::uint32_t>(b[at + 2]) << 8U) |
           std::to_integer<std::uint32_t>(b[at + 3]);
}

void write_u32(std::span<std::byte, message_size> b, std::size_t at, std::uint32_t v) noexcept {
    b[at] = static_cast<std::byte>((v >> 24U) & 0xFFU);
    b[at + 1] = static_cast<std::byte>((v >> 16U) & 0xFFU);
    b[at + 2] = static_cast<std::byte>((v >> 8U) & 0xFFU);
    b[at + 3] = static_cast<std::byte>(v & 0xFFU);
}

// Receive/transmit: fold a non-normalised nanoseconds field in, then clamp so that re-encoding
// is lossless.
std::int64_t read_time_ns(std::span<const std::byte> b, std::size_t at) noexcept {
    const raw_timestamp raw{read_u32(b, at), read_u32(b, at + 4)};
    return std::min(raw.to_ns(), max_wire_ns);
}

} // namespace

raw_timestamp raw_timestamp::from_ns(std::int64_t ns) noexcept {
    const auto v = std::clamp<std::int64_t>(ns, 0, max_wire_ns);
    return raw_timestamp{static_cast<std::uint32_t>(v / ns_per_s),
                         static_cast<std::uint32_t>(v % ns_per_s)};
}

std::int64_t raw_timestamp::to_ns() const noexcept {
    return static_cast<std::int64_t>(seconds) * ns_per_s + static_cast<std::int64_t>(nanoseconds);
}

double message::precision_seconds() const noexcept {
    return decode_precision(precision);
}

double message::max_freq_error_ppm() const noexcept {
    return decode_max_freq_error(max_freq_error);
}

void write_timestamp(std::span<std::byte, message_size> bytes, std::size_t offset,
                     std::int64_t ns) noexcept {
    const auto raw = raw_timestamp::from_ns(ns);
    write_u32(bytes, offset, raw.seconds);
    write_u32(bytes, offset + 4, raw.nanoseconds);
}

void write_type(std::span<std::byte, message_size> bytes, message_type type) noexcept {
    bytes[type_offset] = static_cast<std::byte>(type);
}

void encode_into(const message& m, std::span<std::byte, message_size> out) noexcept {
    out[version_offset] = std::byte{0};
    out[type_offset] = static_cast<std::byte>(m.type);
    out[precision_offset] = static_cast<std::byte>(static_cast<std::uint8_t>(m.precision));
    out[precision_offset + 1] = std::byte{0}; // reserved
    write_u32(out, max_freq_error_offset, m.max_freq_error);
    write_u32(out, originate_offset, m.originate.seconds);
    write_u32(out, originate_offset + 4, m.originate.nanoseconds);
    write_timestamp(out, receive_offset, m.receive_ns);
    write_timestamp(out, transmit_offset, m.transmit_ns);
}

message_bytes encode(const message& m) noexcept {
    message_bytes out{};
    encode_into(m, out);
    return out;
}

result<message> decode(std::span<const std::byte> bytes) noexcept {
    if (bytes.size() != message_size) {
        return make_error_code(errc::wrong_length);
    }
    if (bytes[version_offset] != std::byte{0}) {
        return make_error_code(errc::bad_version);
    }
    const auto type = std::to_integer<std::uint8_t>(bytes[type_offset]);
    if (type > static_cast<std::uint8_t>(message_type::followup)) {
        return make_error_code(errc::bad_message_type);
    }
    message m;
    m.type = static_cast<message_type>(type);
    m.precision = static_cast<std::int8_t>(std::to_integer<std::uint8_t>(bytes[precision_offset]));
    m.max_freq_error = read_u32(bytes, max_freq_error_offset);
    m.originate =
        raw_timestamp{read_u32(bytes, originate_offset), read_u32(bytes, originate_offset + 4)};
    m.receive_ns = read_time_ns(bytes, receive_offset);
    m.transmit_ns = read_time_ns(bytes, transmit_offset);
    return m;
}

std::int8_t encode_precision(double seconds) noexcept {
    if (!(seconds > 0)) { // zero, negative or NaN
        return std::numeric_limits<std::int8_t>::min();
    }
    if (std::isinf(seconds)) {
        return std::numeric_limits<std::int8_t>::max();
    }
    // seconds = m * 2^e with m in [0.5, 1): ceil(log2(seconds)) is e, or e - 1 when m is exactly
    // 0.5 (a power of two). Exact, unlike ceil(log2(x)) near powers of two.
    int e = 0;
    const double m = std::frexp(seconds, &e);
    const int p = (m == 0.5) ? e - 1 : e;
    return static_cast<std::int8_t>(std::clamp(p, -128, 127));
}

std::int8_t encode_precision_ns(double nanoseconds) noexcept {
    return encode_precision(nanoseconds / 1e9);
}

double decode_precision(std::int8_t p) noexcept {
    return std::ldexp(1.0, p);
}

std::uint32_t encode_max_freq_error(double ppm) noexcept {
    if (!(ppm > 0)) {
        return 0;
    }
    const double v = std::ceil(ppm * 256.0);
    constexpr double max = std::numeric_limits<std::uint32_t>::max();
    if (v >= max) {
        return std::numeric_limits<std::uint32_t>::max();
    }
    return static_cast<std::uint32_t>(v);
}

double decode_max_freq_error(std::uint32_t v) noexcept {
    return static_cast<double>(v) / 256.0;
}

} // namespace dvbcss::wc
