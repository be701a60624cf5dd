#include <dvbcss/clock/clock_base.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

constexpr long double nanos_per_second_ld = 1e9L;

std::size_t depth_of(const clock_base& c) {
    std::size_t d = 0;
    for (const clock_base* p = c.parent(); p != nullptr; p = p->parent()) {
        ++d;
    }
    return d;
}

/// The nearest clock that is an ancestor of (or equal to) both `a` and `b`, or nullptr.
const clock_base* common_ancestor(const clock_base& a, const clock_base& b) {
    const clock_base* x = &a;
    const clock_base* y = &b;
    auto dx = depth_of(a);
    auto dy = depth_of(b);
    while (dx > dy) {
        x = x->parent();
        --dx;
    }
    while (dy > dx) {
        y = y->parent();
        --dy;
    }
    while (x != y) {
        x = x->parent();
        y = y->parent();
        if (x == nullptr || y == nullptr) {
            return nullptr;
        }
    }
    return x;
}

/// `t` on `ancestor` expressed on `c` (a descendant of, or equal to, `ancestor`).
tick_t down_from(const clock_base& c, const clock_base& ancestor, tick_t t) {
    if (&c == &ancestor) {
        return t;
    }
    return c.from_parent_ticks(down_from(*c.parent(), ancestor, t));
}

} // namespace

clock_listener::~clock_listener() {
    // Unbinding edits bound_to_: work from a copy.
    const auto clocks = bound_to_;
    for (clock_base* c : clocks) {
        c->unbind(*this);
    }
}

clock_base::~clock_base() {
    // Listeners may unbind themselves (or others) while being told: walk a snapshot.
    const auto snapshot = listeners_;
    for (clock_listener* l : snapshot) {
        if (is_bound(*l)) {
            l->on_clock_destroyed(*this);
        }
    }
    for (clock_listener* l : listeners_) {
        std::erase(l->bound_to_, this);
    }
    listeners_.clear();
}

double clock_base::effective_speed() const {
    double s = 1.0;
    for (const clock_base* c = this; c != nullptr; c = c->parent()) {
        s *= c->speed();
    }
    return s;
}

const clock_base& clock_base::root() const {
    const clock_base* c = this;
    while (c->parent() != nullptr) {
        c = c->parent();
    }
    return *c;
}

std::vector<const clock_base*> clock_base::ancestry() const {
    std::vector<const clock_base*> out;
    for (const clock_base* c = this; c != nullptr; c = c->parent()) {
        out.push_back(c);
    }
    return out;
}

tick_t clock_base::from_root_ticks(tick_t t) const {
    return down_from(*this, root(), t);
}

std::optional<tick_t> clock_base::to_root_ticks(tick_t t) const {
    tick_t v = t;
    for (const clock_base* c = this; c->parent() != nullptr; c = c->parent()) {
        const auto p = c->to_parent_ticks(v);
        if (!p) {
            return std::nullopt;
        }
        v = *p;
    }
    return v;
}

result<tick_t> clock_base::to_other_clock_ticks(const clock_base& other, tick_t t) const {
    const clock_base* common = common_ancestor(*this, other);
    if (common == nullptr) {
        return make_error_code(errc::no_common_clock);
    }
    tick_t v = t;
    for (const clock_base* c = this; c != common; c = c->parent()) {
        const auto p = c->to_parent_ticks(v);
        if (!p) {
            return make_error_code(errc::clock_frozen);
        }
        v = *p;
    }
    return down_from(other, *common, v);
}

std::optional<std::int64_t> clock_base::calc_when(tick_t t) const {
    const clock_base* p = parent();
    if (p == nullptr) {
        return std::nullopt;
    }
    const auto pt = to_parent_ticks(t);
    if (!pt) {
        return std::nullopt;
    }
    return p->calc_when(*pt);
}

tick_t clock_base::ticks_to_nanos(tick_t t) const {
    return t * nanos_per_second_ld / static_cast<tick_t>(tick_rate());
}

tick_t clock_base::nanos_to_ticks(tick_t ns) const {
    return ns * static_cast<tick_t>(tick_rate()) / nanos_per_second_ld;
}

double clock_base::dispersion_at_time(tick_t t) const {
    const clock_base* p = parent();
    if (p == nullptr) {
        return own_error_at(t, t);
    }
    if (const auto pt = to_parent_ticks(t)) {
        return own_error_at(t, *pt) + p->dispersion_at_time(*pt);
    }
    // `t` is never shown (speed 0): use the error as it stands now.
    const tick_t parent_now = p->ticks();
    return own_error_at(ticks(), parent_now) + p->dispersion_at_time(parent_now);
}

double clock_base::own_error_at(tick_t /*t*/, tick_t /*parent_t*/) const {
    return 0.0;
}

double clock_base::root_max_freq_error_ppm() const {
    const clock_base& r = root();
    if (&r == this) {
        throw std::logic_error("this root clock does not know its maximum frequency error");
    }
    return r.root_max_freq_error_ppm();
}

result<double> clock_base::clock_diff(const clock_base& other) const {
    if (&root() != &other.root()) {
        return make_error_code(errc::no_common_clock);
    }
    if (effective_speed() != other.effective_speed() || tick_rate() != other.tick_rate()) {
        return std::numeric_limits<double>::infinity();
    }
    const tick_t r = root().ticks();
    const tick_t diff = from_root_ticks(r) - other.from_root_ticks(r);
    return static_cast<double>(std::fabs(diff) * nanos_per_second_ld /
                               static_cast<tick_t>(tick_rate()));
}

bool clock_base::is_available() const {
    for (const clock_base* c = this; c != nullptr; c = c->parent()) {
        if (!c->available_) {
            return false;
        }
    }
    return true;
}

void clock_base::set_availability(bool available) {
    const clock_base* p = parent();
    const bool is_change = available_ != available && (p == nullptr || p->is_available());
    available_ = available;
    if (is_change) {
        notify_dependents();
    }
}

void clock_base::bind(clock_listener& listener) {
    if (!is_bound(listener)) {
        listeners_.push_back(&listener);
        listener.bound_to_.push_back(this);
    }
}

void clock_base::unbind(clock_listener& listener) {
    if (std::erase(listeners_, &listener) > 0) {
        std::erase(listener.bound_to_, this);
    }
}

bool clock_base::is_bound(const clock_listener& listener) const {
    return std::find(listeners_.begin(), listeners_.end(), &listener) != listeners_.end();
}

void clock_base::notify_dependents() {
    if (listeners_.empty()) {
        return;
    }
    // A listener may bind or unbind (itself or others) while being told: walk a snapshot and skip
    // anything unbound in the meantime.
    const auto snapshot = listeners_;
    for (clock_listener* l : snapshot) {
        if (is_bound(*l)) {
            l->on_clock_changed(*this);
        }
    }
}

void clock_base::on_clock_changed(clock_base& /*cause*/) {
    notify_dependents();
}

void clock_base::check_can_adopt_parent(const clock_base& new_parent) const {
    for (const clock_base* c = &new_parent; c != nullptr; c = c->parent()) {
        if (c == this) {
            throw std::logic_error("a clock cannot become a descendant of itself");
        }
    }
}

void clock_base::change_parent(clock_base*& parent_slot, clock_base& new_parent) {
    if (parent_slot == &new_parent) {
        return;
    }
    check_can_adopt_parent(new_parent);
    if (parent_slot != nullptr) {
        parent_slot->unbind(*this);
    }
    parent_slot = &new_parent;
    new_parent.bind(*this);
    notify_dependents();
}

} // namespace dvbcss::clock
