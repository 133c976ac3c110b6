"""`fusec lsp`: the language server, over stdin and stdout (pygls).

    fusec lsp            # an editor starts it and speaks JSON-RPC on its stdin/stdout

Each open document is compiled on open, on every change and on save, and its
diagnostics published; the requests (hover, definition, completion,
symbols, formatting) read the latest compilation. The features live in one
module each; this one only wires them to LSP's methods. Documents are synced
whole (TextDocumentSyncKind.Full): the text the server compiles is the
editor's, with no line-splitting of pygls's own in between.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import BinaryIO, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from .completion import completion
from .definition import definition
from .diagnostics import diagnostics
from .documents import Analysis, analyse
from .formatting import NotFormatted, formatting
from .hover import hover
from .positions import Lines
from .symbols import document_symbols

log = logging.getLogger(__name__)
TRIGGERS = [".", ":"]


class FuseServer(LanguageServer):
    """pygls's server, with each open document's latest analysis."""

    def __init__(self) -> None:
        super().__init__("fusec", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}

    def analysis(self, uri: str) -> Analysis:
        """The document's latest analysis (made now for one the client never opened)."""
        if uri not in self.analyses:
            self.analyses[uri] = analyse(self.workspace.get_text_document(uri).source, _file(uri))
        return self.analyses[uri]

    def lines(self, analysis: Analysis) -> Lines:
        encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        return Lines(analysis.text, str(getattr(encoding, "value", encoding)))

    def check(self, uri: str, version: int | None) -> None:
        """Compile the document's text and publish its diagnostics."""
        text = self.workspace.get_text_document(uri).source
        analysis = self.analyses[uri] = analyse(text, _file(uri), self.analyses.get(uri))
        found = diagnostics(analysis, self.lines(analysis))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, found, version))


def _file(uri: str) -> str | None:
    """The local file a URI names; None for an unsaved buffer (`untitled:`) or a remote one."""
    return to_fs_path(uri) if uri.startswith("file:") else None


server = FuseServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: FuseServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.check(params.text_document.uri, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: FuseServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.check(params.text_document.uri, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: FuseServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.check(params.text_document.uri, None)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: FuseServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(params.text_document.uri, []))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: FuseServer, params: types.HoverParams) -> types.Hover | None:
    analysis = ls.analysis(params.text_document.uri)
    return hover(analysis, ls.lines(analysis), params.position)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: FuseServer, params: types.DefinitionParams) -> list[types.Location]:
    analysis = ls.analysis(params.text_document.uri)
    return definition(analysis, ls.lines(analysis), params.text_document.uri, params.position)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGERS))
def on_completion(ls: FuseServer, params: types.CompletionParams) -> types.CompletionList:
    analysis = ls.analysis(params.text_document.uri)
    return completion(analysis, ls.lines(analysis), params.position)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(ls: FuseServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    analysis = ls.analysis(params.text_document.uri)
    return document_symbols(analysis, ls.lines(analysis))


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: FuseServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
    analysis = ls.analysis(params.text_document.uri)
    try:
        return formatting(analysis, ls.lines(analysis))
    except NotFormatted as exc:
        ls.window_show_message(types.ShowMessageParams(types.MessageType.Warning, str(exc)))
        return []


def serve() -> int:
    """Serve one editor over stdin/stdout until it says exit; 0 then.

    stdout is the editor's channel alone: the server writes to a copy of it,
    and file descriptor 1 and sys.stdout go to stderr, so that whatever a
    user's module prints while it is imported (hover, definition) cannot
    break the stream."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="fusec lsp: %(levelname)s: %(message)s")
    channel = _private_stdout()
    server.start_io(sys.stdin.buffer, channel)
    return 0


def _private_stdout() -> BinaryIO:
    sys.stdout.flush()
    channel = cast(BinaryIO, os.fdopen(os.dup(sys.stdout.fileno()), "wb"))
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return channel
