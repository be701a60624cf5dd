#pragma once
/// GStreamer initialisation for the media component (dvbcss::media).
#include <string>

namespace dvbcss::gst {

/// Initialises GStreamer once per process (gst_init without arguments); later calls do nothing.
/// Returns GStreamer's version string, e.g. "GStreamer 1.22.0".
///
/// Thread safety: safe from any thread (std::call_once).
std::string ensure_initialized();

} // namespace dvbcss::gst
