#include "verifier/evm/analysis.h"

#include <cstring>

namespace vigil::evm {

namespace {
constexpr uint8_t kOpJumpdest = 0x5b;
constexpr uint8_t kOpPush1 = 0x60;
constexpr uint8_t kOpPush32 = 0x7f;
}  // namespace

CodeAnalysis analyze(eth::BytesView code) {
    CodeAnalysis a;
    a.size = code.size();
    a.padded = eth::Bytes(code.size() + CodeAnalysis::kPadding, 0);
    if (!code.empty()) std::memcpy(a.padded.data(), code.data(), code.size());
    a.jumpdests.assign(code.size() / 64 + 1, 0);
    for (size_t pc = 0; pc < code.size(); ++pc) {
        const uint8_t op = code[pc];
        if (op == kOpJumpdest)
            a.jumpdests[pc / 64] |= uint64_t{1} << (pc % 64);
        else if (op >= kOpPush1 && op <= kOpPush32)
            pc += op - kOpPush1 + 1;
    }
    return a;
}

}  // namespace vigil::evm
