#pragma once

/// Timeline sources for a CSS-TS server (the TV side): the objects that know, for a timeline
/// selector, what control timestamp describes the timeline now. A `ts::server` asks its attached
/// sources when it is about to send, and a source tells the servers it is attached to (its sinks)
/// when its timestamps change, so they know which connections have something new to say.
///
/// Reference: pydvbcss `TimelineSource` and `SimpleTimelineSource` (behaviour notes §4.5), with
/// three differences: a source pushes its changes itself (no `updateAllClients` call needed), a
/// source is told about selectors that were needed before it was attached (B21), and neither a
/// source nor a sink can be left pointing at the other when one of them is destroyed.

#include <dvbcss/time.hpp>
#include <dvbcss/ts/message.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::ts {

class timeline_source;

/// Something that wants to hear when a timeline source's control timestamps change: a
/// `ts::server` (through a private member, so only the server attaches or detaches it) or a test.
///
/// A sink remembers the sources it is attached to: whichever of a sink and a source dies first
/// ends the attachment (a dying source calls `on_source_destroyed`; a dying sink detaches itself).
///
/// Thread safety: called synchronously on the thread that changed the source, which must be the
/// thread or executor that owns the server, its sources and their clocks.
class timeline_sink {
public:
    /// `source` (attached to this sink) has new control timestamps: for `selector` only, or for
    /// every selector it recognises when `selector` is empty. Called synchronously from inside the
    /// source; the sink should only take note (e.g. mark connections dirty) and not call back
    /// into the source from here.
    virtual void on_timeline_changed(timeline_source& source,
                                     std::optional<std::string_view> selector) = 0;

    /// Called while `source` (attached to this sink) is being destroyed; it is already detached.
    /// Only its identity may be used: its derived parts are gone. Default: nothing.
    virtual void on_source_destroyed(timeline_source& source) { static_cast<void>(source); }

    /// The sources attached to this sink, oldest attachment first.
    [[nodiscard]] const std::vector<timeline_source*>& sources() const noexcept { return sources_; }

protected:
    timeline_sink() = default;

    /// A copy is attached to nothing.
    timeline_sink(const timeline_sink& /*other*/) noexcept {}

    timeline_sink& operator=(const timeline_sink& /*other*/) noexcept { return *this; }

    /// Detaches from every source still attached.
    virtual ~timeline_sink();

private:
    friend class timeline_source;
    std::vector<timeline_source*> sources_;
};

/// Where control timestamps for timeline selectors come from (the reference's TimelineSource).
///
/// A source implements:
/// - `recognises(selector)`: true if it can describe that timeline (exact match, pattern, ...);
/// - `control_timestamp_for(selector)`: the control timestamp describing that timeline now
///   (the "unavailable" form if it recognises the selector but the timeline is not available),
///   or nullopt for "not yet: send nothing" (a source that is slow to respond). It is only called
///   for selectors the source recognises, at the moment a server is about to send; a source that
///   returned nullopt must push (`notify_changed`) once it has an answer;
/// - optionally `selector_needed` / `selector_not_needed`: told when the first companion asks for
///   a selector and when the last one leaves (counted over the connections of one server), so a
///   source can start and stop extracting a timeline. Every attached source is told, whether or
///   not it recognises the selector; a source attached to several servers hears from each.
///
/// Pushing: after its timestamps change, a source calls `notify_changed(selector)` (or
/// `notify_changed()` for all its selectors); each attached sink hears it synchronously.
///
/// Lifetime: a source and its sinks may die in any order (see `timeline_sink`). A source is not
/// copyable or movable, because sinks hold its address.
///
/// Thread safety: distinct objects safe; shared objects unsafe. A source, the servers it is
/// attached to and the clocks it reads belong to one thread or executor.
class timeline_source {
public:
    timeline_source() = default;
    timeline_source(const timeline_source&) = delete;
    timeline_source& operator=(const timeline_source&) = delete;
    timeline_source(timeline_source&&) = delete;
    timeline_source& operator=(timeline_source&&) = delete;

    /// Tells every attached sink that this source is gone (`on_source_destroyed`).
    virtual ~timeline_source();

    /// True if this source provides the timeline `selector`.
    [[nodiscard]] virtual bool recognises(std::string_view selector) const = 0;

    /// The control timestamp for `selector` now, or nullopt for "not yet, send nothing". Only
    /// called for a selector `recognises` accepts. Must not throw. A returned timestamp must have
    /// `content_time` and `timeline_speed_multiplier` both set (a finite speed) or both empty; a
    /// server treats anything else as "unavailable".
    [[nodiscard]] virtual std::optional<control_timestamp>
    control_timestamp_for(std::string_view selector) = 0;

    /// The first connection asking for `selector` arrived (or this source was attached while it
    /// was already needed). Default: nothing.
    virtual void selector_needed(std::string_view selector) { static_cast<void>(selector); }

    /// The last connection asking for `selector` left (or this source was detached while it was
    /// needed). Default: nothing.
    virtual void selector_not_needed(std::string_view selector) { static_cast<void>(selector); }

    /// Attaches `sink` (a no-op if already attached). Normally called by `ts::server::attach`.
    void attach_sink(timeline_sink& sink);

    /// Detaches `sink` (a no-op if not attached).
    void detach_sink(timeline_sink& sink);

    /// True if `sink` is attached.
    [[nodiscard]] bool has_sink(const timeline_sink& sink) const noexcept;

    /// Number of attached sinks.
    [[nodiscard]] std::size_t sink_count() const noexcept { return sinks_.size(); }

protected:
    /// Tells every attached sink that the control timestamp for `selector` changed. A sink
    /// detached during the notification is not called afterwards.
    void notify_changed(std::string_view selector);

    /// Tells every attached sink that the control timestamps of every selector this source
    /// recognises changed.
    void notify_changed();

private:
    void notify(std::optional<std::string_view> selector);

    std::vector<timeline_sink*> sinks_;
};

/// A source for one timeline selector (exact match) whose control timestamp the application sets
/// (the reference's SimpleTimelineSource). An empty value means "not yet": servers send nothing
/// for it until a timestamp is set, which is how a program builds a source that is slow to
/// respond.
///
/// Thread safety: as `timeline_source`.
class simple_timeline_source final : public timeline_source {
public:
    /// `ct`: the control timestamp to report, or nullopt for "not yet". Throws
    /// std::invalid_argument if `ct` is malformed (content time and speed not both set or both
    /// empty, or a non-finite speed).
    simple_timeline_source(std::string selector, std::optional<control_timestamp> ct);

    [[nodiscard]] bool recognises(std::string_view selector) const override;

    /// The control timestamp as last set (nullopt: "not yet"), whatever `selector`.
    [[nodiscard]] std::optional<control_timestamp>
    control_timestamp_for(std::string_view selector) override;

    /// Replaces the control timestamp and pushes to every sink (always, even if equal: servers
    /// only resend what changed). Throws std::invalid_argument like the constructor.
    void set_control_timestamp(std::optional<control_timestamp> ct);

    [[nodiscard]] const std::optional<control_timestamp>& control_timestamp_value() const noexcept {
        return ct_;
    }

    [[nodiscard]] const std::string& selector() const noexcept { return selector_; }

private:
    std::string selector_;
    std::optional<control_timestamp> ct_;
};

/// True if `ct` can be sent as is: content time and speed both present (the speed finite) or
/// both absent.
[[nodiscard]] bool well_formed(const control_timestamp& ct) noexcept;

/// `t` rounded down to a whole tick (floor) as an int64, or nullopt if `t` is not finite or the
/// result lies outside the int64 range. This is how clock readings become wire integers.
[[nodiscard]] std::optional<std::int64_t> whole_ticks(tick_t t) noexcept;

} // namespace dvbcss::ts
