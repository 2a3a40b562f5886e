#include "verifier/evm/state.h"

namespace vigil::evm {

bool is_empty(const eth::Account& account) {
    return account.nonce == 0 && account.balance.is_zero() &&
           account.code_hash == eth::kEmptyCodeHash;
}

}  // namespace vigil::evm
