#pragma once

/// SSDP (UPnP Device Architecture 1.1 §1) as DIAL 2.x uses it: the M-SEARCH a companion
/// multicasts, the unicast answer a TV sends, and the NOTIFY alive/byebye announcements. Parsing
/// and formatting only: no sockets, no clocks.

#include <dvbcss/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dvbcss::dial {

/// The DIAL service's search target (DIAL 2.x §5.1).
inline constexpr std::string_view dial_search_target = "urn:dial-multiscreen-org:service:dial:1";
/// The SSDP multicast group and port (IPv4).
inline constexpr std::string_view ssdp_multicast_address = "239.255.255.250";
inline constexpr std::uint16_t ssdp_port = 1900;

/// Limits on what `parse_ssdp` accepts.
struct ssdp_limits {
    /// Largest datagram accepted (bytes). Real SSDP messages are under 1 KiB; UPnP 1.1 asks
    /// senders to keep them within one Ethernet frame.
    std::size_t max_datagram_bytes = 8 * 1024;
    /// Most header lines accepted (a flood of tiny headers is refused, not stored).
    std::size_t max_headers = 32;
    /// Longest header value kept (bytes).
    std::size_t max_header_value_bytes = 1024;
};

/// Header fields in arrival order, names as sent, values with surrounding white space removed.
struct ssdp_headers {
    std::vector<std::pair<std::string, std::string>> fields;

    /// The first value of the field named `name`, compared case-insensitively.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
};

/// `M-SEARCH * HTTP/1.1` (UPnP DA 1.1 §1.3.2).
struct ssdp_search {
    std::string search_target; ///< ST, e.g. `dial_search_target` or "ssdp:all".
    /// MX in whole seconds, clamped to 1..5 when parsed (0 -> 1, 9 -> 5); 1 when absent (a
    /// unicast search carries none, and some multicast senders forget it).
    int mx_s = 1;
    std::string man;  ///< MAN as sent: "\"ssdp:discover\"" (the unquoted form is accepted too).
    std::string host; ///< HOST, e.g. "239.255.255.250:1900".
    std::string user_agent; ///< USER-AGENT, empty if absent.
    ssdp_headers headers;   ///< Every field as received (empty when formatting).
};

/// The unicast `HTTP/1.1 200 OK` answer to a search (UPnP DA 1.1 §1.3.3, DIAL 2.x §5.2).
struct ssdp_search_response {
    std::string location;      ///< LOCATION: URL of the device description.
    std::string search_target; ///< ST: the target this answer is for.
    std::string usn;      ///< USN, e.g. "uuid:<uuid>::urn:dial-multiscreen-org:service:dial:1".
    int max_age_s = 1800; ///< From CACHE-CONTROL "max-age=N"; 1800 if absent or bad.
    std::string server;   ///< SERVER, empty if absent.
    ssdp_headers headers; ///< Every field as received (empty when formatting).
};

/// `NOTIFY * HTTP/1.1` with NTS ssdp:alive or ssdp:byebye (UPnP DA 1.1 §1.2).
struct ssdp_notify {
    bool alive = true;             ///< NTS: ssdp:alive (true) or ssdp:byebye (false).
    std::string notification_type; ///< NT.
    std::string usn;               ///< USN.
    std::string location;          ///< LOCATION (alive only; empty for byebye).
    int max_age_s = 1800;          ///< CACHE-CONTROL max-age (alive only).
    std::string server;            ///< SERVER (alive only).
    ssdp_headers headers;          ///< Every field as received (empty when formatting).
};

/// Any SSDP datagram this library understands.
using ssdp_message = std::variant<ssdp_search, ssdp_search_response, ssdp_notify>;

/// Parses one datagram. Start line and header names are case-insensitive; lines end in CRLF or
/// a bare LF; header continuation lines are refused.
///
/// Errors (all class `condition::bad_message` except the first): `message_too_large` (over
/// `max_datagram_bytes`, more than `max_headers` fields, or a value over its limit);
/// `bad_message_type` (a start line that is none of the three forms, or a response status other
/// than 200); `missing_field` (MAN or ST for a search; LOCATION, ST or USN for a response; NT,
/// NTS or USN for a notify, and LOCATION for alive; an empty value counts as absent);
/// `bad_field_value` (a line without ':', a continuation line, MAN not "ssdp:discover", MX not
/// decimal digits, NTS neither ssdp:alive nor ssdp:byebye, a byte that is not printable ASCII or
/// white space in a name or value). Anything after the blank line ending the headers is ignored.
///
/// Thread safety: a pure function.
[[nodiscard]] result<ssdp_message> parse_ssdp(std::string_view datagram,
                                              const ssdp_limits& limits = {});

/// Formats a message, CRLF line ends and a blank line at the end. Values are sent as given;
/// CR or LF inside a value throws std::invalid_argument (a header injection is a programming
/// error). A search always carries HOST 239.255.255.250:1900 and MAN "ssdp:discover".
[[nodiscard]] std::string format_ssdp(const ssdp_search& message);
[[nodiscard]] std::string format_ssdp(const ssdp_search_response& message);
[[nodiscard]] std::string format_ssdp(const ssdp_notify& message);

/// True if a search for `search_target` should be answered by a service of type `service_type`
/// whose device has the UDN `udn` ("uuid:..."): "ssdp:all", "upnp:rootdevice", the UDN itself,
/// or the service type exactly (case-sensitive, as UPnP DA 1.1 §1.3.2 requires). The UUID
/// after "uuid:" compares case-insensitively (RFC 4122 §3); everything else exactly.
[[nodiscard]] bool search_target_matches(std::string_view search_target,
                                         std::string_view service_type, std::string_view udn);

} // namespace dvbcss::dial
