#include <dvbcss/dial/responder.hpp>

#include <algorithm>
#include <utility>

namespace dvbcss::dial {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

// USN of a target (UPnP DA 1.1 §1.2.2): the UDN alone for the UDN, else "<UDN>::<target>".
std::string usn_for(const std::string& udn, std::string_view target) {
    if (target == udn) {
        return udn;
    }
    return udn + "::" + std::string(target);
}

// Heap order: the latest due (then the latest arrival) sinks, so the front is the next to send.
constexpr auto later = [](const auto& a, const auto& b) {
    return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.order > b.order;
};

} // namespace

responder::responder(responder_config config)
    : config_(std::move(config)) {
    const std::string udn = "uuid:" + config_.uuid;
    const auto format_for = [&](std::string_view target) {
        ssdp_search_response response;
        response.location = config_.location;
        response.search_target = std::string(target);
        response.usn = usn_for(udn, target);
        response.max_age_s = config_.max_age_s;
        response.server = config_.server;
        return format_ssdp(response);
    };
    answers_[static_cast<int>(answer_kind::dial)] = format_for(dial_search_target);
    answers_[static_cast<int>(answer_kind::rootdevice)] = format_for("upnp:rootdevice");
    answers_[static_cast<int>(answer_kind::udn)] = format_for(udn);
}

error_code responder::on_datagram(std::string_view datagram, const ssdp_peer& sender,
                                  std::int64_t now_ns, std::uint64_t random) {
    auto message = parse_ssdp(datagram);
    if (!message) {
        ++stats_.malformed;
        return message.error();
    }
    const auto* search = std::get_if<ssdp_search>(&*message);
    if (search == nullptr) {
        ++stats_.not_for_us; // answers and announcements of other devices
        return {};
    }
    ++stats_.searches;
    const std::string udn = "uuid:" + config_.uuid;
    if (!search_target_matches(search->search_target, dial_search_target, udn)) {
        ++stats_.not_for_us;
        return {};
    }
    if (pending_.size() >= config_.max_pending_answers) {
        ++stats_.dropped_full;
        return {};
    }
    // ssdp:all is answered for the one service we offer, a UUID search with our UDN as we spell
    // it, upnp:rootdevice and the DIAL target as searched.
    const std::string_view target = search->search_target;
    auto kind = answer_kind::dial;
    if (target == "upnp:rootdevice") {
        kind = answer_kind::rootdevice;
    } else if (target.starts_with("uuid:")) {
        kind = answer_kind::udn;
    }

    // Uniform within [0, MX] seconds (the bias of the modulo is below 2^-30).
    const auto span = static_cast<std::uint64_t>(search->mx_s) * ns_per_s + 1;
    const auto delay = static_cast<std::int64_t>(random % span);

    pending_.push_back({now_ns + delay, next_order_++, sender, kind});
    std::push_heap(pending_.begin(), pending_.end(), later);
    return {};
}

std::optional<std::int64_t> responder::next_due_ns() const {
    if (pending_.empty()) {
        return std::nullopt;
    }
    return pending_.front().due_ns;
}

std::vector<responder::answer> responder::take_due(std::int64_t now_ns) {
    std::vector<answer> due;
    while (!pending_.empty() && pending_.front().due_ns <= now_ns) {
        std::pop_heap(pending_.begin(), pending_.end(), later);
        auto& next = pending_.back();
        due.push_back({std::move(next.destination), answers_[static_cast<int>(next.kind)]});
        pending_.pop_back();
    }
    stats_.answered += due.size();
    return due;
}

std::vector<std::string> responder::alive() const {
    const std::string udn = "uuid:" + config_.uuid;
    std::vector<std::string> out;
    for (const std::string_view target :
         {std::string_view("upnp:rootdevice"), std::string_view(udn), dial_search_target}) {
        ssdp_notify notify;
        notify.alive = true;
        notify.notification_type = std::string(target);
        notify.usn = usn_for(udn, target);
        notify.location = config_.location;
        notify.max_age_s = config_.max_age_s;
        notify.server = config_.server;
        out.push_back(format_ssdp(notify));
    }
    return out;
}

std::vector<std::string> responder::byebye() const {
    const std::string udn = "uuid:" + config_.uuid;
    std::vector<std::string> out;
    for (const std::string_view target :
         {std::string_view("upnp:rootdevice"), std::string_view(udn), dial_search_target}) {
        ssdp_notify notify;
        notify.alive = false;
        notify.notification_type = std::string(target);
        notify.usn = usn_for(udn, target);
        out.push_back(format_ssdp(notify));
    }
    return out;
}

const responder_statistics& responder::statistics() const noexcept {
    return stats_;
}

const responder_config& responder::config() const noexcept {
    return config_;
}

} // namespace dvbcss::dial
