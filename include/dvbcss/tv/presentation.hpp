#pragma once

/// What a TV is presenting, as both of its companion protocols see it: the single owner of the
/// content id that CSS-CII announces and that CSS-TS matches content id stems against.

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/ts/server.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dvbcss::tv {

/// The TV's presentation state (content id and its status, presentation status, the timelines
/// offered) applied to a CSS-CII server core and a CSS-TS server core together.
///
/// Every change reaches both cores in the same call: the CII core's contentId (and
/// contentIdStatus, which always travels with it) and the TS core's content id used for stem
/// matching never disagree between two calls. The transports pull the resulting messages
/// afterwards (`take_dirty` on each core, done by the adapters' flush).
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use it, and both cores, from
/// their one owner executor (docs/architecture.md).
class presentation {
public:
    /// Both cores must outlive this object. The current CII's contentId (if a value) becomes
    /// the TS core's content id.
    presentation(cii::server& cii, ts::server& ts);

    /// Shows `content_id` with `status` (partial while the id is being built up, final when
    /// complete; clause 5.2.3.6). nullopt means no content, or content the TV cannot identify:
    /// CII contentId becomes null and no CSS-TS content id stem matches (every timeline reads
    /// unavailable).
    void set_content(std::optional<std::string> content_id,
                     cii::id_status status = cii::id_status::final);

    /// presentationStatus: the tokens, the first being "okay", "transitioning" or "fault".
    /// Throws std::invalid_argument if empty or a token is empty or holds a space.
    void set_presentation_status(std::vector<std::string> tokens);

    /// The timelines the TV offers (CII `timelines`). Throws std::invalid_argument if an option
    /// is invalid (`cii::validate`).
    void set_timelines(std::vector<cii::timeline_option> timelines);

    /// The content id both protocols see.
    [[nodiscard]] const std::optional<std::string>& content_id() const noexcept {
        return content_id_;
    }

private:
    void apply(const cii::message& changes);

    cii::server* cii_;
    ts::server* ts_;
    std::optional<std::string> content_id_;
};

} // namespace dvbcss::tv
