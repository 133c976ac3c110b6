"""Optional dependencies: one clear message for each, naming the pip extra that installs it.

`pip install -e .` gives the compiler and the local runtime; the backends and
the optional pieces come with extras (pyproject.toml). Every import of one
goes through `optional`, so a missing one reads the same everywhere:

    with optional("ray", "the Ray target"):
        import ray
    # MissingExtra: the Ray target needs ray, which is not installed: pip install 'fuseflow[ray]'

`fusec` and a generated module's command line print it as one line (exit
status 2); as an ImportError it also suits code that falls back without.
"""
from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import ModuleType

# import name -> the extra of pyproject.toml that installs it
EXTRAS = {"ray": "ray", "prefect": "prefect", "kfp": "kfp", "s3fs": "s3", "fsspec": "s3", "rich": "progress",
          "pygls": "lsp"}


class MissingExtra(ImportError):
    """An optional dependency cannot be imported; the message says what needs it and how to install it."""

    def __init__(self, package: str, needed_by: str, error: ImportError):
        missing = (error.name or "").partition(".")[0] == package
        why = "which is not installed" if missing else f"which cannot be imported ({error})"
        super().__init__(f"{needed_by} needs {package}, {why}: pip install 'fuseflow[{EXTRAS[package]}]'",
                         name=package)


@contextlib.contextmanager
def optional(package: str, needed_by: str) -> Iterator[None]:
    """Imports of `package` (a key of EXTRAS) inside the block: MissingExtra when they fail."""
    try:
        yield
    except MissingExtra:
        raise
    except ImportError as exc:
        raise MissingExtra(package, needed_by, exc) from None


def require(module: str, needed_by: str) -> ModuleType:
    """`import module` (an optional dependency or one of its modules); MissingExtra when it fails."""
    with optional(module.partition(".")[0], needed_by):
        return importlib.import_module(module)
