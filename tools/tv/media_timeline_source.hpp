#pragma once

/// tv-device --media: one timeline the playing media carries (urn:dvb:css:timeline:pts, a TEMI
/// timeline or urn:dvb:css:timeline:ct), served over CSS-TS. Its control timestamp is computed
/// from the pipeline's timing when the pipeline reports a change (play, pause, seek, rate,
/// latency, loop, end of stream, jumps found later in the file) and when a jump of the timeline
/// is rendered (media_jump_timer), and pushed to the servers it is attached to; nothing is
/// computed or sent between those (docs/media.md, "TV side").

#include <dvbcss/media/playback_state.hpp>
#include <dvbcss/media/timeline_mapping.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dvbcss::tools {

/// A timeline source for one media timeline. Before the first `update` it answers "not yet".
///
/// Thread safety: as `ts::timeline_source` (the owner executor only).
class media_timeline_source final : public ts::timeline_source {
public:
    explicit media_timeline_source(media::timeline_mapping mapping);

    [[nodiscard]] bool recognises(std::string_view selector) const override;
    [[nodiscard]] std::optional<ts::control_timestamp>
    control_timestamp_for(std::string_view selector) override;

    /// Recomputes the control timestamp from `state` (`media::control_timestamp_from`, wall
    /// clock = pipeline clock + `clock_to_wall_ns`; `now_wall_ns` stamps a paused or unavailable
    /// timestamp) and pushes it if it differs from the last one. Returns true if it changed.
    bool update(const media::playback_state& state, std::int64_t now_wall_ns,
                std::int64_t clock_to_wall_ns = 0);

    /// The timeline stops being available (the pipeline failed): pushes the unavailable form.
    void set_unavailable(std::int64_t now_wall_ns);

    /// The "unavailable" / "available" commands: while withheld the timeline is served as
    /// unavailable whatever the pipeline does; made available again, it is recomputed from
    /// `state`. Returns true if what is served changed.
    bool withhold(bool withheld, const media::playback_state& state, std::int64_t now_wall_ns);

    [[nodiscard]] bool withheld() const noexcept { return withheld_; }

    [[nodiscard]] const media::timeline_mapping& mapping() const noexcept { return mapping_; }

    /// The same timeline with another mapping (jumps found later in the media); the next
    /// `update` serves it.
    void remap(media::timeline_mapping mapping) { mapping_ = std::move(mapping); }

    [[nodiscard]] const std::optional<ts::control_timestamp>& current() const noexcept {
        return current_;
    }

private:
    void set(const ts::control_timestamp& ct);

    media::timeline_mapping mapping_;
    std::optional<ts::control_timestamp> current_;
    bool withheld_ = false;
};

/// Why a seek cannot put the timeline `mapping` at `ticks` within a media whose positions run
/// from 0 to `duration_ns` (no end if unknown), the occurrence nearest `near_ns` taken: e.g.
/// "urn:dvb:css:timeline:temi:1:1 never has 300000 ticks in this media (it has -125 to 12011,
/// 500011 to 517926)" (a value a jump skips, or before the start or after the end); nullopt if
/// it can.
[[nodiscard]] std::optional<std::string> unreachable_ticks(const media::timeline_mapping& mapping,
                                                           std::int64_t ticks,
                                                           std::optional<std::int64_t> near_ns,
                                                           std::optional<std::int64_t> duration_ns);

} // namespace dvbcss::tools
