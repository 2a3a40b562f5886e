#include "chains/rpc/json_fields.h"

namespace vigil::rpc {
namespace {

Result<const Json*> lookup(const Json& obj, std::string_view key) {
    if (!obj.is_object()) return fail("expected a JSON object holding '" + std::string(key) + "'");
    auto it = obj.find(key);
    if (it == obj.end()) return fail("missing field '" + std::string(key) + "'");
    return &*it;
}

Error field_error(std::string_view key, const std::string& message) {
    return fail("field '" + std::string(key) + "': " + message);
}

}  // namespace

bool has_field(const Json& obj, std::string_view key) {
    return obj.is_object() && obj.find(key) != obj.end() && !obj.find(key)->is_null();
}

Result<std::string> field_string(const Json& obj, std::string_view key) {
    VIGIL_TRY(const Json* v, lookup(obj, key));
    if (!v->is_string())
        return field_error(key, std::string("expected a string, got ") + v->type_name());
    return v->get<std::string>();
}

Result<eth::Bytes> field_bytes(const Json& obj, std::string_view key) {
    VIGIL_TRY(std::string s, field_string(obj, key));
    auto b = eth::from_hex(s);
    if (!b) return field_error(key, b.error().message);
    return b;
}

Result<eth::Hash32> field_hash(const Json& obj, std::string_view key) {
    VIGIL_TRY(std::string s, field_string(obj, key));
    auto h = eth::Hash32::from_hex(s);
    if (!h) return field_error(key, h.error().message);
    return h;
}

Result<eth::Address> field_address(const Json& obj, std::string_view key) {
    VIGIL_TRY(std::string s, field_string(obj, key));
    auto a = eth::Address::from_hex(s);
    if (!a) return field_error(key, a.error().message);
    return a;
}

Result<uint64_t> field_uint64(const Json& obj, std::string_view key) {
    VIGIL_TRY(const Json* v, lookup(obj, key));
    if (v->is_number_integer() && v->get<int64_t>() >= 0) return v->get<uint64_t>();
    if (v->is_number_unsigned()) return v->get<uint64_t>();
    if (!v->is_string())
        return field_error(key, std::string("expected a quantity, got ") + v->type_name());
    auto q = eth::parse_quantity(v->get<std::string>());
    if (!q) return field_error(key, q.error().message);
    return q;
}

Result<eth::U256> field_u256(const Json& obj, std::string_view key) {
    VIGIL_TRY(const Json* v, lookup(obj, key));
    if (v->is_number_unsigned()) return eth::U256(v->get<uint64_t>());
    if (v->is_number_integer() && v->get<int64_t>() >= 0) return eth::U256(v->get<uint64_t>());
    if (!v->is_string())
        return field_error(key, std::string("expected a quantity, got ") + v->type_name());
    auto q = eth::U256::from_string(v->get<std::string>());
    if (!q) return field_error(key, q.error().message);
    return q;
}

Result<Json> parse_json(std::string_view text) {
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return fail("malformed JSON");
    return j;
}

}  // namespace vigil::rpc
