// Typed reads of fields from JSON-RPC objects (nlohmann::json), with errors that name
// the field. Node answers are untrusted: a missing field, a wrong JSON type or bad hex is
// an error for that answer, never an exception or a default value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::rpc {

using Json = nlohmann::json;

// The string value of `obj[key]`; an error if `obj` is not an object, the key is absent
// or its value is not a string.
Result<std::string> field_string(const Json& obj, std::string_view key);
Result<eth::Bytes> field_bytes(const Json& obj, std::string_view key);
Result<eth::Hash32> field_hash(const Json& obj, std::string_view key);
Result<eth::Address> field_address(const Json& obj, std::string_view key);
// Quantities: hex strings ("0x1a") or JSON numbers (some nodes send numbers).
Result<uint64_t> field_uint64(const Json& obj, std::string_view key);
Result<eth::U256> field_u256(const Json& obj, std::string_view key);
bool has_field(const Json& obj, std::string_view key);

// Parses JSON text; a syntax error is an Error naming the byte position.
Result<Json> parse_json(std::string_view text);

}  // namespace vigil::rpc
