#pragma once

/// The two XML documents a DIAL client reads from a TV: the UPnP device description at the
/// SSDP LOCATION (UPnP DA 1.1 §2.3, DIAL 2.x §5.4), and the DIAL application description of the
/// "HbbTV" application, whose additionalData names the HbbTV companion screen URLs (HbbTV 2
/// §14.7.2). Generation and parsing only: no sockets.
///
/// Parsing matches elements by local name, so a document with the expected namespaces, with
/// other prefixes, or with no namespace at all is read the same way (real TVs differ). Text is
/// trimmed, and control characters in it (tab, CR, LF and the rest of C0, and DEL) read as spaces,
/// so what a TV names is safe to print on one line.
///
/// Thread safety: pure functions.

#include <dvbcss/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::dial {

/// Device types accepted and produced. Real TVs use either.
inline constexpr std::string_view dial_device_type = "urn:dial-multiscreen-org:device:dial:1";
inline constexpr std::string_view tv_device_type = "urn:schemas-upnp-org:device:tvdevice:1";

/// The namespace of the HbbTV elements inside additionalData.
inline constexpr std::string_view hbbtv_companion_namespace = "urn:hbbtv:HbbTVCompanionScreen:2014";

/// Limits on the XML accepted from the network.
struct xml_limits {
    /// Largest document accepted (bytes). Real descriptions are under 4 KiB.
    std::size_t max_bytes = 64 * 1024;
    /// Deepest element nesting accepted. Real documents nest under 6 levels.
    int max_depth = 16;
};

/// What a companion needs from a UPnP device description.
///
/// Thread safety: a value type.
struct device_description {
    std::string device_type = std::string(dial_device_type); ///< deviceType.
    std::string friendly_name;                               ///< friendlyName.
    std::string udn;          ///< UDN, "uuid:" followed by the device's UUID.
    std::string manufacturer; ///< manufacturer (empty: omitted when formatting).
    std::string model_name;   ///< modelName (empty: omitted when formatting).
};

/// The DIAL application description of the HbbTV application (DIAL 2.x §6.1.2 with HbbTV 2
/// §14.7.2's additionalData).
///
/// Thread safety: a value type.
struct hbbtv_application {
    std::string name = "HbbTV";    ///< name.
    std::string state = "running"; ///< state: "running", "stopped" or "installable=...".
    /// X_HbbTV_App2AppURL, X_HbbTV_InterDevSyncURL (the CSS-CII WebSocket URL),
    /// X_HbbTV_UserAgent: absent when the document has no such element (or it is empty).
    std::optional<std::string> app2app_url;
    std::optional<std::string> inter_dev_sync_url;
    std::optional<std::string> user_agent;
};

/// A UPnP device description document (root/device with specVersion 1.0), UTF-8, escaped.
[[nodiscard]] std::string format_device_description(const device_description& description);

/// Reads the first device element's deviceType, friendlyName, UDN, manufacturer and modelName.
/// Errors: `message_too_large` (over `max_bytes`), `bad_xml` (not well-formed, a DOCTYPE, or
/// deeper than `max_depth`), `missing_field` (no device element, or no UDN). Entity
/// declarations are never expanded (no DTD processing), so entity-expansion bombs cannot grow.
[[nodiscard]] result<device_description> parse_device_description(std::string_view xml,
                                                                  const xml_limits& limits = {});

/// A DIAL service (application) description with the HbbTV elements in
/// `hbbtv_companion_namespace` (prefix "hbbtv") inside additionalData; absent URLs are omitted.
[[nodiscard]] std::string format_hbbtv_application(const hbbtv_application& application);

/// Reads name, state and the three HbbTV elements (by local name, any prefix or none).
/// Errors: as `parse_device_description`; `missing_field` when there is no service element or
/// no name.
[[nodiscard]] result<hbbtv_application> parse_hbbtv_application(std::string_view xml,
                                                                const xml_limits& limits = {});

} // namespace dvbcss::dial
