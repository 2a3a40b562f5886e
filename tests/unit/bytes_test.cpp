#include "chains/eth/bytes.h"

#include <gtest/gtest.h>

#include "chains/eth/address.h"

namespace vigil::eth {
namespace {

TEST(Hex, RoundTrip) {
    auto b = from_hex("0x00ff10Ab");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(to_hex(*b), "0x00ff10ab");
    EXPECT_EQ(to_hex(Bytes{}), "0x");
    EXPECT_TRUE(from_hex("").ok());
    EXPECT_TRUE(from_hex("abcd").ok());
}

TEST(Hex, RejectsOddLengthAndJunk) {
    auto odd = from_hex("0x123");
    ASSERT_FALSE(odd.ok());
    EXPECT_NE(odd.error().message.find("odd"), std::string::npos);
    auto junk = from_hex("0x12zz");
    ASSERT_FALSE(junk.ok());
    EXPECT_NE(junk.error().message.find("position 4"), std::string::npos);
}

TEST(Quantity, ParseAndFormat) {
    EXPECT_EQ(*parse_quantity("0x0"), 0u);
    EXPECT_EQ(*parse_quantity("0x1a"), 26u);
    EXPECT_EQ(*parse_quantity("0xffffffffffffffff"), UINT64_MAX);
    EXPECT_FALSE(parse_quantity("0x10000000000000000").ok());
    EXPECT_FALSE(parse_quantity("0x").ok());
    EXPECT_FALSE(parse_quantity("").ok());
    EXPECT_FALSE(parse_quantity("0xg").ok());
    EXPECT_EQ(to_quantity(0), "0x0");
    EXPECT_EQ(to_quantity(255), "0xff");
}

TEST(FixedBytes, LengthChecked) {
    EXPECT_FALSE(Hash32::from_hex("0x1234").ok());
    auto h = Hash32::from_hex(std::string(64, 'a'));
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->to_hex(), "0x" + std::string(64, 'a'));
}

TEST(Address, Eip55) {
    // The EIP-55 specification's own examples.
    for (const char* s : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                          "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                          "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
        auto a = Address::from_hex(s);
        ASSERT_TRUE(a.ok()) << s;
        EXPECT_EQ(a->to_checksum_hex(), s);
    }
    EXPECT_TRUE(Address::from_hex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
    EXPECT_FALSE(Address::from_hex("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").ok());
    EXPECT_FALSE(Address::from_hex("0x5aaeb6053f").ok());
}

}  // namespace
}  // namespace vigil::eth
