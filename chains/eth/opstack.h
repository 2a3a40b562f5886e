// OP Stack commitments: output roots, withdrawal hashes, the message passer's storage key.
// Facts: ../shared/protocol/op-stack.md ("L2 Output Commitment Construction", "Withdrawals").
#pragma once

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/u256.h"

namespace vigil::eth::opstack {

// The L2ToL1MessagePasser predeploy, 0x4200000000000000000000000000000000000016.
Address message_passer_address();

// Output root version 0: keccak256(bytes32(0) ‖ stateRoot ‖ messagePasserStorageRoot ‖
// blockHash).
Hash32 output_root_v0(const Hash32& state_root, const Hash32& message_passer_storage_root,
                      const Hash32& block_hash);

// The storage slot of sentMessages[withdrawal_hash] in the message passer (mapping at
// slot 0): keccak256(withdrawal_hash ‖ uint256(0)).
Hash32 sent_messages_slot(const Hash32& withdrawal_hash);

}  // namespace vigil::eth::opstack
