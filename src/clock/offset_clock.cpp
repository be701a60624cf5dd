#include <dvbcss/clock/offset_clock.hpp>

namespace dvbcss::clock {

offset_clock::offset_clock(clock_base& parent, std::chrono::nanoseconds offset)
    : parent_(&parent)
    , offset_(offset) {
    parent_->bind(*this);
}

offset_clock::~offset_clock() {
    parent_->unbind(*this);
}

tick_t offset_clock::offset_ticks() const {
    // This clock's speed is 1, so its effective speed is the parent's.
    return static_cast<tick_t>(offset_.count()) * static_cast<tick_t>(parent_->effective_speed()) *
           static_cast<tick_t>(parent_->tick_rate()) / 1e9L;
}

void offset_clock::set_offset(std::chrono::nanoseconds offset) {
    if (offset == offset_) {
        return;
    }
    offset_ = offset;
    notify_dependents();
}

void offset_clock::set_parent(clock_base& p) {
    change_parent(parent_, p);
}

} // namespace dvbcss::clock
