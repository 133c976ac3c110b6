"""Checks on workflow, node and key names, "did you mean" hints, stored text made safe to show.

Names become path components, so they are checked before any file is
touched: a name with a slash or a leading dot could escape its folder or
collide with the hidden temporary files that writers leave while working.
"""

from __future__ import annotations

from collections.abc import Sequence


def check_name(kind: str, name: str) -> None:
    """Raise ValueError unless ``name`` is safe as one path component."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a str, not {type(name).__name__}")
    if not name or name[0] == "." or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"invalid {kind} name {name!r}: it must be non-empty, not start with '.', "
                         "and contain no slash")


def shown(text: str) -> str:
    """Text read from a store (a source path in a marker) fit for a one-line message:
    control characters escaped, so it cannot break the line or colour the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def hint(name: str, candidates: Sequence[str], what: str) -> str:
    """A "did you mean" suffix for an error message, or the list of what exists."""
    import difflib  # deferred: suggestions are for a mistake, not for every start (every run imports this module)

    close = difflib.get_close_matches(name, candidates, n=3)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not candidates:
        return f"; there are no {what}"
    shown = ", ".join(candidates[:8]) + (", ..." if len(candidates) > 8 else "")
    return f"; {what}: {shown}"
