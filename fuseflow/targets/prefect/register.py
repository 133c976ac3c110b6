"""`fusec deploy`'s talk with the Prefect API: check the pool, register the deployment.

    registered = register(deployment, write_flow_file)   # deployment: deploy.Deployment

Imported only when a workflow is deployed (it imports prefect). The deployment
is a `Flow.from_source(LocalStorage(project), entrypoint)` deployment applied
to a work pool: Prefect records a `set_working_directory` pull step to the
project folder, and a process worker runs the flow file there, so the worker
needs the folder at the same path (the same machine, or a shared mount).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...compiler.errors import UsageError
from ...runtime.bind import import_path
from ...runtime.extras import optional

with optional("prefect", "fusec deploy"):
    from prefect import Flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.deployments.runner import DeploymentApplyError, RunnerDeployment
    from prefect.exceptions import ObjectNotFound
    from prefect.runner.storage import LocalStorage
    from prefect.settings import get_current_settings
with optional("prefect", "fusec deploy"):
    import httpx  # Prefect's HTTP client, installed with it: its errors are how the API could not be reached

if TYPE_CHECKING:
    from .deploy import Deployment


class ApiProblem(Exception):
    """The Prefect API refused the deployment or could not be reached (exit status 1)."""


@dataclass(frozen=True)
class Registered:
    """A deployment the API now holds, and what the command tells about it."""

    id: str
    flow_name: str
    api_url: str
    written: bool           # whether the flow file was (re)written
    workers_online: int

    def report(self, d: Deployment) -> str:
        full = f"{self.flow_name}/{d.name}"
        lines = [f"{'wrote' if self.written else 'unchanged:'} {d.flow_file}",
                 f"deployment '{full}' ({self.id}) at {self.api_url}, work pool '{d.pool}'",
                 f"  code: {d.project}, entrypoint {d.entrypoint}",
                 f"  parameters: {d.parameters or 'the flow defaults'}; schedule: {d.cron or 'none'}",
                 f"  results: {d.store}",
                 f"run it: prefect deployment run '{full}' [-p NAME=VALUE ...]"]
        if not self.workers_online:
            lines.append(f"no worker of pool '{d.pool}' is online: prefect worker start --pool '{d.pool}'")
        return "\n".join(lines)


def register(d: Deployment, write_flow_file: Callable[[], bool]) -> Registered:
    """Check the API and the pool, write the flow file (`write_flow_file`), then create or
    update the deployment. UsageError for no API or a bad cron; ApiProblem for what the API says."""
    api_url = configured_api()
    check_cron(d.cron)
    with api_errors(api_url):
        online = check_pool(d.pool)
        written = write_flow_file()
        runner = runner_deployment(d)
        deployment_id = runner.apply(work_pool_name=d.pool)
        if d.cron is None:
            clear_schedules(deployment_id)
    return Registered(str(deployment_id), runner.flow_name, api_url, written, online)


def configured_api() -> str:
    """PREFECT_API_URL (from the environment or the Prefect profile); UsageError when none is
    set: without one Prefect would start a temporary server, and the deployment would vanish with it."""
    url = get_current_settings().api.url
    if not url:
        raise UsageError("fusec deploy needs a Prefect API to register with, and PREFECT_API_URL is not set: "
                         "start one (prefect server start) and set PREFECT_API_URL=http://127.0.0.1:4200/api "
                         "(prefect config set ...), or prefect cloud login")
    return str(url)


def check_cron(cron: str | None) -> None:
    """UsageError for a cron expression Prefect would refuse, before anything is written."""
    if cron is None:
        return
    try:
        CronSchedule(cron=cron)
    except ValueError:
        raise UsageError(f"--cron {cron!r} is not a cron expression (five fields, e.g. '0 3 * * *')") from None


def check_pool(pool: str) -> int:
    """How many of the pool's workers are online; ApiProblem when it does not exist or
    is not a process pool (the only kind that runs code from a local folder without an image)."""
    with get_client(sync_client=True) as client:
        try:
            found = client.read_work_pool(pool)
        except ObjectNotFound:
            raise ApiProblem(f"no work pool named {pool!r}: create it with "
                             f"prefect work-pool create {pool!r} --type process") from None
        if found.type != "process":
            raise ApiProblem(f"work pool {pool!r} is of type {found.type!r}: fusec deploy registers code from a "
                             f"local folder, which a process pool's workers run (--type process)")
        online = WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
        return len(client.read_workers_for_work_pool(pool, worker_filter=online))


def runner_deployment(d: Deployment) -> RunnerDeployment:
    """The flow loaded from the flow file in the project folder (its modules found beside
    the .fuse file, as the worker finds them), as a deployment of that folder."""
    with import_path(d.project):
        flow = Flow.from_source(source=LocalStorage(path=str(d.project)), entrypoint=d.entrypoint)
    return flow.to_deployment(name=d.name, cron=d.cron, parameters=d.parameters)


def clear_schedules(deployment_id) -> None:
    """No --cron: the deployment has no schedule, even one an earlier `fusec deploy --cron` gave it
    (Prefect keeps a redeployed deployment's schedules when none are given)."""
    with get_client(sync_client=True) as client:
        for schedule in client.read_deployment_schedules(deployment_id):
            client.delete_deployment_schedule(deployment_id, schedule.id)


@contextmanager
def api_errors(api_url: str) -> Iterator[None]:
    """What the API said, or why it could not be reached, as an ApiProblem."""
    try:
        yield
    except (httpx.HTTPError, DeploymentApplyError) as exc:
        raise ApiProblem(f"could not register the deployment at {api_url}: {reason(exc)}") from None


def reason(exc: BaseException) -> str:
    """The gist of a client error: "[Errno 111] Connection refused" rather than a page of httpx."""
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    if errno:
        return errno.group(0).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
