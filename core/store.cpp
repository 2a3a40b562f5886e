#include "core/store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <system_error>

namespace vigil::core {
namespace {

// Namespaced key: one length byte, the namespace, then the key. The length byte keeps
// namespaces apart even when one name is a prefix of another ("msg" / "msgs").
std::string full_key(std::string_view ns, std::string_view key) {
    std::string out;
    out.reserve(1 + ns.size() + key.size());
    out.push_back(static_cast<char>(ns.size()));
    out.append(ns);
    out.append(key);
    return out;
}

constexpr std::string_view kMetaNamespace = "meta";
constexpr std::string_view kSchemaKey = "schema_version";

Error store_error(const std::filesystem::path& dir, const leveldb::Status& s) {
    std::string what = s.ToString();
    if (what.find("lock") != std::string::npos &&
        (what.find("already held") != std::string::npos ||
         what.find("temporarily unavailable") != std::string::npos))
        return fail("store " + dir.string() +
                    ": locked by another process (is another vigil running on it?)");
    if (s.IsCorruption()) return fail("store " + dir.string() + ": corrupt: " + what);
    return fail("store " + dir.string() + ": " + what);
}

}  // namespace

WriteBatch::WriteBatch() : batch_(std::make_unique<leveldb::WriteBatch>()) {}
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;

void WriteBatch::put(std::string_view ns, std::string_view key, std::string_view value) {
    batch_->Put(full_key(ns, key), leveldb::Slice(value.data(), value.size()));
    ++count_;
}

void WriteBatch::erase(std::string_view ns, std::string_view key) {
    batch_->Delete(full_key(ns, key));
    ++count_;
}

Store::Store(std::filesystem::path dir, std::unique_ptr<leveldb::DB> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& dir, Options options) {
    std::error_code ec;
    if (options.create_if_missing) {
        std::filesystem::create_directories(dir, ec);
        if (ec) return fail("store " + dir.string() + ": cannot create directory: " + ec.message());
    }
    if (!std::filesystem::is_directory(dir, ec))
        return fail("store " + dir.string() + ": not a directory");
    leveldb::Options lo;
    lo.create_if_missing = options.create_if_missing;
    lo.paranoid_checks = true;
    lo.write_buffer_size = options.write_buffer_bytes;
    lo.block_cache = leveldb::NewLRUCache(options.block_cache_bytes);
    lo.filter_policy = leveldb::NewBloomFilterPolicy(10);
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(lo, dir.string(), &raw);
    if (!s.ok()) {
        delete lo.block_cache;
        delete lo.filter_policy;
        return store_error(dir, s);
    }
    std::unique_ptr<Store> store(new Store(dir, std::unique_ptr<leveldb::DB>(raw)));
    store->cache_.reset(lo.block_cache);
    store->filter_.reset(lo.filter_policy);
    VIGIL_CHECK(store->check_schema());
    return store;
}

Status Store::check_schema() {
    VIGIL_TRY(auto stored, get(kMetaNamespace, kSchemaKey));
    if (!stored) {
        // A new store, or one this build has never seen: only an empty one may be claimed.
        std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
        it->SeekToFirst();
        if (it->Valid())
            return fail("store " + dir_.string() + ": has data but no schema version key");
        WriteBatch batch;
        batch.put(kMetaNamespace, kSchemaKey, std::to_string(kStoreSchemaVersion));
        return commit(batch);
    }
    if (*stored != std::to_string(kStoreSchemaVersion))
        return fail("store " + dir_.string() + ": schema version " + *stored +
                    ", this build reads version " + std::to_string(kStoreSchemaVersion));
    return {};
}

Result<std::optional<std::string>> Store::get(std::string_view ns, std::string_view key) const {
    std::string value;
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), full_key(ns, key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return store_error(dir_, s);
    return std::optional<std::string>(std::move(value));
}

Status Store::put(std::string_view ns, std::string_view key, std::string_view value) {
    WriteBatch batch;
    batch.put(ns, key, value);
    return commit(batch);
}

Status Store::erase(std::string_view ns, std::string_view key) {
    WriteBatch batch;
    batch.erase(ns, key);
    return commit(batch);
}

Status Store::commit(WriteBatch& batch) {
    leveldb::WriteOptions wo;
    wo.sync = true;
    leveldb::Status s = db_->Write(wo, batch.batch_.get());
    if (!s.ok()) return store_error(dir_, s);
    return {};
}

Status Store::scan(std::string_view ns, std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& visit) const {
    const std::string start = full_key(ns, prefix);
    const size_t ns_size = 1 + ns.size();
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(start); it->Valid(); it->Next()) {
        leveldb::Slice k = it->key();
        if (k.size() < start.size() || std::string_view(k.data(), start.size()) != start) break;
        leveldb::Slice v = it->value();
        if (!visit(std::string_view(k.data() + ns_size, k.size() - ns_size),
                   std::string_view(v.data(), v.size())))
            break;
    }
    if (!it->status().ok()) return store_error(dir_, it->status());
    return {};
}

std::string be_key(uint64_t value) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i, value >>= 8) out[i] = static_cast<char>(value & 0xff);
    return out;
}

Result<uint64_t> parse_be_key(std::string_view key) {
    if (key.size() != 8)
        return fail("store: expected an 8-byte key, got " + std::to_string(key.size()));
    uint64_t v = 0;
    for (char c : key) v = v << 8 | static_cast<uint8_t>(c);
    return v;
}

}  // namespace vigil::core
