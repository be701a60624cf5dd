#include <dvbcss/ts/server.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

namespace dvbcss::ts {

namespace {

constexpr double nanos_per_second_d = 1e9;

// Reference isControlTimestampChanged: unavailable after unavailable is no change, whatever the
// wall clock times; otherwise any field differing is a change.
bool changed(const std::optional<control_timestamp>& prev, const control_timestamp& latest) {
    if (!prev) {
        return true;
    }
    if (!prev->content_time && !latest.content_time) {
        return false;
    }
    return *prev != latest;
}

} // namespace

server::server(const clock::clock_base& wall_clock, std::optional<std::string> content_id)
    : wall_clock_(&wall_clock)
    , content_id_(std::move(content_id)) {}

server::~server() {
    // Detach newest first; each source hears that its needed selectors are no longer needed.
    while (!sink_.sources().empty()) {
        detach(*sink_.sources().back());
    }
}

// ---- server_protocol ----

void server::on_open(connection_id id, const connection_origin& /*origin*/) {
    if (!connections_.emplace(id, connection{}).second) {
        throw std::logic_error("ts::server::on_open: connection already open");
    }
}

error_code server::ignore(error_code reason) {
    ++stats_.ignored_by_reason[reason];
    return reason;
}

error_code server::on_text(connection_id id, std::string_view text) {
    const auto it = connections_.find(id);
    if (it == connections_.end()) {
        ++stats_.ignored_unknown_connection;
        return ignore(make_error_code(errc::unexpected_message));
    }
    auto& c = it->second;
    if (!c.setup) {
        auto setup = decode_setup_data(text);
        if (!setup) {
            ++stats_.ignored_invalid_setup;
            return ignore(setup.error());
        }
        ++stats_.setups_accepted;
        c.setup = intern(std::move(*setup));
        mark(id, c);
        // Last: a source may push from inside selector_needed (marking is all it can cause).
        selector_added(c.setup->timeline_selector);
        return {};
    }
    auto ael = decode_apt_ept_lpt(text);
    if (!ael) {
        if (decode_setup_data(text)) {
            ++stats_.ignored_repeated_setup;
            return ignore(make_error_code(errc::unexpected_message));
        }
        ++stats_.ignored_invalid_apt_ept_lpt;
        return ignore(ael.error());
    }
    ++stats_.apt_ept_lpts_received;
    c.latest_apt_ept_lpt = *ael;
    if (on_apt_ept_lpt_) {
        // `c` may not survive the handler (it may close the connection): pass a copy.
        const auto handler = on_apt_ept_lpt_;
        const apt_ept_lpt value = *ael;
        handler(id, value);
    }
    return {};
}

void server::on_close(connection_id id) {
    const auto it = connections_.find(id);
    if (it == connections_.end()) {
        return;
    }
    std::optional<std::string> selector;
    if (it->second.setup) {
        selector = it->second.setup->timeline_selector;
        release(it->second.setup);
    }
    if (it->second.queued) {
        dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), id), dirty_.end());
    }
    connections_.erase(it);
    if (selector) {
        selector_removed(*selector);
    }
}

std::vector<connection_id> server::take_dirty() {
    auto out = std::move(dirty_);
    dirty_.clear();
    for (const auto id : out) {
        if (const auto it = connections_.find(id); it != connections_.end()) {
            it->second.queued = false;
        }
    }
    return out;
}

std::optional<std::string> server::take_pending(connection_id id) {
    auto text = take_pending_shared(id);
    if (!text) {
        return std::nullopt;
    }
    return *text;
}

shared_text server::take_pending_shared(connection_id id) {
    const auto it = connections_.find(id);
    if (it == connections_.end() || !it->second.setup) {
        return nullptr;
    }
    // current_for may call into a source, which may push and so mark connections; it cannot
    // open or close connections, so `it` stays valid.
    const auto ct = current_for(*it->second.setup);
    auto& c = it->second;
    if (!ct || !changed(c.last_sent, *ct)) {
        return nullptr;
    }
    c.last_sent = *ct;
    ++stats_.control_timestamps_sent;
    return encoded(*ct);
}

shared_text server::encoded(const control_timestamp& ct) {
    for (const auto& entry : encoded_cache_) {
        if (entry.ct == ct) {
            return entry.text;
        }
    }
    ++stats_.control_timestamps_encoded;
    auto text = std::make_shared<const std::string>(encode(ct));
    if (encoded_cache_.size() < encoded_cache_size) {
        encoded_cache_.push_back({ct, text});
    } else {
        encoded_cache_[encoded_next_] = {ct, text};
        encoded_next_ = (encoded_next_ + 1) % encoded_cache_size;
    }
    return text;
}

namespace {

/// The key of a setup-data without private data: both strings, the first with its length.
std::string intern_key(const setup_data& setup) {
    std::string key = std::to_string(setup.content_id_stem.size());
    key += ':';
    key += setup.content_id_stem;
    key += setup.timeline_selector;
    return key;
}

/// Whether connections that send `setup` share one copy of it: not with private data (rare,
/// and compared as a whole it would cost more than it saves), and not when its stem and selector
/// are longer than companions send in practice, so that the table's keys stay small (a peer may
/// send up to the frame limit; its own copy is then all it costs).
bool shareable(const setup_data& setup) {
    constexpr std::size_t max_shared_bytes = 512;
    return !setup.private_data &&
           setup.content_id_stem.size() + setup.timeline_selector.size() <= max_shared_bytes;
}

} // namespace

std::shared_ptr<const setup_data> server::intern(setup_data setup) {
    if (!shareable(setup)) {
        return std::make_shared<const setup_data>(std::move(setup));
    }
    auto& entry = interned_setups_[intern_key(setup)];
    if (auto shared = entry.lock()) {
        return shared;
    }
    auto shared = std::make_shared<const setup_data>(std::move(setup));
    entry = shared;
    return shared;
}

void server::release(const std::shared_ptr<const setup_data>& setup) {
    // The closing connection holds the last reference: forget the entry.
    if (shareable(*setup) && setup.use_count() == 1) {
        interned_setups_.erase(intern_key(*setup));
    }
}

// ---- application ----

void server::set_content_id(std::optional<std::string> content_id) {
    if (content_id == content_id_) {
        return;
    }
    content_id_ = std::move(content_id);
    refresh();
}

bool server::attach(timeline_source& source) {
    if (source.has_sink(sink_)) {
        return false;
    }
    source.attach_sink(sink_);
    // Replay (B21): the source hears every selector needed before it arrived. Copied, because a
    // source's callback could cause connections to change the counts.
    for (const auto& selector : needed_selectors()) {
        if (source.has_sink(sink_)) {
            source.selector_needed(selector);
        }
    }
    mark_set_up([&](const setup_data& s) { return source.recognises(s.timeline_selector); });
    return true;
}

bool server::detach(timeline_source& source) {
    if (!source.has_sink(sink_)) {
        return false;
    }
    source.detach_sink(sink_);
    for (const auto& selector : needed_selectors()) {
        source.selector_not_needed(selector);
    }
    mark_set_up([&](const setup_data& s) { return source.recognises(s.timeline_selector); });
    return true;
}

void server::refresh() {
    mark_set_up([](const setup_data&) { return true; });
}

void server::set_apt_ept_lpt_handler(apt_ept_lpt_handler handler) {
    on_apt_ept_lpt_ = std::move(handler);
}

// ---- inspection ----

std::optional<setup_data> server::setup_of(connection_id id) const {
    const auto it = connections_.find(id);
    if (it == connections_.end()) {
        return std::nullopt;
    }
    if (!it->second.setup) {
        return std::nullopt;
    }
    return *it->second.setup;
}

std::optional<apt_ept_lpt> server::apt_ept_lpt_of(connection_id id) const {
    const auto it = connections_.find(id);
    if (it == connections_.end()) {
        return std::nullopt;
    }
    return it->second.latest_apt_ept_lpt;
}

std::optional<control_timestamp> server::last_sent(connection_id id) const {
    const auto it = connections_.find(id);
    if (it == connections_.end()) {
        return std::nullopt;
    }
    return it->second.last_sent;
}

std::size_t server::selector_use_count(std::string_view selector) const {
    const auto it = selector_counts_.find(selector);
    return it == selector_counts_.end() ? 0 : it->second;
}

std::vector<std::string> server::needed_selectors() const {
    std::vector<std::string> out;
    out.reserve(selector_counts_.size());
    for (const auto& entry : selector_counts_) {
        out.push_back(entry.first);
    }
    return out;
}

bool server::matches_stem(const std::optional<std::string>& content_id,
                          std::string_view stem) noexcept {
    return content_id && std::string_view(*content_id).starts_with(stem);
}

// ---- internals ----

void server::mark(connection_id id, connection& c) {
    if (!c.queued) {
        c.queued = true;
        dirty_.push_back(id);
    }
}

void server::mark_set_up(const std::function<bool(const setup_data&)>& which) {
    for (auto& [id, c] : connections_) {
        if (c.setup && which(*c.setup)) {
            mark(id, c);
        }
    }
}

void server::selector_added(const std::string& selector) {
    if (++selector_counts_[selector] != 1) {
        return;
    }
    const auto targets = sink_.sources();
    for (auto* source : targets) {
        if (source->has_sink(sink_)) {
            source->selector_needed(selector);
        }
    }
}

void server::selector_removed(const std::string& selector) {
    const auto it = selector_counts_.find(selector);
    if (it == selector_counts_.end() || --it->second != 0) {
        return;
    }
    selector_counts_.erase(it);
    const auto targets = sink_.sources();
    for (auto* source : targets) {
        if (source->has_sink(sink_)) {
            source->selector_not_needed(selector);
        }
    }
}

std::optional<control_timestamp> server::current_for(const setup_data& setup) {
    if (matches_stem(content_id_, setup.content_id_stem)) {
        const auto& attached = sink_.sources();
        const auto chosen =
            std::find_if(attached.rbegin(), attached.rend(), [&](const timeline_source* s) {
                return s->recognises(setup.timeline_selector);
            });
        if (chosen != attached.rend()) {
            auto ct = (*chosen)->control_timestamp_for(setup.timeline_selector);
            if (!ct || well_formed(*ct)) {
                return ct;
            }
        }
    }
    return control_timestamp::unavailable(wall_clock_ns());
}

std::int64_t server::wall_clock_ns() const {
    const tick_t t = wall_clock_->ticks();
    const auto ns = whole_ticks(
        wall_clock_->tick_rate() == nanos_per_second_d ? t : wall_clock_->ticks_to_nanos(t));
    if (ns) {
        return *ns;
    }
    // Beyond int64 (or not finite): the nearest value the wire can carry.
    return t < 0 ? std::numeric_limits<std::int64_t>::min()
                 : std::numeric_limits<std::int64_t>::max();
}

// ---- sink ----

void server::sink::on_timeline_changed(timeline_source& source,
                                       std::optional<std::string_view> selector) {
    owner_->mark_set_up([&](const setup_data& s) {
        return selector ? s.timeline_selector == *selector : source.recognises(s.timeline_selector);
    });
}

void server::sink::on_source_destroyed(timeline_source& /*source*/) {
    // The dying source can no longer be asked what it recognised: re-evaluate every connection.
    owner_->refresh();
}

} // namespace dvbcss::ts
