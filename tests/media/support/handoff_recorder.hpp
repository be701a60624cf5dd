#pragma once
// What a `fakesink sync=true signal-handoffs=true` renders and when: each buffer's position (PTS,
// ns) with the pipeline clock's time at its handoff, for checking render times against control
// timestamps. Also where the generated test media live.
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gst/gst.h>

namespace dvbcss::test {

/// A file made by scripts/make-test-media.sh (CMake target test_media).
inline std::string media_file(const char* name) {
    return std::string(DVBCSS_TEST_MEDIA_DIR) + "/" + name;
}

/// One rendered buffer: the pipeline clock (ns) at its handoff and its position (ns).
struct handoff {
    std::int64_t clock_ns;
    std::int64_t position_ns;
};

/// Collects handoffs from a fakesink's "handoff" signal (`on_handoff` with `this` as data),
/// reading `clock` at each. Thread safety: the signal comes on a streaming thread; `take` may be
/// called from any thread.
struct recorder {
    std::mutex m;
    std::vector<handoff> seen;
    GstClock* clock = nullptr;

    static void on_handoff(GstElement* /*sink*/, GstBuffer* buffer, GstPad* /*pad*/,
                           gpointer data) {
        auto* r = static_cast<recorder*>(data);
        const auto now = static_cast<std::int64_t>(gst_clock_get_time(r->clock));
        if (!GST_BUFFER_PTS_IS_VALID(buffer)) {
            return;
        }
        const std::lock_guard lock(r->m);
        r->seen.push_back({now, static_cast<std::int64_t>(GST_BUFFER_PTS(buffer))});
    }

    /// The handoffs so far, leaving none.
    std::vector<handoff> take() {
        const std::lock_guard lock(m);
        return std::exchange(seen, {});
    }
};

} // namespace dvbcss::test
