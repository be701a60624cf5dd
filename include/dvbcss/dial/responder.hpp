#pragma once

/// The TV side of SSDP for DIAL as a sans-I/O state machine: which datagrams to answer, with
/// what, and after what delay; the NOTIFY alive and byebye announcements. The transport owns the
/// socket, the timers and the random numbers and feeds them in.

#include <dvbcss/dial/ssdp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvbcss::dial {

/// A UDP peer as the transport names it (the core never parses or resolves addresses).
struct ssdp_peer {
    std::string address; ///< Numeric address, e.g. "192.0.2.7" or "::1".
    std::uint16_t port = 0;
    friend bool operator==(const ssdp_peer&, const ssdp_peer&) = default;
};

/// Settings of a responder.
struct responder_config {
    std::string uuid;     ///< The device's UUID without "uuid:" (the UDN is "uuid:" + uuid).
    std::string location; ///< URL of the device description, as the peers should fetch it.
    std::string server = "Linux/6 UPnP/1.1 dvbcss/0.1"; ///< SERVER header.
    int max_age_s = 1800; ///< CACHE-CONTROL max-age in answers and NOTIFY alive.
    /// Most answers queued at once (pending their random delay); searches beyond it are dropped
    /// and counted, so a search flood cannot grow memory. A queued answer costs about 64 bytes
    /// (the datagram is formatted when it is due), so the default, 4 MiB at most, holds every
    /// answer of a 10 000 searches/s flood at MX 5 (25 000 waiting on average).
    std::size_t max_pending_answers = 65536;
};

/// What a responder has done, for status pages and tests.
struct responder_statistics {
    std::uint64_t searches = 0;     ///< M-SEARCH datagrams parsed.
    std::uint64_t answered = 0;     ///< Answers handed out by `take_due`.
    std::uint64_t not_for_us = 0;   ///< Searches for another target, and other messages.
    std::uint64_t malformed = 0;    ///< Datagrams `parse_ssdp` refused.
    std::uint64_t dropped_full = 0; ///< Searches dropped at `max_pending_answers`.
};

/// Answers DIAL searches (UPnP DA 1.1 §1.3, DIAL 2.x §5): a search whose ST matches
/// (`search_target_matches` with `dial_search_target`) gets one unicast answer after a delay of
/// `random % (MX * 1e9 + 1)` ns, i.e. uniform within [0, MX] s (MX clamped 1..5 s), from the
/// `random` value the caller passes (any 64-bit value, e.g. from a PRNG). The answer's ST is the
/// DIAL search target for "ssdp:all", the UDN for a UUID search, else the target as searched;
/// its USN is the UDN alone for a UUID search, else "<UDN>::<ST>" (UPnP DA 1.1 §1.3.3).
///
/// Times are caller-supplied nanoseconds on any monotonic clock.
///
/// Thread safety: none; use from one owner.
class responder {
public:
    /// One datagram to send.
    struct answer {
        ssdp_peer destination;
        std::string datagram;
    };

    explicit responder(responder_config config);

    /// Handles one received datagram from `sender` at `now_ns`. Returns the error `parse_ssdp`
    /// gave, if any (the caller logs it, rate-limited); searches not for us are ignored silently.
    error_code on_datagram(std::string_view datagram, const ssdp_peer& sender, std::int64_t now_ns,
                           std::uint64_t random);

    /// The earliest time an answer is due, if any is pending.
    [[nodiscard]] std::optional<std::int64_t> next_due_ns() const;

    /// Removes and returns the answers due at `now_ns`, earliest first.
    std::vector<answer> take_due(std::int64_t now_ns);

    /// NOTIFY ssdp:alive datagrams to multicast (one per advertised target: upnp:rootdevice,
    /// the UDN and `dial_search_target`).
    [[nodiscard]] std::vector<std::string> alive() const;
    /// NOTIFY ssdp:byebye datagrams for the same targets.
    [[nodiscard]] std::vector<std::string> byebye() const;

    [[nodiscard]] const responder_statistics& statistics() const noexcept;
    [[nodiscard]] const responder_config& config() const noexcept;

private:
    // The three answers a search can get, by the ST it carries; formatted once.
    enum class answer_kind : std::uint8_t {
        dial,
        rootdevice,
        udn
    };

    struct pending { // an answer waiting for its time
        std::int64_t due_ns = 0;
        std::uint64_t order = 0; // arrival order: equal due times leave in arrival order
        ssdp_peer destination;
        answer_kind kind = answer_kind::dial;
    };

    std::string answers_[3];

    std::uint64_t next_order_ = 0;
    responder_config config_;
    responder_statistics stats_;
    std::vector<pending> pending_; // kept as a min-heap on due time (implementation's choice)
};

} // namespace dvbcss::dial
