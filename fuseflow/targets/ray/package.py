"""The folder `fusec submit --target ray` ships: the .fuse file's folder, zipped here as Ray would.

    with working_dir(folder, workflow_json, excludes=["data/raw"]) as zipped:
        runtime_env["working_dir"] = str(zipped)   # Ray uploads the zip as it is

Ray's own packaging (`ray._private.runtime_env.packaging.create_package`) makes
the zip, so a `.gitignore` or `.rayignore` in any folder means what it means
to Ray (gitignore patterns). Left out besides: `.fuseflow` (local results),
`.git`, `__pycache__`, Ray's default excludes, every virtualenv (a folder
holding `pyvenv.cfg`) or conda environment (`conda-meta`), a store inside the
folder, and the workflow's own `runtime_env.excludes`. The compiled workflow
goes into the zip as `JOB_FILE`, which the job's driver reads
(fuseflow.targets.ray.job): the same folder and workflow make the same bytes,
so Ray uploads them once.

Zipping here lets the size be checked before anything is sent: the dashboard
takes at most 100 MiB in one upload (`DASHBOARD_CLIENT_MAX_SIZE`) and the GCS
at most `GCS_STORAGE_MAX_SIZE` (512 MiB unless `RAY_max_grpc_message_size`
says otherwise); a bigger folder is refused with its largest parts named.
"""
from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ...compiler.errors import UsageError
from .job import JOB_FILE

# Left out wherever they are (gitignore patterns, as Ray reads `excludes`).
ALWAYS_EXCLUDED = (".fuseflow", ".git", "__pycache__")
ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")  # a folder holding one is a Python environment
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the job file's time in the zip: the same workflow, the same bytes


class FolderTooLarge(UsageError):
    """The zipped folder is over what Ray accepts in one upload."""


@contextlib.contextmanager
def working_dir(folder: str | os.PathLike[str], workflow_json: str,
                excludes: list[str] | None = None) -> Iterator[Path]:
    """The zip of `folder` (with the workflow as JOB_FILE) in a temporary folder, removed
    afterwards; FolderTooLarge before anything is sent when Ray would refuse it."""
    folder = Path(folder).resolve()
    with tempfile.TemporaryDirectory(prefix="fusec-submit-") as tmp:
        zipped = Path(tmp) / "working_dir.zip"
        patterns = exclude_patterns(folder, excludes or [])
        zip_folder(folder, zipped, patterns)
        with zipfile.ZipFile(zipped, "a") as archive:
            archive.writestr(zipfile.ZipInfo(JOB_FILE, _FIXED_TIME), workflow_json)
        check_size(folder, zipped, upload_limit())
        yield zipped


def exclude_patterns(folder: Path, extra: list[str]) -> list[str]:
    """Gitignore patterns of what stays behind: ALWAYS_EXCLUDED, Ray's defaults, every
    Python environment under `folder` (anchored), JOB_FILE, and `extra`."""
    patterns = [*ALWAYS_EXCLUDED, *_ray_default_excludes(), f"/{JOB_FILE}"]
    patterns += [f"/{path.relative_to(folder).as_posix()}" for path in environments(folder)]
    return list(dict.fromkeys([*patterns, *extra]))


def environments(folder: Path) -> list[Path]:
    """Folders under `folder` that are virtualenvs or conda environments (not looked into)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in ALWAYS_EXCLUDED)
        if any(marker in files or marker in dirs for marker in ENVIRONMENT_MARKERS) and Path(root) != folder:
            found.append(Path(root))
            dirs[:] = []
    return found


def zip_folder(folder: Path, zipped: Path, patterns: list[str]) -> None:
    """Ray's own packaging of a working_dir, with its reading of .gitignore and .rayignore."""
    # Ray's packaging: an optional backend, loaded by `fusec submit --target ray` only
    from ray._private.ray_constants import RAY_RUNTIME_ENV_IGNORE_GITIGNORE
    from ray._private.runtime_env.packaging import create_package

    # Ray's "Creating a file package" (INFO): fusec says what it sent
    logging.getLogger(create_package.__module__).setLevel(logging.WARNING)
    include_gitignore = os.environ.get(RAY_RUNTIME_ENV_IGNORE_GITIGNORE, "0") != "1"
    create_package(str(folder), zipped, include_gitignore=include_gitignore, excludes=patterns)


def upload_limit() -> int:
    """The largest package Ray takes: the dashboard's upload limit or the GCS's, the smaller."""
    # Ray's limits, read from the installed Ray: an optional backend, loaded when submitting only
    from ray._private.ray_constants import DASHBOARD_CLIENT_MAX_SIZE
    from ray._private.runtime_env.packaging import GCS_STORAGE_MAX_SIZE

    return min(DASHBOARD_CLIENT_MAX_SIZE, GCS_STORAGE_MAX_SIZE)


def check_size(folder: Path, zipped: Path, limit: int) -> None:
    size = zipped.stat().st_size
    if size < limit:
        return
    largest = ", ".join(f"{name} ({mib(part)})" for name, part in largest_parts(zipped)[:3])
    raise FolderTooLarge(
        f"{folder} is {mib(size)} zipped, more than the {mib(limit)} Ray takes as a job's working_dir; "
        f"the largest parts: {largest}. Leave out what the job does not need with gitignore patterns in a "
        f".rayignore file beside the .fuse file, or move data to the store (s3://...) and read it from there")


def largest_parts(zipped: Path) -> list[tuple[str, int]]:
    """(top-level file or folder, its compressed bytes), largest first."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(zipped) as archive:
        for info in archive.infolist():
            top, slash, _ = info.filename.partition("/")
            name = top + slash
            sizes[name] = sizes.get(name, 0) + info.compress_size
    return sorted(sizes.items(), key=lambda item: (-item[1], item[0]))


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _ray_default_excludes() -> list[str]:
    # Ray's constants: an optional backend, loaded when submitting only
    from ray._private.ray_constants import get_runtime_env_default_excludes

    return list(get_runtime_env_default_excludes())
