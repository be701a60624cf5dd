#include <dvbcss/dial/description.hpp>
#include <dvbcss/dial/responder.hpp>
#include <dvbcss/net/dial_server.hpp>
#include <dvbcss/net/udp_error_log.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <array>
#include <cctype>
#include <mutex>
#include <random>
#include <utility>

#include <unistd.h>

namespace dvbcss::net {
namespace {

constexpr std::string_view apps_prefix = "/apps/";
constexpr std::string_view hbbtv_app_path = "/apps/HbbTV";
constexpr std::string_view xml_content_type = "text/xml; charset=\"utf-8\"";

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string local_host_name() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0) {
        return "localhost";
    }
    return std::string(name.data());
}

http_response method_not_allowed(std::string allow) {
    http_response r;
    r.status = 405;
    r.body = "method not allowed\n";
    r.headers.emplace_back("Allow", std::move(allow));
    return r;
}

} // namespace

std::string derive_device_uuid(std::string_view host_name,
                               const boost::asio::ip::address_v4& address, std::uint16_t port) {
    // Version 5 in the URL namespace (RFC 9562 §5.5), over a name that says what it identifies.
    boost::uuids::name_generator_sha1 generate(boost::uuids::ns::url());
    const std::string name = "dvbcss:tv-device:" + std::string(host_name) + "/" +
                             address.to_string() + ":" + std::to_string(port);
    return boost::uuids::to_string(generate(name));
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    return true;
}

struct dial_server::impl : std::enable_shared_from_this<dial_server::impl> {
    impl(const boost::asio::any_io_executor& ex, dial_server_config c)
        : config(std::move(c))
        , socket(ex, config.max_datagram)
        , answer_timer(ex)
        , notify_timer(ex)
        , prng(std::random_device{}())
        , bad_log("dial")
        , description_route(
              [this](const http_request& r, http_responder p) { on_description(r, std::move(p)); })
        , apps_route(
              [this](const http_request& r, http_responder p) { on_apps(r, std::move(p)); }) {
        const std::string address = config.iface.address.to_string();
        const std::string http_base = "http://" + address + ":" + std::to_string(config.http_port);
        if (config.uuid.empty()) {
            config.uuid =
                derive_device_uuid(local_host_name(), config.iface.address, config.http_port);
        }
        location = http_base + config.description_path;
        application_url = http_base + std::string(apps_prefix);
        cii_url = "ws://" + address + ":" + std::to_string(config.cii_port) + config.cii_path;

        dial::device_description d;
        d.device_type = std::string(dial::dial_device_type);
        d.friendly_name = config.friendly_name;
        d.udn = "uuid:" + config.uuid;
        d.manufacturer = config.manufacturer;
        d.model_name = config.model_name;
        description_xml = dial::format_device_description(d);

        dial::hbbtv_application app;
        app.inter_dev_sync_url = cii_url;
        if (!config.user_agent.empty()) {
            app.user_agent = config.user_agent;
        }
        application_xml = dial::format_hbbtv_application(app);

        dial::responder_config rc;
        rc.uuid = config.uuid;
        rc.location = location;
        rc.max_age_s = config.max_age_s;
        responder.emplace(std::move(rc));
    }

    // Immutable after construction (read by HTTP routes on any thread).
    dial_server_config config;
    std::string location;
    std::string application_url;
    std::string cii_url;
    std::string description_xml;
    std::string application_xml;

    // Executor only.
    std::optional<dial::responder> responder;
    ssdp_socket socket;
    boost::asio::steady_timer answer_timer;
    std::optional<std::int64_t> armed_due;
    boost::asio::steady_timer notify_timer;
    int notify_left = 0;
    std::mt19937_64 prng;
    udp_error_log bad_log;
    std::uint64_t truncated = 0;
    bool running = false;

    mutable std::mutex stats_mutex;
    dial_server_statistics stats;

    http_function_handler description_route;
    http_function_handler apps_route;

    template <class F>
    void update_stats(F&& f) {
        const std::lock_guard lock(stats_mutex);
        f(stats);
    }

    void sync_responder_stats() {
        const auto& r = responder->statistics();
        update_stats([&](dial_server_statistics& s) {
            s.searches = r.searches;
            s.not_for_us = r.not_for_us;
            s.malformed = r.malformed + truncated;
            s.dropped_full = r.dropped_full;
        });
    }

    void on_datagram(std::string_view bytes, bool was_truncated,
                     const ssdp_socket::endpoint& sender) {
        const std::int64_t now = now_ns();
        update_stats([](dial_server_statistics& s) { ++s.datagrams; });
        const std::string from = sender.address().to_string() + ":" + std::to_string(sender.port());
        if (was_truncated) {
            ++truncated;
            bad_log.write(log::level::info,
                          "ignored an SSDP datagram from " + from + ": longer than " +
                              std::to_string(config.max_datagram) + " bytes",
                          now);
        } else {
            const dial::ssdp_peer peer{sender.address().to_string(), sender.port()};
            if (const auto ec = responder->on_datagram(bytes, peer, now, prng())) {
                bad_log.write(log::level::info,
                              "ignored an SSDP datagram from " + from + " (" +
                                  std::to_string(bytes.size()) + " bytes): " + ec.message(),
                              now);
            }
        }
        sync_responder_stats();
        arm();
    }

    void arm() {
        const auto next = responder->next_due_ns();
        if (!next) {
            return; // a pending wait (if any) finds nothing due and stops
        }
        if (armed_due && *armed_due <= *next) {
            return; // the armed wait fires earlier and re-arms
        }
        armed_due = next;
        answer_timer.expires_at(std::chrono::steady_clock::time_point(
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::nanoseconds(*next))));
        answer_timer.async_wait([self = shared_from_this()](const error_code& ec) {
            if (ec == boost::asio::error::operation_aborted) {
                return; // re-armed earlier, or stopped
            }
            self->armed_due.reset();
            if (self->running) {
                self->send_due();
                self->arm();
            }
        });
    }

    void send_due() {
        const auto due = responder->take_due(now_ns());
        std::uint64_t sent = 0;
        std::uint64_t failed = 0;
        for (const auto& a : due) {
            error_code ec;
            const auto address = boost::asio::ip::make_address(a.destination.address, ec);
            if (!ec) {
                ec = socket.send_to(a.datagram, ssdp_socket::endpoint(address, a.destination.port));
            }
            if (ec) {
                ++failed;
                bad_log.write(log::level::info,
                              "could not answer " + a.destination.address + ":" +
                                  std::to_string(a.destination.port) + ": " + ec.message(),
                              now_ns());
            } else {
                ++sent;
            }
        }
        update_stats([&](dial_server_statistics& s) {
            s.answered += sent;
            s.send_errors += failed;
        });
    }

    void multicast(const std::vector<std::string>& datagrams) {
        std::uint64_t sent = 0;
        std::uint64_t failed = 0;
        for (const auto& d : datagrams) {
            if (const auto ec = socket.send_to(d, ssdp_socket::multicast_group())) {
                ++failed;
                bad_log.write(log::level::warning, "could not send NOTIFY: " + ec.message(),
                              now_ns());
            } else {
                ++sent;
            }
        }
        update_stats([&](dial_server_statistics& s) {
            s.notify_sent += sent;
            s.send_errors += failed;
        });
    }

    void announce() {
        if (!running || notify_left <= 0) {
            return;
        }
        --notify_left;
        multicast(responder->alive());
        if (notify_left > 0) {
            notify_timer.expires_after(config.notify_spacing);
            notify_timer.async_wait([self = shared_from_this()](const error_code& ec) {
                if (!ec) {
                    self->announce();
                }
            });
        }
    }

    void on_description(const http_request& request, const http_responder& respond) {
        if (request.method != "GET" && request.method != "HEAD") {
            respond(method_not_allowed("GET, HEAD"));
            return;
        }
        update_stats([](dial_server_statistics& s) { ++s.description_requests; });
        http_response r;
        r.content_type = std::string(xml_content_type);
        r.body = description_xml;
        r.headers.emplace_back("Application-URL", application_url);
        r.headers.emplace_back("Cache-Control", "no-cache");
        respond(std::move(r));
    }

    void on_apps(const http_request& request, const http_responder& respond) {
        if (request.path != hbbtv_app_path) {
            http_response r;
            r.status = 404;
            r.body = "no such application: this TV offers only HbbTV\n";
            respond(std::move(r));
            return;
        }
        if (request.method == "GET" || request.method == "HEAD") {
            update_stats([](dial_server_statistics& s) { ++s.application_requests; });
            http_response r;
            r.content_type = std::string(xml_content_type);
            r.body = application_xml;
            r.headers.emplace_back("Cache-Control", "no-cache");
            respond(std::move(r));
            return;
        }
        if (request.method == "POST" || request.method == "DELETE") {
            update_stats([](dial_server_statistics& s) { ++s.launch_refused; });
            http_response r;
            r.status = 403;
            r.body = request.method == "POST"
                         ? "launching applications is not supported: the HbbTV application is "
                           "already running\n"
                         : "stopping applications is not supported\n";
            respond(std::move(r));
            return;
        }
        respond(method_not_allowed("GET, HEAD, POST, DELETE"));
    }
};

dial_server::dial_server(const boost::asio::any_io_executor& executor, websocket_server& http,
                         dial_server_config config)
    : impl_(std::make_shared<impl>(executor, std::move(config))) {
    http.add_http_route(impl_->config.description_path, impl_->description_route);
    http_route_config apps;
    apps.prefix = true;
    apps.max_body_bytes = 4 * 1024; // DIAL launch bodies are small; ours are refused anyway
    http.add_http_route(std::string(apps_prefix), impl_->apps_route, apps);
}

dial_server::~dial_server() {
    stop();
}

error_code dial_server::start() {
    if (impl_->running) {
        return boost::asio::error::already_started;
    }
    std::weak_ptr<impl> weak = impl_;
    const auto ec = impl_->socket.open(
        ssdp_socket::role::listener, impl_->config.iface,
        [weak](std::string_view bytes, bool truncated, const ssdp_socket::endpoint& sender) {
            if (auto self = weak.lock()) {
                self->on_datagram(bytes, truncated, sender);
            }
        });
    if (ec) {
        return ec;
    }
    impl_->running = true;
    impl_->notify_left = std::max(1, impl_->config.notify_copies);
    impl_->announce();
    return {};
}

void dial_server::stop() {
    if (!impl_->running) {
        return;
    }
    impl_->running = false;
    impl_->notify_timer.cancel();
    impl_->answer_timer.cancel();
    impl_->armed_due.reset();
    impl_->multicast(impl_->responder->byebye());
    impl_->socket.close();
}

dial_server_statistics dial_server::statistics() const {
    const std::lock_guard lock(impl_->stats_mutex);
    return impl_->stats;
}

const std::string& dial_server::uuid() const noexcept {
    return impl_->config.uuid;
}

const std::string& dial_server::location() const noexcept {
    return impl_->location;
}

const std::string& dial_server::application_url() const noexcept {
    return impl_->application_url;
}

const std::string& dial_server::cii_url() const noexcept {
    return impl_->cii_url;
}

} // namespace dvbcss::net
