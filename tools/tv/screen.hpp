#pragma once

/// What tv-device shows: a scenario's contents, the one on screen, and the clocks of its
/// timelines, served to CSS-CII and CSS-TS. Every change, from the script, the console or
/// `POST /control`, goes through `check` then `apply` here.

#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/tv/presentation.hpp>
#include <dvbcss/tv/scenario.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dvbcss::tools {

/// The CII a TV showing `content` starts with: its id, statuses and timelines (unitsPerTick 1,
/// unitsPerSecond the tick rate); wcUrl and tsUrl are left for the caller.
[[nodiscard]] cii::message cii_for(const tv::content_spec& content);

/// The pretend TV's screen: the content shown and its timelines, applied to the CSS-CII and
/// CSS-TS cores together (through `tv::presentation`).
///
/// A content's timelines are correlated clocks: one with no parent follows the wall clock and is
/// at its start position when the content is put on screen; a child follows its parent and is at
/// its own start position when the parent is at the parent's. Showing a content declared in the
/// scenario replaces the timelines by fresh ones; showing any other content id (or none) keeps
/// the timelines running and changes only what CII announces and what CSS-TS matches stems
/// against (as a real TV whose programme changes on the same service).
///
/// Thread safety: distinct objects safe; shared objects unsafe. Use it on the owner executor
/// that owns the clock tree and both cores. The wall clock and both cores must outlive it.
class tv_screen {
public:
    /// Puts `s.contents[s.first]` on screen. The CII core should already hold `cii_for` it.
    tv_screen(tv::scenario s, clock::clock_base& wall_clock, cii::server& cii, ts::server& ts);
    ~tv_screen();
    tv_screen(const tv_screen&) = delete;
    tv_screen& operator=(const tv_screen&) = delete;

    /// Why `changes`, applied one after another from the current state, cannot all be applied:
    /// the first problem, e.g. `[1].timeline: no timeline "x" in the content shown (...)` (path
    /// prefix "[i]." when `indexed`), or nothing if they all can.
    [[nodiscard]] std::optional<std::string> check(std::span<const tv::change> changes,
                                                   bool indexed) const;

    /// What one applied change did.
    struct outcome {
        std::string cause;            ///< For the truth lines: "pause", "play", "seek", ...
        std::string said;             ///< One line for the log.
        bool timelines_moved = false; ///< Timing or availability changed (or new timelines).
        bool content_changed = false; ///< CII content id or statuses changed.
    };

    /// Applies one change that `check` accepted. Throws std::invalid_argument otherwise.
    outcome apply(const tv::change& c);

    /// Adds `spec` (a timeline without a parent) to the content whose timelines are on screen,
    /// after its others: its clock starts at `spec.start_ticks` now, CSS-TS serves it and CII
    /// lists it (a CII change for every companion). For a timeline the TV finds while it plays
    /// (`tv-device --media`: a TEMI timeline the background read of the file found). Throws
    /// std::invalid_argument if `spec` has a parent or the content already has its selector.
    void add_timeline(tv::timeline_spec spec);

    /// One timeline on screen.
    struct timeline {
        std::string selector;
        std::uint64_t tick_rate = 1;
        const clock::correlated_clock* clock = nullptr;
        ts::clock_timeline_source* source = nullptr; ///< What CSS-TS companions are sent.
    };

    [[nodiscard]] std::vector<timeline> timelines() const;

    [[nodiscard]] const std::optional<std::string>& content_id() const noexcept {
        return presentation_.content_id();
    }

    [[nodiscard]] cii::id_status content_id_status() const noexcept { return status_; }

    [[nodiscard]] const std::vector<std::string>& presentation_status() const noexcept {
        return presentation_status_;
    }

    /// The truth as one JSON object: {"content_id":S|null,"content_id_status":S,
    /// "presentation_status":S,"timelines":[{"selector":S,"tick_rate":N,"content_time":N|null,
    /// "speed":X|null,"available":B},...],"wall_clock_ns":N} (positions read at one instant).
    [[nodiscard]] std::string state_json() const;

    [[nodiscard]] const tv::scenario& scenario() const noexcept { return scenario_; }

private:
    struct live_timeline {
        const tv::timeline_spec* spec;
        std::unique_ptr<clock::correlated_clock> clock;
        std::unique_ptr<ts::clock_timeline_source> source;
    };

    [[nodiscard]] live_timeline make_live(const tv::content_spec& content,
                                          const tv::timeline_spec& spec) const;
    void load(std::size_t content);
    void unload();
    [[nodiscard]] std::vector<live_timeline*> targets(const tv::change& c);

    tv::scenario scenario_;
    clock::clock_base* wall_clock_;
    ts::server* ts_;
    tv::presentation presentation_;
    std::size_t loaded_ = 0; ///< The content whose timelines are on screen.
    std::vector<live_timeline> timelines_;
    cii::id_status status_ = cii::id_status::final;
    std::vector<std::string> presentation_status_;
};

} // namespace dvbcss::tools
