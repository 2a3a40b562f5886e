// Compiles tests/devnet/contracts/*.sol with the pinned solcjs into one JSON artifact file:
// { "<Contract>": { "abi": [...], "bytecode": "0x...", "deployedBytecode": "0x..." } }.
// Usage: node tests/devnet/compile.js OUT.json
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, 'node_modules', 'solc'));

const out = process.argv[2];
if (!out) {
  console.error('usage: node compile.js OUT.json');
  process.exit(2);
}
const dir = path.join(__dirname, 'contracts');
const sources = {};
for (const f of (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(dir, f), 'utf8') };
}
if (Object.keys(sources).length === 0) {
  fs.writeFileSync(out, '{}\n');
  process.exit(0);
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const result = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (result.errors || []).filter((e) => e.severity === 'error');
for (const e of result.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);
const artifacts = {};
for (const file of Object.keys(result.contracts)) {
  for (const [name, c] of Object.entries(result.contracts[file])) {
    artifacts[name] = {
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,  // solcjs writes no 0x (TOOLCHAIN.md)
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
  }
}
fs.writeFileSync(out, JSON.stringify(artifacts, null, 1) + '\n');
console.error(`compiled ${Object.keys(artifacts).length} contracts into ${out}`);
