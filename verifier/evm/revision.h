// The EVM rule set by fork: which opcodes exist, what each costs at least, and how it
// moves the stack. Cancun (what OP Stack chains run from Ecotone to Holocene) and Prague
// (Ethereum Pectra; OP Stack Isthmus). Prague adds no opcode: its EVM changes (EIP-7702
// delegated code, EIP-2537 precompiles) are in the interpreter and the precompile set,
// keyed on the revision, so its table is Cancun's.
#pragma once

#include <array>
#include <cstdint>

namespace vigil::evm {

enum class Revision : uint8_t { kCancun, kPrague };

// Whether `revision` includes everything `since` introduced.
constexpr bool at_least(Revision revision, Revision since) {
    return static_cast<uint8_t>(revision) >= static_cast<uint8_t>(since);
}

// Gas constants shared by the interpreter and the transaction layer (yellow paper
// appendix G with the amendments named beside each).
inline constexpr int64_t kGasWarmAccess = 100;          // EIP-2929 WARM_STORAGE_READ_COST
inline constexpr int64_t kGasColdAccountAccess = 2600;  // EIP-2929
inline constexpr int64_t kGasColdSload = 2100;          // EIP-2929
inline constexpr int64_t kGasSstoreSet = 20000;         // EIP-2200
inline constexpr int64_t kGasSstoreReset = 2900;        // EIP-2929: 5000 - COLD_SLOAD_COST
inline constexpr int64_t kSstoreClearsRefund = 4800;    // EIP-3529
inline constexpr int64_t kSstoreSentryGas = 2300;       // EIP-2200: SSTORE needs more than this
inline constexpr int64_t kGasCallValue = 9000;
inline constexpr int64_t kGasCallStipend = 2300;
inline constexpr int64_t kGasNewAccount = 25000;
inline constexpr int64_t kGasSelfdestructNewAccount = 25000;  // EIP-150
inline constexpr int64_t kGasCodeDeposit = 200;               // per byte of deployed code
inline constexpr int64_t kGasInitcodeWord = 2;                // EIP-3860
inline constexpr int64_t kGasKeccakWord = 6;
inline constexpr int64_t kGasCopyWord = 3;
inline constexpr int64_t kGasLogTopic = 375;
inline constexpr int64_t kGasLogByte = 8;
inline constexpr int64_t kGasExpByte = 50;                    // EIP-160
inline constexpr int64_t kMaxRefundQuotient = 5;              // EIP-3529: refund <= gas used / 5
inline constexpr size_t kMaxCodeSize = 24576;                 // EIP-170
inline constexpr size_t kMaxInitcodeSize = 2 * kMaxCodeSize;  // EIP-3860
inline constexpr int kMaxCallDepth = 1024;
inline constexpr int kStackLimit = 1024;

// What one opcode needs before it runs. `base_gas` < 0 marks an undefined opcode. Opcodes
// whose cost depends on their operands or on the state charge the rest themselves.
struct OpcodeTraits {
    int16_t base_gas = -1;
    uint8_t stack_required = 0;  // items popped or read
    int8_t stack_change = 0;     // pushed minus popped
};

using OpcodeTable = std::array<OpcodeTraits, 256>;

namespace detail {

constexpr OpcodeTable make_cancun_table() {
    OpcodeTable t{};
    auto op = [&t](int code, int gas, int req, int change) {
        t[code] = OpcodeTraits{static_cast<int16_t>(gas), static_cast<uint8_t>(req),
                               static_cast<int8_t>(change)};
    };
    op(0x00, 0, 0, 0);  // STOP
    op(0x01, 3, 2, -1);
    op(0x02, 5, 2, -1);
    op(0x03, 3, 2, -1);
    op(0x04, 5, 2, -1);
    op(0x05, 5, 2, -1);
    op(0x06, 5, 2, -1);
    op(0x07, 5, 2, -1);
    op(0x08, 8, 3, -2);                                       // ADDMOD
    op(0x09, 8, 3, -2);                                       // MULMOD
    op(0x0a, 10, 2, -1);                                      // EXP (+50 per exponent byte)
    op(0x0b, 5, 2, -1);                                       // SIGNEXTEND
    for (int c = 0x10; c <= 0x14; ++c) op(c, 3, 2, -1);       // LT GT SLT SGT EQ
    op(0x15, 3, 1, 0);                                        // ISZERO
    for (int c = 0x16; c <= 0x18; ++c) op(c, 3, 2, -1);       // AND OR XOR
    op(0x19, 3, 1, 0);                                        // NOT
    for (int c = 0x1a; c <= 0x1d; ++c) op(c, 3, 2, -1);       // BYTE SHL SHR SAR
    op(0x20, 30, 2, -1);                                      // KECCAK256
    op(0x30, 2, 0, 1);                                        // ADDRESS
    op(0x31, kGasWarmAccess, 1, 0);                           // BALANCE
    op(0x32, 2, 0, 1);                                        // ORIGIN
    op(0x33, 2, 0, 1);                                        // CALLER
    op(0x34, 2, 0, 1);                                        // CALLVALUE
    op(0x35, 3, 1, 0);                                        // CALLDATALOAD
    op(0x36, 2, 0, 1);                                        // CALLDATASIZE
    op(0x37, 3, 3, -3);                                       // CALLDATACOPY
    op(0x38, 2, 0, 1);                                        // CODESIZE
    op(0x39, 3, 3, -3);                                       // CODECOPY
    op(0x3a, 2, 0, 1);                                        // GASPRICE
    op(0x3b, kGasWarmAccess, 1, 0);                           // EXTCODESIZE
    op(0x3c, kGasWarmAccess, 4, -4);                          // EXTCODECOPY
    op(0x3d, 2, 0, 1);                                        // RETURNDATASIZE
    op(0x3e, 3, 3, -3);                                       // RETURNDATACOPY
    op(0x3f, kGasWarmAccess, 1, 0);                           // EXTCODEHASH
    op(0x40, 20, 1, 0);                                       // BLOCKHASH
    for (int c = 0x41; c <= 0x46; ++c) op(c, 2, 0, 1);        // COINBASE..CHAINID
    op(0x47, 5, 0, 1);                                        // SELFBALANCE
    op(0x48, 2, 0, 1);                                        // BASEFEE
    op(0x49, 3, 1, 0);                                        // BLOBHASH (EIP-4844)
    op(0x4a, 2, 0, 1);                                        // BLOBBASEFEE (EIP-7516)
    op(0x50, 2, 1, -1);                                       // POP
    op(0x51, 3, 1, 0);                                        // MLOAD
    op(0x52, 3, 2, -2);                                       // MSTORE
    op(0x53, 3, 2, -2);                                       // MSTORE8
    op(0x54, kGasWarmAccess, 1, 0);                           // SLOAD
    op(0x55, 0, 2, -2);                                       // SSTORE
    op(0x56, 8, 1, -1);                                       // JUMP
    op(0x57, 10, 2, -2);                                      // JUMPI
    op(0x58, 2, 0, 1);                                        // PC
    op(0x59, 2, 0, 1);                                        // MSIZE
    op(0x5a, 2, 0, 1);                                        // GAS
    op(0x5b, 1, 0, 0);                                        // JUMPDEST
    op(0x5c, 100, 1, 0);                                      // TLOAD (EIP-1153)
    op(0x5d, 100, 2, -2);                                     // TSTORE (EIP-1153)
    op(0x5e, 3, 3, -3);                                       // MCOPY (EIP-5656)
    op(0x5f, 2, 0, 1);                                        // PUSH0 (EIP-3855)
    for (int c = 0x60; c <= 0x7f; ++c) op(c, 3, 0, 1);        // PUSH1..PUSH32
    for (int n = 1; n <= 16; ++n) op(0x7f + n, 3, n, 1);      // DUP1..DUP16
    for (int n = 1; n <= 16; ++n) op(0x8f + n, 3, n + 1, 0);  // SWAP1..SWAP16
    for (int n = 0; n <= 4; ++n) op(0xa0 + n, 375 + 375 * n, n + 2, -(n + 2));  // LOG0..LOG4
    op(0xf0, 32000, 3, -2);                                                     // CREATE
    op(0xf1, kGasWarmAccess, 7, -6);                                            // CALL
    op(0xf2, kGasWarmAccess, 7, -6);                                            // CALLCODE
    op(0xf3, 0, 2, -2);                                                         // RETURN
    op(0xf4, kGasWarmAccess, 6, -5);                                            // DELEGATECALL
    op(0xf5, 32000, 4, -3);                                                     // CREATE2
    op(0xfa, kGasWarmAccess, 6, -5);                                            // STATICCALL
    op(0xfd, 0, 2, -2);                                                         // REVERT
    op(0xff, 5000, 1, -1);                                                      // SELFDESTRUCT
    return t;
}

}  // namespace detail

inline constexpr OpcodeTable kCancunOpcodes = detail::make_cancun_table();

// The opcode table of `revision`.
constexpr const OpcodeTable& opcode_table(Revision revision) {
    switch (revision) {
        case Revision::kCancun:
        case Revision::kPrague:
            break;
    }
    return kCancunOpcodes;
}

}  // namespace vigil::evm
