// The fuseflow extension: .fuse files get the grammar of package.json (highlighting) and the
// language server `fusec lsp`, started here over stdio with vscode-languageclient.
"use strict";

const os = require("os");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

const SECTION = "fuseflow";
let client;

/** The fusec program of the settings: `~` and `${workspaceFolder}` expanded. */
function fusecPath() {
  const configured = vscode.workspace.getConfiguration(SECTION).get("fusecPath") || "fusec";
  const folder = (vscode.workspace.workspaceFolders || [])[0];
  return configured
    .replace(/^~(?=$|[\\/])/, os.homedir())
    .replace(/\$\{workspaceFolder\}/g, folder ? folder.uri.fsPath : process.cwd());
}

function createClient() {
  const folder = (vscode.workspace.workspaceFolders || [])[0];
  const server = {
    command: fusecPath(),
    args: ["lsp"], // speaks LSP on its stdin and stdout
    options: folder ? { cwd: folder.uri.fsPath } : {},
  };
  return new LanguageClient(SECTION, "fuseflow (fusec lsp)", server, {
    documentSelector: [
      { scheme: "file", language: "fuse" },
      { scheme: "untitled", language: "fuse" },
    ],
    outputChannelName: "fuseflow",
  });
}

async function start() {
  if (!vscode.workspace.getConfiguration(SECTION).get("server.enable", true)) {
    return;
  }
  const candidate = createClient();
  try {
    await candidate.start();
    client = candidate;
  } catch (error) {
    const command = fusecPath();
    const choice = await vscode.window.showErrorMessage(
      `fuseflow: could not start \`${command} lsp\` (${error && error.message ? error.message : error}). ` +
        "Install fuseflow with its language server (pip install 'fuseflow[lsp]') or set fuseflow.fusecPath " +
        `to the fusec of your environment${path.isAbsolute(command) ? "" : " (it is looked up on PATH)"}.`,
      "Open Settings",
    );
    if (choice === "Open Settings") {
      vscode.commands.executeCommand("workbench.action.openSettings", "fuseflow.fusecPath");
    }
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("fuseflow.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("fuseflow.fusecPath") || event.affectsConfiguration("fuseflow.server")) {
        restart();
      }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
