#include "core/store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace vigil::core {
namespace {

class StoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vigil-store-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(StoreTest, PutGetEraseAndPersistAcrossReopen) {
    {
        auto store = Store::open(dir_);
        ASSERT_TRUE(store.ok()) << store.error().message;
        ASSERT_TRUE((*store)->put("cursor", "l1", "42").ok());
        ASSERT_TRUE((*store)->put("cursor", "l2", "7").ok());
        ASSERT_TRUE((*store)->erase("cursor", "l2").ok());
    }
    auto store = Store::open(dir_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto v = (*store)->get("cursor", "l1");
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v->has_value());
    EXPECT_EQ(**v, "42");
    auto gone = (*store)->get("cursor", "l2");
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
}

TEST_F(StoreTest, NamespacesDoNotOverlapEvenWhenPrefixes) {
    auto store = Store::open(dir_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->put("msg", "sa", "1").ok());
    ASSERT_TRUE((*store)->put("msgs", "a", "2").ok());
    std::vector<std::string> seen;
    ASSERT_TRUE((*store)
                    ->scan("msg", "",
                           [&](std::string_view k, std::string_view v) {
                               seen.push_back(std::string(k) + "=" + std::string(v));
                               return true;
                           })
                    .ok());
    EXPECT_EQ(seen, std::vector<std::string>{"sa=1"});
}

TEST_F(StoreTest, BatchIsAtomicAndScanIsOrdered) {
    auto store = Store::open(dir_);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    for (uint64_t n : {300u, 2u, 70000u}) batch.put("blocks", be_key(n), std::to_string(n));
    batch.put("cursor", "l1", "70000");
    EXPECT_EQ(batch.count(), 4u);
    ASSERT_TRUE((*store)->commit(batch).ok());
    std::vector<uint64_t> order;
    ASSERT_TRUE((*store)
                    ->scan("blocks", "",
                           [&](std::string_view k, std::string_view) {
                               order.push_back(*parse_be_key(k));
                               return true;
                           })
                    .ok());
    EXPECT_EQ(order, (std::vector<uint64_t>{2, 300, 70000}));
    EXPECT_FALSE(parse_be_key("short").ok());
}

TEST_F(StoreTest, SecondOpenIsRefusedAsLocked) {
    auto first = Store::open(dir_);
    ASSERT_TRUE(first.ok());
    auto second = Store::open(dir_);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("locked"), std::string::npos) << second.error().message;

    // A forked child is refused too (it holds no lock of its own).
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        auto other = Store::open(dir_);
        _exit(!other.ok() && other.error().message.find("locked") != std::string::npos ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(StoreTest, IncompatibleSchemaIsRefused) {
    {
        auto store = Store::open(dir_);
        ASSERT_TRUE(store.ok());
        ASSERT_TRUE((*store)->put("meta", "schema_version", "999").ok());
    }
    auto store = Store::open(dir_);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find("schema version 999"), std::string::npos)
        << store.error().message;
}

TEST_F(StoreTest, UnwritableDirectoryIsAClearError) {
    auto store = Store::open("/proc/vigil-cannot-exist/store");
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find("/proc/vigil-cannot-exist/store"), std::string::npos);
}

}  // namespace
}  // namespace vigil::core
