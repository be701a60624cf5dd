#include "tv/screen.hpp"

#include "common/timeline_control.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace dvbcss::tools {

namespace lim = tv::scenario_limits;

cii::message cii_for(const tv::content_spec& content) {
    cii::message m;
    m.protocol_version = std::string(cii::protocol_version_1_1);
    m.content_id = content.id;
    m.content_id_status = content.status;
    m.presentation_status = content.presentation_status;
    std::vector<cii::timeline_option> options;
    for (const auto& t : content.timelines) {
        options.push_back({t.selector, {1, t.tick_rate, std::nullopt}, std::nullopt});
    }
    m.timelines = std::move(options);
    return m;
}

tv_screen::tv_screen(tv::scenario s, clock::clock_base& wall_clock, cii::server& cii,
                     ts::server& ts)
    : scenario_(std::move(s))
    , wall_clock_(&wall_clock)
    , ts_(&ts)
    , presentation_(cii, ts) {
    const auto& first = scenario_.contents.at(scenario_.first);
    status_ = first.status;
    presentation_status_ = first.presentation_status;
    presentation_.set_content(first.id, first.status);
    load(scenario_.first);
}

tv_screen::~tv_screen() {
    unload();
}

void tv_screen::unload() {
    for (auto& t : timelines_) {
        ts_->detach(*t.source);
        t.source.reset();
    }
    // Children were created after their parents: destroy them first.
    while (!timelines_.empty()) {
        timelines_.pop_back();
    }
}

tv_screen::live_timeline tv_screen::make_live(const tv::content_spec& content,
                                              const tv::timeline_spec& spec) const {
    live_timeline t{&spec, nullptr, nullptr};
    const auto start = static_cast<tick_t>(spec.start_ticks);
    if (spec.parent) {
        const auto parent = tv::find_timeline(content, *spec.parent);
        const auto& p = timelines_.at(*parent);
        t.clock = std::make_unique<clock::correlated_clock>(
            *p.clock, static_cast<double>(spec.tick_rate),
            clock::correlation{static_cast<tick_t>(p.spec->start_ticks), start}, spec.speed);
    } else {
        t.clock = std::make_unique<clock::correlated_clock>(
            *wall_clock_, static_cast<double>(spec.tick_rate),
            clock::correlation{wall_clock_->ticks(), start}, spec.speed);
    }
    t.clock->set_availability(spec.available);
    t.source = std::make_unique<ts::clock_timeline_source>(spec.selector, *wall_clock_, *t.clock);
    return t;
}

void tv_screen::load(std::size_t index) {
    unload();
    loaded_ = index;
    const auto& content = scenario_.contents[index];
    timelines_.reserve(content.timelines.size());
    for (const auto& spec : content.timelines) {
        timelines_.push_back(make_live(content, spec));
    }
    for (auto& t : timelines_) {
        ts_->attach(*t.source);
    }
    presentation_.set_timelines(cii_for(content).timelines.value());
}

void tv_screen::add_timeline(tv::timeline_spec spec) {
    auto& content = scenario_.contents.at(loaded_);
    if (spec.parent) {
        throw std::invalid_argument("a timeline added while shown has no parent");
    }
    if (tv::find_timeline(content, spec.selector)) {
        throw std::invalid_argument("timeline " + spec.selector + " is already shown");
    }
    content.timelines.push_back(std::move(spec));
    // The specs may have moved: the live timelines point at them again (same order).
    for (std::size_t i = 0; i < timelines_.size(); ++i) {
        timelines_[i].spec = &content.timelines[i];
    }
    timelines_.push_back(make_live(content, content.timelines.back()));
    ts_->attach(*timelines_.back().source);
    presentation_.set_timelines(cii_for(content).timelines.value());
}

std::optional<std::string> tv_screen::check(std::span<const tv::change> changes,
                                            bool indexed) const {
    std::size_t content = loaded_;
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const auto& c = changes[i];
        const auto path = [&](std::string_view field) {
            return (indexed ? "[" + std::to_string(i) + "]." : std::string()) + std::string(field);
        };
        if (c.kind == tv::change_kind::content) {
            if (c.content_id) {
                if (const auto declared = tv::find_content(scenario_, *c.content_id)) {
                    content = *declared;
                }
            }
            continue;
        }
        const auto& timelines = scenario_.contents[content].timelines;
        if (c.timeline && !tv::find_timeline(scenario_.contents[content], *c.timeline)) {
            const auto named = tv::timelines_named(scenario_.contents[content], *c.timeline);
            std::string list;
            for (std::size_t t = 0; t < timelines.size(); ++t) {
                if (named.empty() || std::find(named.begin(), named.end(), t) != named.end()) {
                    list += (list.empty() ? "" : ", ") + timelines[t].selector;
                }
            }
            if (!named.empty()) {
                return path("timeline") + ": \"" + *c.timeline +
                       "\" names several timelines of the content shown (" + list +
                       "): give more of the selector";
            }
            return path("timeline") + ": no timeline \"" + *c.timeline +
                   "\" in the content shown (" + (list.empty() ? "it has none" : list) + ")";
        }
        if (c.kind == tv::change_kind::seek && c.to_seconds) {
            for (const auto& t : timelines) {
                if (c.timeline &&
                    &t !=
                        &timelines[*tv::find_timeline(scenario_.contents[content], *c.timeline)]) {
                    continue;
                }
                if (std::abs(*c.to_seconds * static_cast<double>(t.tick_rate)) >
                    static_cast<double>(lim::max_ticks)) {
                    return path("to") + ": beyond the range of " + t.selector;
                }
            }
        }
    }
    return std::nullopt;
}

std::vector<tv_screen::live_timeline*> tv_screen::targets(const tv::change& c) {
    std::vector<live_timeline*> out;
    if (c.timeline) {
        if (const auto i = tv::find_timeline(scenario_.contents[loaded_], *c.timeline)) {
            out.push_back(&timelines_[*i]);
        }
        return out;
    }
    for (auto& t : timelines_) {
        if (!t.spec->parent) {
            out.push_back(&t);
        }
    }
    return out;
}

tv_screen::outcome tv_screen::apply(const tv::change& c) {
    if (const auto why = check(std::span(&c, 1), false)) {
        throw std::invalid_argument(*why);
    }
    outcome o;
    o.cause = std::string(tv::name(c.kind));
    const auto on = [&] {
        return c.timeline ? " (" + *c.timeline + ")" : std::string();
    };
    switch (c.kind) {
    case tv::change_kind::pause:
    case tv::change_kind::play:
    case tv::change_kind::speed:
        for (auto* t : targets(c)) {
            set_timeline_speed(*t->clock, c.speed);
        }
        o.said = (c.kind == tv::change_kind::pause  ? std::string("paused")
                  : c.kind == tv::change_kind::play ? std::string("playing")
                                                    : "speed " + std::to_string(c.speed)) +
                 on();
        o.timelines_moved = true;
        break;
    case tv::change_kind::seek:
    case tv::change_kind::tweak:
        for (auto* t : targets(c)) {
            const auto rate = static_cast<double>(t->spec->tick_rate);
            if (c.to_seconds) {
                const auto parent_now = t->clock->parent()->ticks();
                t->clock->set_correlation(
                    t->clock->correlation()
                        .with_parent_ticks(parent_now)
                        .with_child_ticks(std::llround(*c.to_seconds * rate)));
            } else {
                jump_timeline(*t->clock, std::llround(c.by_seconds * rate));
            }
        }
        o.said = (c.to_seconds ? "moved the timelines to " + std::to_string(*c.to_seconds) + " s"
                               : "moved the timelines by " + std::to_string(c.by_seconds) + " s") +
                 on();
        // tv-device has always reported a tweak as a seek (a relative jump).
        o.cause = "seek";
        o.timelines_moved = true;
        break;
    case tv::change_kind::available:
    case tv::change_kind::unavailable: {
        const bool available = c.kind == tv::change_kind::available;
        for (auto* t : targets(c)) {
            t->clock->set_availability(available);
            o.said = "timeline " + t->spec->selector + (available ? " available" : " unavailable");
        }
        o.timelines_moved = true;
        break;
    }
    case tv::change_kind::content: {
        const auto declared =
            c.content_id ? tv::find_content(scenario_, *c.content_id) : std::nullopt;
        status_ = c.status               ? *c.status
                  : declared.has_value() ? scenario_.contents[*declared].status
                                         : cii::id_status::final;
        if (declared) {
            presentation_status_ = scenario_.contents[*declared].presentation_status;
            presentation_.set_presentation_status(presentation_status_);
        }
        presentation_.set_content(c.content_id, status_);
        if (declared) {
            load(*declared);
            o.timelines_moved = true;
        }
        o.said = c.content_id ? "content id " + *c.content_id : std::string("no content");
        o.content_changed = true;
        break;
    }
    case tv::change_kind::content_id_status:
        status_ = c.status.value_or(cii::id_status::final);
        presentation_.set_content(presentation_.content_id(), status_);
        o.said = std::string("content id status ") +
                 (status_ == cii::id_status::partial ? "partial" : "final");
        o.content_changed = true;
        break;
    case tv::change_kind::presentation_status: {
        presentation_status_ = c.presentation_status;
        presentation_.set_presentation_status(presentation_status_);
        o.said = "presentation status";
        for (const auto& token : presentation_status_) {
            o.said += " " + token;
        }
        o.content_changed = true;
        break;
    }
    }
    return o;
}

std::vector<tv_screen::timeline> tv_screen::timelines() const {
    std::vector<timeline> out;
    for (const auto& t : timelines_) {
        out.push_back({t.spec->selector, t.spec->tick_rate, t.clock.get(), t.source.get()});
    }
    return out;
}

std::string tv_screen::state_json() const {
    nlohmann::ordered_json j;
    const auto& id = presentation_.content_id();
    j["content_id"] = id ? nlohmann::ordered_json(*id) : nlohmann::ordered_json(nullptr);
    j["content_id_status"] = status_ == cii::id_status::partial ? "partial" : "final";
    std::string tokens;
    for (const auto& t : presentation_status_) {
        tokens += (tokens.empty() ? "" : " ") + t;
    }
    j["presentation_status"] = tokens;
    j["wall_clock_ns"] = static_cast<std::int64_t>(
        std::floor(wall_clock_->ticks() * 1e9 / wall_clock_->tick_rate()));
    auto list = nlohmann::ordered_json::array();
    for (const auto& t : timelines_) {
        nlohmann::ordered_json e;
        e["selector"] = t.spec->selector;
        e["tick_rate"] = t.spec->tick_rate;
        const bool available = t.clock->is_available();
        if (available) {
            e["content_time"] = static_cast<std::int64_t>(std::floor(t.clock->ticks()));
            e["speed"] = t.clock->effective_speed() / wall_clock_->effective_speed();
        } else {
            e["content_time"] = nullptr;
            e["speed"] = nullptr;
        }
        e["available"] = available;
        list.push_back(std::move(e));
    }
    j["timelines"] = std::move(list);
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

} // namespace dvbcss::tools
