"""Where node results are kept between runs: one API over every storage backend.

    >>> from fuseflow.runtime.storage import open_store
    >>> store = open_store("file:.fuseflow")           # doctest: +SKIP
    >>> found, value = store.load("wf", "train", key)  # doctest: +SKIP

Layout, record format, crash behaviour and the notebook API: docs/storage.md.
This package needs only the standard library; numpy is imported only for
values (or records) that are numpy arrays.
"""

from __future__ import annotations

from .base import Garbage, MissingResult, StorageUnavailable, StorageWarning, Store, StoredResult
from .file import FileStore
from .serializers import REGISTRY, Serializer, SerializerRegistry
from .urls import open_store

__all__ = [
    "FileStore",
    "Garbage",
    "MissingResult",
    "REGISTRY",
    "Serializer",
    "SerializerRegistry",
    "StorageUnavailable",
    "StorageWarning",
    "Store",
    "StoredResult",
    "open_store",
]
