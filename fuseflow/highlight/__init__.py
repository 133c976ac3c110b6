"""Highlighting of `.fuse` files outside fuseflow: a Pygments lexer for Sphinx, MkDocs and
anything else that uses Pygments (`pygments_lexer`, registered under the name `fuse` by the
`pygments.lexers` entry point of pyproject.toml), and the words both it and the VS Code
grammar (editors/vscode/syntaxes/fuse.tmLanguage.json) highlight (`words`).

Nothing here imports the rest of fuseflow, and only `pygments_lexer` imports Pygments, which
is optional (the `docs` and `dev` extras): `import fuseflow.highlight` costs nothing.
"""
