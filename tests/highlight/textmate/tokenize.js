// Tokenizes texts with a TextMate grammar as VS Code does: vscode-textmate and vscode-oniguruma.
// Used by tests/highlight/test_textmate.py to check the Python engine against VS Code's own.
//
//   node tokenize.js MODULES_DIR < {"grammar": PATH, "texts": [TEXT, ...]}
//   > [[[[start, end, [scope, ...]], ...] per line] per text]
"use strict";
const fs = require("fs");
const path = require("path");

const modules = process.argv[2];
const textmate = require(path.join(modules, "vscode-textmate"));
const oniguruma = require(path.join(modules, "vscode-oniguruma"));

async function main() {
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  const wasm = fs.readFileSync(path.join(modules, "vscode-oniguruma", "release", "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () =>
      textmate.parseRawGrammar(fs.readFileSync(request.grammar, "utf8"), request.grammar),
  });
  const grammar = await registry.loadGrammar(request.scopeName || "source.fuse");
  const result = request.texts.map((text) => {
    let stack = textmate.INITIAL;
    return text.split("\n").map((line) => {
      const tokens = grammar.tokenizeLine(line, stack);
      stack = tokens.ruleStack;
      return tokens.tokens.map((token) => [token.startIndex, Math.min(token.endIndex, line.length), token.scopes]);
    });
  });
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
