// Bytecode analysis done once per code (and cached by code hash): the valid jump
// destinations, and a copy of the code padded so the interpreter never reads past its end.
#pragma once

#include <cstdint>
#include <vector>

#include "chains/eth/bytes.h"

namespace vigil::evm {

struct CodeAnalysis {
    // The code followed by kPadding zero bytes: a PUSH at the end reads zeros and the
    // interpreter meets STOP after the last instruction.
    eth::Bytes padded;
    size_t size = 0;  // the code's real length
    // Bit i set when byte i is a JUMPDEST opcode (not inside PUSH data).
    std::vector<uint64_t> jumpdests;

    static constexpr size_t kPadding = 33;

    [[nodiscard]] bool is_jumpdest(uint64_t pc) const noexcept {
        return pc < size && ((jumpdests[pc / 64] >> (pc % 64)) & 1) != 0;
    }
};

// Analyses `code` (any bytes; never fails).
CodeAnalysis analyze(eth::BytesView code);

}  // namespace vigil::evm
