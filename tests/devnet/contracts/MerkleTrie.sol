// SPDX-License-Identifier: MIT
// Vigil devnet: a strict RLP reader and a Merkle-Patricia inclusion verifier, as the portal
// needs them to check a withdrawal against the message passer's storage root (Ethereum
// yellow paper, appendices B (RLP), C (hex-prefix encoding) and D (the modified MPT)).
//
// Malformed input (bad RLP, a node whose hash does not match its reference, an unused
// proof element) reverts with a message naming the problem; a well-formed proof that the
// key is absent, or holds another value, makes verifyInclusionProof return false.
pragma solidity 0.8.28;

/// One RLP item in memory: a pointer to its first (header) byte and its encoded length.
struct RLPItem {
    uint256 ptr;
    uint256 len;
}

library RLPReader {
    /// The most items a Merkle-Patricia node has (a branch: 16 children and a value).
    uint256 internal constant MAX_LIST_ITEMS = 17;

    /// The whole of `_data` as one item; trailing bytes are an error.
    function toItem(bytes memory _data) internal pure returns (RLPItem memory item_) {
        uint256 ptr;
        assembly {
            ptr := add(_data, 32)
        }
        item_ = RLPItem(ptr, _data.length);
        (, uint256 hdr, uint256 plen) = header(item_);
        require(hdr + plen == _data.length, "RLP: trailing bytes after the item");
    }

    /// Decodes the header of the item at `_item.ptr`, which must fit in `_item.len` bytes.
    /// Rejects every non-canonical form (yellow paper, appendix B).
    function header(RLPItem memory _item) internal pure returns (bool isList_, uint256 hdr_, uint256 plen_) {
        require(_item.len > 0, "RLP: empty input");
        uint256 b0 = _byteAt(_item.ptr);
        if (b0 < 0x80) return (false, 0, 1);
        if (b0 < 0xb8) {
            plen_ = b0 - 0x80;
            require(1 + plen_ <= _item.len, "RLP: string overruns its input");
            require(plen_ != 1 || _byteAt(_item.ptr + 1) >= 0x80, "RLP: single byte below 0x80 in a string header");
            return (false, 1, plen_);
        }
        if (b0 < 0xc0) {
            (hdr_, plen_) = _longLength(_item, b0 - 0xb7);
            return (false, hdr_, plen_);
        }
        if (b0 < 0xf8) {
            plen_ = b0 - 0xc0;
            require(1 + plen_ <= _item.len, "RLP: list overruns its input");
            return (true, 1, plen_);
        }
        (hdr_, plen_) = _longLength(_item, b0 - 0xf7);
        return (true, hdr_, plen_);
    }

    /// The items of a list item (at most MAX_LIST_ITEMS); the list must span `_item` exactly.
    function readList(RLPItem memory _item) internal pure returns (RLPItem[] memory items_) {
        (bool list, uint256 hdr, uint256 plen) = header(_item);
        require(list, "RLP: expected a list");
        require(hdr + plen == _item.len, "RLP: list length mismatch");
        items_ = new RLPItem[](MAX_LIST_ITEMS);
        uint256 count = 0;
        uint256 ptr = _item.ptr + hdr;
        uint256 end = ptr + plen;
        while (ptr < end) {
            require(count < MAX_LIST_ITEMS, "RLP: too many list items");
            RLPItem memory sub = RLPItem(ptr, end - ptr);
            (, uint256 subHdr, uint256 subLen) = header(sub);
            sub.len = subHdr + subLen;
            items_[count++] = sub;
            ptr += sub.len;
        }
        assembly {
            mstore(items_, count)
        }
    }

    function isList(RLPItem memory _item) internal pure returns (bool isList_) {
        (isList_,,) = header(_item);
    }

    /// The payload of a string item (pointer and length).
    function stringPayload(RLPItem memory _item) internal pure returns (uint256 ptr_, uint256 len_) {
        (bool list, uint256 hdr, uint256 plen) = header(_item);
        require(!list, "RLP: expected a string");
        return (_item.ptr + hdr, plen);
    }

    /// A copy of a string item's payload.
    function readBytes(RLPItem memory _item) internal pure returns (bytes memory out_) {
        (uint256 ptr, uint256 len) = stringPayload(_item);
        out_ = new bytes(len);
        assembly {
            mcopy(add(out_, 32), ptr, len)
        }
    }

    function _byteAt(uint256 _ptr) private pure returns (uint256 b_) {
        assembly {
            b_ := byte(0, mload(_ptr))
        }
    }

    /// The long form: `_lenOfLen` big-endian length bytes follow the first byte.
    function _longLength(RLPItem memory _item, uint256 _lenOfLen) private pure returns (uint256 hdr_, uint256 plen_) {
        require(_lenOfLen <= 4, "RLP: length of length too large");
        require(1 + _lenOfLen <= _item.len, "RLP: length overruns its input");
        require(_byteAt(_item.ptr + 1) != 0, "RLP: length with a leading zero");
        for (uint256 i = 0; i < _lenOfLen; i++) {
            plen_ = (plen_ << 8) | _byteAt(_item.ptr + 1 + i);
        }
        require(plen_ >= 56, "RLP: long form for a short length");
        hdr_ = 1 + _lenOfLen;
        require(hdr_ + plen_ <= _item.len, "RLP: payload overruns its input");
    }
}

library MerkleTrie {
    /// keccak256(rlp("")): the root of an empty trie.
    bytes32 internal constant EMPTY_TRIE_ROOT = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;

    /// Where a walk down the trie stands.
    struct Walk {
        bytes key;
        uint256 keyNibbles;
        uint256 keyIndex;
        uint256 proofIndex;
        uint256 proofLength;
    }

    /// What a node tells the walk.
    enum Step {
        Follow, // go on to the child reference
        Found, // the key's value
        Absent // the key is not in the trie
    }

    /// Walks `_proof` from `_root` along `_key` (its nibbles). Returns whether the key is
    /// present and its value. Every proof element must be used, in order.
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool exists_, bytes memory value_)
    {
        if (_proof.length == 0) {
            require(_root == EMPTY_TRIE_ROOT, "MerkleTrie: empty proof for a non-empty trie");
            return (false, value_);
        }
        Walk memory walk = Walk(_key, _key.length * 2, 0, 0, _proof.length);
        bytes32 expected = _root;
        bool hashed = true;
        RLPItem memory node;
        while (true) {
            if (hashed) {
                require(walk.proofIndex < _proof.length, "MerkleTrie: proof ends before the key does");
                bytes memory encoded = _proof[walk.proofIndex];
                require(keccak256(encoded) == expected, "MerkleTrie: node hash does not match its reference");
                node = RLPReader.toItem(encoded);
                walk.proofIndex++;
            }
            (Step step, RLPItem memory next, bytes memory value) = _visit(walk, node);
            if (step == Step.Found) {
                _requireAllUsed(walk);
                return (value.length > 0, value);
            }
            if (step == Step.Absent) {
                _requireAllUsed(walk);
                return (false, value);
            }
            // The child reference: an embedded node (shorter than 32 bytes), the hash of the
            // next proof element, or empty (no such key).
            if (RLPReader.isList(next)) {
                require(next.len < 32, "MerkleTrie: embedded node of 32 bytes or more");
                node = next;
                hashed = false;
            } else {
                (uint256 refPtr, uint256 refLen) = RLPReader.stringPayload(next);
                if (refLen == 0) {
                    _requireAllUsed(walk);
                    return (false, value_);
                }
                require(refLen == 32, "MerkleTrie: child reference is not a 32-byte hash");
                assembly {
                    expected := mload(refPtr)
                }
                hashed = true;
            }
        }
    }

    /// One node: a branch (17 items) or a leaf/extension (2 items, hex-prefix path first).
    function _visit(Walk memory _walk, RLPItem memory _node)
        private
        pure
        returns (Step step_, RLPItem memory next_, bytes memory value_)
    {
        RLPItem[] memory items = RLPReader.readList(_node);
        if (items.length == 17) {
            if (_walk.keyIndex == _walk.keyNibbles) return (Step.Found, next_, RLPReader.readBytes(items[16]));
            next_ = items[_nibble(_walk.key, _walk.keyIndex)];
            _walk.keyIndex++;
            return (Step.Follow, next_, value_);
        }
        require(items.length == 2, "MerkleTrie: a node must have 2 or 17 items");
        (uint256 pathPtr, uint256 pathLen) = RLPReader.stringPayload(items[0]);
        require(pathLen > 0, "MerkleTrie: empty hex-prefix path");
        uint256 flag = _nibbleAt(pathPtr, 0);
        require(flag <= 3, "MerkleTrie: bad hex-prefix flag");
        // Odd paths start in the flag byte's low nibble; even ones pad it with a zero.
        uint256 first = 1;
        if (flag & 1 == 0) {
            require(_nibbleAt(pathPtr, 1) == 0, "MerkleTrie: bad hex-prefix padding");
            first = 2;
        }
        uint256 count = pathLen * 2 - first;
        bool isLeaf = flag >= 2;
        require(isLeaf || count > 0, "MerkleTrie: extension with an empty path");
        if (_walk.keyIndex + count > _walk.keyNibbles) return (Step.Absent, next_, value_);
        for (uint256 i = 0; i < count; i++) {
            if (_nibbleAt(pathPtr, first + i) != _nibble(_walk.key, _walk.keyIndex + i)) {
                return (Step.Absent, next_, value_);
            }
        }
        _walk.keyIndex += count;
        if (!isLeaf) return (Step.Follow, items[1], value_);
        if (_walk.keyIndex != _walk.keyNibbles) return (Step.Absent, next_, value_);
        value_ = RLPReader.readBytes(items[1]);
        require(value_.length > 0, "MerkleTrie: leaf with an empty value");
        return (Step.Found, next_, value_);
    }

    function _requireAllUsed(Walk memory _walk) private pure {
        require(_walk.proofIndex == _walk.proofLength, "MerkleTrie: proof has unused elements");
    }

    function _nibble(bytes memory _key, uint256 _i) private pure returns (uint256) {
        uint256 b = uint8(_key[_i / 2]);
        return _i % 2 == 0 ? b >> 4 : b & 0x0f;
    }

    function _nibbleAt(uint256 _ptr, uint256 _i) private pure returns (uint256 n_) {
        uint256 b;
        assembly {
            b := byte(0, mload(add(_ptr, shr(1, _i))))
        }
        n_ = _i % 2 == 0 ? b >> 4 : b & 0x0f;
    }
}

/// The secure trie of account storage: keys are keccak256 of the slot's 32 bytes.
library SecureMerkleTrie {
    function verifyInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool)
    {
        (bool exists, bytes memory value) = MerkleTrie.get(abi.encodePacked(keccak256(_key)), _proof, _root);
        return exists && keccak256(value) == keccak256(_value);
    }
}
