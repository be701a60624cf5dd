#pragma once

/// The companion side of DIAL discovery (DIAL 2.x §5-6, HbbTV 2 §14.7): finds the TVs on one
/// network interface and reads the HbbTV companion screen URLs each one publishes.
///
/// Steps: multicast an M-SEARCH for `dial::dial_search_target` several times (lost datagrams
/// are normal on Wi-Fi, UPnP DA 1.1 §1.3.2); for each new LOCATION in the answers, GET the UPnP
/// device description and take the `Application-URL` response header (never guessed from
/// LOCATION); GET `<Application-URL>HbbTV` (a '/' is put in between when the header does not end
/// with one) and read X_HbbTV_InterDevSyncURL, X_HbbTV_App2AppURL and X_HbbTV_UserAgent. TVs are
/// told apart by UDN: the same TV answering several searches, or at several LOCATIONs, is
/// reported once.
///
/// A LOCATION whose host is not the address the answer came from is fetched all the same (UPnP
/// allows a device to name another host, and multi-homed TVs do), with one log line naming both;
/// only http:// LOCATIONs are fetched. The number of descriptions fetched at once and in total is
/// bounded, so a flood of answers with fresh LOCATIONs costs bounded work.
///
/// Hostile input never stops discovery of the other TVs: a datagram that is truncated, not SSDP,
/// or not an answer for DIAL; a description that never arrives, is over 64 KiB, is malformed
/// HTTP or XML, or an XML bomb; each is counted in `dial_discovery_statistics` and logged
/// (logger "dial.discovery", warning for TV-side faults, info for ignored datagrams;
/// rate-limited: 10 lines, then at most one a second).
///
/// Thread safety: distinct objects safe; shared objects unsafe. Call every member on the
/// executor given to the constructor (callbacks run there too).

#include <dvbcss/error.hpp>
#include <dvbcss/net/ssdp_socket.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dvbcss::net {

/// One TV found: what its SSDP answer, device description and HbbTV application description
/// said. Optional fields are nullopt when the TV did not give them (an empty element counts as
/// absent).
///
/// Thread safety: a value type.
struct discovered_tv {
    std::optional<std::string> friendly_name; ///< friendlyName of the device description.
    std::string udn;                          ///< UDN, "uuid:...": what tells TVs apart.
    std::string location;                     ///< LOCATION of the SSDP answer.
    /// The Application-URL header of the description's response (DIAL 2.x §5.4); nullopt when
    /// the TV sent none (it then has no DIAL REST service and the HbbTV fields are nullopt).
    std::optional<std::string> application_url;
    /// X_HbbTV_InterDevSyncURL: the CSS-CII WebSocket URL (HbbTV 2 §14.7.2).
    std::optional<std::string> inter_dev_sync_url;
    std::optional<std::string> app2app_url; ///< X_HbbTV_App2AppURL.
    std::optional<std::string> user_agent;  ///< X_HbbTV_UserAgent.
    boost::asio::ip::address address;       ///< Where the SSDP answer came from.
    std::int64_t found_after_ns = 0; ///< From `start` to the TV being complete (steady clock).
};

/// Settings of a discovery.
struct dial_discovery_config {
    network_interface iface; ///< Where to search (see `find_multicast_interface`).
    int mx_s = 1;            ///< MX of the searches: TVs answer within this (1..5 s).
    /// When to send the searches, from `start` (SSDP asks for repeats: datagrams get lost).
    std::vector<std::chrono::milliseconds> search_times{std::chrono::milliseconds(0),
                                                        std::chrono::milliseconds(500),
                                                        std::chrono::milliseconds(1000)};
    /// From `start` to the end of the discovery (`finished` is called then). Answers after it
    /// are not waited for; fetches still running are cancelled.
    std::chrono::milliseconds timeout{std::chrono::seconds(3)};
    /// Deadline of each HTTP GET (connect, request, whole answer).
    std::chrono::milliseconds fetch_timeout{std::chrono::seconds(2)};
    std::size_t max_body_bytes = 64 * 1024;     ///< Largest description accepted.
    std::size_t max_concurrent_fetches = 8;     ///< TVs whose documents are fetched at once.
    std::size_t max_locations = 64;             ///< Distinct LOCATIONs fetched in one discovery.
    std::string user_agent = "dvbcss/0.1 DIAL"; ///< USER-AGENT of searches and GETs.
};

/// What a discovery has seen (for tests, status and logs).
struct dial_discovery_statistics {
    std::uint64_t searches_sent = 0;
    std::uint64_t datagrams = 0;    ///< Datagrams received.
    std::uint64_t malformed = 0;    ///< Truncated, or refused by `dial::parse_ssdp`.
    std::uint64_t not_dial = 0;     ///< Well-formed but not an answer for the DIAL target.
    std::uint64_t locations = 0;    ///< Distinct LOCATIONs taken for fetching.
    std::uint64_t over_limit = 0;   ///< New LOCATIONs refused at `max_locations`.
    std::uint64_t fetch_failed = 0; ///< Descriptions not read (network, HTTP, size, XML).
    std::uint64_t duplicates = 0;   ///< Descriptions naming a UDN already known.
    std::uint64_t tvs = 0;          ///< TVs reported.
};

/// Finds DIAL TVs on one interface (see the file comment).
class dial_discovery {
public:
    using found_handler = std::function<void(const discovered_tv&)>;
    using finished_handler = std::function<void()>;

    dial_discovery(const boost::asio::any_io_executor& executor, dial_discovery_config config);
    /// Stops (see `stop`).
    ~dial_discovery();
    dial_discovery(const dial_discovery&) = delete;
    dial_discovery& operator=(const dial_discovery&) = delete;

    /// Opens the search socket and starts. `found` is called once per TV as soon as its
    /// documents are read; `finished` once when the timeout passes (not after `stop`).
    /// Errors: the socket's open error (e.g. no_such_device when the interface has no multicast
    /// route); `already_started` when called twice.
    error_code start(found_handler found, finished_handler finished);

    /// Ends now: closes the socket, cancels the timers and every fetch. No callback runs after
    /// it returns; the object holds no socket or timer afterwards. Idempotent.
    void stop();

    /// The searcher's local address and port (after `start`).
    [[nodiscard]] ssdp_socket::endpoint local_endpoint() const;

    [[nodiscard]] const dial_discovery_statistics& statistics() const noexcept;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace dvbcss::net
