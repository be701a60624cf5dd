#include "tv/control_route.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <utility>

namespace dvbcss::tools {

namespace {

net::http_response json_response(unsigned status, std::string body) {
    net::http_response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    r.body += "\n";
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

net::http_response error_response(unsigned status, const std::string& error) {
    return json_response(status, nlohmann::json{{"error", error}}.dump(
                                     -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool is_loopback(const boost::asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6())
            .is_loopback();
    }
    return a.is_loopback();
}

} // namespace

control_route::control_route(boost::asio::any_io_executor owner, apply_function apply,
                             bool from_anywhere)
    : owner_(std::move(owner))
    , apply_(std::move(apply))
    , from_anywhere_(from_anywhere)
    , log_("control", 5, std::chrono::seconds(1)) {}

void control_route::on_request(const net::http_request& request, net::http_responder respond) {
    boost::asio::post(owner_,
                      [this, request, respond = std::move(respond)] { respond(answer(request)); });
}

net::http_response control_route::answer(const net::http_request& request) {
    const auto peer = request.remote.address().to_string();
    if (request.method != "POST") {
        log_.write(net::log::level::warning,
                   peer + ": " + request.method + " /control refused (POST only)");
        auto r = error_response(405, "POST a change object or an array of them");
        r.headers.emplace_back("Allow", "POST");
        return r;
    }
    if (!from_anywhere_ && !is_loopback(request.remote.address())) {
        log_.write(net::log::level::warning,
                   peer + ": /control refused: not a loopback peer (see --control-from-anywhere)");
        return error_response(403, "control is allowed from loopback addresses only");
    }
    std::string error;
    const auto changes = tv::parse_changes(request.body, error);
    if (!changes) {
        log_.write(net::log::level::warning, peer + ": bad /control request: " + error);
        return error_response(400, error);
    }
    const auto first = request.body.find_first_not_of(" \t\r\n");
    const bool indexed = first != std::string::npos && request.body[first] == '[';
    auto result = apply_(*changes, indexed);
    if (result.refused) {
        log_.write(net::log::level::warning, peer + ": /control refused: " + *result.refused);
        return error_response(400, *result.refused);
    }
    return json_response(200, std::move(result.body));
}

} // namespace dvbcss::tools
