// `vigil eth` commands of the tx group: decode-tx, sign-tx, recover.
#include <cstdlib>
#include <iostream>

#include "chains/eth/bytes.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/transaction.h"
#include "chains/rpc/tx_json.h"
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {
namespace {

int cmd_decode_tx(const Args& args) {
    constexpr const char* kName = "decode-tx";
    if (args.size() != 1) return eth_error(kName, "expected one argument: RAW (0x hex)");
    auto raw = eth::from_hex(args[0]);
    if (!raw) return eth_error(kName, raw.error().message);
    auto tx = eth::decode_transaction(*raw);
    if (!tx) return eth_error(kName, tx.error().message);
    auto sender = eth::recover_sender(*tx);
    if (!sender) return eth_error(kName, sender.error().message);
    std::cout << rpc::tx_to_json(*tx).dump() << "\n";
    return 0;
}

int cmd_sign_tx(const Args& args) {
    constexpr const char* kName = "sign-tx";
    std::string request_text, key_env;
    bool have_request = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--key-env") {
            if (i + 1 >= args.size()) return eth_error(kName, "--key-env needs a variable name");
            key_env = args[++i];
        } else if (!have_request) {
            request_text = args[i];
            have_request = true;
        } else {
            return eth_error(kName, "unexpected argument '" + args[i] + "'");
        }
    }
    if (!have_request || key_env.empty())
        return eth_error(kName, "expected JSON (or - for stdin) and --key-env VAR");
    if (request_text == "-") request_text = read_stdin();

    auto tx = rpc::parse_tx_request(std::string_view(request_text));
    if (!tx) return eth_error(kName, tx.error().message);
    const char* secret = std::getenv(key_env.c_str());
    if (!secret || !*secret)
        return eth_error(kName, "environment variable " + key_env + " is not set or empty");
    // PrivateKey's errors never quote the key; nothing below prints `secret`.
    auto key = eth::PrivateKey::from_hex(secret);
    if (!key) return eth_error(kName, "key from " + key_env + ": " + key.error().message);
    auto signed_tx = eth::sign_transaction(std::move(tx).value(), *key);
    if (!signed_tx) return eth_error(kName, signed_tx.error().message);
    auto raw = eth::encode_transaction(*signed_tx);
    if (!raw) return eth_error(kName, raw.error().message);
    std::cout << eth::to_hex(*raw) << "\n";
    return 0;
}

int cmd_recover(const Args& args) {
    constexpr const char* kName = "recover";
    if (args.size() != 2) return eth_error(kName, "expected HASH (32 bytes) and SIG (65 bytes)");
    auto digest = eth::Hash32::from_hex(args[0]);
    if (!digest) return eth_error(kName, "HASH: " + digest.error().message);
    auto sig_bytes = eth::from_hex(args[1]);
    if (!sig_bytes) return eth_error(kName, "SIG: " + sig_bytes.error().message);
    auto sig = eth::Signature::from_rsv(*sig_bytes);
    if (!sig) return eth_error(kName, sig.error().message);
    // Like the ecrecover precompile: any s in [1, n-1] identifies the signer.
    auto address = eth::recover_address(*digest, *sig, eth::SRule::kAnyS);
    if (!address) return eth_error(kName, address.error().message);
    std::cout << address->to_hex() << "\n";
    return 0;
}

constexpr EthCommand kCommands[] = {
    {"decode-tx", "RAW",
     "decode a raw signed transaction (legacy, 0x1, 0x2, 0x3, 0x7e) to one-line JSON with hash "
     "and sender",
     cmd_decode_tx},
    {"sign-tx", "JSON|- --key-env VAR",
     "sign a transaction request (types 0-2) with the 0x hex private key in $VAR; prints the "
     "raw transaction",
     cmd_sign_tx},
    {"recover", "HASH SIG",
     "address that signed the 32-byte HASH; SIG is r||s||v (65 bytes, v in 0,1,27,28)",
     cmd_recover},
};

}  // namespace

std::span<const EthCommand> eth_tx_commands() { return kCommands; }

}  // namespace vigil::cmd
