// The precompiled contracts the EVM calls by address: 0x01–0x0a under Cancun, the EIP-2537
// BLS12-381 addresses 0x0b–0x11 under Prague (known, warm, never run: unsupported), and OP
// Stack's P256VERIFY at 0x100 (RIP-7212, since Fjord).
//
// Each one is a pure function of its input: the gas it costs (from the input alone) and
// its output. A precompile that Vigil does not implement is reported as unsupported, so
// a block that calls it is unverifiable and never judged.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"

namespace vigil::evm {

enum class PrecompileStatus : uint8_t {
    kSuccess,      // output valid, gas_used charged
    kFailure,      // out of gas or malformed input: the call fails and consumes all its gas
    kUnsupported,  // not implemented by Vigil: the execution cannot be judged
};

struct PrecompileResult {
    PrecompileStatus status = PrecompileStatus::kFailure;
    uint64_t gas_used = 0;
    eth::Bytes output;
    // For kUnsupported: what is missing, e.g. "precompile 0x0a (point evaluation) not supported".
    std::string reason;
};

// Which precompiles exist. Ethereum Cancun: 0x01–0x0a; Prague adds 0x0b–0x11; an OP Stack
// chain since Fjord adds P256VERIFY at 0x100.
struct PrecompileSet {
    bool p256verify = false;
    // OP Stack Granite: ecPairing (0x08) input over kGraniteMaxPairingInput bytes fails.
    bool granite_pairing_limit = false;
    // OP Stack Jovian: ecPairing input over kJovianMaxPairingInput bytes fails.
    bool jovian_input_limits = false;
    // EIP-2537 (Prague): the seven BLS12-381 precompiles 0x0b–0x11. Vigil does not run
    // them: a call is kUnsupported, so such a block is unverifiable, never misjudged.
    bool bls12_381 = false;
};

// OP Stack specs, Granite exec-engine: the bn256Pairing input limit (427 pairs, rounded
// as the spec states it).
inline constexpr size_t kGraniteMaxPairingInput = 112687;
// OP Stack Jovian: the bn256Pairing input limit, 427 pairs of 192 bytes (op-revm
// bn254_pair::JOVIAN_MAX_INPUT_SIZE). Jovian also caps the EIP-2537 MSM and pairing
// inputs; Vigil runs none of those precompiles, so a call stays unverifiable.
inline constexpr size_t kJovianMaxPairingInput = 81984;

// The addresses of the set, ascending (they are warm from the start of every transaction,
// EIP-2929).
std::span<const eth::Address> precompile_addresses(const PrecompileSet& set);
bool is_precompile(const eth::Address& address, const PrecompileSet& set);

// Runs the precompile at `address` (which must satisfy is_precompile) with `gas` available.
PrecompileResult run_precompile(const eth::Address& address, eth::BytesView input, uint64_t gas,
                                const PrecompileSet& set);

}  // namespace vigil::evm
