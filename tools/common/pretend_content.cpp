#include "common/pretend_content.hpp"

#include <string>
#include <utility>
#include <vector>

namespace dvbcss::tools {

pretend_content::pretend_content(boost::asio::any_io_executor executor, apply_function apply,
                                 std::chrono::milliseconds transitioning,
                                 std::chrono::milliseconds okay)
    : timer_(std::move(executor))
    , apply_(std::move(apply))
    , transitioning_(transitioning)
    , okay_(okay) {}

cii::message pretend_content::changes_for(std::size_t step) {
    cii::message changes;
    const bool settled = step % 2 == 1;
    if (!settled) {
        changes.content_id = std::string(content_ids[(step / 2) % content_ids.size()]);
    }
    changes.content_id_status = cii::id_status::final;
    changes.presentation_status =
        std::vector<std::string>{settled ? std::string("okay") : std::string("transitioning")};
    return changes;
}

void pretend_content::start() {
    running_ = true;
    step_ = 0;
    run_step();
}

void pretend_content::stop() {
    running_ = false;
    timer_.cancel();
}

void pretend_content::run_step() {
    if (!running_) {
        return;
    }
    apply_(changes_for(step_));
    const auto wait = step_ % 2 == 0 ? transitioning_ : okay_;
    step_ = (step_ + 1) % (2 * content_ids.size());
    timer_.expires_after(wait);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            run_step();
        }
    });
}

} // namespace dvbcss::tools
