// Fuzzes the EVM interpreter with arbitrary bytecode: the input (after a one-byte header
// choosing the call value and calldata length) is the code of a contract that a
// transaction calls, with a second contract holding the same code for CALL/DELEGATECALL
// targets and a creation transaction running it as initcode. Execution is capped at a
// modest gas limit, so any input ends quickly; it must never crash, hang or leak, and the
// outcome must stay within its gas and apply to a MemoryState whose root is computable.
#include <cstdint>
#include <cstdlib>

#include "verifier/evm/memory_state.h"
#include "verifier/evm/transaction.h"

using namespace vigil;

namespace {

constexpr uint64_t kGasCap = 2'000'000;

eth::Address addr(uint8_t tag) {
    eth::Address a;
    a.bytes[0] = 0x10;
    a.bytes[19] = tag;
    return a;
}

void check(bool ok) {
    if (!ok) std::abort();
}

void run(const eth::Bytes& code, const eth::Bytes& calldata, bool create, uint64_t value) {
    evm::MemoryState state;
    const eth::Address sender = addr(1), target = addr(2), other = addr(3);
    evm::MemoryAccount s;
    s.balance = eth::U256(1) << 100;
    state.set_account(sender, s);
    evm::MemoryAccount c;
    c.balance = eth::U256(1'000'000);
    c.code = code;
    c.storage[eth::U256(0)] = eth::U256(1);
    state.set_account(target, c);
    state.set_account(other, c);

    evm::BlockEnv env;
    env.coinbase = addr(9);
    env.number = 100;
    env.timestamp = 1'700'000'000;
    env.gas_limit = 30'000'000;
    env.base_fee = 7;
    env.block_hash = [](uint64_t n) {
        eth::Hash32 h;
        h.bytes[31] = static_cast<uint8_t>(n);
        return h;
    };

    eth::Transaction tx;
    tx.type = eth::TxType::kDynamicFee;
    tx.chain_id = 1;
    tx.max_fee_per_gas = 10;
    tx.max_priority_fee_per_gas = 1;
    tx.gas_limit = kGasCap;
    tx.value = value;
    if (create) {
        tx.data = code;
    } else {
        tx.to = target;
        tx.data = calldata;
    }
    auto out = evm::execute_transaction(state, env, tx, sender);
    if (!out) {
        // Only a missing precompile may stop a well-formed execution on a full state (or an
        // initcode over the EIP-3860 limit, which makes the transaction invalid).
        check(out.error().code == evm::kErrorUnsupportedPrecompile ||
              out.error().code == evm::kErrorInvalidTransaction);
        return;
    }
    check(out->gas_used <= kGasCap);
    state.apply(out->diff);
    (void)state.state_root();
    (void)evm::logs_hash(out->logs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0 || size > 8192) return 0;
    const uint8_t header = data[0];
    const eth::Bytes code(data + 1, data + size);
    const size_t calldata_len = std::min<size_t>(header & 0x3f, code.size());
    const eth::Bytes calldata(code.begin(), code.begin() + calldata_len);
    run(code, calldata, (header & 0x80) != 0, (header & 0x40) ? 1000 : 0);
    return 0;
}
