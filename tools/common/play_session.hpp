#pragma once
// ts-client --play: the companion's player. Plays a file or URI with a GStreamer pipeline whose
// clock is the wall clock estimate, steered by gst::follower so that each moment is rendered
// when the TV renders it (docs/media.md, "Companion side"). Built only with the media component
// (DVBCSS_HAVE_MEDIA); without it `make_play_session` says so.
#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/ts/message.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dvbcss::tools {

struct play_options {
    std::string uri;            ///< --play FILE_OR_URI
    std::string audio_sink;     ///< --audio-sink DESC (empty: automatic)
    std::string video_sink;     ///< --video-sink DESC (empty: automatic)
    double render_delay_ms = 0; ///< --render-delay MS
    bool json = false;
    bool quiet = false;
};

/// The player of one ts-client run. Use on the io_context's thread.
class play_session {
public:
    virtual ~play_session() = default;

    /// Checks the media can be played (builds and prerolls a pipeline once, then drops it) and,
    /// if `selector` is not empty, that it carries that timeline. An error line (without the
    /// program name) if not.
    virtual std::optional<std::string> check(const std::string& selector) = 0;

    /// The wall clock is synchronised: the player starts (its pipeline clock is the estimate from
    /// now on) and follows the latest control timestamp. An error line if it cannot.
    virtual std::optional<std::string> start(const std::string& selector) = 0;

    [[nodiscard]] virtual bool started() const = 0;

    /// The TV's control timestamps, as they arrive.
    virtual void on_control_timestamp(const ts::control_timestamp& ct) = 0;

    /// ",\"offset_ms\":...,..." for a --json status line (null when unknown).
    [[nodiscard]] virtual std::string json_fields() const = 0;

    /// "   Player offset = +0.123 ms" for a human status line.
    [[nodiscard]] virtual std::string text_status() const = 0;

    /// Set when the player failed at run time (the pipeline's error): the run ends with exit 1.
    void on_failure(std::function<void(const std::string&)> f) { on_failure_ = std::move(f); }

    /// Stops playback.
    virtual void stop() = 0;

protected:
    std::function<void(const std::string&)> on_failure_;
};

/// A player for `o` following `wall_clock` (ns ticks, rooted at a 1e9 sys_clock on
/// CLOCK_MONOTONIC), or nullptr with `error` set if this build has no media component.
std::unique_ptr<play_session> make_play_session(boost::asio::io_context& io,
                                                clock::clock_base& wall_clock,
                                                const play_options& o, std::string& error);

} // namespace dvbcss::tools
