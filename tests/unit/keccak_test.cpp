#include "chains/eth/keccak.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "tests/unit/vectors.h"

namespace vigil::eth {
namespace {

// One case of the Keccak team's KAT text format (keccak/SOURCE.md).
struct KatCase {
    size_t bits = 0;
    Bytes msg;
    Hash32 digest;
};

// Parses `Len = `, `Msg = `, `MD = ` blocks; every field is checked so a malformed file
// fails loudly instead of yielding fewer cases.
std::vector<KatCase> parse_kat(const std::string& text) {
    std::vector<KatCase> out;
    std::istringstream in(text);
    std::string line;
    KatCase cur;
    int fields = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find(" = ");
        if (eq == std::string::npos) {
            ADD_FAILURE() << "unparsed KAT line: " << line;
            continue;
        }
        std::string key = line.substr(0, eq), value = line.substr(eq + 3);
        if (key == "Len") {
            cur = KatCase{};
            cur.bits = std::stoul(value);
            fields = 1;
        } else if (key == "Msg") {
            auto msg = from_hex(value);
            EXPECT_TRUE(msg.ok()) << line;
            if (msg.ok()) cur.msg = *msg;
            ++fields;
        } else if (key == "MD") {
            auto md = Hash32::from_hex(value);
            EXPECT_TRUE(md.ok()) << line;
            if (md.ok()) cur.digest = *md;
            EXPECT_EQ(++fields, 3) << "KAT case without Len/Msg before MD: " << line;
            out.push_back(cur);
        } else {
            ADD_FAILURE() << "unknown KAT field: " << line;
        }
    }
    return out;
}

// Streams `msg` in chunks of the given sizes (cycled).
Hash32 streamed(BytesView msg, std::initializer_list<size_t> chunks) {
    Keccak256 h;
    size_t pos = 0;
    while (pos < msg.size()) {
        for (size_t c : chunks) {
            size_t take = std::min(c, msg.size() - pos);
            h.update(msg.subspan(pos, take));
            pos += take;
        }
    }
    return h.finalize();
}

// Runs the byte-aligned cases of a KAT file through both APIs; returns how many ran.
size_t check_kat_file(const std::filesystem::path& path) {
    size_t byte_aligned = 0;
    for (const KatCase& c : parse_kat(test::read_text(path))) {
        if (c.bits % 8 != 0) continue;  // bit-level padding: Ethereum hashes whole bytes only
        ++byte_aligned;
        BytesView msg(c.msg.data(), c.bits / 8);  // Len = 0 has Msg = 00 but is empty
        EXPECT_EQ(keccak256(msg), c.digest) << path.filename() << " Len=" << c.bits;
        EXPECT_EQ(streamed(msg, {1, 7, 64, 135}), c.digest)
            << path.filename() << " streamed, Len=" << c.bits;
    }
    return byte_aligned;
}

TEST(Keccak256, SanityAnchorFromSourceMd) {
    // keccak/SOURCE.md: keccak256 of the empty string.
    EXPECT_EQ(keccak256(BytesView{}).to_hex(),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    Keccak256 h;
    EXPECT_EQ(h.finalize().to_hex(),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, EthersHashes) {
    VIGIL_VECTOR_JSON(cases, "keccak/ethers/hashes.json");
    ASSERT_TRUE(cases.is_array());
    size_t n = 0;
    for (const auto& c : cases) {
        auto data = from_hex(c.at("data").get<std::string>());
        ASSERT_TRUE(data.ok()) << c.at("name");
        auto expected = Hash32::from_hex(c.at("keccak256").get<std::string>());
        ASSERT_TRUE(expected.ok()) << c.at("name");
        EXPECT_EQ(keccak256(*data), *expected) << c.at("name");
        EXPECT_EQ(streamed(*data, {3, 136, 50}), *expected) << c.at("name") << " streamed";
        ++n;
    }
    EXPECT_EQ(n, 180u);  // INDEX.md section 3a
}

TEST(Keccak256, KeccakTeamShortMsgKat) {
    VIGIL_VECTOR_PATH(path, "keccak/keccak-team/ShortMsgKAT_256.txt");
    EXPECT_EQ(check_kat_file(path), 176u);  // INDEX.md section 3a: 176 byte-aligned
}

TEST(Keccak256, KeccakTeamLongMsgKat) {
    VIGIL_VECTOR_PATH(path, "keccak/keccak-team/LongMsgKAT_256.txt");
    EXPECT_EQ(check_kat_file(path), 51u);  // INDEX.md section 3a: 51 byte-aligned
}

TEST(Keccak256, KeccakTeamExtremelyLongMsgKat) {
    VIGIL_VECTOR_PATH(path, "keccak/keccak-team/ExtremelyLongMsgKAT_256.txt");
    std::istringstream in(test::read_text(path));
    std::string line, text;
    uint64_t repeat = 0;
    Hash32 expected;
    int fields = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("Repeat = ", 0) == 0) repeat = std::stoull(line.substr(9)), ++fields;
        if (line.rfind("Text = ", 0) == 0) text = line.substr(7), ++fields;
        if (line.rfind("MD = ", 0) == 0) {
            auto md = Hash32::from_hex(line.substr(5));
            ASSERT_TRUE(md.ok()) << line;
            expected = *md;
            ++fields;
        }
    }
    ASSERT_EQ(fields, 3) << "1 KAT expected (INDEX.md section 3a)";
    ASSERT_EQ(repeat, 16777216u);
    ASSERT_EQ(text.size(), 64u);
    // 1 GiB through the incremental API, in 64-byte updates that straddle block boundaries.
    Keccak256 h;
    for (uint64_t i = 0; i < repeat; ++i) h.update(text);
    EXPECT_EQ(h.finalize(), expected);
}

// Deterministic pseudo-random bytes (splitmix64), so failures reproduce.
Bytes pseudo_random_bytes(size_t n, uint64_t seed) {
    Bytes out(n);
    for (size_t i = 0; i < n; ++i) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        out[i] = static_cast<uint8_t>(z ^ (z >> 31));
    }
    return out;
}

TEST(Keccak256, StreamingEverySplitEqualsOneShot) {
    // Sizes around the 136-byte rate, where buffering and padding change shape.
    for (size_t size : {0, 1, 31, 32, 33, 135, 136, 137, 271, 272, 273, 409}) {
        Bytes msg = pseudo_random_bytes(size, size);
        Hash32 one_shot = keccak256(msg);
        for (size_t split = 0; split <= size; ++split) {
            Keccak256 h;
            h.update(BytesView(msg).first(split));
            h.update(BytesView(msg).subspan(split));
            ASSERT_EQ(h.finalize(), one_shot) << "size " << size << " split " << split;
        }
        for (size_t second = 0; second <= size; second += 17) {  // three pieces
            for (size_t first = 0; first <= second; ++first) {
                Keccak256 h;
                h.update(BytesView(msg).first(first));
                h.update(BytesView(msg).subspan(first, second - first));
                h.update(BytesView(msg).subspan(second));
                ASSERT_EQ(h.finalize(), one_shot)
                    << "size " << size << " splits " << first << "," << second;
            }
        }
        EXPECT_EQ(streamed(msg, {1}), one_shot) << "byte at a time, size " << size;
    }
}

TEST(Keccak256, PermutationMatchesHashOfEmptyMessage) {
    // keccak256("") is keccak_f1600 applied to the padded empty block (0x01 ... 0x80); the
    // digest is the first 32 bytes of the state. Expected value: keccak/SOURCE.md.
    uint64_t st[25] = {};
    st[0] = 0x01;
    st[16] = 0x80ULL << 56;
    keccak_f1600(st);
    Hash32 digest;
    std::memcpy(digest.data(), st, 32);
    EXPECT_EQ(digest.to_hex(),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, PermutationOfZeroState) {
    // Keccak team, KeccakF-1600-IntermediateValues.txt: first lanes of f(0).
    uint64_t st[25] = {};
    keccak_f1600(st);
    EXPECT_EQ(st[0], 0xF1258F7940E1DDE7ULL);
    EXPECT_EQ(st[1], 0x84D5CCF933C0478AULL);
}

}  // namespace
}  // namespace vigil::eth
