// How `vigil eth run-block` and `vigil verify check --reexecute` show one re-executed
// block (verifier/reexecute.h): the inputs, the roots Vigil computed, what the node's
// header says where it differs, and the output root.
#pragma once

#include <ostream>

#include "chains/rpc/http_client.h"
#include "verifier/reexecute.h"

namespace vigil::cmd {

rpc::Json block_check_json(const verifier::BlockCheck& check);
void print_block_check(std::ostream& out, const verifier::BlockCheck& check);

}  // namespace vigil::cmd
