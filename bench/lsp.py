"""Language-server benchmark: how soon after a change an editor sees its diagnostics.

    python bench/lsp.py [--lines 1000] [--changes 30]

Issue 16's goal: diagnostics for a 1,000-line file within 0.2 s of a change
in the running server. An editor (pygls's LanguageClient) starts `python -m
fuseflow.cli lsp`, opens a generated file of --lines lines (imports, params,
constants, a loop and a chain of calls), then sends --changes whole-document
changes, every other one with an error in its middle, and times each from the
moment the change is sent to the moment the diagnostics of that version
arrive. Each change really changes the text (a constant's value), so nothing
can be answered from a cache of the previous text. Figures only; `fusec check`
of a small file against `python -c pass` is in bench/startup.py.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

GOAL = 0.2  # seconds


def source(lines: int, value: int, broken: bool) -> str:
    """A workflow of about `lines` lines; `broken` puts a syntax error in its middle."""
    head = ["workflow bench", "", "from ops import add, scale", "", "param a: int = 1", "param b: float = 0.5", "",
            f"let base = {value}", 'let names = ["x", "y", "z"]', "",
            "for name in names {", "    part = scale(a, b)", "}", "", "n0 = add(a, base)"]
    calls = [f"n{i} = add(n{i - 1}, {i})" for i in range(1, max(1, lines - len(head) - 2))]
    if broken:
        calls[len(calls) // 2] = "oops = add(n1,"
    return "\n".join(head + calls + ["", f"return n{len(calls)}"]) + "\n"


async def measure(lines: int, changes: int) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="fuseflow-bench-lsp-"))
    (folder / "ops.py").write_text("def add(a, b):\n    return a + b\n\n\ndef scale(a, b):\n    return a * b\n")
    path = folder / "bench.fuse"
    path.write_text(source(lines, 0, False))
    arrived: dict[int, asyncio.Future[float]] = {}
    client = LanguageClient("fuseflow-bench", "1")

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params: types.PublishDiagnosticsParams) -> None:
        waiting = arrived.get(params.version or 0)
        if waiting is not None and not waiting.done():
            waiting.set_result(time.perf_counter())

    await client.start_io(sys.executable, "-m", "fuseflow.cli", "lsp", cwd=str(folder))
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         root_uri=folder.as_uri()))
    client.initialized(types.InitializedParams())
    loop = asyncio.get_running_loop()
    uri = path.as_uri()
    arrived[1] = loop.create_future()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="fuse", version=1, text=path.read_text())))
    await asyncio.wait_for(arrived[1], 60)  # the first compile of the session: not timed
    times = []
    for version in range(2, changes + 2):
        arrived[version] = loop.create_future()
        text = source(lines, version, broken=version % 2 == 0)
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))
        times.append(await asyncio.wait_for(arrived[version], 60) - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    times = asyncio.run(measure(args.lines, args.changes))
    print(f"fusec lsp: diagnostics after a change of a {args.lines}-line file, {len(times)} changes")
    for kind, some in (("valid file", times[1::2]), ("syntax error", times[0::2]), ("all", times)):
        median, worst = statistics.median(some), max(some)
        print(f"  {kind:12}  median {median * 1000:6.1f} ms  best {min(some) * 1000:6.1f} ms  "
              f"worst {worst * 1000:6.1f} ms  goal <= {GOAL * 1000:.0f} ms: {'met' if median <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
