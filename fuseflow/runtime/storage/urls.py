"""Storage URLs: ``file:PATH`` (or a plain path) and ``s3://bucket/prefix?options``.

Each scheme maps to a function that builds its Store, so S3 (or anything
else) is one more entry in ``SCHEMES`` and one more Store subclass.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from urllib.parse import unquote

from .base import Store
from .file import FileStore
from .signing import storage_key

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")


def open_store(url: str | os.PathLike[str] | Store, *, base_dir: str | os.PathLike[str] | None = None) -> Store:
    """The Store for ``url``; relative paths resolve against ``base_dir`` (default: cwd).

    >>> open_store("file:results", base_dir="/data").url
    'file:/data/results'
    """
    storage_key()  # a key setting that cannot be used fails here, before anything runs
    if isinstance(url, Store):
        return url
    if isinstance(url, os.PathLike):
        return FileStore(_resolve(os.fspath(url), base_dir))
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"a storage URL must be a non-empty string or a path, not {url!r}")
    scheme, rest = _split(url)
    if not scheme:
        return FileStore(_resolve(url, base_dir))
    if scheme not in SCHEMES:
        raise ValueError(f"unsupported storage URL {url!r}: use file:PATH, a plain path, or s3://bucket/prefix")
    return SCHEMES[scheme](rest, base_dir)


def _split(url: str) -> tuple[str, str]:
    """(scheme, rest); ("", url) for a plain path, even one with a colon (C:/x, a:b)."""
    match = _SCHEME.match(url)
    if match and (match.group(1).lower() == "file" or url[match.end() :].startswith("//")):
        return match.group(1).lower(), url[match.end() :]
    return "", url


def _file(rest: str, base_dir: str | os.PathLike[str] | None) -> Store:
    """``file:rel``, ``file:/abs`` and ``file:///abs`` (percent-escapes decoded)."""
    if rest.startswith("//"):
        host, _, path = rest[2:].partition("/")
        if host not in ("", "localhost"):
            raise ValueError(f"file URLs on another host are not supported: file:{rest}")
        rest = "/" + unquote(path)
    if not rest:
        raise ValueError("the file: storage URL has no path")
    return FileStore(_resolve(rest, base_dir))


def _resolve(path: str, base_dir: str | os.PathLike[str] | None) -> str:
    path = os.path.expanduser(path)
    return os.path.abspath(os.path.join(os.fspath(base_dir) if base_dir is not None else os.getcwd(), path))


def _s3(rest: str, base_dir: str | os.PathLike[str] | None) -> Store:
    """``s3://bucket/prefix?endpoint_url=...``; s3fs itself is imported on first use."""
    from .s3 import S3Store  # deferred: the S3 store, only for an s3:// URL

    return S3Store.from_url("s3:" + rest)


SCHEMES: dict[str, Callable[[str, str | os.PathLike[str] | None], Store]] = {"file": _file, "s3": _s3}
