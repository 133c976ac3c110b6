"""The storage key: who may write results that this process will load.

Loading a pickled result runs code chosen by whoever wrote it, so a store
that others can write (a shared bucket, a group-writable folder) is as
trusted as its least trusted writer. With a key configured, every record is
signed with a keyed BLAKE3 over its address, header and payload, and a
record without a valid signature is never deserialized: it counts as absent
and is computed again.

The key is a secret text of at least MIN_LENGTH characters, given by one of

    FUSEFLOW_STORAGE_KEY=<the secret>
    FUSEFLOW_STORAGE_KEY_FILE=<a file holding it, readable by its owner only>

(leading and trailing white space is ignored), the same in every process
that reads or writes the store: Ray workers and KFP steps included. The
signing key is derived from that text with BLAKE3's key derivation, so the
same text gives the same key everywhere.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from .base import StorageUnavailable

if TYPE_CHECKING:  # imported when a key is first used (_blake3)
    import blake3

KEY_VARIABLE = "FUSEFLOW_STORAGE_KEY"
KEY_FILE_VARIABLE = "FUSEFLOW_STORAGE_KEY_FILE"
MIN_LENGTH = 16
_CONTEXT = "fuseflow 2026 storage record signing key"
_cache: dict[tuple[str | None, str | None], bytes | None] = {}


class StorageKeyError(StorageUnavailable):
    """The storage key is configured wrongly (unreadable file, too open, too short)."""


def storage_key() -> bytes | None:
    """The 32-byte signing key the environment configures, or None (no key: records are not signed).

    Read once per setting: the hot path pays two environment look-ups.
    """
    setting = (os.environ.get(KEY_VARIABLE), os.environ.get(KEY_FILE_VARIABLE))
    if setting not in _cache:
        _cache[setting] = _derive(_secret(*setting))
    return _cache[setting]


def _secret(text: str | None, path: str | None) -> bytes | None:
    if text is not None and path is not None:
        raise StorageKeyError(f"both {KEY_VARIABLE} and {KEY_FILE_VARIABLE} are set: set only one")
    if path is not None:
        return _read_key_file(path)
    if text is None:
        return None
    return _checked(text.encode("utf-8", "surrogateescape").strip(), KEY_VARIABLE)


def _read_key_file(path: str) -> bytes:
    """The key file's text, refused when other users may read or change it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise StorageKeyError(f"cannot read the storage key file {path} ({KEY_FILE_VARIABLE}): "
                              f"{exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise StorageKeyError(f"the storage key file {path} ({KEY_FILE_VARIABLE}) is not a regular file")
        if mode & 0o077:
            raise StorageKeyError(f"the storage key file {path} ({KEY_FILE_VARIABLE}) may be read or changed by "
                                  f"other users (mode {stat.S_IMODE(mode):o}): chmod 600 {path}")
        return _checked(os.read(fd, 1 << 16).strip(), f"the storage key file {path}")
    finally:
        os.close(fd)


def _checked(secret: bytes, source: str) -> bytes:
    if len(secret) < MIN_LENGTH:
        raise StorageKeyError(f"the storage key in {source} is {len(secret)} characters long; use at least "
                              f"{MIN_LENGTH}, e.g. the output of: "
                              "python -c 'import secrets; print(secrets.token_hex(32))'")
    return secret


def _derive(secret: bytes | None) -> bytes | None:
    if secret is None:
        return None
    return _blake3()(secret, derive_key_context=_CONTEXT).digest()


def signer(key: bytes) -> blake3.blake3:
    """A keyed BLAKE3 hasher (``update``, ``digest``), the record's signature."""
    return _blake3()(key=key)


def _blake3() -> type[blake3.blake3]:
    """The BLAKE3 hasher class, its package imported on first use."""
    try:
        import blake3  # deferred: only once results are signed (a storage key is set)
    except ImportError:  # a dependency of fuseflow: only a broken install gets here
        raise StorageKeyError("signing stored results needs the blake3 package: pip install blake3") from None
    return blake3.blake3
