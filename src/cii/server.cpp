#include <dvbcss/cii/server.hpp>

#include <stdexcept>
#include <utility>

namespace dvbcss::cii {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
}

// The string-valued field holding p, or nullptr for properties that are not strings.
json::field<std::string>* string_field(message& m, property p) noexcept {
    switch (p) {
    case property::protocol_version:
        return &m.protocol_version;
    case property::mrs_url:
        return &m.mrs_url;
    case property::content_id:
        return &m.content_id;
    case property::wc_url:
        return &m.wc_url;
    case property::ts_url:
        return &m.ts_url;
    case property::te_url:
        return &m.te_url;
    default:
        return nullptr;
    }
}

message checked(message cii) {
    if (auto ec = validate(cii))
        throw std::invalid_argument("cii::server: invalid CII: " + ec.message());
    if (cii.protocol_version.is_absent())
        cii.protocol_version = std::string(protocol_version_1_1);
    return cii;
}

} // namespace

server::server(server_config config)
    : config_(std::move(config))
    , cii_(checked(config_.initial_cii)) {}

message server::customise(const connection& c) const {
    message m = cii_;
    for (const auto p : all_properties) {
        if (!contains(config_.rewrite_host_port, p))
            continue;
        auto* f = string_field(m, p);
        if (f == nullptr || !f->has_value()) // null or absent: nothing to rewrite (B16)
            continue;
        replace_all(f->value(), "{{host}}", c.host);
        replace_all(f->value(), "{{port}}", c.port);
    }
    return m;
}

std::string server::on_open(connection_id conn, std::string_view local_host,
                            std::uint16_t local_port) {
    connection c;
    // An IPv6 literal must be bracketed inside a URL authority.
    const bool ipv6 = local_host.find(':') != std::string_view::npos && !local_host.empty() &&
                      local_host.front() != '[';
    c.host = ipv6 ? "[" + std::string(local_host) + "]" : std::string(local_host);
    c.port = std::to_string(local_port);
    c.last_sent = customise(c);
    auto text = encode(c.last_sent);
    if (!connections_.emplace(conn, std::move(c)).second)
        throw std::logic_error("cii::server::on_open: connection already open");
    return text;
}

std::string server::on_text(connection_id conn, std::string_view text) const {
    constexpr std::size_t max_preview = 64;
    std::string line = "ignored unexpected message on CII connection " + std::to_string(conn) +
                       " (" + std::to_string(text.size()) + " bytes): ";
    for (std::size_t i = 0; i < text.size() && i < max_preview; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        line.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
    }
    if (text.size() > max_preview)
        line += "...";
    return line;
}

void server::on_close(connection_id conn) {
    connections_.erase(conn);
}

std::vector<connection_id> server::mark_all_dirty() {
    std::vector<connection_id> ids;
    ids.reserve(connections_.size());
    for (auto& [id, c] : connections_) {
        c.dirty = true;
        ids.push_back(id);
    }
    return ids;
}

std::vector<connection_id> server::set_cii(message cii) {
    cii = checked(std::move(cii));
    if (cii == cii_)
        return {};
    cii_ = std::move(cii);
    return mark_all_dirty();
}

std::vector<connection_id> server::update(const message& changes) {
    return set_cii(combine(cii_, changes));
}

std::optional<message> server::cii_for(connection_id conn) const {
    const auto it = connections_.find(conn);
    if (it == connections_.end())
        return std::nullopt;
    return customise(it->second);
}

bool server::is_dirty(connection_id conn) const {
    const auto it = connections_.find(conn);
    return it != connections_.end() && it->second.dirty;
}

std::optional<std::string> server::take_pending(connection_id conn) {
    const auto it = connections_.find(conn);
    if (it == connections_.end() || !it->second.dirty)
        return std::nullopt;
    auto& c = it->second;
    c.dirty = false;
    const message current = customise(c);
    message changes = diff(c.last_sent, current);
    if (changes.empty())
        return std::nullopt;
    // A contentId always travels with its status, so the companion never pairs a new id with a
    // stale status.
    if (changes.content_id.is_present()) {
        if (current.content_id_status.is_absent())
            changes.content_id_status = json::null;
        else
            changes.content_id_status = current.content_id_status;
    }
    cii::update(c.last_sent, changes);
    return encode(changes);
}

std::vector<outgoing> server::drain() {
    std::vector<outgoing> out;
    for (auto& [id, c] : connections_) {
        if (!c.dirty)
            continue;
        if (auto text = take_pending(id))
            out.push_back({id, std::move(*text)});
    }
    return out;
}

std::optional<std::string> server::take_full(connection_id conn) {
    const auto it = connections_.find(conn);
    if (it == connections_.end())
        return std::nullopt;
    auto& c = it->second;
    c.dirty = false;
    message full = customise(c);
    // Properties the companion holds a value for but which are now absent: tell it they are gone.
    for (const auto p : all_properties) {
        if (property_state(full, p) == json::field_state::absent_key &&
            property_state(c.last_sent, p) == json::field_state::value)
            set_property_null(full, p);
    }
    cii::update(c.last_sent, full);
    return encode(full);
}

std::vector<connection_id> server::connections() const {
    std::vector<connection_id> ids;
    ids.reserve(connections_.size());
    for (const auto& entry : connections_)
        ids.push_back(entry.first);
    return ids;
}

} // namespace dvbcss::cii
