"""`fusec lsp` as a command: its stdout carries framed JSON-RPC and nothing else, it ends on
`exit`, and without the lsp extra it says how to install it (exit status 2)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FRAMED = "Content-Length: {}\r\n\r\n{}"


def message(id_: int | None, method: str, params: object) -> str:
    body = {"jsonrpc": "2.0", "method": method, "params": params}
    if id_ is not None:
        body["id"] = id_
    text = json.dumps(body)
    return FRAMED.format(len(text.encode()), text)


def replies(stdout: bytes) -> list[dict]:
    """The framed messages of a byte stream; an assertion error at anything else."""
    found = []
    while stdout:
        head, _, rest = stdout.partition(b"\r\n\r\n")
        assert head.startswith(b"Content-Length: "), stdout[:200]
        size = int(head.split(b"\r\n")[0].split(b":")[1])
        found.append(json.loads(rest[:size]))
        stdout = rest[size:]
    return found


def test_a_session_over_raw_stdio_initialize_open_shutdown_exit(tmp_path: Path) -> None:
    (tmp_path / "noisy.py").write_text('print("imported!")\ndef f(x):\n    """F."""\n    return x\n')
    uri = (tmp_path / "a.fuse").as_uri()
    session = "".join([
        message(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}),
        message(None, "initialized", {}),
        message(None, "textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "fuse", "version": 1, "text": "from noisy import f\nx = f(1)\ny = g(2)\n"}}),
        message(2, "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}}),
        message(3, "shutdown", None),
        message(None, "exit", None),
    ])
    done = subprocess.run([sys.executable, "-m", "fuseflow.cli", "lsp", "--stdio"], input=session.encode(),
                          capture_output=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    by_id = {reply.get("id"): reply for reply in replies(done.stdout)}
    capabilities = by_id[1]["result"]["capabilities"]
    assert capabilities["hoverProvider"] and capabilities["definitionProvider"]
    assert capabilities["documentSymbolProvider"] and capabilities["documentFormattingProvider"]
    assert capabilities["completionProvider"]["triggerCharacters"] == [".", ":"]
    assert capabilities["textDocumentSync"]["change"] == 1  # whole documents
    assert by_id[1]["result"]["serverInfo"]["name"] == "fusec"
    (published,) = [r["params"] for r in replies(done.stdout) if r.get("method") == "textDocument/publishDiagnostics"]
    assert [(d["range"], d["message"]) for d in published["diagnostics"]] == [
        ({"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 5}}, "undefined name 'g'")]
    assert "F." in by_id[2]["result"]["contents"]["value"]
    assert b"imported!" in done.stderr  # what the module printed went to stderr, not into the stream


def test_without_the_lsp_extra_it_says_how_to_install_it() -> None:
    script = "import sys; sys.modules['pygls'] = None\nfrom fuseflow.cli import main\nsys.exit(main(['lsp']))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("fusec: error: fusec lsp (the language server) needs pygls, which is not installed: "
                           "pip install 'fuseflow[lsp]'\n")


def test_help_lists_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "fuseflow.cli", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert "lsp" in done.stdout and "language server" in done.stdout
