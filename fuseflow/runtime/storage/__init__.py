"""Where node results are kept between runs: one API over every storage backend.

    >>> from fuseflow.runtime.storage import open_store
    >>> store = open_store("file:.fuseflow")           # doctest: +SKIP
    >>> found, value = store.load("wf", "train", key)  # doctest: +SKIP

Layout, record format, crash behaviour and the notebook API: docs/storage.md.
This package needs only the standard library; numpy is imported only for
values (or records) that are numpy arrays.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import Garbage, MissingResult, Source, StorageUnavailable, StorageWarning, Store, StoredResult

if TYPE_CHECKING:
    from .file import FileStore
    from .serializers import REGISTRY, Serializer, SerializerRegistry
    from .urls import open_store

# Loaded on first use (PEP 562): a run that keeps nothing (--no-cache), and every
# command that only names these types, starts without the record format and its hashes.
_LAZY = {"FileStore": ".file", "REGISTRY": ".serializers", "Serializer": ".serializers",
         "SerializerRegistry": ".serializers", "open_store": ".urls"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value

__all__ = [
    "FileStore",
    "Garbage",
    "MissingResult",
    "REGISTRY",
    "Serializer",
    "SerializerRegistry",
    "Source",
    "StorageUnavailable",
    "StorageWarning",
    "Store",
    "StoredResult",
    "open_store",
]
