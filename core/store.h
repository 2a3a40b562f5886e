// Store: Vigil's persistent state, one LevelDB directory with namespaced keys.
//
// Every consumer (listener cursor, relayer, verifier) owns a namespace and commits its
// progress together with the state it derived in one atomic, synced WriteBatch, so a
// crash at any point replays from the last commit. A schema version key is checked at
// open: a store written by an incompatible build is refused, never misread.
//
// Thread-safety: a Store may be used from several threads at once (LevelDB is
// thread-safe for Get/Write); a WriteBatch belongs to one thread. One process owns the
// directory at a time: a second open (this or another process) fails with a clear error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chains/eth/result.h"

namespace leveldb {
class Cache;
class DB;
class FilterPolicy;
class WriteBatch;
}  // namespace leveldb

namespace vigil::core {

// The store layout this build reads and writes. Bump on any incompatible change and
// add a migration.
inline constexpr uint32_t kStoreSchemaVersion = 1;

// A set of writes applied atomically by Store::commit.
class WriteBatch {
  public:
    WriteBatch();
    ~WriteBatch();
    WriteBatch(WriteBatch&&) noexcept;
    WriteBatch& operator=(WriteBatch&&) noexcept;

    void put(std::string_view ns, std::string_view key, std::string_view value);
    void erase(std::string_view ns, std::string_view key);
    bool empty() const { return count_ == 0; }
    size_t count() const { return count_; }

  private:
    friend class Store;
    std::unique_ptr<leveldb::WriteBatch> batch_;
    size_t count_ = 0;
};

class Store {
  public:
    struct Options {
        bool create_if_missing = true;
        size_t block_cache_bytes = 32 << 20;
        size_t write_buffer_bytes = 8 << 20;
    };

    // Opens (or creates) the store in `dir`. Errors name the directory and say why:
    // locked by another process, not writable, corrupt, or an incompatible schema.
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir, Options options);
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir) {
        return open(dir, Options{});
    }
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // The value under (ns, key), or nullopt when absent; an error only on I/O failure.
    Result<std::optional<std::string>> get(std::string_view ns, std::string_view key) const;
    Status put(std::string_view ns, std::string_view key, std::string_view value);
    Status erase(std::string_view ns, std::string_view key);
    // Applies the batch atomically and syncs it to disk before returning.
    Status commit(WriteBatch& batch);

    // Calls `visit(key, value)` for each key of `ns` starting with `prefix`, in key order,
    // until it returns false. Keys are given without the namespace.
    Status scan(
        std::string_view ns, std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

    const std::filesystem::path& dir() const { return dir_; }

  private:
    Store(std::filesystem::path dir, std::unique_ptr<leveldb::DB> db);
    Status check_schema();

    std::filesystem::path dir_;
    // Declared before db_ so that they are destroyed after it: LevelDB uses but does not
    // own its block cache and filter policy.
    std::unique_ptr<leveldb::Cache> cache_;
    std::unique_ptr<const leveldb::FilterPolicy> filter_;
    std::unique_ptr<leveldb::DB> db_;
};

// Big-endian fixed-width keys sort numerically (block numbers, sequence ids).
std::string be_key(uint64_t value);
Result<uint64_t> parse_be_key(std::string_view key);

}  // namespace vigil::core
