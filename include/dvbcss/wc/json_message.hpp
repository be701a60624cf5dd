#pragma once

/// CSS-WC messages in the JSON form that browser companions send in WebSocket text frames: the
/// form of the BBC's `dvbcss-protocols` (its JsonSerialiser), which ETSI TS 103 286-2 does not
/// define. The binary form of §8 is in `wc/message.hpp`; this is the same message spelt as
///
///     {"v":0,"t":1,"p":0.0009765625,"mfe":50,"otvs":12,"otvn":345,"rt":1234.000056789,
///      "tt":1234.000060000}
///
/// | key    | meaning                                    | unit / JSON type               |
/// |--------|--------------------------------------------|--------------------------------|
/// | `v`    | version, must be 0                         | integer                        |
/// | `t`    | type 0..3 (request, response, response     | integer                        |
/// |        | with follow-up, follow-up)                 |                                |
/// | `p`    | precision (the server's dispersion)        | seconds, number (not log2)     |
/// | `mfe`  | maximum frequency error                    | ppm, number                    |
/// | `otvs` | originate (t1), seconds part, verbatim     | integer 0..2^32-1              |
/// | `otvn` | originate (t1), nanoseconds part, verbatim | integer 0..2^32-1              |
/// | `rt`   | receive time t2                            | seconds, number                |
/// | `tt`   | transmit time t3                           | seconds, number                |
///
/// API summary
/// - `decode_json(text)`      -> `result<message>`; strict (see below). Never throws.
/// - `bytes_from_json(text)`  -> `result<message_bytes>`: the same message as the 32-byte form,
///                               so that the sans-I/O server and client cores take it unchanged.
/// - `encode_json(m)`         -> the JSON text; `encode_json_head(m)` + `append_seconds(tt)` +
///                               "}" gives the same text with t3 read as late as possible.
/// - `json_from_bytes(bytes)` -> `result<std::string>`: a 32-byte message (e.g. a server
///                               `wc::reply`) as JSON text.
/// - `append_seconds(out, ns)`  nanoseconds as exact decimal seconds ("1234.000056789"), with no
///                               floating point.
///
/// Exactness. On encoding, `rt` and `tt` are written from integer nanoseconds as decimal text with
/// nine fraction digits, so no precision is lost on the wire; `p` (a power of two) and `mfe`
/// (a multiple of 1/256 ppm) are exact in a double and written in the shortest form that reads
/// back the same. On decoding, `rt`, `tt`, `p` and `mfe` are JSON numbers read as doubles (what
/// the format carries: JavaScript has no other number type), and `rt`/`tt` are rounded to the
/// nearest nanosecond. The double's rounding is at most half a unit in its last place, 2^-53 of
/// the value: a time below 2^23 s (97 days: wall clocks on CLOCK_MONOTONIC, as ours) reads back
/// exactly, one below 2^24 s to within 1 ns, one of 1.7*10^9 s (Unix-epoch wall clocks) to within
/// 0.12 µs. Times from 2^32 - 1 s up to 2^32 s read as `max_wire_ns` (the text of `max_wire_ns`
/// itself reads as the double 2^32). `otvs`/`otvn` are integers and always exact.
///
/// Validation (strict). The text is checked for size, then parsed, then the keys are checked in
/// the order v, t, otvs, otvn, p, mfe, rt, tt, and the first problem found is returned:
/// - errc::message_too_large: text longer than `max_json_message_size`.
/// - errc::bad_json: not well-formed JSON, or nested deeper than limits::max_json_depth.
/// - errc::bad_field_type: the top level is not an object, or a known key has the wrong JSON
///   type (a string, null, a fraction where an integer is required ...).
/// - errc::missing_field: `v`, `t`, `otvs` or `otvn` is absent, or (in a response, t 1..3) `p`,
///   `mfe`, `rt` or `tt`. A request (t 0) may omit those four: they mean nothing in a request and
///   read as 0.
/// - errc::bad_version: `v` is a number other than 0.
/// - errc::bad_message_type: `t` is above 3.
/// - errc::bad_field_value: a negative `t`, `otvs`, `otvn`, `p`, `mfe`, `rt` or `tt`.
/// - errc::value_out_of_range: a number beyond the range of a double (1e400), `otvs`/`otvn`
///   above 2^32-1, `rt`/`tt` above 2^32 s, `p` above 2^127 s, `mfe` above (2^32-1)/256
///   ppm.
/// Unknown keys are ignored (whatever they hold, as long as the text is bounded JSON).
///
/// Thread safety: free functions on values; safe from any thread.

#include <dvbcss/error.hpp>
#include <dvbcss/wc/message.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dvbcss::wc {

/// Largest JSON text accepted as a CSS-WC message, bytes. A complete message with every number
/// at its longest is under 200 bytes; the rest leaves room for unknown keys a client may add.
inline constexpr std::size_t max_json_message_size = 4096;

/// Decodes one JSON message (see the validation rules above). Never throws.
[[nodiscard]] result<message> decode_json(std::string_view text) noexcept;

/// Decodes one JSON message into the 32-byte form: `encode(*decode_json(text))`. Never throws.
[[nodiscard]] result<message_bytes> bytes_from_json(std::string_view text) noexcept;

/// The JSON text of `m`, keys in the order v, t, p, mfe, otvs, otvn, rt, tt. `rt`/`tt` are
/// clamped to [0, max_wire_ns] as in the binary form. Throws only std::bad_alloc.
[[nodiscard]] std::string encode_json(const message& m);

/// The JSON text of `m` up to and including `"tt":`. Appending `append_seconds(out, t3)` and "}"
/// completes it, so a transport can read the transmit time after all other work is done.
[[nodiscard]] std::string encode_json_head(const message& m);

/// The JSON text of the 32-byte message `bytes` (e.g. a `wc::reply`'s, after `stamp_transmit`):
/// `encode_json(*decode(bytes))`, or decode's error (wrong_length, bad_version,
/// bad_message_type).
[[nodiscard]] result<std::string> json_from_bytes(std::span<const std::byte> bytes);

/// Appends `ns` (clamped to [0, max_wire_ns]) as decimal seconds with exactly nine fraction
/// digits, e.g. 1234000056789 -> "1234.000056789", 0 -> "0.000000000". Integer arithmetic only.
void append_seconds(std::string& out, std::int64_t ns);

} // namespace dvbcss::wc
