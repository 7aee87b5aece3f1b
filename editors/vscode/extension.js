// The PVM extension: starts `pvm lsp` (the language server) for .pvm files. Highlighting,
// snippets and the language configurations need no code: package.json declares them.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("pvm");
  const command = config.get("path") || "pvm";
  const args = ["lsp"];
  for (const dir of config.get("importDirs") || []) args.push("-I", dir);
  // TransportKind.stdio adds --stdio, which pvm lsp accepts.
  return { command, args, transport: TransportKind.stdio };
}

async function start() {
  client = new LanguageClient(
    "pvm",
    "PVM language server",
    serverOptions(),
    {
      documentSelector: [
        { scheme: "file", language: "pvm" },
        { scheme: "untitled", language: "pvm" },
      ],
    },
  );
  try {
    await client.start();
  } catch (err) {
    client = undefined;
    const path = vscode.workspace.getConfiguration("pvm").get("path") || "pvm";
    vscode.window.showErrorMessage(
      `PVM: cannot start the language server '${path} lsp' (${err.message || err}). ` +
        "Set pvm.path to the pvm binary.",
    );
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("pvm.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("pvm.path") || event.affectsConfiguration("pvm.importDirs")) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
