#include <dvbcss/tv/presentation.hpp>

#include <stdexcept>
#include <utility>

namespace dvbcss::tv {

presentation::presentation(cii::server& cii, ts::server& ts)
    : cii_(&cii)
    , ts_(&ts) {
    if (const auto* id = cii_->cii().content_id.get_if()) {
        content_id_ = *id;
    }
    ts_->set_content_id(content_id_);
}

void presentation::apply(const cii::message& changes) {
    if (const auto ec = cii::validate(changes)) {
        throw std::invalid_argument("invalid CII change: " + ec.message());
    }
    static_cast<void>(cii_->update(changes));
}

void presentation::set_content(std::optional<std::string> content_id, cii::id_status status) {
    cii::message changes;
    if (content_id) {
        changes.content_id = *content_id;
    } else {
        changes.content_id = json::null;
    }
    changes.content_id_status = status;
    apply(changes);
    content_id_ = std::move(content_id);
    ts_->set_content_id(content_id_);
}

void presentation::set_presentation_status(std::vector<std::string> tokens) {
    cii::message changes;
    changes.presentation_status = std::move(tokens);
    apply(changes);
}

void presentation::set_timelines(std::vector<cii::timeline_option> timelines) {
    cii::message changes;
    changes.timelines = std::move(timelines);
    apply(changes);
}

} // namespace dvbcss::tv
