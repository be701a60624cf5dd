#include <dvbcss/gst/init.hpp>

#include <memory>
#include <mutex>

#include <gst/gst.h>

namespace dvbcss::gst {

std::string ensure_initialized() {
    static std::once_flag once;
    std::call_once(once, [] { gst_init(nullptr, nullptr); });
    const std::unique_ptr<gchar, decltype(&g_free)> version(gst_version_string(), &g_free);
    return version ? std::string(version.get()) : std::string("GStreamer");
}

} // namespace dvbcss::gst
