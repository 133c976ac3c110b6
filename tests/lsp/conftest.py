"""An editor for the tests: pygls's LanguageClient speaking JSON-RPC to a real
`python -m fuseflow.cli lsp` over its stdin and stdout.

The client runs on an event loop of its own thread; each method of Editor
sends a request (or a notification) and waits for what the server sends
back, so that the tests read as an editor session:

    uri = editor.open(folder / "flow.fuse", text)
    editor.diagnostics(uri, version=1)        # what the server published for that version
    editor.hover(uri, line=3, character=5)    # 0-based, as LSP counts
"""
from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

pygls_client = pytest.importorskip("pygls.lsp.client", reason="the lsp extra: pip install 'fuseflow[lsp]'")
from lsprotocol import types  # noqa: E402  (after the skip: pygls brings lsprotocol)

T = TypeVar("T")
WAIT = 60  # seconds for any answer (a loaded CI machine; the server answers in milliseconds)

OPS = '''"""Arithmetic for the tests."""
print("ops imported")  # what a module prints must not reach the editor's channel


def add(a, b=1):
    """Add two numbers."""
    return a + b


def minus(a, b):
    return a - b


class Counter:
    """Counts."""

    def __init__(self, start=0):
        self.total = start

    def bump(self, by):
        """Bump the count."""
        self.total += by
        return self.total
'''


SERVER = ["-m", "fuseflow.cli", "lsp"]  # python's arguments that start the server


class Editor:
    def __init__(self, folder: Path, server: list[str] = SERVER):
        self.folder = folder
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.messages: list[types.ShowMessageParams] = []
        self.changed = threading.Condition()
        self.client = self.run(self._start())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(WAIT)

    async def _start(self) -> Any:
        client = pygls_client.LanguageClient("fuseflow-tests", "1")

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self._publish(params)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def message(params: types.ShowMessageParams) -> None:
            self._message(params)

        await client.start_io(sys.executable, *self.server, cwd=str(self.folder))
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=self.folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.folder.as_uri(), name="tests")],
        ))
        client.initialized(types.InitializedParams())
        return client

    def _publish(self, params: types.PublishDiagnosticsParams) -> None:
        with self.changed:
            self.published.setdefault(params.uri, []).append(params)
            self.changed.notify_all()

    def _message(self, params: types.ShowMessageParams) -> None:
        with self.changed:
            self.messages.append(params)
            self.changed.notify_all()

    # --- documents ------------------------------------------------------------------

    def open(self, path: Path, text: str, save: bool = True) -> str:
        if save:
            path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        item = types.TextDocumentItem(uri=uri, language_id="fuse", version=1, text=text)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
        change = types.TextDocumentContentChangeWholeDocument(text=text)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(document, [change]))

    def save(self, uri: str) -> None:
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))

    def diagnostics(self, uri: str, version: int | None, count: int = 1) -> list[types.Diagnostic]:
        """The diagnostics published for that version of the document (the `count`-th such publication)."""
        def arrived() -> list[types.PublishDiagnosticsParams]:
            return [p for p in self.published.get(uri, []) if p.version == version]

        with self.changed:
            assert self.changed.wait_for(lambda: len(arrived()) >= count, WAIT), f"no diagnostics for {uri}"
            return list(arrived()[count - 1].diagnostics)

    # --- requests ---------------------------------------------------------------------

    def hover(self, uri: str, line: int, character: int) -> types.Hover | None:
        params = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        return self.run(self.client.text_document_hover_async(params))

    def definition(self, uri: str, line: int, character: int) -> Any:
        params = types.DefinitionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        return self.run(self.client.text_document_definition_async(params))

    def completion(self, uri: str, line: int, character: int) -> list[types.CompletionItem]:
        params = types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        found = self.run(self.client.text_document_completion_async(params))
        return list(found.items if isinstance(found, types.CompletionList) else found or [])

    def symbols(self, uri: str) -> Any:
        params = types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
        return self.run(self.client.text_document_document_symbol_async(params))

    def formatting(self, uri: str) -> list[types.TextEdit] | None:
        options = types.FormattingOptions(tab_size=4, insert_spaces=True)
        params = types.DocumentFormattingParams(types.TextDocumentIdentifier(uri), options)
        return self.run(self.client.text_document_formatting_async(params))

    def stop(self) -> None:
        try:
            self.run(self.client.shutdown_async(None))
            self.client.exit(None)
            self.run(self.client.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(WAIT)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workspace")
    (folder / "ops.py").write_text(OPS, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def editor(workspace: Path) -> Iterator[Editor]:
    """One server for a test module; each test opens documents of its own."""
    editor = Editor(workspace)
    try:
        yield editor
    finally:
        editor.stop()
