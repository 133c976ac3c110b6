"""SHA-256 and BLAKE2b as hashlib gives them, without loading OpenSSL when Python has its own.

hashlib loads libcrypto (about 2 ms) on its first import; CPython carries its
own SHA-256 (`_sha2` from 3.12, `_sha256` before) and BLAKE2 (`_blake2`)
modules, which give the same digests and load in a tenth of that. `fusec
check` and a run that keeps nothing hash a few short texts (the compiled-IR
cache's key, the cache keys' source hashes): they need nothing more.

    sha256(b"text").hexdigest()
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same functions, as hashlib declares them
    from hashlib import blake2b, sha256
else:
    try:  # CPython 3.12+
        from _sha2 import sha256
    except ImportError:
        try:  # CPython 3.11
            from _sha256 import sha256
        except ImportError:  # another Python: hashlib's
            from hashlib import sha256
    try:
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b

__all__ = ["blake2b", "sha256"]
