// Text forms of ABI values: parsing command-line arguments (cast's conventions) and
// printing decoded values as JSON.
//
// chains/eth depends on no JSON library, so the JSON is written here by hand; it is one
// line, with no spaces, and valid UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "chains/eth/abi.h"

namespace vigil::eth::abi {

// Parses `text` as a value of `type`:
//  - uintN/intN: decimal or 0x hex; intN also takes a leading '-'. The number must fit
//    the type (a positive intN below 2^(N-1); hex is a magnitude, not two's complement).
//  - bool: true | false. address: 40 hex digits (0x optional); mixed case must be a valid
//    EIP-55 checksum.
//  - bytes and bytesN: hex (0x optional); bytesN needs exactly N bytes (no implicit padding).
//  - string: at top level the text as it is (no quotes, no escapes); inside an array or a
//    tuple a double-quoted string with the escapes \" \\ \n \r \t.
//  - arrays [a, b, ...] and tuples (a, b, ...), nested freely; spaces around items allowed.
// Errors name the offending item and position.
Result<Value> parse_value(const Type& type, std::string_view text);

// JSON for a decoded value: uint/int as decimal strings (exact beyond 2^53), bool as
// true/false, address as an EIP-55 checksummed string, bytes/bytesN as 0x-hex strings,
// strings as JSON strings (bytes that are not valid UTF-8 become U+FFFD), arrays and
// tuples as JSON arrays.
std::string to_json(const Value& value);

// A JSON string literal (with the quotes) for arbitrary bytes; see to_json for UTF-8.
std::string json_string(std::string_view bytes);

// Decimal text of a two's-complement 256-bit integer ("-5", "42").
std::string signed_to_dec(const U256& twos_complement);

}  // namespace vigil::eth::abi
