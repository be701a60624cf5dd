#include "dial/ascii.hpp"

#include <dvbcss/dial/description.hpp>

#include <cstring>

#include <pugixml.hpp>

namespace dvbcss::dial {
namespace {

constexpr const char* upnp_device_namespace = "urn:schemas-upnp-org:device-1-0";
constexpr const char* dial_service_namespace = "urn:dial-multiscreen-org:schemas:dial";

// pugixml's output collected into a string.
class string_writer final : public pugi::xml_writer {
public:
    void write(const void* data, std::size_t size) override {
        out.append(static_cast<const char*>(data), size);
    }

    std::string out;
};

std::string save(const pugi::xml_document& doc) {
    string_writer writer;
    doc.save(writer, "  ", pugi::format_default, pugi::encoding_utf8);
    return std::move(writer.out);
}

pugi::xml_node begin_document(pugi::xml_document& doc, const char* root_name) {
    auto declaration = doc.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    return doc.append_child(root_name);
}

void add_text(pugi::xml_node parent, const char* name, const std::string& value) {
    parent.append_child(name).text().set(value.c_str());
}

// The part of a qualified name after its prefix.
std::string_view local_name(const pugi::xml_node& node) {
    const std::string_view name = node.name();
    const auto colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Next node in document order below `top` (pre-order), tracking the depth; null at the end.
pugi::xml_node next_in_order(pugi::xml_node node, const pugi::xml_node& top, int& depth) {
    if (auto child = node.first_child()) {
        ++depth;
        return child;
    }
    while (node != top) {
        if (auto sibling = node.next_sibling()) {
            return sibling;
        }
        node = node.parent();
        --depth;
    }
    return {};
}

// The first element below `top` (not `top` itself) with the local name `name`, in document order.
pugi::xml_node find_descendant(const pugi::xml_node& top, std::string_view name) {
    int depth = 0;
    for (auto node = top.first_child(); node && node != top;
         node = next_in_order(node, top, depth)) {
        if (node.type() == pugi::node_element && local_name(node) == name) {
            return node;
        }
    }
    return {};
}

// The first child element of `parent` with the local name `name`.
pugi::xml_node find_child(const pugi::xml_node& parent, std::string_view name) {
    for (auto child = parent.first_child(); child; child = child.next_sibling()) {
        if (child.type() == pugi::node_element && local_name(child) == name) {
            return child;
        }
    }
    return {};
}

// An element's text, trimmed, with each control character (tab, CR and LF included) read as a
// space: a name or URL from a TV is then safe to print on one line, and reads back the same after
// formatting (pugixml writes CR raw, which a parser turns into LF).
std::string text_of(const pugi::xml_node& node) {
    if (!node) {
        return {};
    }
    std::string text(node.text().get());
    for (char& c : text) {
        if ((c >= 0 && c < 0x20) || c == 0x7f) {
            c = ' ';
        }
    }
    return std::string(detail::trim(text));
}

std::optional<std::string> optional_text(const pugi::xml_node& node) {
    auto text = text_of(node);
    if (text.empty()) {
        return std::nullopt;
    }
    return text;
}

// Parses with the limits: size, no NUL, well-formed, no DOCTYPE, one document element, depth.
error_code load(std::string_view xml, const xml_limits& limits, pugi::xml_document& doc) {
    if (xml.size() > limits.max_bytes) {
        return errc::message_too_large;
    }
    if (xml.find('\0') != std::string_view::npos) {
        return errc::bad_xml; // pugixml would stop reading there
    }
    // parse_doctype keeps the DOCTYPE as a node so it can be refused; its entity declarations
    // are never expanded (pugixml has no DTD processing). Unknown references stay as text.
    const unsigned options = pugi::parse_default | pugi::parse_doctype;
    const auto parsed = doc.load_buffer(xml.data(), xml.size(), options, pugi::encoding_utf8);
    if (!parsed) {
        return errc::bad_xml;
    }
    int elements_at_top = 0;
    int depth = 0;
    for (auto node = doc.first_child(); node; node = next_in_order(node, doc, depth)) {
        if (node.type() == pugi::node_doctype) {
            return errc::bad_xml;
        }
        if (node.type() == pugi::node_element) {
            if (depth + 1 > limits.max_depth) {
                return errc::bad_xml;
            }
            if (depth == 0) {
                ++elements_at_top;
            }
        }
    }
    if (elements_at_top != 1) {
        return errc::bad_xml;
    }
    return {};
}

} // namespace

std::string format_device_description(const device_description& description) {
    pugi::xml_document doc;
    auto root = begin_document(doc, "root");
    root.append_attribute("xmlns") = upnp_device_namespace;
    auto spec = root.append_child("specVersion");
    spec.append_child("major").text().set("1");
    spec.append_child("minor").text().set("0");
    auto device = root.append_child("device");
    add_text(device, "deviceType", description.device_type);
    add_text(device, "friendlyName", description.friendly_name);
    if (!description.manufacturer.empty()) {
        add_text(device, "manufacturer", description.manufacturer);
    }
    if (!description.model_name.empty()) {
        add_text(device, "modelName", description.model_name);
    }
    add_text(device, "UDN", description.udn);
    return save(doc);
}

result<device_description> parse_device_description(std::string_view xml,
                                                    const xml_limits& limits) {
    pugi::xml_document doc;
    if (const auto ec = load(xml, limits, doc)) {
        return ec;
    }
    const auto device = find_descendant(doc, "device");
    if (!device) {
        return error_code(errc::missing_field);
    }
    device_description out;
    out.udn = text_of(find_child(device, "UDN"));
    if (out.udn.empty()) {
        return error_code(errc::missing_field);
    }
    out.device_type = text_of(find_child(device, "deviceType"));
    out.friendly_name = text_of(find_child(device, "friendlyName"));
    out.manufacturer = text_of(find_child(device, "manufacturer"));
    out.model_name = text_of(find_child(device, "modelName"));
    return out;
}

std::string format_hbbtv_application(const hbbtv_application& application) {
    pugi::xml_document doc;
    auto service = begin_document(doc, "service");
    service.append_attribute("xmlns") = dial_service_namespace;
    service.append_attribute("xmlns:hbbtv") = std::string(hbbtv_companion_namespace).c_str();
    service.append_attribute("dialVer") = "2.1";
    add_text(service, "name", application.name);
    service.append_child("options").append_attribute("allowStop") = "false";
    add_text(service, "state", application.state);
    auto data = service.append_child("additionalData");
    if (application.app2app_url && !application.app2app_url->empty()) {
        add_text(data, "hbbtv:X_HbbTV_App2AppURL", *application.app2app_url);
    }
    if (application.inter_dev_sync_url && !application.inter_dev_sync_url->empty()) {
        add_text(data, "hbbtv:X_HbbTV_InterDevSyncURL", *application.inter_dev_sync_url);
    }
    if (application.user_agent && !application.user_agent->empty()) {
        add_text(data, "hbbtv:X_HbbTV_UserAgent", *application.user_agent);
    }
    return save(doc);
}

result<hbbtv_application> parse_hbbtv_application(std::string_view xml, const xml_limits& limits) {
    pugi::xml_document doc;
    if (const auto ec = load(xml, limits, doc)) {
        return ec;
    }
    const auto service = find_descendant(doc, "service");
    if (!service) {
        return error_code(errc::missing_field);
    }
    hbbtv_application out;
    out.name = text_of(find_child(service, "name"));
    if (out.name.empty()) {
        return error_code(errc::missing_field);
    }
    out.state = text_of(find_child(service, "state"));
    // The HbbTV elements belong in additionalData; some TVs put them elsewhere in the service.
    out.app2app_url = optional_text(find_descendant(service, "X_HbbTV_App2AppURL"));
    out.inter_dev_sync_url = optional_text(find_descendant(service, "X_HbbTV_InterDevSyncURL"));
    out.user_agent = optional_text(find_descendant(service, "X_HbbTV_UserAgent"));
    return out;
}

} // namespace dvbcss::dial
