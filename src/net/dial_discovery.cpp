// DIAL discovery, the companion side: M-SEARCH on one interface, then the TV's two documents
// over HTTP. Protocol parsing is the sans-I/O core's (dial::parse_ssdp and the XML parsers);
// this file owns the socket, the timers, the fetches and their bounds.
#include "http_get.hpp"

#include <dvbcss/dial/description.hpp>
#include <dvbcss/dial/ssdp.hpp>
#include <dvbcss/net/dial_discovery.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_error_log.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>

namespace dvbcss::net {

namespace asio = boost::asio;

namespace {

constexpr std::string_view logger = "dial.discovery";

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// A short, printable excerpt of text a peer sent, for a log line.
std::string excerpt(std::string_view text, std::size_t most = 60) {
    std::string out;
    for (const char c : text.substr(0, most)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (text.size() > most) {
        out += "...";
    }
    return out;
}

std::optional<std::string> non_empty(std::optional<std::string> value) {
    if (value && value->empty()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

struct dial_discovery::impl : std::enable_shared_from_this<impl> {
    impl(const asio::any_io_executor& ex, dial_discovery_config c)
        : executor(ex)
        , config(std::move(c))
        , search_timer(ex)
        , end_timer(ex)
        , log(std::string(logger)) {}

    struct job {
        std::string location;
        asio::ip::address address;
    };

    asio::any_io_executor executor;
    dial_discovery_config config;
    std::unique_ptr<ssdp_socket> socket;
    ssdp_socket::endpoint local;
    asio::steady_timer search_timer;
    asio::steady_timer end_timer;
    udp_error_log log;
    found_handler found;
    finished_handler finished;
    dial_discovery_statistics stats;
    std::chrono::steady_clock::time_point started_at;
    std::size_t next_search = 0;
    bool started = false;
    bool stopped = false;

    std::set<std::string> locations; // every LOCATION taken (bounded by max_locations)
    std::set<std::string> udns;      // every UDN reported or being completed
    std::deque<job> queue;           // LOCATIONs waiting for a fetch slot
    std::map<std::uint64_t, std::shared_ptr<detail::http_get>> active;
    std::uint64_t next_fetch_id = 0;
    std::size_t busy = 0; // TVs whose documents are being fetched

    void write_log(log::level l, const std::string& message) { log.write(l, message, steady_ns()); }

    error_code open() {
        socket = std::make_unique<ssdp_socket>(executor, 8 * 1024);
        auto weak = weak_from_this();
        const auto ec = socket->open(
            ssdp_socket::role::searcher, config.iface,
            [weak](std::string_view bytes, bool truncated, const ssdp_socket::endpoint& sender) {
                if (auto self = weak.lock(); self && !self->stopped) {
                    self->on_datagram(bytes, truncated, sender);
                }
            });
        if (ec) {
            socket.reset();
            return ec;
        }
        local = socket->local_endpoint();
        started_at = std::chrono::steady_clock::now();
        send_due_searches();
        end_timer.expires_at(started_at + config.timeout);
        end_timer.async_wait([weak](const boost::system::error_code& e) {
            if (auto self = weak.lock(); self && !e && !self->stopped) {
                self->finish();
            }
        });
        return {};
    }

    void send_due_searches() {
        const auto now = std::chrono::steady_clock::now();
        while (next_search < config.search_times.size() &&
               started_at + config.search_times[next_search] <= now) {
            ++next_search;
            dial::ssdp_search search;
            search.search_target = std::string(dial::dial_search_target);
            search.mx_s = std::clamp(config.mx_s, 1, 5);
            search.user_agent = config.user_agent;
            if (const auto ec =
                    socket->send_to(dial::format_ssdp(search), ssdp_socket::multicast_group())) {
                write_log(log::level::warning,
                          "cannot send M-SEARCH on " + config.iface.name + ": " + ec.message());
            } else {
                ++stats.searches_sent;
            }
        }
        if (next_search < config.search_times.size()) {
            search_timer.expires_at(started_at + config.search_times[next_search]);
            search_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& e) {
                if (auto self = weak.lock(); self && !e && !self->stopped) {
                    self->send_due_searches();
                }
            });
        }
    }

    void on_datagram(std::string_view bytes, bool truncated, const ssdp_socket::endpoint& sender) {
        ++stats.datagrams;
        const auto from = sender.address().to_string() + ":" + std::to_string(sender.port());
        if (truncated) {
            ++stats.malformed;
            write_log(log::level::info, "ignored an oversized datagram from " + from);
            return;
        }
        auto parsed = dial::parse_ssdp(bytes);
        if (!parsed) {
            ++stats.malformed;
            write_log(log::level::info, "ignored a datagram from " + from + " (" +
                                            parsed.error().message() + "): " + excerpt(bytes));
            return;
        }
        const auto* answer = std::get_if<dial::ssdp_search_response>(&*parsed);
        if (answer == nullptr || answer->search_target != dial::dial_search_target) {
            ++stats.not_dial;
            return;
        }
        if (locations.count(answer->location) != 0) {
            return; // the same answer to another of our searches, or a repeat
        }
        if (locations.size() >= config.max_locations) {
            ++stats.over_limit;
            write_log(log::level::warning, "ignored LOCATION " + excerpt(answer->location) +
                                               " from " + from + ": already fetching " +
                                               std::to_string(config.max_locations) +
                                               " locations in this discovery");
            return;
        }
        locations.insert(answer->location);
        ++stats.locations;
        if (const auto url = detail::parse_http_url(answer->location); !url) {
            ++stats.fetch_failed;
            write_log(log::level::warning,
                      "ignored the answer from " + from +
                          ": LOCATION is not an http:// URL: " + excerpt(answer->location));
            return;
        } else if (url->host != sender.address().to_string()) {
            write_log(log::level::info, "the answer from " + from + " names another host in " +
                                            excerpt(answer->location) +
                                            "; fetching it (UPnP allows this)");
        }
        queue.push_back(job{answer->location, sender.address()});
        pump();
    }

    /// Starts queued fetches while there are free slots.
    void pump() {
        while (!stopped && busy < config.max_concurrent_fetches && !queue.empty()) {
            auto j = std::move(queue.front());
            queue.pop_front();
            ++busy;
            fetch_description(std::move(j));
        }
    }

    /// Runs GET `url`, then `then` with the outcome, unless stopped meanwhile.
    void get(const std::string& url,
             std::function<void(error_code, detail::http_get_response)> then) {
        detail::http_get_options options;
        options.timeout = config.fetch_timeout;
        options.max_body_bytes = config.max_body_bytes;
        options.user_agent = config.user_agent;
        const auto id = next_fetch_id++;
        auto weak = weak_from_this();
        active[id] = detail::http_get::start(
            executor, url, options,
            [weak, id, then = std::move(then)](error_code ec, detail::http_get_response r) {
                auto self = weak.lock();
                if (!self || self->stopped) {
                    return;
                }
                self->active.erase(id);
                then(ec, std::move(r));
            });
    }

    /// Why a GET did not give a usable document, or empty.
    static std::string fetch_problem(error_code ec, const detail::http_get_response& r) {
        if (ec == errc::timeout) {
            return "no answer within the fetch timeout";
        }
        if (ec == errc::message_too_large) {
            return "answer over the size limit";
        }
        if (ec) {
            return ec.message();
        }
        if (r.status != 200) {
            return "HTTP status " + std::to_string(r.status);
        }
        return {};
    }

    void release() {
        --busy;
        pump();
    }

    void fetch_description(job j) {
        get(j.location, [this, j](error_code ec, detail::http_get_response r) {
            if (const auto problem = fetch_problem(ec, r); !problem.empty()) {
                ++stats.fetch_failed;
                write_log(log::level::warning,
                          "device description " + excerpt(j.location) + ": " + problem);
                release();
                return;
            }
            dial::xml_limits limits;
            limits.max_bytes = config.max_body_bytes;
            auto description = dial::parse_device_description(r.body, limits);
            if (!description) {
                ++stats.fetch_failed;
                write_log(log::level::warning, "device description " + excerpt(j.location) +
                                                   " refused: " + description.error().message());
                release();
                return;
            }
            if (udns.count(description->udn) != 0) {
                ++stats.duplicates;
                release();
                return;
            }
            udns.insert(description->udn);
            discovered_tv tv;
            tv.friendly_name = non_empty(description->friendly_name);
            tv.udn = description->udn;
            tv.location = j.location;
            tv.address = j.address;
            const auto application_url = r.header("Application-URL");
            if (application_url.empty()) {
                write_log(log::level::warning, "device description " + excerpt(j.location) +
                                                   " came without an Application-URL header");
                report(std::move(tv));
                return;
            }
            tv.application_url = application_url;
            auto resource = application_url;
            if (resource.back() != '/') {
                resource += '/';
            }
            resource += "HbbTV";
            get(resource, [this, tv = std::move(tv),
                           resource](error_code e, detail::http_get_response answer) mutable {
                if (const auto problem = fetch_problem(e, answer); !problem.empty()) {
                    write_log(log::level::warning,
                              "HbbTV application " + excerpt(resource) + ": " + problem);
                } else {
                    dial::xml_limits l;
                    l.max_bytes = config.max_body_bytes;
                    auto app = dial::parse_hbbtv_application(answer.body, l);
                    if (!app) {
                        write_log(log::level::warning, "HbbTV application " + excerpt(resource) +
                                                           " refused: " + app.error().message());
                    } else {
                        tv.inter_dev_sync_url = non_empty(app->inter_dev_sync_url);
                        tv.app2app_url = non_empty(app->app2app_url);
                        tv.user_agent = non_empty(app->user_agent);
                    }
                }
                report(std::move(tv));
            });
        });
    }

    void report(discovered_tv tv) {
        tv.found_after_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now() - started_at)
                                .count();
        ++stats.tvs;
        --busy;
        if (found) {
            found(tv); // may call stop()
        }
        pump();
    }

    void stop_io() {
        stopped = true;
        if (socket) {
            socket->close();
            socket.reset();
        }
        search_timer.cancel();
        end_timer.cancel();
        auto fetches = std::move(active);
        active.clear();
        for (auto& [id, fetch] : fetches) {
            fetch->cancel();
        }
        queue.clear();
    }

    void finish() {
        stop_io();
        if (finished) {
            finished();
        }
    }
};

dial_discovery::dial_discovery(const asio::any_io_executor& executor, dial_discovery_config config)
    : impl_(std::make_shared<impl>(executor, std::move(config))) {}

dial_discovery::~dial_discovery() {
    stop();
}

error_code dial_discovery::start(found_handler found, finished_handler finished) {
    if (impl_->started) {
        return asio::error::already_started;
    }
    impl_->started = true;
    impl_->found = std::move(found);
    impl_->finished = std::move(finished);
    return impl_->open();
}

void dial_discovery::stop() {
    impl_->stop_io();
}

ssdp_socket::endpoint dial_discovery::local_endpoint() const {
    return impl_->local;
}

const dial_discovery_statistics& dial_discovery::statistics() const noexcept {
    return impl_->stats;
}

} // namespace dvbcss::net
