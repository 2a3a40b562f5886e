// Fuzzes the strict ABI decoder (and the signature parser) on arbitrary bytes.
//
// Input: byte 0 selects a type from kTypes, whether the data is a parameter list or one
// value, and whether trailing bytes are allowed; the rest is the data. Byte 0 >= 0xf0
// feeds the rest to the signature parser instead.
//
// Invariants:
//  - nothing crashes, hangs or over-allocates (libFuzzer's -rss_limit_mb / -malloc_limit_mb);
//  - whatever decodes re-encodes; if the input was canonical the re-encoding is the input;
//  - the decoder accepts two non-canonical forms (abi.h): gaps before tails and, when
//    allowed, trailing bytes. Both only add bytes, so then the re-encoding must be strictly
//    shorter, and decoding it must give the same value (decode(encode(v)) == v);
//  - JSON printing of any decoded value works;
//  - a parsed signature's canonical form parses back to the same canonical form.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "chains/eth/abi.h"
#include "chains/eth/abi_text.h"

namespace {

namespace abi = vigil::eth::abi;

constexpr const char* kTypes[] = {
    "(uint256,bytes)",
    "(uint8,int16,bool,address,bytes3)",
    "(bytes[])",
    "((uint256,bytes)[],string)",
    "(uint256[][],(bool,bytes[])[2])",
    // MessagePassed data and proveWithdrawalTransaction arguments
    "(uint256,uint256,bytes,bytes32)",
    ("((uint256,address,address,uint256,uint256,bytes),uint256,(bytes32,bytes32,bytes32,bytes32),"
     "bytes[])"),
    "(string[][2][],int256)",
    "((bytes,(string,uint8[])[])[])",
    "(int8[3],(uint16,bytes32)[])",
};
constexpr size_t kTypeCount = sizeof(kTypes) / sizeof(kTypes[0]);

const std::vector<abi::Type>& types() {
    static const std::vector<abi::Type> parsed = [] {
        std::vector<abi::Type> out;
        for (const char* t : kTypes) {
            auto r = abi::parse_type(t);
            if (!r.ok()) std::abort();
            out.push_back(*r);
        }
        return out;
    }();
    return parsed;
}

void fuzz_signature(std::string_view text) {
    auto sig = abi::parse_signature(text, true);
    if (!sig.ok()) return;
    const std::string canonical = sig->canonical();
    auto again = abi::parse_signature(canonical, true);
    if (!again.ok() || again->canonical() != canonical) std::abort();
    (void)abi::selector(*sig);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t control = data[0];
    const vigil::eth::BytesView body(data + 1, size - 1);
    if (control >= 0xf0) {
        fuzz_signature(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
        return 0;
    }
    const abi::Type& type = types()[control % kTypeCount];
    const bool as_params = (control / kTypeCount) % 2 == 0;
    abi::DecodeOptions options;
    options.allow_trailing = (control / (2 * kTypeCount)) % 2 == 1;

    auto decode = [&](vigil::eth::BytesView d) {
        return as_params ? abi::decode_params(type, d, options) : abi::decode(type, d, options);
    };
    auto value = decode(body);
    if (!value.ok()) return 0;
    (void)abi::to_json(*value);

    auto encoded = as_params ? abi::encode_params(type, *value) : abi::encode(type, *value);
    if (!encoded.ok()) std::abort();  // a decoded value always fits its type
    const vigil::eth::Bytes& re = *encoded;
    if (re.size() == body.size() && std::equal(re.begin(), re.end(), body.begin())) return 0;
    // Not canonical: only gaps or trailing bytes can make it so; both are extra bytes.
    if (re.size() >= body.size()) std::abort();
    auto again = decode(re);
    if (!again.ok() || !(*again == *value)) std::abort();
    return 0;
}
