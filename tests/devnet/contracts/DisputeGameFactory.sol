// SPDX-License-Identifier: MIT
// Vigil devnet: the OP Stack DisputeGameFactory surface (op-stack.md 1.4). Each game type
// the owner enables gets its own parameters (clock, depth, move bond) and init bond;
// create() deploys a FaultDisputeGame, keyed (and de-duplicated) by
// keccak256(abi.encode(gameType, rootClaim, extraData)) as upstream's getGameUUID.
pragma solidity 0.8.28;

import {FaultDisputeGame, GameParameters} from "./FaultDisputeGame.sol";

contract DisputeGameFactory {
    /// One result of findLatestGames (upstream's GameSearchResult).
    struct GameSearchResult {
        uint256 index;
        bytes32 metadata;
        uint64 timestamp;
        bytes32 rootClaim;
        bytes extraData;
    }

    address public owner;
    mapping(uint32 => uint256) public initBonds;
    mapping(uint32 => GameParameters) public gameParameters;
    mapping(uint32 => bool) public gameTypeEnabled;

    /// GameId = gameType (32 bits) ‖ timestamp (64 bits) ‖ proxy (160 bits), as upstream packs it.
    bytes32[] internal gameList;
    mapping(bytes32 => bytes32) internal gamesByUUID;

    event DisputeGameCreated(address indexed disputeProxy, uint32 indexed gameType, bytes32 indexed rootClaim);
    event InitBondUpdated(uint32 indexed gameType, uint256 indexed newBond);
    event GameParametersSet(uint32 indexed gameType, uint64 maxClockDuration, uint64 maxGameDepth, uint128 moveBond);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NoImplementation(uint32 gameType);
    error IncorrectBondAmount();
    error GameAlreadyExists(bytes32 uuid);
    error Unauthorized();

    constructor(address _owner) {
        owner = _owner;
        emit OwnershipTransferred(address(0), _owner);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized();
        _;
    }

    // ---- Configuration (owner) ----

    /// Enables `_gameType` with these game parameters (the devnet's setImplementation).
    function setGameParameters(uint32 _gameType, uint64 _maxClockDuration, uint64 _maxGameDepth, uint128 _moveBond)
        external
        onlyOwner
    {
        require(_maxClockDuration > 0, "DisputeGameFactory: zero clock");
        require(_maxGameDepth > 0 && _maxGameDepth <= 64, "DisputeGameFactory: depth must be 1..64");
        gameParameters[_gameType] = GameParameters(_maxClockDuration, _maxGameDepth, _moveBond);
        gameTypeEnabled[_gameType] = true;
        emit GameParametersSet(_gameType, _maxClockDuration, _maxGameDepth, _moveBond);
    }

    function setInitBond(uint32 _gameType, uint256 _initBond) external onlyOwner {
        initBonds[_gameType] = _initBond;
        emit InitBondUpdated(_gameType, _initBond);
    }

    function transferOwnership(address _newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, _newOwner);
        owner = _newOwner;
    }

    // ---- Games ----

    /// Creates a game proposing `_rootClaim`; msg.value must be initBonds(_gameType) and
    /// `_extraData` abi.encode(uint256 l2BlockNumber).
    function create(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        payable
        returns (address proxy_)
    {
        if (!gameTypeEnabled[_gameType]) revert NoImplementation(_gameType);
        if (msg.value != initBonds[_gameType]) revert IncorrectBondAmount();
        bytes32 uuid = getGameUUID(_gameType, _rootClaim, _extraData);
        if (gamesByUUID[uuid] != bytes32(0)) revert GameAlreadyExists(uuid);
        proxy_ = address(
            new FaultDisputeGame{value: msg.value}(
                _gameType, _rootClaim, _extraData, msg.sender, gameParameters[_gameType]
            )
        );
        bytes32 id = _packGameId(_gameType, uint64(block.timestamp), proxy_);
        gamesByUUID[uuid] = id;
        gameList.push(id);
        emit DisputeGameCreated(proxy_, _gameType, _rootClaim);
    }

    function getGameUUID(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(_gameType, _rootClaim, _extraData));
    }

    function gameCount() external view returns (uint256) {
        return gameList.length;
    }

    function gameAtIndex(uint256 _index) external view returns (uint32 gameType_, uint64 timestamp_, address proxy_) {
        return _unpackGameId(gameList[_index]);
    }

    /// The game for (type, root, extraData), or (address(0), 0).
    function games(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        view
        returns (address proxy_, uint64 timestamp_)
    {
        (, timestamp_, proxy_) = _unpackGameId(gamesByUUID[getGameUUID(_gameType, _rootClaim, _extraData)]);
    }

    /// Up to `_n` games of `_gameType`, searching backwards from index `_start`.
    function findLatestGames(uint32 _gameType, uint256 _start, uint256 _n)
        external
        view
        returns (GameSearchResult[] memory games_)
    {
        if (_start >= gameList.length || _n == 0) return games_;
        games_ = new GameSearchResult[](_n);
        uint256 found = 0;
        uint256 i = _start;
        while (found < _n) {
            bytes32 id = gameList[i];
            (uint32 gameType, uint64 timestamp, address proxy) = _unpackGameId(id);
            if (gameType == _gameType) {
                FaultDisputeGame game = FaultDisputeGame(proxy);
                games_[found++] = GameSearchResult(i, id, timestamp, game.rootClaim(), game.extraData());
            }
            if (i == 0) break;
            i--;
        }
        assembly {
            mstore(games_, found)
        }
    }

    function version() external pure returns (string memory) {
        return "1.0.1";
    }

    function _packGameId(uint32 _gameType, uint64 _timestamp, address _proxy) internal pure returns (bytes32) {
        return bytes32((uint256(_gameType) << 224) | (uint256(_timestamp) << 160) | uint256(uint160(_proxy)));
    }

    function _unpackGameId(bytes32 _id) internal pure returns (uint32 gameType_, uint64 timestamp_, address proxy_) {
        uint256 raw = uint256(_id);
        gameType_ = uint32(raw >> 224);
        timestamp_ = uint64(raw >> 160);
        proxy_ = address(uint160(raw));
    }
}
