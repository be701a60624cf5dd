#pragma once

/// The TV side of DIAL discovery (DIAL 2.x §5, §6; HbbTV 2 §14.7) on an Asio executor: answers
/// SSDP searches on one network interface, announces the device with NOTIFY, and serves the
/// device description and the HbbTV application description over HTTP beside the program's
/// WebSocket endpoints.

#include <dvbcss/error.hpp>
#include <dvbcss/net/http_route.hpp>
#include <dvbcss/net/ssdp_socket.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::net {

/// Settings of a `dial_server`.
struct dial_server_config {
    /// The interface SSDP listens and announces on; its IPv4 address is the host part of every
    /// URL handed out (LOCATION, Application-URL, the CII URL).
    network_interface iface;
    /// TCP port of the `websocket_server` the HTTP routes are added to, as peers reach it.
    std::uint16_t http_port = 0;
    /// Where CSS-CII is served on that interface: ws://<iface address>:<cii_port><cii_path>.
    std::uint16_t cii_port = 0;
    std::string cii_path = "/cii";
    /// The device's UUID without "uuid:"; empty: `derive_device_uuid(host name, address,
    /// http_port)`.
    std::string uuid;
    std::string friendly_name = "dvbcss tv-device";
    std::string manufacturer = "dvbcss";
    std::string model_name = "tv-device";
    /// X_HbbTV_UserAgent in the application description; empty: omitted.
    std::string user_agent;
    /// Path of the device description (the SSDP LOCATION).
    std::string description_path = "/dial/dd.xml";
    /// Copies of each NOTIFY alive sent at start, and the spacing between them (UPnP DA 1.1
    /// §1.2.2 recommends more than one, as UDP may lose any datagram).
    int notify_copies = 2;
    std::chrono::milliseconds notify_spacing{200};
    /// CACHE-CONTROL max-age of answers and NOTIFY alive (seconds).
    int max_age_s = 1800;
    /// Largest SSDP datagram parsed (bytes); longer ones are counted as malformed.
    std::size_t max_datagram = 8 * 1024;
};

/// What a `dial_server` has done since it started.
struct dial_server_statistics {
    std::uint64_t datagrams = 0;    ///< SSDP datagrams received (including our own NOTIFYs).
    std::uint64_t searches = 0;     ///< M-SEARCH datagrams parsed.
    std::uint64_t answered = 0;     ///< Unicast answers sent.
    std::uint64_t not_for_us = 0;   ///< Searches for other targets and other SSDP messages.
    std::uint64_t malformed = 0;    ///< Datagrams refused (unparsable or over max_datagram).
    std::uint64_t dropped_full = 0; ///< Searches dropped because too many answers were pending.
    std::uint64_t send_errors = 0;  ///< Datagrams the socket refused to send.
    std::uint64_t notify_sent = 0;  ///< NOTIFY datagrams sent (alive and byebye).
    std::uint64_t description_requests = 0; ///< GET/HEAD of the device description.
    std::uint64_t application_requests = 0; ///< GET/HEAD of the HbbTV application.
    std::uint64_t launch_refused = 0;       ///< POST and DELETE refused on the application.
};

/// A name-based (version 5, SHA-1) UUID from the host name, the interface address and the HTTP
/// port, so a TV keeps its identity across restarts while two instances on one host (different
/// ports) differ. Lower-case, "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx", without "uuid:".
[[nodiscard]] std::string derive_device_uuid(std::string_view host_name,
                                             const boost::asio::ip::address_v4& address,
                                             std::uint16_t port);

/// True if `text` is a UUID in the 8-4-4-4-12 hexadecimal form.
[[nodiscard]] bool is_uuid(std::string_view text);

/// The TV side of DIAL.
///
/// SSDP: an `ssdp_socket` (listener role) on `config.iface` feeds a `dial::responder`; answers
/// leave after the random delay the responder draws within the search's MX (a PRNG seeded from
/// std::random_device), from a steady_timer. `start` multicasts NOTIFY ssdp:alive
/// `notify_copies` times; `stop` multicasts ssdp:byebye once. Bad datagrams are counted and
/// logged (logger "dial", info, rate-limited: 10 lines then one a second); nothing a peer sends
/// stops the server.
///
/// HTTP (routes added to `http` in the constructor):
/// - `description_path`: GET/HEAD 200 with the UPnP device description (text/xml) and the
///   header `Application-URL: http://<address>:<http_port>/apps/`; other methods 405.
/// - `/apps/HbbTV`: GET/HEAD 200 with the DIAL application description, state "running", whose
///   X_HbbTV_InterDevSyncURL is ws://<address>:<cii_port><cii_path> and with no
///   X_HbbTV_App2AppURL (no App2App server is offered). POST (launch) and DELETE (stop): 403
///   Forbidden with a one-line text body: this TV launches and stops no applications. Other
///   methods: 405 with `Allow: GET, HEAD, POST, DELETE`.
/// - any other path under `/apps/`: 404 (DIAL 2.x §6.1: an unknown application).
///
/// Thread safety: construct, `start` and `stop` on the executor (or before it runs); the HTTP
/// routes may be called from any thread (they read immutable settings); `statistics` is safe
/// from any thread. The object must outlive the `websocket_server`'s activity (its routes stay
/// registered) and its executor's work (stop it, then let the io_context finish).
class dial_server {
public:
    dial_server(const boost::asio::any_io_executor& executor, websocket_server& http,
                dial_server_config config);
    ~dial_server();
    dial_server(const dial_server&) = delete;
    dial_server& operator=(const dial_server&) = delete;

    /// Opens the SSDP socket and sends NOTIFY alive. Errors: the socket's (e.g.
    /// no_such_device when the interface cannot join the group).
    error_code start();

    /// Sends NOTIFY byebye, cancels pending answers and closes the socket. Idempotent.
    void stop();

    /// A consistent copy of the counters, from any thread.
    [[nodiscard]] dial_server_statistics statistics() const;

    [[nodiscard]] const std::string& uuid() const noexcept;
    /// LOCATION: http://<address>:<http_port><description_path>.
    [[nodiscard]] const std::string& location() const noexcept;
    /// Application-URL: http://<address>:<http_port>/apps/.
    [[nodiscard]] const std::string& application_url() const noexcept;
    /// ws://<address>:<cii_port><cii_path>.
    [[nodiscard]] const std::string& cii_url() const noexcept;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace dvbcss::net
