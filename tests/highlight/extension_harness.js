// Runs editors/vscode/extension.js under node with stand-ins for the `vscode` API and for
// vscode-languageclient's LanguageClient, and answers what the extension asked of them: the
// server it would start, the commands it registered, the messages it showed.
//
//   node extension_harness.js EXTENSION_JS < {"settings": {...}, "startFails": false, "changeSetting": null}
"use strict";
const fs = require("fs");
const Module = require("module");

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const settings = Object.assign({}, request.settings || {});
const record = { clients: [], started: 0, stopped: 0, commands: [], errors: [] };
let onConfiguration = null;

const vscode = {
  workspace: {
    workspaceFolders: [{ uri: { fsPath: "/work/project" } }],
    getConfiguration: (section) => ({
      get: (key, fallback) => {
        const value = settings[`${section}.${key}`];
        return value === undefined ? fallback : value;
      },
    }),
    onDidChangeConfiguration: (listener) => {
      onConfiguration = listener;
      return { dispose() {} };
    },
  },
  window: {
    showErrorMessage: async (message) => {
      record.errors.push(message);
      return undefined;
    },
  },
  commands: {
    registerCommand: (name) => {
      record.commands.push(name);
      return { dispose() {} };
    },
    executeCommand: async () => undefined,
  },
};

class LanguageClient {
  constructor(id, name, server, options) {
    record.clients.push({ id, name, server, documentSelector: options.documentSelector });
  }
  async start() {
    if (request.startFails) {
      throw new Error("spawn fusec ENOENT");
    }
    record.started += 1;
  }
  async stop() {
    record.stopped += 1;
  }
}

const load = Module._load;
Module._load = function (name, parent, isMain) {
  if (name === "vscode") return vscode;
  if (name === "vscode-languageclient/node") return { LanguageClient };
  return load.call(this, name, parent, isMain);
};

async function main() {
  const extension = require(process.argv[2]);
  const context = { subscriptions: [] };
  await extension.activate(context);
  if (request.changeSetting) {
    const [key, value] = request.changeSetting;
    settings[key] = value;
    await onConfiguration({ affectsConfiguration: (section) => key === section || key.startsWith(section + ".") });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await extension.deactivate();
  record.subscriptions = context.subscriptions.length;
  process.stdout.write(JSON.stringify(record));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
