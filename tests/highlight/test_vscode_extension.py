"""The VS Code extension of editors/vscode: its manifest and language configuration say what
VS Code reads from them (the `fuse` language, `.fuse` files, the grammar, `#` comments,
brackets, auto-closing and surrounding pairs, the fusec setting); its code, run under node with
stand-ins for VS Code's API, starts `fusec lsp` as the settings say; and that command line,
run for real, answers an LSP `initialize` on its stdout."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .corpus import ROOT
from .node import HERE, run_node

EXTENSION = ROOT / "editors" / "vscode"
MANIFEST = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))


def test_the_manifest_contributes_the_language_and_its_grammar() -> None:
    [language] = MANIFEST["contributes"]["languages"]
    assert language["id"] == "fuse" and language["extensions"] == [".fuse"]
    grammar, markdown = MANIFEST["contributes"]["grammars"]
    assert grammar["language"] == "fuse" and grammar["scopeName"] == "source.fuse"
    assert markdown["injectTo"] == ["text.html.markdown"]  # ```fuse blocks of Markdown files
    assert markdown["embeddedLanguages"] == {"meta.embedded.block.fuse": "fuse"}
    for contributed in (grammar, markdown):
        tm_grammar = json.loads((EXTENSION / contributed["path"]).read_text(encoding="utf-8"))
        assert tm_grammar["scopeName"] == contributed["scopeName"]
    assert (EXTENSION / MANIFEST["main"]).is_file()
    assert "onLanguage:fuse" in MANIFEST["activationEvents"]
    assert "vscode-languageclient" in MANIFEST["dependencies"]


def test_the_language_configuration() -> None:
    [language] = MANIFEST["contributes"]["languages"]
    configuration = json.loads((EXTENSION / language["configuration"]).read_text(encoding="utf-8"))
    pairs = [["{", "}"], ["[", "]"], ["(", ")"]]
    assert configuration["comments"] == {"lineComment": "#"}
    assert configuration["brackets"] == pairs
    assert [[pair["open"], pair["close"]] for pair in configuration["autoClosingPairs"]] == pairs + [['"', '"'],
                                                                                                   ["'", "'"]]
    assert configuration["surroundingPairs"] == pairs + [['"', '"'], ["'", "'"]]


def test_the_settings() -> None:
    properties = MANIFEST["contributes"]["configuration"]["properties"]
    assert properties["fuseflow.fusecPath"]["default"] == "fusec"
    assert properties["fuseflow.server.enable"]["default"] is True
    untrusted = MANIFEST["capabilities"]["untrustedWorkspaces"]
    assert untrusted["restrictedConfigurations"] == ["fuseflow.fusecPath"]


def activate(**request: object) -> dict:
    """What the extension did on activation (and on a change of settings, then deactivation)."""
    return run_node(HERE / "extension_harness.js", str(EXTENSION / "extension.js"), request=request)


def test_the_extension_starts_fusec_lsp() -> None:
    done = activate()
    [client] = done["clients"]
    assert client["server"] == {"command": "fusec", "args": ["lsp"], "options": {"cwd": "/work/project"}}
    assert {selector["language"] for selector in client["documentSelector"]} == {"fuse"}
    assert (done["started"], done["stopped"], done["errors"]) == (1, 1, [])
    assert done["commands"] == [command["command"] for command in MANIFEST["contributes"]["commands"]]


def test_the_fusec_of_the_settings() -> None:
    done = activate(settings={"fuseflow.fusecPath": "${workspaceFolder}/.venv/bin/fusec"})
    assert done["clients"][0]["server"]["command"] == "/work/project/.venv/bin/fusec"


def test_a_fusec_that_does_not_start_is_explained() -> None:
    done = activate(startFails=True)
    [message] = done["errors"]
    assert "could not start `fusec lsp`" in message and "fuseflow.fusecPath" in message and "fuseflow[lsp]" in message


def test_the_server_can_be_turned_off_and_restarts_on_a_new_fusec() -> None:
    assert activate(settings={"fuseflow.server.enable": False})["clients"] == []
    done = activate(changeSetting=["fuseflow.fusecPath", "/opt/fusec"])
    assert [client["server"]["command"] for client in done["clients"]] == ["fusec", "/opt/fusec"]
    assert (done["started"], done["stopped"]) == (2, 2)


def test_the_command_line_the_extension_runs_answers_initialize() -> None:
    pytest.importorskip("pygls", reason="fusec lsp needs the lsp extra")
    fusec = Path(sys.executable).with_name("fusec")
    if not fusec.exists():
        pytest.skip(f"no fusec beside {sys.executable}")
    [client] = activate()["clients"]
    command = [str(fusec), *client["server"]["args"]]
    messages = [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"processId": None, "rootUri": None, "capabilities": {}}},
                {"jsonrpc": "2.0", "method": "initialized", "params": {}},
                {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
                {"jsonrpc": "2.0", "method": "exit"}]
    framed = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                      for body in (json.dumps(message).encode() for message in messages))
    done = subprocess.run(command, input=framed, capture_output=True, timeout=120, cwd=ROOT)
    answers = [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in done.stdout.split(b"Content-Length: ")[1:]]
    initialized = next(answer for answer in answers if answer.get("id") == 1)
    assert initialized["result"]["serverInfo"]["name"] == "fusec"
    assert "textDocumentSync" in initialized["result"]["capabilities"]
