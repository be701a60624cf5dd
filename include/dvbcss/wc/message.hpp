#pragma once

/// CSS-WC wire format (ETSI TS 103 286-2 §8): the 32-byte big-endian UDP message and its codec.
///
/// API summary
/// - `message_type`            request (0), response (1), response_with_followup (2), followup (3).
/// - `raw_timestamp`           a (seconds, nanoseconds) pair kept verbatim, for the originate
/// field.
/// - `message`                 one decoded message; receive/transmit as int64 nanoseconds.
/// - `encode(m)`               -> `message_bytes` (std::array<std::byte, 32>); `encode_into(m,
/// out)`.
/// - `decode(bytes)`           -> `result<message>`; errc::wrong_length, errc::bad_version,
///                                errc::bad_message_type (checked in that order). Never throws.
/// - `encode_precision(s)` / `encode_precision_ns(ns)` / `decode_precision(p)`   log2 seconds.
/// - `encode_max_freq_error(ppm)` / `decode_max_freq_error(v)`                  1/256 ppm units.
/// - `write_timestamp(bytes, offset, ns)` and the field offsets, for stamping a transmit time
///   into an already encoded message just before it is sent.
///
/// Layout: version u8 (0) | type u8 | precision s8 | reserved u8 (0, ignored on decode) |
/// max_freq_error u32 | originate s,ns | receive s,ns | transmit s,ns (u32 each).

#include <dvbcss/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dvbcss::wc {

/// Size of every CSS-WC message, bytes.
inline constexpr std::size_t message_size = 32;

/// Byte offsets of the fields inside an encoded message.
inline constexpr std::size_t version_offset = 0;
inline constexpr std::size_t type_offset = 1;
inline constexpr std::size_t precision_offset = 2;
inline constexpr std::size_t max_freq_error_offset = 4;
inline constexpr std::size_t originate_offset = 8;
inline constexpr std::size_t receive_offset = 16;
inline constexpr std::size_t transmit_offset = 24;

/// Largest instant a (u32 seconds, nanoseconds < 1e9) pair can carry, nanoseconds
/// (0xFFFFFFFF.999999999 s, early 2106 if the epoch were 1970).
inline constexpr std::int64_t max_wire_ns = 4'294'967'295LL * 1'000'000'000LL + 999'999'999LL;

/// The kind of a CSS-WC message (wire byte 1).
enum class message_type : std::uint8_t {
    request = 0,  ///< Client -> server.
    response = 1, ///< Server -> client; no follow-up will come.
    response_with_followup =
        2,        ///< Server -> client; a follow-up with a better transmit time comes.
    followup = 3, ///< Server -> client; carries the true transmit time of the type-2.
};

/// True for types 1, 2 and 3.
[[nodiscard]] constexpr bool is_response(message_type t) noexcept {
    return t == message_type::response || t == message_type::response_with_followup ||
           t == message_type::followup;
}

/// A wire time value as the two u32 fields it was sent as. Models the originate field, which a
/// server must echo bit for bit even when `nanoseconds` is not normalised (>= 1e9).
///
/// Thread safety: a value type.
struct raw_timestamp {
    std::uint32_t seconds = 0;
    std::uint32_t nanoseconds = 0; ///< Normally < 1e9, but any value is kept verbatim.

    /// Normalised split of `ns` (clamped to [0, max_wire_ns]).
    [[nodiscard]] static raw_timestamp from_ns(std::int64_t ns) noexcept;

    /// seconds * 1e9 + nanoseconds (a non-normalised nanoseconds field is folded in). Always
    /// representable: at most 4294967295 * 1e9 + 4294967295 < 2^63.
    [[nodiscard]] std::int64_t to_ns() const noexcept;

    /// True when nanoseconds < 1e9.
    [[nodiscard]] bool is_normalised() const noexcept { return nanoseconds < 1'000'000'000U; }

    friend bool operator==(const raw_timestamp&, const raw_timestamp&) = default;
};

/// One decoded CSS-WC message.
///
/// Units: `precision` is log2 of seconds (e.g. -10 ~ 1 ms); `max_freq_error` is in 1/256 ppm;
/// `receive_ns`/`transmit_ns` are nanoseconds on the server's wall clock (in a request they mean
/// nothing and are sent as 0). `originate` is the client's own send time, echoed verbatim.
///
/// Decoding folds a non-normalised receive/transmit nanoseconds field into the total and clamps it
/// to `max_wire_ns`; encoding clamps to [0, max_wire_ns] and normalises. Hence
/// decode(encode(decode(b))) == decode(b) for every 32-byte `b` that decodes.
///
/// Thread safety: a value type.
struct message {
    message_type type = message_type::request;
    std::int8_t precision = 0;        ///< log2(seconds) of the server's dispersion.
    std::uint32_t max_freq_error = 0; ///< Server oscillator's maximum frequency error, ppm * 256.
    raw_timestamp originate{};        ///< Client send time (t1), echoed verbatim by the server.
    std::int64_t receive_ns = 0;      ///< Server receive time (t2), wall clock ns, >= 0.
    std::int64_t transmit_ns = 0;     ///< Server transmit time (t3), wall clock ns, >= 0.

    /// Precision as seconds (2^precision).
    [[nodiscard]] double precision_seconds() const noexcept;

    /// Maximum frequency error in ppm (max_freq_error / 256).
    [[nodiscard]] double max_freq_error_ppm() const noexcept;

    friend bool operator==(const message&, const message&) = default;
};

/// The 32 bytes of one encoded message.
using message_bytes = std::array<std::byte, message_size>;

/// Encodes `m`. The reserved byte is 0. Never fails (out-of-range times are clamped).
[[nodiscard]] message_bytes encode(const message& m) noexcept;

/// Encodes `m` into `out`.
void encode_into(const message& m, std::span<std::byte, message_size> out) noexcept;

/// Decodes one datagram. Errors, checked in this order: errc::wrong_length (size != 32),
/// errc::bad_version (byte 0 != 0), errc::bad_message_type (byte 1 > 3). The reserved byte is
/// ignored. Never throws.
[[nodiscard]] result<message> decode(std::span<const std::byte> bytes) noexcept;

/// Writes `ns` (clamped to [0, max_wire_ns], normalised) as a (u32 s, u32 ns) pair at byte
/// `offset` of `bytes` (offset + 8 <= 32).
void write_timestamp(std::span<std::byte, message_size> bytes, std::size_t offset,
                     std::int64_t ns) noexcept;

/// Writes `type` into byte 1 of an encoded message.
void write_type(std::span<std::byte, message_size> bytes, message_type type) noexcept;

/// Precision field for a dispersion of `seconds`: ceil(log2(seconds)), clamped to -128..127.
/// 0, negative or NaN -> -128 (the best the field can say); +infinity -> 127.
[[nodiscard]] std::int8_t encode_precision(double seconds) noexcept;

/// As `encode_precision`, for a dispersion in nanoseconds.
[[nodiscard]] std::int8_t encode_precision_ns(double nanoseconds) noexcept;

/// Seconds meant by a precision field: 2^p.
[[nodiscard]] double decode_precision(std::int8_t p) noexcept;

/// Max-frequency-error field for `ppm`: ceil(ppm * 256), clamped to 0..2^32-1 (negative or NaN
/// -> 0; +infinity -> 2^32-1).
[[nodiscard]] std::uint32_t encode_max_freq_error(double ppm) noexcept;

/// ppm meant by a max-frequency-error field: v / 256.
[[nodiscard]] double decode_max_freq_error(std::uint32_t v) noexcept;

} // namespace dvbcss::wc
