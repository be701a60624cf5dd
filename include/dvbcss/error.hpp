#pragma once

/// Error vocabulary of the library: one error enum, a few conditions that classify it, and
/// `result<T>` for functions that can fail on untrusted input.
///
/// Hostile input from the network is never an exception: codecs and protocol logic return
/// `result<T>` (or an error code) and the transport maps the error's condition to the protocol's
/// defined answer (ignore, error reply, close with a code) and writes one log line.
/// Programming errors (a negative tick rate, a cycle in the clock tree) throw std::invalid_argument
/// or std::logic_error instead.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <system_error>
#include <type_traits>

namespace dvbcss {

/// A value or the error that prevented it.
template <class T>
using result = boost::system::result<T, boost::system::error_code>;

using error_code = boost::system::error_code;

/// Every error the library reports. Each has a one-sentence message (see `make_error_code`).
enum class errc {
    ok = 0,
    // Malformed or unacceptable messages: ignore them or answer with an error.
    wrong_length = 1,    ///< A binary message is not the length the protocol defines.
    bad_version,         ///< A protocol version field has a value we do not speak.
    bad_message_type,    ///< A message type field has an undefined value.
    not_a_request,       ///< A server received something other than a request.
    not_a_response,      ///< A client received something other than a response.
    bad_json,            ///< Text is not well-formed JSON, or nests too deeply.
    bad_field_type,      ///< A JSON property has the wrong type.
    bad_field_value,     ///< A JSON property has a value outside its allowed set.
    missing_field,       ///< A required JSON property is absent.
    value_out_of_range,  ///< A number does not fit the field it goes into.
    unexpected_response, ///< A response matches no outstanding request.
    // Protocol violations: close the connection with a code.
    binary_frame,       ///< A binary WebSocket frame where only text is allowed.
    unexpected_message, ///< A message arrived that the protocol state does not allow.
    // Limits: refuse or close.
    message_too_large,    ///< A message exceeds the configured size limit.
    too_many_connections, ///< An endpoint is at its connection limit.
    outbox_overflow,      ///< A peer does not read fast enough; its bounded outbox is full.
    endpoint_disabled,    ///< The endpoint is not accepting connections.
    // Clock model.
    no_common_clock,   ///< Two clocks share no root, so no conversion between them exists.
    clock_unavailable, ///< A clock (or an ancestor) is marked unavailable.
    clock_frozen,      ///< A clock at speed 0 holds no parent time for this tick value.
    timeout,           ///< No answer arrived within the allowed time.
    // Markup.
    bad_xml, ///< Text is not well-formed XML, has a DOCTYPE, or nests too deeply.
};

/// Classes of failure, so callers test a class instead of listing codes.
enum class condition {
    bad_message = 1,    ///< Ignore the input, or answer with an error.
    protocol_violation, ///< Close the connection with a code.
    limit_exceeded,     ///< Refuse or close: a defensive limit was hit.
};

const boost::system::error_category& error_category() noexcept;
const boost::system::error_category& condition_category() noexcept;

boost::system::error_code make_error_code(errc e) noexcept;
boost::system::error_condition make_error_condition(condition c) noexcept;

} // namespace dvbcss

template <>
struct boost::system::is_error_code_enum<dvbcss::errc> : std::true_type {};

template <>
struct boost::system::is_error_condition_enum<dvbcss::condition> : std::true_type {};
