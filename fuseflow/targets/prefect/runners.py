"""The task runner a flow file names (`options prefect { workflow: { task_runner: ... } }`),
imported when a flow run starts, not when the file is imported (backend.task_runner)."""
from __future__ import annotations

import importlib
from typing import Any

from prefect.task_runners import TaskRunner

TASK_RUNNERS = {
    "threads": "prefect.task_runners:ThreadPoolTaskRunner",
    "processes": "prefect.task_runners:ProcessPoolTaskRunner",
    "ray": "prefect_ray.task_runners:RayTaskRunner",
    "dask": "prefect_dask.task_runners:DaskTaskRunner",
}
_PACKAGES = {"prefect_ray": "prefect-ray", "prefect_dask": "prefect-dask"}


def task_runner(name_or_path: str, **options: Any) -> TaskRunner:
    """The task runner `options prefect { workflow: { task_runner: ... } }` names.

    Imported when a flow run starts, not when the flow file is imported, so
    `prefect deploy` works on a machine without prefect-ray; a missing
    package is a clear error at run time."""
    return LazyTaskRunner(TASK_RUNNERS.get(name_or_path, name_or_path), options)


class LazyTaskRunner(TaskRunner):
    """Stands in for a task runner class until a flow run needs one (Prefect asks for `duplicate()`)."""

    def __init__(self, path: str, options: dict[str, Any]):
        self.path = path
        self.options = options
        super().__init__()

    @property
    def name(self) -> str:
        return self.path.rpartition(":")[2].lower().replace("taskrunner", "")

    def load_class(self) -> type:
        module_name, _, qualname = self.path.partition(":")
        try:
            found: Any = importlib.import_module(module_name)
        except ImportError as exc:
            top = module_name.partition(".")[0]
            hint = f"; install it: pip install {_PACKAGES[top]}" if top in _PACKAGES else ""
            raise ImportError(f"task runner {self.path!r} cannot be imported: {exc}{hint}") from exc
        for part in qualname.split("."):
            found = getattr(found, part)
        return found

    def duplicate(self) -> TaskRunner:
        return self.load_class()(**self.options)

    def submit(self, task: Any, parameters: dict[str, Any], wait_for: Any = None, dependencies: Any = None) -> Any:
        raise RuntimeError("a LazyTaskRunner only stands in for its class; the flow runs the duplicate()")
