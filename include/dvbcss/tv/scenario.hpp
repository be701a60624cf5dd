#pragma once

/// What a pretend TV shows and does, written down instead of coded: the contents it can show
/// (content ids with their timelines), which one plays first, and a timed script of changes
/// (pause, play, seek, tweak, speed, a timeline's availability, a change of content id, its
/// contentIdStatus, presentationStatus). The same change objects drive a running TV at run time
/// (tv-device's `POST /control`, its console). The format is documented in docs/scenarios.md.
///
/// Everything here is text in, values out: no clock is read and no file is opened.

#include <dvbcss/cii/message.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dvbcss::tv {

/// Limits of a scenario and of a set of changes, so that no file or request can make the TV hold
/// or do unbounded work, and no timeline leaves the range the protocols carry.
namespace scenario_limits {
inline constexpr std::size_t max_text_bytes = 1024 * 1024; ///< A scenario file.
inline constexpr int max_depth = 16;                       ///< JSON nesting.
inline constexpr std::size_t max_contents = 64;
inline constexpr std::size_t max_timelines = 16; ///< Per content.
inline constexpr std::size_t max_script_steps = 10000;
inline constexpr std::size_t max_changes = 100; ///< In one control request.
inline constexpr std::size_t max_selector_bytes = 512;
inline constexpr std::size_t max_content_id_bytes = 2048;
inline constexpr std::size_t max_status_tokens = 8;
inline constexpr std::uint64_t max_tick_rate = 1'000'000'000; ///< Ticks per second (1 GHz).
/// |start| and |seek target| in ticks: integers a double (and the wire's int64) hold exactly.
inline constexpr std::int64_t max_ticks = std::int64_t{1} << 53;
inline constexpr double max_speed = 100;              ///< Either way.
inline constexpr double max_jump_seconds = 86400;     ///< seek by / tweak: a day either way.
inline constexpr double max_script_seconds = 2592000; ///< "at" and "repeat": 30 days.
inline constexpr double min_repeat_seconds = 0.01;
} // namespace scenario_limits

/// One timeline of a content: CSS-TS serves it under `selector`, CSS-CII lists it with
/// unitsPerTick 1 and unitsPerSecond `tick_rate`.
///
/// Thread safety: a value type.
struct timeline_spec {
    std::string selector;        ///< e.g. "urn:dvb:css:timeline:pts".
    std::uint64_t tick_rate = 1; ///< Ticks per second, 1 .. max_tick_rate.
    /// Position (ticks) when the content starts; for a child timeline, its position when its
    /// parent is at the parent's own start position.
    std::int64_t start_ticks = 0;
    /// Selector of another timeline of the same content listed before this one: this timeline
    /// then follows it (pausing or moving the parent moves this one too).
    std::optional<std::string> parent;
    double speed = 1.0;    ///< Initial speed relative to its parent (or to the wall clock).
    bool available = true; ///< Initial availability.

    friend bool operator==(const timeline_spec&, const timeline_spec&) = default;
};

/// One content the TV can show.
///
/// Thread safety: a value type.
struct content_spec {
    std::string id;                                       ///< CII contentId.
    cii::id_status status = cii::id_status::final;        ///< CII contentIdStatus.
    std::vector<std::string> presentation_status{"okay"}; ///< CII presentationStatus tokens.
    std::vector<timeline_spec> timelines;

    friend bool operator==(const content_spec&, const content_spec&) = default;
};

/// What a change does. The names are the "do" values of the change syntax.
enum class change_kind : std::uint8_t {
    pause,               ///< "pause": speed 0, position kept.
    play,                ///< "play" (or "resume"): speed 1.
    speed,               ///< "speed": any speed within ±max_speed.
    seek,                ///< "seek": to an absolute position, or by a relative amount.
    tweak,               ///< "tweak": a small relative jump, in milliseconds.
    available,           ///< "available": a timeline becomes available.
    unavailable,         ///< "unavailable": a timeline becomes unavailable.
    content,             ///< "content": another content id (or none).
    content_id_status,   ///< "content_id_status": partial or final.
    presentation_status, ///< "presentation_status": okay, transitioning, fault (+ extra tokens).
};

/// The "do" name of `kind`.
[[nodiscard]] std::string_view name(change_kind kind) noexcept;

/// One change to what the TV shows.
///
/// `timeline` names a timeline of the content being shown: its full selector or a ':'-separated
/// tail of it ("pts", "temi:1:1"). For pause, play, speed, seek and tweak it is optional: without
/// it the change applies to every timeline that has no parent (children follow). For available
/// and unavailable it is required.
///
/// Thread safety: a value type.
struct change {
    change_kind kind = change_kind::pause;
    std::optional<std::string> timeline;
    double speed = 1.0; ///< speed (play: 1, pause: 0).
    /// seek "to": the absolute position in seconds of each timeline (ticks = to * tick rate).
    std::optional<double> to_seconds;
    double by_seconds = 0; ///< seek "by" (seconds), tweak "ms" / 1000.
    /// content: the new content id; nullopt = no content (CII contentId null).
    std::optional<std::string> content_id;
    /// content_id_status: the status. content: the status if given, else that of the content
    /// declared with this id, else final.
    std::optional<cii::id_status> status;
    std::vector<std::string> presentation_status; ///< presentation_status tokens.

    friend bool operator==(const change&, const change&) = default;
};

/// A change and when it happens: `at_ns` after the scenario starts (or after the start of each
/// repetition).
struct script_step {
    std::int64_t at_ns = 0;
    change what;

    friend bool operator==(const script_step&, const script_step&) = default;
};

/// A whole scenario.
///
/// Invariants (checked by parse_scenario): at least one content; content ids distinct; within a
/// content, selectors distinct and every parent listed before its child; `first` indexes
/// `contents`; `script` sorted by at_ns (stable: file order kept for equal times); with
/// `repeat_ns`, every at_ns <= repeat_ns.
///
/// Thread safety: a value type.
struct scenario {
    std::vector<content_spec> contents;
    std::size_t first = 0; ///< The content shown at start.
    std::vector<script_step> script;
    /// The script starts again every repeat_ns (step k of repetition n at n * repeat_ns + at_ns).
    std::optional<std::int64_t> repeat_ns;

    friend bool operator==(const scenario&, const scenario&) = default;
};

/// Parses a scenario (JSON text, format in docs/scenarios.md). On failure returns nothing and
/// sets `error` to one line: "line L, column C: ..." for malformed JSON, or the JSON path of the
/// bad field and what is wrong with it, e.g. "script[3].speed: must be a number between -100
/// and 100". Never throws on bad input.
[[nodiscard]] std::optional<scenario> parse_scenario(std::string_view text, std::string& error);

/// Parses the body of a control request: one change object, or an array of at most
/// scenario_limits::max_changes of them (paths then start "[2]."). Errors as parse_scenario.
/// Timeline names are only checked for syntax: whether they name a timeline of the content
/// shown is for the caller (find_timeline).
[[nodiscard]] std::optional<std::vector<change>> parse_changes(std::string_view text,
                                                               std::string& error);

/// The change in the scenario syntax, as one line of JSON, e.g. {"do":"seek","by":-5}.
[[nodiscard]] std::string to_json(const change& c);

/// The indices in `content.timelines` of the timelines `name` may designate: the one whose
/// selector is exactly `name`, else every one whose selector ends with ":" + name (in order).
[[nodiscard]] std::vector<std::size_t> timelines_named(const content_spec& content,
                                                       std::string_view name);

/// The index in `content.timelines` of the timeline `name` designates: an exact selector, else
/// the only selector ending with ":" + name. Nothing if none or several (timelines_named).
[[nodiscard]] std::optional<std::size_t> find_timeline(const content_spec& content,
                                                       std::string_view name);

/// The index of the content whose id is `id`, if any.
[[nodiscard]] std::optional<std::size_t> find_content(const scenario& s, std::string_view id);

/// A console command that is not a change.
enum class console_action : std::uint8_t {
    stats,
    help,
    quit
};

/// One line of the console, read as a change where it is one.
using console_line = std::variant<change, console_action>;

/// Parses one console line (the console's vocabulary, each mapped to a change):
///   pause | play | resume | speed X | seek +S | seek -S | seek to S | tweak MS
///   unavailable SEL | available SEL | content ID | content (none) | status partial|final
///   presentation TOKENS | stats | help | quit
/// Returns nothing with `error` set to a one-line reason for anything else; blank lines and lines
/// starting with '#' give nothing with an empty error.
[[nodiscard]] std::optional<console_line> parse_console_line(std::string_view line,
                                                             std::string& error);

/// The help text listing the console commands.
[[nodiscard]] std::string_view console_help();

/// Which script steps are due, given the time elapsed since the scenario started. Holds a
/// reference to the scenario's script (which must outlive it).
///
/// Thread safety: distinct objects safe; shared objects unsafe.
class script_cursor {
public:
    script_cursor(const std::vector<script_step>& script, std::optional<std::int64_t> repeat_ns);

    /// Elapsed time (ns since start) at which the next step is due; nothing when none is left.
    [[nodiscard]] std::optional<std::int64_t> next_due_ns() const noexcept;

    /// The steps due at or before `elapsed_ns` that were not yet taken, in order, at most
    /// `max_steps` (the rest stay due).
    [[nodiscard]] std::vector<const change*> take_due(std::int64_t elapsed_ns,
                                                      std::size_t max_steps = 1000);

private:
    const std::vector<script_step>* script_;
    std::optional<std::int64_t> repeat_ns_;
    std::size_t index_ = 0;
    std::int64_t cycle_start_ns_ = 0;
};

} // namespace dvbcss::tv
