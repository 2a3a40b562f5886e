// Trie paths: keys as nibbles, and the hex-prefix encoding that leaf and extension nodes
// store them in (yellow paper, appendix C). Shared by the full trie, the partial trie
// built from witnesses, and the witness fetcher.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "chains/eth/bytes.h"
#include "chains/eth/rlp.h"

namespace vigil::eth {

using Nibbles = std::span<const uint8_t>;

// Each byte as two nibbles, high first.
inline std::vector<uint8_t> to_nibbles(BytesView key) {
    std::vector<uint8_t> out(key.size() * 2);
    for (size_t i = 0; i < key.size(); ++i) {
        out[2 * i] = key[i] >> 4;
        out[2 * i + 1] = key[i] & 0x0f;
    }
    return out;
}

// Length of the common prefix of two nibble paths.
inline size_t common_prefix(Nibbles a, Nibbles b) {
    const size_t n = std::min(a.size(), b.size());
    size_t i = 0;
    while (i < n && a[i] == b[i]) ++i;
    return i;
}

// Appends the RLP string of `path`'s hex-prefix encoding: flag nibble 2 for a leaf, +1
// when the path has odd length (then its first nibble shares the flag byte).
inline void append_hex_prefix(Bytes& out, Nibbles path, bool leaf) {
    const bool odd = path.size() % 2 == 1;
    const uint8_t flag = static_cast<uint8_t>((leaf ? 2 : 0) + (odd ? 1 : 0));
    const size_t size = 1 + path.size() / 2;
    // Paths of real tries are short (64 nibbles for secure keys): no allocation for them.
    uint8_t small[64];
    Bytes large;
    uint8_t* buf = small;
    if (size > sizeof small) {
        large.resize(size);
        buf = large.data();
    }
    size_t n = 0, i = 0;
    buf[n++] = static_cast<uint8_t>(flag << 4 | (odd ? path[i++] : 0));
    for (; i < path.size(); i += 2)  // an even number of nibbles is left
        buf[n++] = static_cast<uint8_t>(path[i] << 4 | path[i + 1]);
    rlp::encode_bytes(out, BytesView(buf, n));
}

}  // namespace vigil::eth
