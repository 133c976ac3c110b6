"""`fusec lsp`: the language server for .fuse files, over stdin/stdout (pygls; the `lsp` extra).

One module per feature, each a pure function of a document's analysis
(documents.py: its text compiled as `fusec check` compiles it) and a
position, returning LSP's types; server.py wires them to LSP's methods:

    documents.py    the text -> syntax tree, IR, diagnostics
    index.py        every name: where bound, where used
    positions.py    fusec's 1-based code-point columns <-> LSP's 0-based UTF-16 ones
    context.py      where the cursor stands, from the text before it (which need not parse)
    callees.py      a word -> the Python object it names ("module:qualname")
    python.py       that object imported as `fusec check --imports` does: signature, docstring, source
    diagnostics.py, hover.py, definition.py, completion.py, symbols.py, formatting.py

Nothing of fuseflow imports this package but `fusec lsp` (fuseflow.cli).
"""
