#include "verifier/verdicts.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::verifier {
namespace {

class VerdictsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vigil-verdicts-XXXXXX";
        dir_ = mkdtemp(tmpl);
        reopen();
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void reopen() {
        store_.reset();
        store_ = std::move(core::Store::open(dir_).value());
    }
    static VerdictRecord record(uint8_t game_byte, uint64_t index, Verdict v) {
        VerdictRecord r;
        r.proposal.rollup = "op-a";
        r.proposal.game[19] = game_byte;
        r.proposal.game_index = index;
        r.proposal.root_claim[0] = 0xaa;
        r.proposal.l2_block = 100 + index;
        r.proposal.l1_block = 7;
        r.verdict = v;
        if (v == Verdict::valid || v == Verdict::invalid) {
            OutputRootInputs in;
            in.l2_block = r.proposal.l2_block;
            in.output_root[0] = v == Verdict::valid ? 0xaa : 0xbb;
            r.computed = in;
        } else {
            r.reason = "L2 node at 90";
        }
        r.decided_at_ms = 1234;
        return r;
    }
    std::filesystem::path dir_;
    std::unique_ptr<core::Store> store_;
};

TEST_F(VerdictsTest, PersistsAcrossRestartsAndAnswersTheRelayer) {
    {
        VerdictStore verdicts(*store_);
        core::WriteBatch batch;
        verdicts.stage(record(1, 0, Verdict::valid), batch);
        verdicts.stage(record(2, 1, Verdict::invalid), batch);
        verdicts.stage(record(3, 2, Verdict::pending), batch);
        verdicts.stage(record(4, 3, Verdict::unverifiable), batch);
        ASSERT_TRUE(store_->commit(batch).ok());
    }
    reopen();
    VerdictStore verdicts(*store_);
    auto game = [](uint8_t b) {
        eth::Address a;
        a[19] = b;
        return a;
    };
    EXPECT_EQ(*verdicts.verdict("op-a", game(1)), Verdict::valid);
    EXPECT_EQ(*verdicts.verdict("op-a", game(2)), Verdict::invalid);
    EXPECT_EQ(*verdicts.verdict("op-a", game(3)), Verdict::pending);
    EXPECT_EQ(*verdicts.verdict("op-a", game(4)), Verdict::unverifiable);
    EXPECT_EQ(*verdicts.verdict("op-a", game(5)), Verdict::pending);  // never seen
    EXPECT_EQ(*verdicts.verdict("op-b", game(1)), Verdict::pending);  // another rollup
    auto invalid = verdicts.get("op-a", game(2));
    ASSERT_TRUE(invalid.ok() && invalid->has_value());
    EXPECT_EQ((*invalid)->computed->output_root[0], 0xbb);
    EXPECT_EQ((*invalid)->proposal.l2_block, 101u);

    auto open = verdicts.open("op-a");
    ASSERT_TRUE(open.ok());
    ASSERT_EQ(open->size(), 2u);
    EXPECT_EQ((*open)[0].proposal.game_index, 2u);
    EXPECT_EQ((*open)[1].proposal.game_index, 3u);

    // The pending one is judged later: it leaves the open index.
    core::WriteBatch batch;
    verdicts.stage(record(3, 2, Verdict::valid), batch);
    ASSERT_TRUE(store_->commit(batch).ok());
    EXPECT_EQ(verdicts.open("op-a")->size(), 1u);
    EXPECT_EQ(*verdicts.verdict("op-a", game(3)), Verdict::valid);
}

// The valid index answers "newest valid game first"; a store written before the index
// existed gets it built once from the records.
TEST_F(VerdictsTest, ValidGamesNewestFirstAndIndexBuiltForOlderStores) {
    VerdictStore verdicts(*store_);
    {
        core::WriteBatch batch;
        verdicts.stage(record(1, 0, Verdict::valid), batch);    // L2 block 100
        verdicts.stage(record(2, 5, Verdict::invalid), batch);  // 105: never a proof's game
        verdicts.stage(record(3, 3, Verdict::valid), batch);    // 103
        verdicts.stage(record(4, 9, Verdict::pending), batch);  // 109
        ASSERT_TRUE(store_->commit(batch).ok());
    }
    auto games = verdicts.valid_games("op-a", 10);
    ASSERT_TRUE(games.ok()) << games.error().message;
    ASSERT_EQ(games->size(), 2u);
    EXPECT_EQ((*games)[0].proposal.l2_block, 103u);
    EXPECT_EQ((*games)[1].proposal.l2_block, 100u);
    EXPECT_EQ((*verdicts.latest_valid("op-a"))->proposal.game_index, 3u);

    // A proposal orphaned by an L1 reorg leaves the index with its record.
    {
        core::WriteBatch batch;
        verdicts.erase(record(3, 3, Verdict::valid), batch);
        ASSERT_TRUE(store_->commit(batch).ok());
    }
    EXPECT_EQ((*verdicts.latest_valid("op-a"))->proposal.game_index, 0u);

    // An older store: records without index entries. Nothing is valid until the index is
    // built, then the same answers.
    {
        core::WriteBatch batch;
        verdicts.stage(record(3, 3, Verdict::valid), batch);
        ASSERT_TRUE(store_->commit(batch).ok());
    }
    std::vector<std::string> keys;
    ASSERT_TRUE(store_
                    ->scan("verdicts", "valid/",
                           [&](std::string_view k, std::string_view) {
                               keys.emplace_back(k);
                               return true;
                           })
                    .ok());
    ASSERT_EQ(keys.size(), 2u);
    for (const auto& k : keys) ASSERT_TRUE(store_->erase("verdicts", k).ok());
    EXPECT_FALSE(verdicts.latest_valid("op-a")->has_value());
    ASSERT_TRUE(verdicts.ensure_valid_index("op-a").ok());
    EXPECT_EQ((*verdicts.latest_valid("op-a"))->proposal.game_index, 3u);
    EXPECT_EQ(verdicts.valid_games("op-a", 10)->size(), 2u);
    ASSERT_TRUE(verdicts.ensure_valid_index("op-a").ok());  // once: a marker, no rescan
    EXPECT_EQ(verdicts.valid_games("op-a", 10)->size(), 2u);
}

TEST(VerdictCodec, RejectsJunk) {
    EXPECT_FALSE(decode_verdict("").ok());
    EXPECT_FALSE(decode_verdict("{\"rollup\":\"x\"}").ok());
    VerdictRecord r;
    r.proposal.rollup = "op-a";
    std::string text = encode_verdict(r);
    ASSERT_TRUE(decode_verdict(text).ok());
    text.replace(text.find("pending"), 7, "maybe!!");
    EXPECT_FALSE(decode_verdict(text).ok());
}

}  // namespace
}  // namespace vigil::verifier
