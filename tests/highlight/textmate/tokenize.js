// Tokenizes texts with a TextMate grammar as VS Code does: vscode-textmate and vscode-oniguruma.
// Used by tests/highlight/test_textmate.py to check the Python engine against VS Code's own.
//
//   node tokenize.js MODULES_DIR < {"grammar": PATH, "texts": [TEXT, ...]}
//   > [[[[start, end, [scope, ...]], ...] per line] per text]
//
// The request may also name more grammars by scope ("grammars": {SCOPE: PATH}), the grammars
// injected into a scope ("injections": {SCOPE: [SCOPE, ...]}) and the one to tokenize with
// ("scopeName", source.fuse by default).
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
    loadGrammar: async (scopeName) => {
      const file = Object.assign({ "source.fuse": request.grammar }, request.grammars)[scopeName];
      return file ? textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file) : null;
    },
    getInjections: (scopeName) => (request.injections || {})[scopeName],
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
