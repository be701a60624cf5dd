#include <dvbcss/error.hpp>

namespace dvbcss {
namespace {

// boost::system::error_category's destructor is protected and non-virtual by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

class errc_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "dvbcss"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok:
            return "success";
        case errc::wrong_length:
            return "message is not the length the protocol defines";
        case errc::bad_version:
            return "unsupported protocol version";
        case errc::bad_message_type:
            return "undefined message type";
        case errc::not_a_request:
            return "message is not a request";
        case errc::not_a_response:
            return "message is not a response";
        case errc::bad_json:
            return "text is not well-formed JSON or nests too deeply";
        case errc::bad_field_type:
            return "a JSON property has the wrong type";
        case errc::bad_field_value:
            return "a JSON property has a value outside its allowed set";
        case errc::missing_field:
            return "a required JSON property is absent";
        case errc::value_out_of_range:
            return "a number does not fit its field";
        case errc::unexpected_response:
            return "response matches no outstanding request";
        case errc::binary_frame:
            return "binary frame where only text is allowed";
        case errc::unexpected_message:
            return "message not allowed in this protocol state";
        case errc::message_too_large:
            return "message exceeds the size limit";
        case errc::too_many_connections:
            return "endpoint is at its connection limit";
        case errc::outbox_overflow:
            return "peer does not read fast enough: outbox full";
        case errc::endpoint_disabled:
            return "endpoint is not accepting connections";
        case errc::no_common_clock:
            return "the clocks share no common root";
        case errc::clock_unavailable:
            return "clock is unavailable";
        case errc::clock_frozen:
            return "clock is at speed 0: no parent time matches that tick value";
        case errc::timeout:
            return "no answer within the allowed time";
        case errc::bad_xml:
            return "not well-formed XML, a DOCTYPE, or nested too deeply";
        }
        return "unknown dvbcss error";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<errc>(ev)) {
        case errc::wrong_length:
        case errc::bad_version:
        case errc::bad_message_type:
        case errc::not_a_request:
        case errc::not_a_response:
        case errc::bad_json:
        case errc::bad_field_type:
        case errc::bad_field_value:
        case errc::missing_field:
        case errc::value_out_of_range:
        case errc::unexpected_response:
        case errc::bad_xml:
            return make_error_condition(condition::bad_message);
        case errc::binary_frame:
        case errc::unexpected_message:
            return make_error_condition(condition::protocol_violation);
        case errc::message_too_large:
        case errc::too_many_connections:
        case errc::outbox_overflow:
        case errc::endpoint_disabled:
            return make_error_condition(condition::limit_exceeded);
        default:
            return {ev, *this};
        }
    }
};

class condition_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "dvbcss.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
        case condition::bad_message:
            return "bad message";
        case condition::protocol_violation:
            return "protocol violation";
        case condition::limit_exceeded:
            return "limit exceeded";
        }
        return "unknown dvbcss condition";
    }
};

#pragma GCC diagnostic pop

} // namespace

const boost::system::error_category& error_category() noexcept {
    static const errc_category instance;
    return instance;
}

const boost::system::error_category& condition_category() noexcept {
    static const condition_category_impl instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

} // namespace dvbcss
