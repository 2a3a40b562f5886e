// SPDX-License-Identifier: MIT
// Vigil devnet: a fault dispute game with the OP Stack FaultDisputeGame surface (op-stack.md
// 1.5; the 3-argument move ABI of version 1.3.x) and simplified, real-time rules:
//  - every claim has its own clock: it can be countered (attacked or defended) for
//    maxClockDuration seconds after it was made, and resolved once that time is up and all
//    of its children are resolved;
//  - every level of the tree bisects output roots (no execution trace, so no step());
//    moves deeper than maxGameDepth are refused;
//  - a claim with an uncountered child is countered (by the leftmost such child, whose
//    claimant gets the bond); the root resolves CHALLENGER_WINS if countered, else
//    DEFENDER_WINS; bonds become credit, withdrawn with claimCredit.
pragma solidity 0.8.28;

import {GameStatus} from "./Hashing.sol";

/// Parameters a factory gives each game of one type.
struct GameParameters {
    uint64 maxClockDuration;
    uint64 maxGameDepth;
    uint128 moveBond;
}

contract FaultDisputeGame {
    /// The tuple claimData(i) returns, in upstream's order.
    struct ClaimData {
        uint32 parentIndex;
        address counteredBy;
        address claimant;
        uint128 bond;
        bytes32 claim;
        uint128 position;
        uint128 clock;
    }

    struct ResolutionCheckpoint {
        bool initialCheckpointComplete;
        uint32 subgameIndex;
        uint128 leftmostPosition;
        address counteredBy;
    }

    /// Marks a bond that has been paid out (upstream's CLAIMED_BOND_FLAG).
    uint128 internal constant CLAIMED_BOND_FLAG = type(uint128).max;
    /// parentIndex of the root claim.
    uint32 internal constant ROOT_PARENT = type(uint32).max;

    uint32 internal immutable GAME_TYPE;
    bytes32 internal immutable ROOT_CLAIM;
    address internal immutable GAME_CREATOR;
    bytes32 internal immutable L1_HEAD;
    uint256 internal immutable L2_BLOCK_NUMBER;
    uint64 internal immutable MAX_CLOCK_DURATION;
    uint256 internal immutable MAX_GAME_DEPTH;
    uint256 internal immutable MOVE_BOND;

    bytes internal extraData_;
    uint64 public createdAt;
    uint64 public resolvedAt;
    GameStatus public status;

    ClaimData[] public claimData;
    mapping(address => uint256) public credit;
    mapping(uint256 => uint256[]) internal subgames;
    mapping(uint256 => bool) public resolvedSubgames;
    mapping(uint256 => ResolutionCheckpoint) public resolutionCheckpoints;
    /// keccak256(abi.encode(claim, position, parentIndex)) of every claim made.
    mapping(bytes32 => bool) public claims;

    event Move(uint256 indexed parentIndex, bytes32 indexed claim, address indexed claimant);
    event Resolved(GameStatus indexed status);

    error BadExtraData();
    error GameNotInProgress();
    error InvalidParent();
    error InvalidDisputedClaimIndex();
    error CannotDefendRootClaim();
    error GameDepthExceeded();
    error IncorrectBondAmount();
    error ClockTimeExceeded();
    error ClockNotExpired();
    error ClaimAlreadyExists();
    error ClaimAlreadyResolved();
    error OutOfOrderResolution();
    error NoCreditToClaim();
    error BondTransferFailed();

    /// Made by the factory with the init bond as value; `_extraData` = abi.encode(uint256 l2BlockNumber).
    constructor(
        uint32 _gameType,
        bytes32 _rootClaim,
        bytes memory _extraData,
        address _creator,
        GameParameters memory _params
    ) payable {
        if (_extraData.length != 32) revert BadExtraData();
        GAME_TYPE = _gameType;
        ROOT_CLAIM = _rootClaim;
        GAME_CREATOR = _creator;
        L1_HEAD = blockhash(block.number - 1);
        L2_BLOCK_NUMBER = abi.decode(_extraData, (uint256));
        MAX_CLOCK_DURATION = _params.maxClockDuration;
        MAX_GAME_DEPTH = _params.maxGameDepth;
        MOVE_BOND = _params.moveBond;
        extraData_ = _extraData;
        createdAt = uint64(block.timestamp);
        claimData.push(
            ClaimData({
                parentIndex: ROOT_PARENT,
                counteredBy: address(0),
                claimant: _creator,
                bond: uint128(msg.value),
                claim: _rootClaim,
                position: 1,
                clock: uint128(block.timestamp)
            })
        );
        claims[keccak256(abi.encode(_rootClaim, uint128(1), uint256(ROOT_PARENT)))] = true;
    }

    // ---- Moves ----

    function attack(bytes32 _disputed, uint256 _parentIndex, bytes32 _claim) external payable {
        move(_disputed, _parentIndex, _claim, true);
    }

    function defend(bytes32 _disputed, uint256 _parentIndex, bytes32 _claim) external payable {
        move(_disputed, _parentIndex, _claim, false);
    }

    /// Counters claim `_parentIndex` (whose claim must be `_disputed`) with `_claim`, paying
    /// getRequiredBond of the new position.
    function move(bytes32 _disputed, uint256 _parentIndex, bytes32 _claim, bool _isAttack) public payable {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (_parentIndex >= claimData.length) revert InvalidParent();
        ClaimData storage parent = claimData[_parentIndex];
        if (parent.claim != _disputed) revert InvalidDisputedClaimIndex();
        if (!_isAttack && _parentIndex == 0) revert CannotDefendRootClaim();
        // LibPosition.move: left child for an attack, the right neighbour's left child for a defense.
        uint128 position = (parent.position | (_isAttack ? 0 : 1)) << 1;
        if (msg.value != getRequiredBond(position)) revert IncorrectBondAmount();
        if (block.timestamp >= uint256(uint64(parent.clock)) + MAX_CLOCK_DURATION) revert ClockTimeExceeded();
        bytes32 key = keccak256(abi.encode(_claim, position, _parentIndex));
        if (claims[key]) revert ClaimAlreadyExists();
        claims[key] = true;
        claimData.push(
            ClaimData({
                parentIndex: uint32(_parentIndex),
                counteredBy: address(0),
                claimant: msg.sender,
                bond: uint128(msg.value),
                claim: _claim,
                position: position,
                clock: uint128(block.timestamp)
            })
        );
        subgames[_parentIndex].push(claimData.length - 1);
        emit Move(_parentIndex, _claim, msg.sender);
    }

    // ---- Resolution ----

    /// Resolves the subgame rooted at `_claimIndex`, looking at up to `_numToResolve` more of
    /// its children (0 = all). Requires the claim's clock to have run out and every child
    /// looked at to be resolved already.
    function resolveClaim(uint256 _claimIndex, uint256 _numToResolve) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (_claimIndex >= claimData.length) revert InvalidParent();
        if (getChallengerDuration(_claimIndex) < MAX_CLOCK_DURATION) revert ClockNotExpired();
        if (resolvedSubgames[_claimIndex]) revert ClaimAlreadyResolved();
        ClaimData storage subgameRoot = claimData[_claimIndex];
        uint256[] storage children = subgames[_claimIndex];
        uint256 childCount = children.length;

        if (childCount == 0 && _claimIndex != 0) {
            _distributeBond(subgameRoot.claimant, subgameRoot);
            resolvedSubgames[_claimIndex] = true;
            return;
        }

        ResolutionCheckpoint memory checkpoint = resolutionCheckpoints[_claimIndex];
        if (!checkpoint.initialCheckpointComplete) {
            checkpoint.leftmostPosition = type(uint128).max;
            checkpoint.initialCheckpointComplete = true;
            if (_numToResolve == 0) _numToResolve = childCount;
        }
        uint256 last = checkpoint.subgameIndex + _numToResolve;
        uint256 end = last > childCount ? childCount : last;
        for (uint256 i = checkpoint.subgameIndex; i < end; i++) {
            uint256 childIndex = children[i];
            if (!resolvedSubgames[childIndex]) revert OutOfOrderResolution();
            ClaimData storage child = claimData[childIndex];
            if (child.counteredBy == address(0) && checkpoint.leftmostPosition > child.position) {
                checkpoint.counteredBy = child.claimant;
                checkpoint.leftmostPosition = child.position;
            }
        }
        checkpoint.subgameIndex = uint32(end);
        resolutionCheckpoints[_claimIndex] = checkpoint;

        if (checkpoint.subgameIndex == childCount) {
            address countered = checkpoint.counteredBy;
            _distributeBond(countered == address(0) ? subgameRoot.claimant : countered, subgameRoot);
            subgameRoot.counteredBy = countered;
            resolvedSubgames[_claimIndex] = true;
        }
    }

    /// Ends the game once the root subgame is resolved.
    function resolve() external returns (GameStatus status_) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (!resolvedSubgames[0]) revert OutOfOrderResolution();
        status_ = claimData[0].counteredBy == address(0) ? GameStatus.DEFENDER_WINS : GameStatus.CHALLENGER_WINS;
        status = status_;
        resolvedAt = uint64(block.timestamp);
        emit Resolved(status_);
    }

    /// Pays `_recipient` all of its credit.
    function claimCredit(address _recipient) external {
        uint256 amount = credit[_recipient];
        if (amount == 0) revert NoCreditToClaim();
        credit[_recipient] = 0;
        (bool ok,) = _recipient.call{value: amount}("");
        if (!ok) revert BondTransferFailed();
    }

    function _distributeBond(address _recipient, ClaimData storage _bonded) internal {
        uint128 bond = _bonded.bond;
        if (bond == CLAIMED_BOND_FLAG) revert ClaimAlreadyResolved();
        _bonded.bond = CLAIMED_BOND_FLAG;
        credit[_recipient] += bond;
    }

    // ---- Views ----

    /// The bond a move to `_position` costs; positions deeper than maxGameDepth are refused.
    function getRequiredBond(uint128 _position) public view returns (uint256) {
        if (_position == 0) revert GameDepthExceeded();
        uint256 depth = 0;
        for (uint128 p = _position; p > 1; p >>= 1) depth++;
        if (depth > MAX_GAME_DEPTH) revert GameDepthExceeded();
        return MOVE_BOND;
    }

    /// Seconds claim `_claimIndex` has been open to counters, capped at maxClockDuration.
    function getChallengerDuration(uint256 _claimIndex) public view returns (uint64) {
        if (_claimIndex >= claimData.length) revert InvalidParent();
        uint256 elapsed = block.timestamp - uint256(uint64(claimData[_claimIndex].clock));
        return elapsed > MAX_CLOCK_DURATION ? MAX_CLOCK_DURATION : uint64(elapsed);
    }

    function claimDataLen() external view returns (uint256) {
        return claimData.length;
    }

    function gameType() external view returns (uint32) {
        return GAME_TYPE;
    }

    function rootClaim() external view returns (bytes32) {
        return ROOT_CLAIM;
    }

    function gameCreator() external view returns (address) {
        return GAME_CREATOR;
    }

    function l1Head() external view returns (bytes32) {
        return L1_HEAD;
    }

    function l2BlockNumber() external view returns (uint256) {
        return L2_BLOCK_NUMBER;
    }

    function l2SequenceNumber() external view returns (uint256) {
        return L2_BLOCK_NUMBER;
    }

    function extraData() external view returns (bytes memory) {
        return extraData_;
    }

    function gameData() external view returns (uint32 gameType_, bytes32 rootClaim_, bytes memory extraData__) {
        return (GAME_TYPE, ROOT_CLAIM, extraData_);
    }

    function maxClockDuration() external view returns (uint64) {
        return MAX_CLOCK_DURATION;
    }

    function maxGameDepth() external view returns (uint256) {
        return MAX_GAME_DEPTH;
    }

    /// Every level bisects output roots: there is no execution-trace part below a split.
    function splitDepth() external view returns (uint256) {
        return MAX_GAME_DEPTH;
    }

    function version() external pure returns (string memory) {
        return "1.3.1";
    }
}
