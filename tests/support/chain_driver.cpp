#include "tests/support/chain_driver.h"

#include <chrono>
#include <thread>

#include "chains/eth/keccak.h"
#include "tests/support/anvil.h"

namespace vigil::testing {

eth::Hash32 emitter_topic() { return eth::keccak256(std::string_view("Emitted(uint256)")); }

std::string emitter_runtime_hex() {
    // Offsets: loop = 0x05, end = 0x41 (see the assembly in the header).
    std::string code =
        "0x"
        "600035"
        "6000"  // count, i
        "5b"
        "8181"
        "10"
        "15"
        "6041"
        "57"  // 0x05 loop: if !(i < count) goto end
        "80"
        "602035"
        "01"
        "600052"  // mem[0] = base + i
        "7f" +
        eth::to_hex_bare(emitter_topic().view()) +
        "6020"
        "6000"
        "a1"  // LOG1(0, 32, topic)
        "600101"
        "6005"
        "56"  // i += 1; goto loop
        "5b"
        "00";  // 0x41 end: STOP
    return code;
}

std::string emitter_calldata(uint64_t count, uint64_t base) {
    auto word = [](uint64_t v) {
        std::string hex = eth::to_quantity(v).substr(2);
        return std::string(64 - hex.size(), '0') + hex;
    };
    return "0x" + word(count) + word(base);
}

namespace {
rpc::RpcClientOptions driver_options(const std::string& url, uint64_t chain_id) {
    rpc::RpcClientOptions o;
    o.chain = "driver";
    o.urls = {url};
    o.expected_chain_id = chain_id;
    o.requests_per_second = 0;  // unlimited
    return o;
}
}  // namespace

ChainDriver::ChainDriver(const std::string& url, uint64_t chain_id)
    : rpc_(driver_options(url, chain_id)) {}

Result<uint64_t> ChainDriver::block_number() {
    VIGIL_TRY(rpc::Json n, rpc_.call("eth_blockNumber"));
    if (!n.is_string()) return fail("eth_blockNumber: not a string");
    return eth::parse_quantity(n.get<std::string>());
}

Status ChainDriver::mine(uint64_t blocks) {
    VIGIL_CHECK(rpc_.call("anvil_mine", rpc::Json::array({eth::to_quantity(blocks)})));
    return {};
}

Status ChainDriver::set_code(const eth::Address& at, const std::string& code_hex) {
    VIGIL_CHECK(rpc_.call("anvil_setCode", rpc::Json::array({at.to_hex(), code_hex})));
    return {};
}

Result<std::string> ChainDriver::send(const eth::Address& to, const std::string& data_hex,
                                      uint64_t gas) {
    rpc::Json tx = {{"from", kAnvilAddress0},
                    {"to", to.to_hex()},
                    {"data", data_hex},
                    {"gas", eth::to_quantity(gas)}};
    VIGIL_TRY(rpc::Json hash, rpc_.call("eth_sendTransaction", rpc::Json::array({tx})));
    if (!hash.is_string()) return fail("eth_sendTransaction: not a string");
    // Anvil may answer before the block is mined: wait for the receipt, so that tests see
    // the chain the transaction made.
    for (int i = 0; i < 1000; ++i) {
        VIGIL_TRY(rpc::Json receipt,
                  rpc_.call("eth_getTransactionReceipt", rpc::Json::array({hash})));
        if (!receipt.is_null()) return hash.get<std::string>();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return fail("eth_sendTransaction: no receipt after 10 s");
}

Status ChainDriver::reorg(uint64_t depth,
                          const std::vector<std::pair<eth::Address, std::string>>& txs) {
    rpc::Json pairs = rpc::Json::array();
    for (const auto& [to, data] : txs)
        pairs.push_back(rpc::Json::array(
            {{{"from", kAnvilAddress0}, {"to", to.to_hex()}, {"data", data}, {"gas", "0x4c4b40"}},
             0}));
    VIGIL_CHECK(rpc_.call("anvil_reorg", rpc::Json::array({depth, pairs})));
    return {};
}

}  // namespace vigil::testing
