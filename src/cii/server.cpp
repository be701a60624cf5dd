#include <dvbcss/cii/server.hpp>

#include <functional>
#include <memory>
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

/// What a connection has been told: `last_sent`, or the empty message before anything was sent.
const message& told(const std::shared_ptr<const message>& last_sent) {
    static const message nothing{};
    return last_sent ? *last_sent : nothing;
}

/// Whether two connections have been told the same (the same shared copy, or equal ones).
bool same_told(const std::shared_ptr<const message>& a, const std::shared_ptr<const message>& b) {
    return a == b || told(a) == told(b);
}

} // namespace

message server::checked_cii(message cii) {
    if (auto ec = validate(cii))
        throw std::invalid_argument("cii::server: invalid CII: " + ec.message());
    if (cii.protocol_version.is_absent())
        cii.protocol_version = std::string(protocol_version_1_1);
    return cii;
}

server::server(server_config config)
    : config_(std::move(config))
    , cii_(checked_cii(config_.initial_cii)) {}

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
    // Private data: the templates inside its string values (e.g. a URL for browsers). The host
    // and port need no JSON escaping; the text is parsed again so that it stays canonical.
    if (contains(config_.rewrite_host_port, property::private_data) && m.private_data.has_value()) {
        std::string text = m.private_data.value().text();
        if (text.find("{{") != std::string::npos) {
            replace_all(text, "{{host}}", c.host);
            replace_all(text, "{{port}}", c.port);
            if (auto rewritten = json::private_data::parse(text)) {
                m.private_data = std::move(*rewritten);
            }
        }
    }
    return m;
}

void server::on_open(connection_id conn, const connection_origin& origin) {
    connection c;
    const std::string_view local_host = origin.local_host;
    // An IPv6 literal must be bracketed inside a URL authority, and a zone id's '%' written as
    // "%25" (RFC 6874): "fe80::1%eth0" becomes "[fe80::1%25eth0]".
    const bool ipv6 = local_host.find(':') != std::string_view::npos && !local_host.empty() &&
                      local_host.front() != '[';
    c.host = std::string(local_host);
    if (ipv6) {
        replace_all(c.host, "%", "%25");
        c.host = "[" + c.host + "]";
    }
    c.port = std::to_string(origin.local_port);
    c.owes_full = true;
    const auto [it, inserted] = connections_.emplace(conn, std::move(c));
    if (!inserted)
        throw std::logic_error("cii::server::on_open: connection already open");
    mark_dirty(conn, it->second);
}

error_code server::on_text(connection_id /*conn*/, std::string_view /*text*/) {
    ++ignored_;
    return make_error_code(errc::unexpected_message);
}

void server::on_close(connection_id conn) {
    connections_.erase(conn);
}

void server::mark_dirty(connection_id id, connection& c) {
    c.dirty = true;
    if (!c.queued) {
        c.queued = true;
        dirty_queue_.push_back(id);
    }
}

void server::mark_all_dirty() {
    for (auto& [id, c] : connections_)
        mark_dirty(id, c);
}

std::vector<connection_id> server::take_dirty() {
    std::vector<connection_id> ids;
    ids.reserve(dirty_queue_.size());
    for (const auto id : dirty_queue_) {
        // A connection closed (and perhaps reopened) since it was queued is listed only if it is
        // queued now.
        const auto it = connections_.find(id);
        if (it != connections_.end() && it->second.queued) {
            it->second.queued = false;
            ids.push_back(id);
        }
    }
    dirty_queue_.clear();
    return ids;
}

bool server::set_cii(message cii) {
    cii = checked_cii(std::move(cii));
    if (cii == cii_)
        return false;
    cii_ = std::move(cii);
    shared_.clear();
    mark_all_dirty();
    return true;
}

bool server::update(const message& changes) {
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
    auto text = take_pending_shared(conn);
    if (!text)
        return std::nullopt;
    return *text;
}

shared_text server::take_pending_shared(connection_id conn) {
    const auto it = connections_.find(conn);
    if (it == connections_.end() || !it->second.dirty)
        return nullptr;
    auto& c = it->second;
    c.dirty = false;
    std::string rewrite = config_.rewrite_host_port.none() ? std::string() : c.host + " " + c.port;
    for (const auto& m : shared_) {
        if (m.full == c.owes_full && m.rewrite == rewrite &&
            (m.full || same_told(m.before, c.last_sent))) {
            c.owes_full = false;
            c.last_sent = m.after;
            return m.text;
        }
    }
    shared_message m{c.owes_full, std::move(rewrite), c.owes_full ? nullptr : c.last_sent, {}, {}};
    auto text = compute_pending(c);
    if (text)
        m.text = std::make_shared<const std::string>(std::move(*text));
    if (shared_.size() < max_shared_messages) {
        m.after = c.last_sent;
        shared_.push_back(std::move(m));
        return shared_.back().text;
    }
    return m.text;
}

std::optional<std::string> server::compute_pending(connection& c) {
    const message current = customise(c);
    if (c.owes_full) {
        c.owes_full = false;
        c.last_sent = std::make_shared<const message>(current);
        ++encoded_;
        return encode(current);
    }
    message changes = diff(told(c.last_sent), current);
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
    message next = told(c.last_sent);
    cii::update(next, changes);
    c.last_sent = std::make_shared<const message>(std::move(next));
    ++encoded_;
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
    c.owes_full = false;
    // Properties the companion holds a value for but which are now absent: tell it they are gone.
    for (const auto p : all_properties) {
        if (property_state(full, p) == json::field_state::absent_key &&
            property_state(told(c.last_sent), p) == json::field_state::value)
            set_property_null(full, p);
    }
    message next = told(c.last_sent);
    cii::update(next, full);
    c.last_sent = std::make_shared<const message>(std::move(next));
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
