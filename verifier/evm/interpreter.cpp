#include "verifier/evm/interpreter.h"

#include <algorithm>
#include <cstring>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "verifier/evm/delegation.h"
#include "verifier/evm/instructions.h"

namespace vigil::evm {

using eth::Address;
using eth::Bytes;
using eth::BytesView;
using eth::U256;
using instr::address_from_word;
using instr::hash_from_word;
using instr::word_from_address;
using instr::word_from_hash;

namespace {

// Memory beyond 4 GiB would cost more gas than any block holds (EIP-150 quadratic cost).
constexpr uint64_t kMaxMemory = uint64_t{1} << 32;

inline int64_t memory_cost(uint64_t words) {
    return static_cast<int64_t>(3 * words + words * words / 512);
}

inline uint64_t words(uint64_t bytes) { return (bytes + 31) / 32; }

}  // namespace

Address create_address(const Address& sender, uint64_t nonce) {
    Bytes payload;
    eth::rlp::encode_bytes(payload, sender.view());
    eth::rlp::encode_uint(payload, nonce);
    const eth::Hash32 h = eth::keccak256(eth::rlp::wrap_list(payload));
    Address a;
    std::memcpy(a.data(), h.data() + 12, 20);
    return a;
}

Address create2_address(const Address& sender, const U256& salt, BytesView initcode) {
    uint8_t buf[1 + 20 + 32 + 32];
    buf[0] = 0xff;
    std::memcpy(buf + 1, sender.data(), 20);
    const auto s = salt.to_be_word();
    std::memcpy(buf + 21, s.data(), 32);
    const eth::Hash32 code_hash = eth::keccak256(initcode);
    std::memcpy(buf + 53, code_hash.data(), 32);
    const eth::Hash32 h = eth::keccak256(BytesView(buf, sizeof buf));
    Address a;
    std::memcpy(a.data(), h.data() + 12, 20);
    return a;
}

// One call frame's machine state and the instructions that need more than a line.
struct Interpreter {
    Evm& evm;
    const Message& msg;
    const CodeAnalysis& code;
    int64_t gas;
    U256* base;
    U256* sp;
    Bytes memory;
    Bytes return_data;
    Bytes output;

    size_t height() const { return static_cast<size_t>(sp - base); }
    U256& top(int i = 0) { return sp[-1 - i]; }
    U256 pop() { return *--sp; }
    void push(const U256& v) { *sp++ = v; }

    // Grows memory to `end` bytes (rounded up to words), charging the expansion.
    bool grow_to(uint64_t end) {
        const uint64_t new_words = words(end);
        const uint64_t old_words = memory.size() / 32;
        if (new_words <= old_words) return true;
        gas -= memory_cost(new_words) - memory_cost(old_words);
        if (gas < 0) return false;
        memory.resize(new_words * 32);
        return true;
    }
    // Makes [offset, offset+size) addressable; false on out of gas (size 0 never grows).
    bool grow(const U256& offset, const U256& size) {
        if (size.is_zero()) return true;
        if (!offset.fits_u64() || !size.fits_u64() || offset.low64() > kMaxMemory ||
            size.low64() > kMaxMemory)
            return false;
        return grow_to(offset.low64() + size.low64());
    }
    // Copies src[src_offset…] (zero-padded) into memory; requires grow() done.
    void copy_padded(uint64_t mem_offset, uint64_t size, BytesView src, const U256& src_offset) {
        if (size == 0) return;
        uint64_t start = src_offset.fits_u64() ? src_offset.low64() : UINT64_MAX;
        uint64_t n = 0;
        if (start < src.size()) n = std::min<uint64_t>(size, src.size() - start);
        if (n) std::memcpy(memory.data() + mem_offset, src.data() + start, n);
        if (n < size) std::memset(memory.data() + mem_offset + n, 0, size - n);
    }
    bool charge(int64_t amount) {
        gas -= amount;
        return gas >= 0;
    }

    ExitStatus run();
    VIGIL_EVM_OP void op_selfbalance() { push(evm.state_.balance(msg.recipient)); }
    VIGIL_EVM_OP void op_tload() { top() = evm.state_.transient(msg.recipient, top()); }
    VIGIL_EVM_OP bool op_keccak();
    VIGIL_EVM_OP bool op_balance();
    VIGIL_EVM_OP bool op_calldataload();
    VIGIL_EVM_OP bool op_copy(uint8_t op);
    VIGIL_EVM_OP bool op_extcodesize();
    VIGIL_EVM_OP bool op_extcodecopy();
    VIGIL_EVM_OP bool op_extcodehash();
    VIGIL_EVM_OP bool op_blockhash();
    VIGIL_EVM_OP bool op_blobhash();
    VIGIL_EVM_OP bool op_mload();
    VIGIL_EVM_OP bool op_mstore();
    VIGIL_EVM_OP bool op_mstore8();
    VIGIL_EVM_OP bool op_sload();
    VIGIL_EVM_OP bool op_tstore();
    VIGIL_EVM_OP bool op_mcopy();
    VIGIL_EVM_OP bool op_log(uint8_t op);
    VIGIL_EVM_OP bool op_call(uint8_t op);
    VIGIL_EVM_OP bool op_create(uint8_t op);
    VIGIL_EVM_OP bool op_selfdestruct();
    VIGIL_EVM_OP bool op_sstore();
};

ExitStatus Interpreter::run() {
    const uint8_t* const pcode = code.padded.data();
    const OpcodeTable& table = evm.opcodes_;
    JournaledState& st = evm.state_;
    const BlockEnv& block = evm.block_;
    const TxContext& txc = evm.tx_;
    size_t pc = 0;

    for (;;) {
        const uint8_t op = pcode[pc];
        const OpcodeTraits t = table[op];
        if (t.base_gas < 0) return ExitStatus::kFailure;
        const size_t h = height();
        if (h < t.stack_required) return ExitStatus::kFailure;
        if (static_cast<int>(h) + t.stack_change > kStackLimit) return ExitStatus::kFailure;
        gas -= t.base_gas;
        if (gas < 0) return ExitStatus::kFailure;

        switch (op) {
            case 0x00:
                return ExitStatus::kSuccess;
            case 0x01:
                instr::add(sp);
                --sp;
                break;
            case 0x02:
                instr::mul(sp);
                --sp;
                break;
            case 0x03:
                instr::sub(sp);
                --sp;
                break;
            case 0x04:
                instr::div(sp);
                --sp;
                break;
            case 0x05:
                instr::sdiv(sp);
                --sp;
                break;
            case 0x06:
                instr::mod(sp);
                --sp;
                break;
            case 0x07:
                instr::smod(sp);
                --sp;
                break;
            case 0x0b:
                instr::signextend(sp);
                --sp;
                break;
            case 0x10:
                instr::lt(sp);
                --sp;
                break;
            case 0x11:
                instr::gt(sp);
                --sp;
                break;
            case 0x12:
                instr::slt(sp);
                --sp;
                break;
            case 0x13:
                instr::sgt(sp);
                --sp;
                break;
            case 0x14:
                instr::eq(sp);
                --sp;
                break;
            case 0x16:
                instr::bit_and(sp);
                --sp;
                break;
            case 0x17:
                instr::bit_or(sp);
                --sp;
                break;
            case 0x18:
                instr::bit_xor(sp);
                --sp;
                break;
            case 0x1a:
                instr::byte(sp);
                --sp;
                break;
            case 0x1b:
                instr::shl(sp);
                --sp;
                break;
            case 0x1c:
                instr::shr(sp);
                --sp;
                break;
            case 0x1d:
                instr::sar(sp);
                --sp;
                break;
            case 0x08:
                instr::addmod(sp);
                sp -= 2;
                break;
            case 0x09:
                instr::mulmod(sp);
                sp -= 2;
                break;
            case 0x0a:
                if (!charge(kGasExpByte * ((sp[-2].bit_length() + 7) / 8)))
                    return ExitStatus::kFailure;
                instr::exp(sp);
                --sp;
                break;
            case 0x15:
                instr::iszero(sp);
                break;
            case 0x19:
                instr::bit_not(sp);
                break;
            case 0x20:
                if (!op_keccak()) return ExitStatus::kFailure;
                break;
            case 0x30:
                instr::push_address(sp++, msg.recipient);
                break;
            case 0x31:
                if (!op_balance()) return ExitStatus::kFailure;
                break;
            case 0x32:
                instr::push_address(sp++, txc.origin);
                break;
            case 0x33:
                instr::push_address(sp++, msg.sender);
                break;
            case 0x34:
                push(msg.value);
                break;
            case 0x35:
                if (!op_calldataload()) return ExitStatus::kFailure;
                break;
            case 0x36:
                push(U256(msg.input.size()));
                break;
            case 0x37:
            case 0x39:
            case 0x3e:
                if (!op_copy(op)) return ExitStatus::kFailure;
                break;
            case 0x38:
                push(U256(code.size));
                break;
            case 0x3a:
                push(txc.gas_price);
                break;
            case 0x3b:
                if (!op_extcodesize()) return ExitStatus::kFailure;
                break;
            case 0x3c:
                if (!op_extcodecopy()) return ExitStatus::kFailure;
                break;
            case 0x3d:
                push(U256(return_data.size()));
                break;
            case 0x3f:
                if (!op_extcodehash()) return ExitStatus::kFailure;
                break;
            case 0x40:
                if (!op_blockhash()) return ExitStatus::kFailure;
                break;
            case 0x41:
                instr::push_address(sp++, block.coinbase);
                break;
            case 0x42:
                push(U256(block.timestamp));
                break;
            case 0x43:
                push(U256(block.number));
                break;
            case 0x44:
                instr::push_hash(sp++, block.prev_randao);
                break;
            case 0x45:
                push(U256(block.gas_limit));
                break;
            case 0x46:
                push(U256(block.chain_id));
                break;
            case 0x47:
                op_selfbalance();
                break;
            case 0x48:
                push(block.base_fee);
                break;
            case 0x49:
                if (!op_blobhash()) return ExitStatus::kFailure;
                break;
            case 0x4a:
                push(txc.blob_base_fee);
                break;
            case 0x50:
                --sp;
                break;
            case 0x51:
                if (!op_mload()) return ExitStatus::kFailure;
                break;
            case 0x52:
                if (!op_mstore()) return ExitStatus::kFailure;
                break;
            case 0x53:
                if (!op_mstore8()) return ExitStatus::kFailure;
                break;
            case 0x54:
                if (!op_sload()) return ExitStatus::kFailure;
                break;
            case 0x55:
                if (!op_sstore()) return ExitStatus::kFailure;
                break;
            case 0x56: {
                const U256 dest = pop();
                if (!dest.fits_u64() || !code.is_jumpdest(dest.low64()))
                    return ExitStatus::kFailure;
                pc = dest.low64();
                continue;
            }
            case 0x57: {
                const U256 dest = pop();
                const U256 cond = pop();
                if (!cond.is_zero()) {
                    if (!dest.fits_u64() || !code.is_jumpdest(dest.low64()))
                        return ExitStatus::kFailure;
                    pc = dest.low64();
                    continue;
                }
                break;
            }
            case 0x58:
                push(U256(pc));
                break;
            case 0x59:
                push(U256(memory.size()));
                break;
            case 0x5a:
                push(U256(static_cast<uint64_t>(gas)));
                break;
            case 0x5b:
                break;
            case 0x5c:
                op_tload();
                break;
            case 0x5d:
                if (!op_tstore()) return ExitStatus::kFailure;
                break;
            case 0x5e:
                if (!op_mcopy()) return ExitStatus::kFailure;
                break;
            case 0x5f:
                push(U256());
                break;
            case 0x60:
            case 0x61:
            case 0x62:
            case 0x63:
            case 0x64:
            case 0x65:
            case 0x66:
            case 0x67:
            case 0x68:
            case 0x69:
            case 0x6a:
            case 0x6b:
            case 0x6c:
            case 0x6d:
            case 0x6e:
            case 0x6f:
            case 0x70:
            case 0x71:
            case 0x72:
            case 0x73:
            case 0x74:
            case 0x75:
            case 0x76:
            case 0x77:
            case 0x78:
            case 0x79:
            case 0x7a:
            case 0x7b:
            case 0x7c:
            case 0x7d:
            case 0x7e:
            case 0x7f: {
                const size_t n = op - 0x5f;
                instr::push(sp++, pcode + pc + 1, n);
                pc += n + 1;
                continue;
            }
            case 0x80:
            case 0x81:
            case 0x82:
            case 0x83:
            case 0x84:
            case 0x85:
            case 0x86:
            case 0x87:
            case 0x88:
            case 0x89:
            case 0x8a:
            case 0x8b:
            case 0x8c:
            case 0x8d:
            case 0x8e:
            case 0x8f: {
                const U256 v = top(op - 0x80);
                push(v);
                break;
            }
            case 0x90:
            case 0x91:
            case 0x92:
            case 0x93:
            case 0x94:
            case 0x95:
            case 0x96:
            case 0x97:
            case 0x98:
            case 0x99:
            case 0x9a:
            case 0x9b:
            case 0x9c:
            case 0x9d:
            case 0x9e:
            case 0x9f:
                std::swap(top(), top(op - 0x90 + 1));
                break;
            case 0xa0:
            case 0xa1:
            case 0xa2:
            case 0xa3:
            case 0xa4:
                if (!op_log(op)) return ExitStatus::kFailure;
                break;
            case 0xf0:
            case 0xf5:
                if (!op_create(op)) return ExitStatus::kFailure;
                if (st.failed()) return ExitStatus::kFailure;
                break;
            case 0xf1:
            case 0xf2:
            case 0xf4:
            case 0xfa:
                if (!op_call(op)) return ExitStatus::kFailure;
                if (st.failed()) return ExitStatus::kFailure;
                break;
            case 0xf3:
            case 0xfd: {
                U256 off = pop(), size = pop();
                if (!grow(off, size)) return ExitStatus::kFailure;
                if (!size.is_zero())
                    output.assign(memory.data() + off.low64(),
                                  memory.data() + off.low64() + size.low64());
                return op == 0xf3 ? ExitStatus::kSuccess : ExitStatus::kRevert;
            }
            case 0xff:
                if (!op_selfdestruct()) return ExitStatus::kFailure;
                return st.failed() ? ExitStatus::kFailure : ExitStatus::kSuccess;
            default:
                return ExitStatus::kFailure;
        }
        ++pc;
    }
}

bool Interpreter::op_keccak() {
    U256 offset = pop();
    const U256& size = top();
    if (!grow(offset, size)) return false;
    const uint64_t n = size.low64();
    if (!charge(kGasKeccakWord * static_cast<int64_t>(words(n)))) return false;
    const eth::Hash32 hash =
        eth::keccak256(n ? BytesView(memory.data() + offset.low64(), n) : BytesView());
    top() = word_from_hash(hash);
    return true;
}

bool Interpreter::op_balance() {
    JournaledState& st = evm.state_;
    const Address a = address_from_word(top());
    if (st.access_account(a) == Access::kCold && !charge(kGasColdAccountAccess - kGasWarmAccess))
        return false;
    top() = st.balance(a);
    if (st.failed()) return false;
    return true;
}

bool Interpreter::op_calldataload() {
    const U256& off = top();
    uint8_t w[32] = {};
    if (off.fits_u64() && off.low64() < msg.input.size()) {
        const uint64_t start = off.low64();
        std::memcpy(w, msg.input.data() + start, std::min<uint64_t>(32, msg.input.size() - start));
    }
    top() = U256::from_be_word(w);
    return true;
}

bool Interpreter::op_copy(uint8_t op) {
    U256 mem_off = pop(), src_off = pop(), size = pop();
    BytesView src = op == 0x37   ? msg.input
                    : op == 0x39 ? BytesView(code.padded.data(), code.size)
                                 : BytesView(return_data);
    if (op == 0x3e) {
        // EIP-211: reading past the return data is an exceptional halt.
        if (!src_off.fits_u64() || !size.fits_u64() ||
            src_off.low64() + size.low64() < src_off.low64() ||
            src_off.low64() + size.low64() > return_data.size())
            return false;
    }
    if (!grow(mem_off, size)) return false;
    const uint64_t n = size.low64();
    if (!size.is_zero() && !charge(kGasCopyWord * static_cast<int64_t>(words(n)))) return false;
    if (!size.is_zero()) copy_padded(mem_off.low64(), n, src, src_off);
    return true;
}

bool Interpreter::op_extcodesize() {
    JournaledState& st = evm.state_;
    const Address a = address_from_word(top());
    if (st.access_account(a) == Access::kCold && !charge(kGasColdAccountAccess - kGasWarmAccess))
        return false;
    top() = U256(st.code(a).size);
    if (st.failed()) return false;
    return true;
}

bool Interpreter::op_extcodecopy() {
    JournaledState& st = evm.state_;
    const Address a = address_from_word(pop());
    U256 mem_off = pop(), src_off = pop(), size = pop();
    if (st.access_account(a) == Access::kCold && !charge(kGasColdAccountAccess - kGasWarmAccess))
        return false;
    if (!grow(mem_off, size)) return false;
    if (!size.is_zero()) {
        if (!charge(kGasCopyWord * static_cast<int64_t>(words(size.low64())))) return false;
        const CodeAnalysis& c = st.code(a);
        if (st.failed()) return false;
        copy_padded(mem_off.low64(), size.low64(), BytesView(c.padded.data(), c.size), src_off);
    }
    return true;
}

bool Interpreter::op_extcodehash() {
    JournaledState& st = evm.state_;
    const Address a = address_from_word(top());
    if (st.access_account(a) == Access::kCold && !charge(kGasColdAccountAccess - kGasWarmAccess))
        return false;
    // EIP-1052 with EIP-161: an empty account hashes to zero.
    top() = st.is_empty(a) ? U256() : word_from_hash(st.code_hash(a));
    if (st.failed()) return false;
    return true;
}

bool Interpreter::op_blockhash() {
    const BlockEnv& block = evm.block_;
    const U256& n = top();
    U256 result;
    if (n.fits_u64() && n.low64() < block.number && block.number - n.low64() <= 256) {
        std::optional<eth::Hash32> hash;
        if (block.block_hash) hash = block.block_hash(n.low64());
        if (!hash) {
            evm.state_.set_error(fail("BLOCKHASH of block " + std::to_string(n.low64()) +
                                          ": the ancestor's hash was not given",
                                      kErrorStateUnavailable));
            return false;
        }
        result = word_from_hash(*hash);
    }
    top() = result;
    return true;
}

bool Interpreter::op_blobhash() {
    const TxContext& txc = evm.tx_;
    const U256& i = top();
    top() = (i.fits_u64() && i.low64() < txc.blob_hashes.size())
                ? word_from_hash(txc.blob_hashes[i.low64()])
                : U256();
    return true;
}

bool Interpreter::op_mload() {
    const U256 off = top();
    if (!grow(off, U256(32))) return false;
    top() = U256::from_be_word(memory.data() + off.low64());
    return true;
}

bool Interpreter::op_mstore() {
    U256 off = pop(), v = pop();
    if (!grow(off, U256(32))) return false;
    const auto w = v.to_be_word();
    std::memcpy(memory.data() + off.low64(), w.data(), 32);
    return true;
}

bool Interpreter::op_mstore8() {
    U256 off = pop(), v = pop();
    if (!grow(off, U256(1))) return false;
    memory[off.low64()] = static_cast<uint8_t>(v.low64());
    return true;
}

bool Interpreter::op_sload() {
    JournaledState& st = evm.state_;
    const U256 key = top();
    if (st.access_slot(msg.recipient, key) == Access::kCold &&
        !charge(kGasColdSload - kGasWarmAccess))
        return false;
    top() = st.storage(msg.recipient, key);
    if (st.failed()) return false;
    return true;
}

bool Interpreter::op_tstore() {
    JournaledState& st = evm.state_;
    if (msg.is_static) return false;
    U256 key = pop(), v = pop();
    st.set_transient(msg.recipient, key, v);
    return true;
}

bool Interpreter::op_mcopy() {
    U256 dst = pop(), src = pop(), size = pop();
    if (!size.is_zero()) {
        if (!grow(dst, size) || !grow(src, size)) return false;
        if (!charge(kGasCopyWord * static_cast<int64_t>(words(size.low64())))) return false;
        std::memmove(memory.data() + dst.low64(), memory.data() + src.low64(), size.low64());
    }
    return true;
}

bool Interpreter::op_log(uint8_t op) {
    JournaledState& st = evm.state_;
    if (msg.is_static) return false;
    U256 off = pop(), size = pop();
    if (!grow(off, size)) return false;
    if (!charge(kGasLogByte * static_cast<int64_t>(size.low64()))) return false;
    Log log;
    log.address = msg.recipient;
    for (int i = 0; i < op - 0xa0; ++i) log.topics.push_back(hash_from_word(pop()));
    if (!size.is_zero())
        log.data.assign(memory.data() + off.low64(), memory.data() + off.low64() + size.low64());
    st.add_log(std::move(log));
    return true;
}

bool Interpreter::op_sstore() {
    if (msg.is_static) return false;
    // EIP-2200: SSTORE fails unless more than the call stipend is left.
    if (gas <= kSstoreSentryGas) return false;
    JournaledState& st = evm.state_;
    const U256 key = pop();
    const U256 value = pop();
    int64_t cost = 0;
    if (st.access_slot(msg.recipient, key) == Access::kCold) cost += kGasColdSload;
    const auto [original, current] = st.set_storage(msg.recipient, key, value);
    if (st.failed()) return false;
    // EIP-2200 net metering with EIP-2929 costs and EIP-3529 refunds.
    if (current == value) {
        cost += kGasWarmAccess;
    } else if (original == current) {
        if (original.is_zero()) {
            cost += kGasSstoreSet;
        } else {
            cost += kGasSstoreReset;
            if (value.is_zero()) st.add_refund(kSstoreClearsRefund);
        }
    } else {
        cost += kGasWarmAccess;
        if (!original.is_zero()) {
            if (current.is_zero())
                st.add_refund(-kSstoreClearsRefund);
            else if (value.is_zero())
                st.add_refund(kSstoreClearsRefund);
        }
        if (original == value) {
            if (original.is_zero())
                st.add_refund(kGasSstoreSet - kGasWarmAccess);
            else
                st.add_refund(kGasSstoreReset - kGasWarmAccess);
        }
    }
    return charge(cost);
}

bool Interpreter::op_selfdestruct() {
    if (msg.is_static) return false;
    JournaledState& st = evm.state_;
    const Address beneficiary = address_from_word(pop());
    int64_t cost = 0;
    if (st.access_account(beneficiary) == Access::kCold) cost += kGasColdAccountAccess;
    const U256 balance = st.balance(msg.recipient);
    if (!balance.is_zero() && st.is_empty(beneficiary)) cost += kGasSelfdestructNewAccount;
    if (!charge(cost)) return false;
    // EIP-6780: the balance moves; the account goes only if this transaction created it.
    st.sub_balance(msg.recipient, balance);
    st.add_balance(beneficiary, balance);
    if (st.created_in_transaction(msg.recipient)) st.destroy(msg.recipient);
    return true;
}

bool Interpreter::op_call(uint8_t op) {
    JournaledState& st = evm.state_;
    const U256 gas_req = pop();
    const Address target = address_from_word(pop());
    U256 value;
    if (op == 0xf1 || op == 0xf2) value = pop();
    const U256 in_off = pop(), in_size = pop(), out_off = pop(), out_size = pop();
    const bool has_value = !value.is_zero();
    if (op == 0xf1 && msg.is_static && has_value) return false;

    if (st.access_account(target) == Access::kCold &&
        !charge(kGasColdAccountAccess - kGasWarmAccess))
        return false;
    if (at_least(evm.revision_, Revision::kPrague)) {
        // EIP-7702: calling a delegated account also pays for reading its delegate (the
        // whole warm or cold access cost, on top of the target's).
        const CodeAnalysis& target_code = st.code(target);
        if (st.failed()) return false;
        if (const auto delegate =
                delegation_target(BytesView(target_code.padded.data(), target_code.size))) {
            const int64_t cost = st.access_account(*delegate) == Access::kCold
                                     ? kGasColdAccountAccess
                                     : kGasWarmAccess;
            if (!charge(cost)) return false;
        }
    }
    if (!grow(in_off, in_size) || !grow(out_off, out_size)) return false;
    int64_t cost = 0;
    if (has_value) {
        cost += kGasCallValue;
        if (op == 0xf1 && st.is_empty(target)) cost += kGasNewAccount;
    }
    if (st.failed() || !charge(cost)) return false;

    // EIP-150: at most all but one 64th of what is left.
    int64_t child_gas = gas - gas / 64;
    if (gas_req.fits_u64() && gas_req.low64() < static_cast<uint64_t>(child_gas))
        child_gas = static_cast<int64_t>(gas_req.low64());
    gas -= child_gas;
    if (has_value) child_gas += kGasCallStipend;

    Message m;
    m.depth = msg.depth + 1;
    m.gas = child_gas;
    m.code_address = target;
    m.input = in_size.is_zero() ? BytesView()
                                : BytesView(memory.data() + in_off.low64(), in_size.low64());
    switch (op) {
        case 0xf1:
            m.kind = CallKind::kCall;
            m.is_static = msg.is_static;
            m.recipient = target;
            m.sender = msg.recipient;
            m.value = value;
            break;
        case 0xf2:
            m.kind = CallKind::kCallCode;
            m.is_static = msg.is_static;
            m.recipient = msg.recipient;
            m.sender = msg.recipient;
            m.value = value;
            break;
        case 0xf4:
            m.kind = CallKind::kDelegateCall;
            m.is_static = msg.is_static;
            m.recipient = msg.recipient;
            m.sender = msg.sender;
            m.value = msg.value;
            break;
        default:
            m.kind = CallKind::kStaticCall;
            m.is_static = true;
            m.recipient = target;
            m.sender = msg.recipient;
            break;
    }
    CallResult r = evm.call(m);
    gas += r.gas_left;
    return_data = std::move(r.output);
    if (!out_size.is_zero() && !return_data.empty()) {
        const uint64_t n = std::min<uint64_t>(out_size.low64(), return_data.size());
        std::memcpy(memory.data() + out_off.low64(), return_data.data(), n);
    }
    push(U256(r.status == ExitStatus::kSuccess ? 1 : 0));
    return true;
}

bool Interpreter::op_create(uint8_t op) {
    if (msg.is_static) return false;
    const U256 value = pop(), off = pop(), size = pop();
    U256 salt;
    if (op == 0xf5) salt = pop();
    if (!grow(off, size)) return false;
    const uint64_t n = size.low64();
    if (!size.is_zero()) {
        if (n > kMaxInitcodeSize) return false;  // EIP-3860
        int64_t per_word = kGasInitcodeWord + (op == 0xf5 ? kGasKeccakWord : 0);
        if (!charge(per_word * static_cast<int64_t>(words(n)))) return false;
    }
    return_data.clear();
    Message m;
    m.kind = op == 0xf0 ? CallKind::kCreate : CallKind::kCreate2;
    m.depth = msg.depth + 1;
    m.gas = gas - gas / 64;
    gas -= m.gas;
    m.sender = msg.recipient;
    m.value = value;
    m.salt = salt;
    m.input = n ? BytesView(memory.data() + off.low64(), n) : BytesView();
    CallResult r = evm.call(m);
    gas += r.gas_left;
    if (r.status == ExitStatus::kRevert) return_data = std::move(r.output);
    push(r.status == ExitStatus::kSuccess ? word_from_address(r.created) : U256());
    return true;
}

Evm::Evm(JournaledState& state, const BlockEnv& block, const TxContext& tx, Revision revision,
         PrecompileSet precompiles)
    : state_(state),
      block_(block),
      tx_(tx),
      opcodes_(opcode_table(revision)),
      revision_(revision),
      precompiles_(precompiles) {}

Evm::~Evm() = default;

CallResult Evm::call(const Message& msg) {
    if (msg.kind == CallKind::kCreate || msg.kind == CallKind::kCreate2) return execute_create(msg);
    return execute_call(msg);
}

CallResult Evm::run_code(const Message& msg, const CodeAnalysis& code) {
    const size_t depth = static_cast<size_t>(msg.depth);
    if (stacks_.size() <= depth) stacks_.resize(depth + 1);
    if (!stacks_[depth]) stacks_[depth] = std::make_unique<U256[]>(kStackLimit);
    U256* base = stacks_[depth].get();
    Interpreter in{*this, msg, code, msg.gas, base, base, {}, {}, {}};
    const ExitStatus status = in.run();
    CallResult r;
    r.status = status;
    r.gas_left = status == ExitStatus::kFailure ? 0 : in.gas;
    if (status != ExitStatus::kFailure) r.output = std::move(in.output);
    return r;
}

CallResult Evm::call_precompile(const Message& msg, const Snapshot& snap) {
    CallResult r;
    PrecompileResult p =
        run_precompile(msg.code_address, msg.input, static_cast<uint64_t>(msg.gas), precompiles_);
    if (p.status == PrecompileStatus::kUnsupported) {
        state_.set_error(fail("evm: " + p.reason, kErrorUnsupportedPrecompile));
        return r;
    }
    if (p.status == PrecompileStatus::kSuccess && p.gas_used <= static_cast<uint64_t>(msg.gas)) {
        r.status = ExitStatus::kSuccess;
        r.gas_left = msg.gas - static_cast<int64_t>(p.gas_used);
        r.output = std::move(p.output);
    } else {
        state_.revert(snap);
    }
    return r;
}

CallResult Evm::execute_call(const Message& msg) {
    CallResult r;
    r.gas_left = msg.gas;
    const bool transfers = msg.kind == CallKind::kCall || msg.kind == CallKind::kCallCode;
    if (msg.depth > kMaxCallDepth) return r;
    if (transfers && !msg.value.is_zero() && state_.balance(msg.sender) < msg.value) return r;

    const Snapshot snap = state_.snapshot();
    const bool precompile = is_precompile(msg.code_address, precompiles_);
    if (msg.kind == CallKind::kCall) {
        // EIP-161: a zero-value call to an account that does not exist leaves no trace.
        if (!msg.value.is_zero() || precompile || state_.exists(msg.recipient)) {
            if (!msg.value.is_zero()) state_.sub_balance(msg.sender, msg.value);
            state_.add_balance(msg.recipient, msg.value);
        }
    } else if (msg.kind == CallKind::kCallCode) {
        state_.touch(msg.recipient);
    }

    if (precompile) return call_precompile(msg, snap);

    const CodeAnalysis* code_ptr = &state_.code(msg.code_address);
    if (at_least(revision_, Revision::kPrague)) {
        // EIP-7702: a delegated account runs its delegate's code, one level deep (a delegate
        // that is itself delegated runs its designator: 0xef halts). A precompile delegate
        // has no code: the call succeeds doing nothing.
        if (const auto delegate =
                delegation_target(BytesView(code_ptr->padded.data(), code_ptr->size)))
            code_ptr = &state_.code(*delegate);
    }
    const CodeAnalysis& code = *code_ptr;
    if (state_.failed()) {
        r.status = ExitStatus::kFailure;
        r.gas_left = 0;
        return r;
    }
    if (code.size == 0) {
        r.status = ExitStatus::kSuccess;
        return r;
    }
    r = run_code(msg, code);
    if (r.status != ExitStatus::kSuccess) state_.revert(snap);
    return r;
}

CallResult Evm::execute_create(const Message& msg) {
    CallResult r;
    r.gas_left = msg.gas;
    if (msg.depth > kMaxCallDepth) return r;
    if (state_.balance(msg.sender) < msg.value) return r;
    const uint64_t nonce = state_.nonce(msg.sender);
    if (nonce == UINT64_MAX) return r;  // EIP-2681
    state_.set_nonce(msg.sender, nonce + 1);
    const Address address = msg.kind == CallKind::kCreate
                                ? create_address(msg.sender, nonce)
                                : create2_address(msg.sender, msg.salt, msg.input);
    return create_at(msg, address);
}

CallResult Evm::create_at(const Message& msg, const Address& address) {
    CallResult r;
    state_.access_account(address);
    if (state_.has_collision(address) || state_.failed()) {
        r.status = ExitStatus::kFailure;
        r.gas_left = 0;
        return r;
    }
    const Snapshot snap = state_.snapshot();
    state_.create_account(address);
    if (!msg.value.is_zero()) state_.sub_balance(msg.sender, msg.value);
    state_.add_balance(address, msg.value);

    Message m = msg;
    m.recipient = address;
    m.code_address = address;
    const CodeAnalysis initcode = analyze(msg.input);
    m.input = {};  // initcode runs with empty calldata
    r = run_code(m, initcode);
    if (r.status == ExitStatus::kSuccess) {
        const int64_t deposit = kGasCodeDeposit * static_cast<int64_t>(r.output.size());
        // EIP-170 size limit, EIP-3541 0xEF prefix, then the deposit cost.
        if (r.output.size() > kMaxCodeSize || (!r.output.empty() && r.output[0] == 0xef) ||
            r.gas_left < deposit) {
            r.status = ExitStatus::kFailure;
            r.gas_left = 0;
            r.output.clear();
        } else {
            r.gas_left -= deposit;
            state_.set_code(address, std::move(r.output));
            r.output.clear();
            r.created = address;
        }
    }
    if (r.status != ExitStatus::kSuccess) state_.revert(snap);
    return r;
}

}  // namespace vigil::evm
