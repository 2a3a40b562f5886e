// Block headers: hashes of real blocks of every fork shape (INDEX.md section 2c), raw
// header RLP, withdrawals roots, tampered Goerli headers, and shape/decoding strictness.
#include "chains/eth/header.h"

#include <gtest/gtest.h>

#include <map>

#include "chains/eth/rlp.h"
#include "chains/rpc/header_json.h"
#include "tests/unit/vectors.h"

namespace vigil::eth {
namespace {

using nlohmann::json;

// Everything a block object lets us check about its header: it hashes to `hash`, the
// RLP decodes back to the same header, and the withdrawals (if listed) give the root.
void check_block(const json& block) {
    auto header = rpc::parse_verified_header(block);
    ASSERT_TRUE(header.ok()) << header.error().message;
    const Bytes encoded = header->encode();
    auto decoded = BlockHeader::decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, *header);
    EXPECT_EQ(header->field_count(), [&] {
        size_t n = 15;
        for (const char* f : {"baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
                              "parentBeaconBlockRoot", "requestsHash"})
            n += block.contains(f) ? 1 : 0;
        return n;
    }());
    if (block.contains("withdrawals")) {
        auto withdrawals = rpc::parse_withdrawals(block.at("withdrawals"));
        ASSERT_TRUE(withdrawals.ok()) << withdrawals.error().message;
        ASSERT_TRUE(header->withdrawals_root.has_value());
        EXPECT_EQ(withdrawals_root(*withdrawals), *header->withdrawals_root);
    }
}

TEST(HeaderVectors, HeliosMainnetCancun) {
    VIGIL_VECTOR_JSON(block, "blocks/helios-mainnet-21925176/block.json");
    ASSERT_EQ(block.at("withdrawals").size(), 16u);
    check_block(block);
    auto header = rpc::parse_header(block);
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(header->number, 21925176u);
    EXPECT_EQ(header->field_count(), 20u);
}

TEST(HeaderVectors, ExecutionApisBlocks) {
    std::map<uint64_t, Hash32> hash_by_number;
    std::map<uint64_t, Hash32> parent_by_number;
    int blocks = 0, not_found = 0;
    for (const char* method : {"eth_getBlockByNumber", "eth_getBlockByHash"}) {
        VIGIL_VECTOR_PATH(dir, std::string("blocks/execution-apis/") + method);
        for (const auto& file : test::list_files(dir, ".io")) {
            SCOPED_TRACE(file.filename().string());
            for (const test::RpcExchange& x : test::read_io(file)) {
                const json& result = x.response.at("result");
                if (result.is_null()) {
                    // Not-found answer: nothing to parse, and parsing it must fail.
                    EXPECT_FALSE(rpc::parse_header(result).ok());
                    ++not_found;
                    continue;
                }
                check_block(result);
                auto h = rpc::parse_header(result);
                ASSERT_TRUE(h.ok());
                hash_by_number[h->number] = h->hash();
                parent_by_number[h->number] = h->parent_hash;
                if (method == std::string("eth_getBlockByHash")) {
                    EXPECT_EQ(h->hash(),
                              *Hash32::from_hex(x.request.at("params").at(0).get<std::string>()));
                }
                ++blocks;
            }
        }
    }
    EXPECT_EQ(blocks, 8);  // 7 by number, 1 by hash (the other answer is "not found")
    EXPECT_EQ(not_found, 1);
    // Block 1 links to the genesis block by hash.
    ASSERT_TRUE(hash_by_number.count(0) && parent_by_number.count(1));
    EXPECT_EQ(parent_by_number[1], hash_by_number[0]);
}

TEST(HeaderVectors, RawHeader) {
    VIGIL_VECTOR_PATH(dir, "blocks/execution-apis/debug_getRawHeader");
    int cases = 0;
    for (const auto& file : test::list_files(dir, ".io")) {
        for (const test::RpcExchange& x : test::read_io(file)) {
            const Bytes raw = *from_hex(x.response.at("result").get<std::string>());
            auto header = BlockHeader::decode(raw);
            ASSERT_TRUE(header.ok()) << header.error().message;
            EXPECT_EQ(header->encode(), raw);
            EXPECT_EQ(header->number,
                      *parse_quantity(x.request.at("params").at(0).get<std::string>()));
            // Any change to the bytes is either rejected or decodes to another header.
            Bytes truncated(raw.begin(), raw.end() - 1);
            EXPECT_FALSE(BlockHeader::decode(truncated).ok());
            Bytes trailing = raw;
            trailing.push_back(0x00);
            EXPECT_FALSE(BlockHeader::decode(trailing).ok());
            ++cases;
        }
    }
    EXPECT_EQ(cases, 1);
}

TEST(HeaderVectors, OptimismGoerliHeaders) {
    VIGIL_VECTOR_PATH(dir, "blocks/optimism-goerli/headers");
    int valid = 0, rejected = 0;
    for (const auto& meta_path : test::list_files(dir, "_metadata.json")) {
        const json meta = test::load_json(meta_path);
        const std::string name = meta.at("name");
        SCOPED_TRACE(name);
        const json block = test::load_json(dir / (name + "_data.json"));
        auto header = rpc::parse_verified_header(block);
        Status withdrawals_ok;
        if (header.ok() && block.contains("withdrawals")) {
            auto w = rpc::parse_withdrawals(block.at("withdrawals"));
            if (!w.ok())
                withdrawals_ok = w.error();
            else if (!header->withdrawals_root || withdrawals_root(*w) != *header->withdrawals_root)
                withdrawals_ok = fail("withdrawals do not give withdrawalsRoot");
        }
        const bool accepted = header.ok() && withdrawals_ok.ok();
        if (meta.value("fail", false)) {
            EXPECT_FALSE(accepted) << "tampered header accepted";
            ++rejected;
        } else {
            EXPECT_TRUE(accepted) << (header.ok() ? withdrawals_ok.error().message
                                                  : header.error().message);
            ++valid;
        }
    }
    EXPECT_EQ(valid, 1);
    EXPECT_EQ(rejected, 3);
}

// A Prague header built field by field; the shape checks and strict decoding.
BlockHeader prague_header() {
    BlockHeader h;
    h.parent_hash[0] = 1;
    h.number = 100;
    h.gas_limit = 30'000'000;
    h.timestamp = 1'700'000'000;
    h.extra_data = {0xde, 0xad};
    h.base_fee_per_gas = U256(7);
    h.withdrawals_root = Hash32{};
    h.blob_gas_used = 0;
    h.excess_blob_gas = 0;
    h.parent_beacon_block_root = Hash32{};
    h.requests_hash = Hash32{};
    return h;
}

TEST(Header, ShapeMustFollowForkOrder) {
    BlockHeader h = prague_header();
    EXPECT_TRUE(h.check_shape().ok());
    EXPECT_EQ(h.field_count(), 21u);
    h.excess_blob_gas.reset();
    EXPECT_FALSE(h.check_shape().ok());
    h = prague_header();
    h.base_fee_per_gas.reset();
    EXPECT_FALSE(h.check_shape().ok());
    h = prague_header();
    h.withdrawals_root.reset();
    EXPECT_FALSE(h.check_shape().ok());
}

TEST(Header, DecodeRoundTripsEveryShape) {
    BlockHeader h = prague_header();
    for (size_t expected : {21u, 20u, 17u, 16u, 15u}) {
        ASSERT_EQ(h.field_count(), expected);
        auto back = BlockHeader::decode(h.encode());
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(*back, h);
        if (h.requests_hash) {
            h.requests_hash.reset();
        } else if (h.blob_gas_used) {
            h.blob_gas_used.reset();
            h.excess_blob_gas.reset();
            h.parent_beacon_block_root.reset();
        } else if (h.withdrawals_root) {
            h.withdrawals_root.reset();
        } else {
            h.base_fee_per_gas.reset();
        }
    }
}

TEST(Header, DecodeRejectsBadShapes) {
    // 18 fields: Shanghai plus one Cancun field.
    const Bytes shanghai = [] {
        BlockHeader h = prague_header();
        h.blob_gas_used.reset();
        h.excess_blob_gas.reset();
        h.parent_beacon_block_root.reset();
        h.requests_hash.reset();
        return h.encode();
    }();
    auto item = rlp::decode_exact(shanghai);
    ASSERT_TRUE(item.ok());
    Bytes payload(item->payload.begin(), item->payload.end());
    rlp::encode_uint(payload, uint64_t{0});
    auto r = BlockHeader::decode(rlp::wrap_list(payload));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("18 fields"), std::string::npos) << r.error().message;

    // A 31-byte parent hash.
    Bytes p;
    rlp::encode_bytes(p, Bytes(31, 0x01));
    for (int i = 1; i < 15; ++i) rlp::encode_bytes(p, Bytes{0x01});
    auto bad = BlockHeader::decode(rlp::wrap_list(p));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("parentHash"), std::string::npos) << bad.error().message;
}

TEST(Header, JsonWithPartialCancunFieldsIsRejected) {
    VIGIL_VECTOR_JSON(block, "blocks/helios-mainnet-21925176/block.json");
    json partial = block;
    partial.erase("parentBeaconBlockRoot");
    EXPECT_FALSE(rpc::parse_header(partial).ok());
    json tampered = block;
    tampered["gasUsed"] = "0x1";
    auto r = rpc::parse_verified_header(tampered);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not to the claimed"), std::string::npos);
}

}  // namespace
}  // namespace vigil::eth
