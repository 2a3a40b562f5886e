// Differential fuzzing of the two eth_getLogs decoders (chains/rpc/logs_answer.h): the
// input is an answer body. The fast decoder may decline anything, but whatever it
// accepts the tree decoder must accept too, with exactly the same logs. Neither may
// crash, hang or leak on any input.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "chains/rpc/logs_answer.h"

using namespace vigil;

namespace {

bool same(const rpc::LogEntry& a, const rpc::LogEntry& b) {
    return a.block_number == b.block_number && a.block_hash == b.block_hash &&
           a.tx_index == b.tx_index && a.tx_hash == b.tx_hash && a.log_index == b.log_index &&
           a.address == b.address && a.topics == b.topics && a.data == b.data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string body(reinterpret_cast<const char*>(data), size);
    std::vector<rpc::LogEntry> fast;
    const bool accepted = rpc::parse_logs_answer_fast(body, 7, fast);
    if (body != std::string_view(reinterpret_cast<const char*>(data), size)) std::abort();
    auto slow = rpc::parse_logs_answer(body, 7);
    if (!accepted) return 0;
    if (!slow.ok() || slow->size() != fast.size()) std::abort();
    for (size_t i = 0; i < fast.size(); ++i)
        if (!same(fast[i], (*slow)[i])) std::abort();
    return 0;
}
