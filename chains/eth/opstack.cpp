#include "chains/eth/opstack.h"

#include "chains/eth/keccak.h"

namespace vigil::eth::opstack {

Address message_passer_address() {
    Address a;
    a[0] = 0x42;
    a[19] = 0x16;
    return a;
}

Hash32 output_root_v0(const Hash32& state_root, const Hash32& message_passer_storage_root,
                      const Hash32& block_hash) {
    Keccak256 h;
    const Hash32 version{};  // version 0: 32 zero bytes
    h.update(version.view());
    h.update(state_root.view());
    h.update(message_passer_storage_root.view());
    h.update(block_hash.view());
    return h.finalize();
}

Hash32 sent_messages_slot(const Hash32& withdrawal_hash) {
    Keccak256 h;
    const Hash32 slot_zero{};  // sentMessages is the mapping at storage slot 0
    h.update(withdrawal_hash.view());
    h.update(slot_zero.view());
    return h.finalize();
}

}  // namespace vigil::eth::opstack
