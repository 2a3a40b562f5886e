// SPDX-License-Identifier: MIT
// Vigil devnet: the withdrawal half of OP Stack's OptimismPortal2 (op-stack.md 1.7), with
// upstream's prove and finalize rules (src/L1/OptimismPortal2.sol, 3.x with per-submitter
// proofs):
//  - prove: the game at `_disputeGameIndex` must be of the respected type, created after
//    respectedGameTypeUpdatedAt and not CHALLENGER_WINS; its root claim must be the hash of
//    the output-root preimage; the withdrawal hash must be in the message passer's storage
//    (a secure Merkle-Patricia proof of sentMessages[hash] = 1 against the preimage's
//    storage root). A submitter may prove again; that resets its own proof timer only.
//  - finalize: the game is not blacklisted; the proof is later than the game's creation
//    and older than proofMaturityDelaySeconds; the game resolved DEFENDER_WINS more than
//    disputeGameFinalityDelaySeconds ago, is of the respected type and was created after
//    respectedGameTypeUpdatedAt; the withdrawal was not finalized before.
// No deposits, no pause, no proxy: receive() only funds the portal for value withdrawals.
pragma solidity 0.8.28;

import {WithdrawalTransaction, OutputRootProof, GameStatus, Hashing} from "./Hashing.sol";
import {SecureMerkleTrie} from "./MerkleTrie.sol";
import {DisputeGameFactory} from "./DisputeGameFactory.sol";
import {FaultDisputeGame} from "./FaultDisputeGame.sol";

contract OptimismPortal2 {
    struct ProvenWithdrawal {
        FaultDisputeGame disputeGameProxy;
        uint64 timestamp;
    }

    /// Constants.DEFAULT_L2_SENDER: l2Sender outside of a finalization.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// Constants.ESTIMATION_ADDRESS: a failed call from it reverts, for gas estimation.
    address internal constant ESTIMATION_ADDRESS = address(1);
    /// SafeCall: gas kept back for the code after the call.
    uint256 internal constant CALL_RESERVED_GAS = 40_000;

    DisputeGameFactory public immutable disputeGameFactory;
    uint256 internal immutable PROOF_MATURITY_DELAY_SECONDS;
    uint256 internal immutable DISPUTE_GAME_FINALITY_DELAY_SECONDS;
    address public immutable guardian;

    uint32 public respectedGameType;
    uint64 public respectedGameTypeUpdatedAt;
    address public l2Sender = DEFAULT_L2_SENDER;
    mapping(bytes32 => bool) public finalizedWithdrawals;
    mapping(bytes32 => mapping(address => ProvenWithdrawal)) public provenWithdrawals;
    mapping(bytes32 => address[]) public proofSubmitters;
    mapping(FaultDisputeGame => bool) public disputeGameBlacklist;

    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    event WithdrawalProvenExtension1(bytes32 indexed withdrawalHash, address indexed proofSubmitter);
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);
    event DisputeGameBlacklisted(FaultDisputeGame indexed disputeGame);
    event RespectedGameTypeSet(uint32 indexed newGameType, uint64 indexed updatedAt);

    error BadTarget();
    error InvalidGameType();
    error InvalidProof();
    error InvalidDisputeGame();
    error InvalidMerkleProof();
    error NonReentrant();
    error Blacklisted();
    error Unproven();
    error ProposalNotValidated();
    error AlreadyFinalized();
    error Unauthorized();
    error GasEstimation();

    constructor(
        DisputeGameFactory _factory,
        uint256 _proofMaturityDelaySeconds,
        uint256 _disputeGameFinalityDelaySeconds,
        uint32 _respectedGameType,
        address _guardian
    ) {
        disputeGameFactory = _factory;
        PROOF_MATURITY_DELAY_SECONDS = _proofMaturityDelaySeconds;
        DISPUTE_GAME_FINALITY_DELAY_SECONDS = _disputeGameFinalityDelaySeconds;
        respectedGameType = _respectedGameType;
        guardian = _guardian;
    }

    /// Funds the portal (it pays the value of finalized withdrawals).
    receive() external payable {}

    function proofMaturityDelaySeconds() external view returns (uint256) {
        return PROOF_MATURITY_DELAY_SECONDS;
    }

    function disputeGameFinalityDelaySeconds() external view returns (uint256) {
        return DISPUTE_GAME_FINALITY_DELAY_SECONDS;
    }

    function numProofSubmitters(bytes32 _withdrawalHash) external view returns (uint256) {
        return proofSubmitters[_withdrawalHash].length;
    }

    function version() external pure returns (string memory) {
        return "3.10.0";
    }

    // ---- Withdrawals ----

    function proveWithdrawalTransaction(
        WithdrawalTransaction memory _tx,
        uint256 _disputeGameIndex,
        OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external {
        if (_tx.target == address(this)) revert BadTarget();
        (uint32 gameType,, address proxy) = disputeGameFactory.gameAtIndex(_disputeGameIndex);
        FaultDisputeGame game = FaultDisputeGame(proxy);
        if (gameType != respectedGameType) revert InvalidGameType();
        require(
            game.createdAt() > respectedGameTypeUpdatedAt,
            "OptimismPortal: dispute game created before respected game type was updated"
        );
        if (game.rootClaim() != Hashing.hashOutputRootProof(_outputRootProof)) revert InvalidProof();
        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        if (game.status() == GameStatus.CHALLENGER_WINS) revert InvalidDisputeGame();

        // sentMessages (slot 0 of the message passer) holds true for the withdrawal hash.
        bytes32 storageKey = keccak256(abi.encode(withdrawalHash, uint256(0)));
        if (
            !SecureMerkleTrie.verifyInclusionProof(
                abi.encode(storageKey), hex"01", _withdrawalProof, _outputRootProof.messagePasserStorageRoot
            )
        ) revert InvalidMerkleProof();

        provenWithdrawals[withdrawalHash][msg.sender] =
            ProvenWithdrawal({disputeGameProxy: game, timestamp: uint64(block.timestamp)});
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
        emit WithdrawalProvenExtension1(withdrawalHash, msg.sender);
        proofSubmitters[withdrawalHash].push(msg.sender);
    }

    function finalizeWithdrawalTransaction(WithdrawalTransaction memory _tx) external {
        finalizeWithdrawalTransactionExternalProof(_tx, msg.sender);
    }

    /// Finalizes with the proof `_proofSubmitter` made: calls the target with at least
    /// gasLimit gas and the value; the outcome is in WithdrawalFinalized.
    function finalizeWithdrawalTransactionExternalProof(WithdrawalTransaction memory _tx, address _proofSubmitter)
        public
    {
        if (l2Sender != DEFAULT_L2_SENDER) revert NonReentrant();
        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        checkWithdrawal(withdrawalHash, _proofSubmitter);
        finalizedWithdrawals[withdrawalHash] = true;
        l2Sender = _tx.sender;
        bool success = _callWithMinGas(_tx.target, _tx.gasLimit, _tx.value, _tx.data);
        l2Sender = DEFAULT_L2_SENDER;
        emit WithdrawalFinalized(withdrawalHash, success);
        if (!success && tx.origin == ESTIMATION_ADDRESS) revert GasEstimation();
    }

    /// Reverts unless the withdrawal proven by `_proofSubmitter` can be finalized now.
    function checkWithdrawal(bytes32 _withdrawalHash, address _proofSubmitter) public view {
        ProvenWithdrawal memory proven = provenWithdrawals[_withdrawalHash][_proofSubmitter];
        FaultDisputeGame game = proven.disputeGameProxy;
        if (disputeGameBlacklist[game]) revert Blacklisted();
        if (proven.timestamp == 0) revert Unproven();
        uint64 createdAt = game.createdAt();
        require(
            proven.timestamp > createdAt, "OptimismPortal: withdrawal timestamp less than dispute game creation timestamp"
        );
        require(
            block.timestamp - proven.timestamp > PROOF_MATURITY_DELAY_SECONDS,
            "OptimismPortal: proven withdrawal has not matured yet"
        );
        if (game.status() != GameStatus.DEFENDER_WINS) revert ProposalNotValidated();
        if (game.gameType() != respectedGameType) revert InvalidGameType();
        require(
            createdAt > respectedGameTypeUpdatedAt,
            "OptimismPortal: dispute game created before respected game type was updated"
        );
        require(
            block.timestamp - game.resolvedAt() > DISPUTE_GAME_FINALITY_DELAY_SECONDS,
            "OptimismPortal: output proposal in air-gap"
        );
        if (finalizedWithdrawals[_withdrawalHash]) revert AlreadyFinalized();
    }

    // ---- Guardian ----

    function blacklistDisputeGame(FaultDisputeGame _disputeGame) external {
        if (msg.sender != guardian) revert Unauthorized();
        disputeGameBlacklist[_disputeGame] = true;
        emit DisputeGameBlacklisted(_disputeGame);
    }

    /// type(uint32).max retires every game created so far; any other value becomes the
    /// respected game type (upstream's convention).
    function setRespectedGameType(uint32 _gameType) external {
        if (msg.sender != guardian) revert Unauthorized();
        if (_gameType == type(uint32).max) {
            respectedGameTypeUpdatedAt = uint64(block.timestamp);
        } else {
            respectedGameType = _gameType;
        }
        emit RespectedGameTypeSet(respectedGameType, respectedGameTypeUpdatedAt);
    }

    /// SafeCall.callWithMinGas: refuses to start the call unless the callee is sure to get
    /// at least `_minGas` (EIP-150 keeps 1/64 back), and ignores return data.
    function _callWithMinGas(address _target, uint256 _minGas, uint256 _value, bytes memory _calldata)
        internal
        returns (bool success_)
    {
        require(gasleft() * 63 >= _minGas * 64 + CALL_RESERVED_GAS * 63, "SafeCall: Not enough gas");
        assembly {
            success_ := call(gas(), _target, _value, add(_calldata, 32), mload(_calldata), 0, 0)
        }
    }
}
