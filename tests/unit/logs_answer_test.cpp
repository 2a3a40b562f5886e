// The two eth_getLogs decoders agree, and the fast one declines whatever it does not
// fully understand, leaving the explanation to the tree decoder.
#include "chains/rpc/logs_answer.h"

#include <gtest/gtest.h>

namespace vigil::rpc {
namespace {

std::string entry(const std::string& overrides = "", const std::string& drop = "") {
    Json e = {{"address", "0x000000000000000000000000000000000000beef"},
              {"topics", {"0x" + std::string(62, '0') + "aa", "0x" + std::string(63, '0') + "1"}},
              {"data", "0x0102ff"},
              {"blockHash", "0x" + std::string(64, '1')},
              {"blockNumber", "0x10"},
              {"blockTimestamp", "0x5"},
              {"transactionHash", "0x" + std::string(64, '2')},
              {"transactionIndex", "0x3"},
              {"logIndex", "0x4"},
              {"removed", false}};
    if (!overrides.empty()) e.update(Json::parse(overrides));
    if (!drop.empty()) e.erase(drop);
    return e.dump();
}

std::string answer(const std::string& entries, uint64_t id = 9) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":[)" + entries + "]}";
}

TEST(LogsAnswer, FastAndTreeDecodersAgree) {
    std::string body = answer(entry() + "," + entry(R"({"logIndex":"0x5","topics":[]})"));
    const std::string original = body;
    std::vector<LogEntry> fast;
    ASSERT_TRUE(parse_logs_answer_fast(body, 9, fast));
    EXPECT_EQ(body, original);
    auto slow = parse_logs_answer(body, 9);
    ASSERT_TRUE(slow.ok()) << slow.error().message;
    ASSERT_EQ(fast.size(), 2u);
    ASSERT_EQ(slow->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(fast[i].block_number, (*slow)[i].block_number);
        EXPECT_EQ(fast[i].block_hash, (*slow)[i].block_hash);
        EXPECT_EQ(fast[i].tx_index, (*slow)[i].tx_index);
        EXPECT_EQ(fast[i].tx_hash, (*slow)[i].tx_hash);
        EXPECT_EQ(fast[i].log_index, (*slow)[i].log_index);
        EXPECT_EQ(fast[i].address, (*slow)[i].address);
        EXPECT_EQ(fast[i].topics, (*slow)[i].topics);
        EXPECT_EQ(fast[i].data, (*slow)[i].data);
    }
    EXPECT_EQ(fast[0].block_number, 16u);
    EXPECT_EQ(fast[0].tx_index, 3u);
    EXPECT_EQ(fast[0].data, (eth::Bytes{1, 2, 0xff}));
    EXPECT_EQ(fast[0].topics.size(), 2u);
    EXPECT_EQ(fast[1].log_index, 5u);
}

TEST(LogsAnswer, FastDeclinesAndTreeExplains) {
    struct Case {
        std::string body;
        int code;
        std::string says;
    };
    Json five_topics = Json::array();
    for (char i = '1'; i <= '5'; ++i) five_topics.push_back("0x" + std::string(63, '0') + i);
    const std::vector<Case> cases = {
        {R"({"jsonrpc":"2.0","id":9,"error":{"code":-32005,"message":"query returned more than 10000 results"}})",
         kRpcError, "more than 10000"},
        {answer(entry(), 8), kMalformed, "id"},
        {answer(entry("", "blockHash")), kMalformed, "blockHash"},
        {answer(entry(R"({"removed":true})")), kMalformed, "removed"},
        // Mixed case is an EIP-55 checksum, and this one is wrong (found by logs_fuzz).
        {answer(entry(R"({"address":"0x000000000000000000000000000000000000BEeF"})")), kMalformed,
         "checksum"},
        {answer(entry(R"({"topics":["0x01"]})")), kMalformed, "topics"},
        {answer(entry(R"({"data":"0x123"})")), kMalformed, "data"},
        {answer(entry(R"({"blockNumber":"0x1ffffffffffffffff"})")), kMalformed, "64 bits"},
        {answer(entry(R"({"logIndex":null})")), kMalformed, "logIndex"},
        {answer(entry(Json{{"topics", five_topics}}.dump())), kMalformed, "at most 4"},
        // Checks the tree decoder shares with receipts' logs (rpc::parse_log): a field
        // neither decoder keeps must still be well-formed.
        {answer(entry(R"({"removed":"no"})")), kMalformed, "removed"},
        {answer(entry(R"({"blockTimestamp":"0xzz"})")), kMalformed, "blockTimestamp"},
        {answer(entry(R"({"blockTimestamp":-5})")), kMalformed, "blockTimestamp"},
        {answer(entry()).substr(0, 120), kMalformed, "malformed JSON"},
        {R"({"jsonrpc":"2.0","id":9,"result":{}})", kMalformed, "not an array"},
        {R"({"jsonrpc":"2.0","id":9})", kMalformed, "neither result nor error"},
    };
    for (const Case& c : cases) {
        std::string body = c.body;
        std::vector<LogEntry> fast;
        EXPECT_FALSE(parse_logs_answer_fast(body, 9, fast)) << c.body;
        auto slow = parse_logs_answer(body, 9);
        ASSERT_FALSE(slow.ok()) << c.body;
        EXPECT_EQ(slow.error().code, c.code) << c.body;
        EXPECT_NE(slow.error().message.find(c.says), std::string::npos)
            << slow.error().message << " for " << c.body;
    }
}

TEST(LogsAnswer, BlockTimestampAsANumberOrAbsentIsAccepted) {
    // Nodes differ: hex, a JSON number (Anvil in receipts), or no field at all.
    for (const std::string& e : {entry(R"({"blockTimestamp":5})"), entry("", "blockTimestamp")}) {
        std::string body = answer(e);
        std::vector<LogEntry> fast;
        EXPECT_TRUE(parse_logs_answer_fast(body, 9, fast)) << body;
        auto slow = parse_logs_answer(body, 9);
        ASSERT_TRUE(slow.ok()) << slow.error().message;
        ASSERT_EQ(slow->size(), 1u);
        EXPECT_EQ((*slow)[0].log_index, 4u);
    }
}

TEST(LogsAnswer, TrailingContentIsNotAnAnswer) {
    std::string body = answer(entry()) + "{}";
    std::vector<LogEntry> fast;
    EXPECT_FALSE(parse_logs_answer_fast(body, 9, fast));
    EXPECT_FALSE(parse_logs_answer(body, 9).ok());
}

}  // namespace
}  // namespace vigil::rpc
