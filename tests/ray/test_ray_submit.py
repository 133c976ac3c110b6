"""`fusec submit --target ray`: what is checked, shipped and read back, without a cluster.

The jobs themselves run on real clusters in test_ray_jobs.py; here: the
refusals made before anything is sent (the store, the folder's size, the
inputs, the flags of another target), what the zipped folder holds, the job's
runtime_env and command, the reading of the job's log, and that the job's
driver imports neither the compiler nor lark and Jinja2.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from fuseflow.targets.ray import package
from fuseflow.targets.ray import submit as ray_submit
from fuseflow.targets.ray.jobs import LogReader

pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[2]
FUSEC = str(Path(sys.executable).parent / "fusec")

WORKFLOW = """\
workflow hello

from greet import hello

param name: str = "world"

h = hello(name)

return h
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fusec(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAY_ADDRESS")}
    return subprocess.run([FUSEC, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**environment, **(env or {})})


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "wf.fuse").write_text(WORKFLOW)
    (folder / "greet.py").write_text("def hello(name):\n    return f'hello {name}'\n")
    return folder


def nobody() -> str:
    """A job server address nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


# --- refused before anything is sent ---------------------------------------------------------


def test_the_default_store_is_refused_saying_why(project):
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", nobody(), cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert "fusec: error: a Ray job cannot keep its results in the default store, .fuseflow beside the .fuse " \
           "file: that folder is on this machine" in done.stderr
    assert "--storage s3://bucket/prefix" in done.stderr and "Connection refused" not in done.stderr


def test_a_relative_store_is_refused_and_an_absolute_one_is_taken_with_a_warning(project, tmp_path):
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", nobody(), "--storage", "results", cwd=project)
    assert done.returncode == 2
    assert "fusec: error: --storage 'results' is a relative folder, resolved on this machine, which the " \
           "cluster's nodes cannot see" in done.stderr

    (project / "own.fuse").write_text(WORKFLOW.replace("workflow hello", 'workflow hello\nstorage "file:runs"'))
    done = fusec("submit", "own.fuse", "--target", "ray", "--address", nobody(), cwd=project)
    assert done.returncode == 2
    assert "fusec: error: the workflow's storage 'file:runs' is a relative folder" in done.stderr

    address = nobody()
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", address, "--storage", str(tmp_path / "s"),
                 cwd=project)
    assert done.returncode == 1  # taken: only the job server's absence stops it
    assert f"warning: the store {tmp_path / 's'} is a folder: every node of the cluster must see it at that " \
           f"path" in done.stderr
    assert f"fusec: error: could not reach the Ray job server at {address}: [Errno 111] Connection refused" \
           in done.stderr
    assert "Traceback" not in done.stderr


def test_no_cache_needs_no_store_and_s3_needs_s3fs_on_the_cluster(project):
    args = submit_args(no_cache=True)
    job = ray_submit.prepare(load(project), project / "wf.fuse", args, progress=False)
    assert "pip" not in job.runtime_env and "--no-cache" in job.entrypoint

    job = ray_submit.prepare(load(project), project / "wf.fuse", submit_args(storage="s3://bucket/runs"), False)
    assert job.runtime_env["pip"] == ["xxhash>=3.4,<5", "s3fs>=2025.3", "fsspec>=2025.3"]
    assert "--storage s3://bucket/runs" in job.entrypoint


def test_the_runtime_needs_are_the_packages_pyproject_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(ray_submit.RUNTIME_NEEDS["store"]) <= set(project["dependencies"])
    assert ray_submit.RUNTIME_NEEDS["s3"] == project["optional-dependencies"]["s3"]


def test_inputs_are_checked_before_anything_is_sent(project):
    for args, message in ((["-p", "nme=x"], "unknown param 'nme'"),
                          (["--set", "hx:num_cpus=1"], "--set 'hx' matches no node"),
                          (["--set", "h:num_cpus=-1"], "num_cpus"),
                          (["--rerun", "("], "--rerun"),
                          (["--max-pending", "0"], "--max-pending must be at least 1")):
        done = fusec("submit", "wf.fuse", "--target", "ray", "--address", nobody(), "--storage", "/tmp/x", *args,
                     cwd=project)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Connection refused" not in done.stderr, (args, done.stderr)


def test_the_address_is_needed_and_flags_belong_to_their_target(project):
    done = fusec("submit", "wf.fuse", "--target", "ray", "--storage", "/tmp/x", cwd=project)
    assert done.returncode == 2
    assert "fusec: error: fusec submit --target ray needs --address http://HEAD:8265" in done.stderr

    done = fusec("submit", "wf.fuse", "--address", "http://127.0.0.1:9", cwd=project)  # kfp, the default
    assert done.returncode == 2
    assert done.stderr == ("fusec: error: --address is a flag of fusec submit --target ray, "
                           "not of --target kfp (the default)\n")

    done = fusec("submit", "wf.fuse", "--target", "ray", "--host", "http://127.0.0.1:9", cwd=project)
    assert done.stderr == "fusec: error: --host is a flag of fusec submit --target kfp, not of --target ray\n"

    done = fusec("submit", "wf.fuse", "--target", "local", cwd=project)
    assert done.stderr == "fusec: error: fusec submit cannot submit to the local target; --target is one of: " \
                          "kfp, ray\n"

    done = fusec("submit", "wf.fuse", cwd=project)
    assert done.stderr == "fusec: error: fusec submit --target kfp needs --host URL, the KFP API endpoint\n"


def test_a_folder_larger_than_ray_takes_is_refused_before_upload_with_its_largest_parts(project):
    (project / "data").mkdir()
    (project / "data" / "big.bin").write_bytes(os.urandom(300_000))  # random: zipping keeps its size
    (project / "small.bin").write_bytes(os.urandom(1000))
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", nobody(), "--storage", "/tmp/x", cwd=project,
                 env={"RAY_max_grpc_message_size": "200000"})  # Ray's GCS limit, 512 MiB unless set
    assert done.returncode == 2, done.stderr
    assert f"fusec: error: {project} is 0.3 MiB zipped, more than the 0.2 MiB Ray takes as a job's " \
           f"working_dir; the largest parts: data/ (0.3 MiB), small.bin (0.0 MiB)," in done.stderr
    assert ".rayignore" in done.stderr and "Connection refused" not in done.stderr

    (project / ".rayignore").write_text("data/\n")
    done = fusec("submit", "wf.fuse", "--target", "ray", "--address", nobody(), "--storage", "/tmp/x", cwd=project,
                 env={"RAY_max_grpc_message_size": "200000"})
    assert done.returncode == 1 and "Connection refused" in done.stderr  # small enough now


def test_the_limit_is_the_dashboards_upload_limit():
    assert package.upload_limit() == 100 * 2**20


# --- what is shipped -----------------------------------------------------------------------


def test_the_zip_leaves_out_results_git_environments_caches_and_what_ignore_files_name(project, tmp_path):
    for folder in (".fuseflow/hello", ".git/objects", "env/bin", "sub/.venv2/lib", "__pycache__", "conda/conda-meta",
                   "data", "results"):
        (project / folder).mkdir(parents=True)
    for path in (".fuseflow/hello/x.ffr", ".git/HEAD", "env/pyvenv.cfg", "env/bin/python", "sub/.venv2/pyvenv.cfg",
                 "sub/mod.py", "__pycache__/greet.pyc", "conda/conda-meta/history", "data/raw.csv", "data/keep.csv",
                 "notes.tmp", "results/r.ffr", ".fuseflow-job.json"):
        (project / path).write_text("x")
    (project / ".rayignore").write_text("data/raw.csv\n")
    (project / ".gitignore").write_text("*.tmp\n")
    with package.working_dir(project, '{"ir": 1}', excludes=["/results"]) as zipped:
        with zipfile.ZipFile(zipped) as archive:
            names = sorted(archive.namelist())
            job = archive.read(package.JOB_FILE)
    assert names == [".fuseflow-job.json", ".gitignore", ".rayignore", "data/keep.csv", "greet.py", "sub/mod.py",
                     "wf.fuse"]
    assert job == b'{"ir": 1}'


def test_the_same_folder_and_workflow_make_the_same_zip(project):
    """So Ray uploads it once: its package's name is the hash of the zip's bytes."""
    zips = []
    for _ in range(2):
        with package.working_dir(project, "{}") as zipped:
            zips.append(zipped.read_bytes())
    assert zips[0] == zips[1]


def test_the_runtime_env_ships_fuseflow_and_keeps_the_workflows_own(project):
    text = WORKFLOW + ('options ray { workflow: { init: {"runtime_env": {"pip": ["requests", "XXHash==3.5"], '
                       '"env_vars": {"A": "1"}, "excludes": ["data/"], "working_dir": "."}, "num_cpus": 2} } }\n')
    (project / "wf.fuse").write_text(text)
    args = submit_args(storage="/shared/runs", param=["name=a b"], json=True)
    job = ray_submit.prepare(load(project), project / "wf.fuse", args, progress=True)
    env = job.runtime_env
    assert env["pip"] == ["requests", "XXHash==3.5"]  # xxhash named already
    assert env["py_modules"] == [str(ROOT / "fuseflow")]
    assert env["env_vars"] == {"A": "1", "FUSEFLOW_JOB_MARKER": job.marker}
    assert "working_dir" not in env and env["excludes"] == ["__pycache__"]
    assert job.excludes == ["data/"]
    assert job.metadata == {"fuseflow_marker": job.marker, "fuseflow_workflow": "hello"}
    assert job.entrypoint == ("python -u -m fuseflow.targets.ray.job wf.fuse --storage file:/shared/runs -p 'name=a b' "
                              "--json --progress")


def test_the_job_is_asked_for_its_summary_with_summary(project):
    args = submit_args(storage="/shared/runs", json=True, summary=True)
    job = ray_submit.prepare(load(project), project / "wf.fuse", args, progress=False)
    assert job.entrypoint == ("python -u -m fuseflow.targets.ray.job wf.fuse --storage file:/shared/runs "
                              "--json --summary --no-progress")


def test_a_store_inside_the_folder_stays_behind(project):
    job = ray_submit.prepare(load(project), project / "wf.fuse", submit_args(storage=str(project / "runs")), False)
    assert job.excludes == ["/runs"]


# --- the job's log, read back ------------------------------------------------------------------


def test_the_log_reader_takes_the_marked_lines_out_wherever_the_chunks_break(capsys):
    from fuseflow.runtime.progress import Progress

    class Counting(Progress):
        live = True

    progress = Counting()
    reader = LogReader("fuseflow-abc", progress)
    text = ('Running entrypoint\nfuseflow-abc progress ["expect", 2]\nfuseflow-abc progress ["started", "a"]\n'
            '(a pid=1) hi\npartial linefuseflow-abc progress ["finished", "a"]\nfuseflow-abc progress ["bogus", 1]\n'
            'fuseflow-abc outputs {"text": "3\\n", "json": "{\\"a\\": 3}\\n"}\nlast')
    for i in range(0, len(text), 7):
        reader.feed(text[i:i + 7])
    reader.close()
    assert capsys.readouterr().err == ('Running entrypoint\n(a pid=1) hi\npartial line\n'
                                       'fuseflow-abc progress ["bogus", 1]\nlast\n')
    assert progress.total == 2 and progress.counts["done"] == 1
    assert reader.outputs == {"text": "3\n", "json": '{"a": 3}\n'}


# --- the job's driver ----------------------------------------------------------------------------


def test_the_jobs_driver_needs_neither_the_compiler_nor_lark_nor_jinja2(project):
    """What the cluster imports to run the job: Ray, fuseflow's runtime and the IR."""
    code = ("import sys\n"
            "for name in ('lark', 'jinja2'):\n"
            "    sys.modules[name] = None  # not installed on the cluster\n"
            "from fuseflow.targets.ray import job, backend\n"
            "from fuseflow.ir import Workflow\n"
            "wf = Workflow.from_json(sys.stdin.read())\n"
            "print(sorted(m for m in sys.modules if m.startswith(('fuseflow.compiler', 'fuseflow.codegen', "
            "'fuseflow.targets.ray.submit', 'fuseflow.targets.ray.package'))))\n")
    done = subprocess.run([sys.executable, "-c", code], input=load(project).to_json(), capture_output=True, text=True,
                          timeout=120, cwd=project)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


def test_the_jobs_driver_sends_the_summary_with_the_outputs_it_prints(capsys):
    """--json --summary: the one object on the marked line as fusec prints it, the outputs alone as their
    JSON form (`fusec jobs status --json`); --summary: the line on stderr, in the job's log."""
    from fuseflow.runtime.summary import Summary
    from fuseflow.targets.ray.job import send_outputs

    summary = Summary()
    summary.computed("a")
    summary.decide({"if-1": "else"}, ["b.if"], ["a", "b.if"], ["if-1"])
    send_outputs({"a": 1}, True, "fuseflow-m", summary)
    out, err = capsys.readouterr()
    assert out.startswith("fuseflow-m outputs ") and err == ""
    sent = json.loads(out.removeprefix("fuseflow-m outputs "))
    assert json.loads(sent["text"]) == {"outputs": {"a": 1}, "summary": {
        "nodes": {"computed": 1, "loaded": 0, "skipped": 1}, "skipped": ["b.if"], "decisions": {"if-1": "else"}}}
    assert sent["json"] == '{"a": 1}\n'
    send_outputs({"a": 1}, False, "fuseflow-m", summary)
    out, err = capsys.readouterr()
    assert json.loads(out.removeprefix("fuseflow-m outputs ")) == {"text": "1\n", "json": '{"a": 1}\n'}
    assert err == "summary: 1 computed, 0 loaded, 1 skipped (b.if); if-1: else\n"


def load(project: Path):
    from fuseflow.compiler import files

    return files.load(str(project / "wf.fuse"), {})[0]


def submit_args(**given) -> argparse.Namespace:
    """`fusec submit --target ray`'s flags, as parsed."""
    args = dict(param=[], set=[], rerun=None, max_pending=None, json=False, summary=False, no_cache=False,
                storage=None)
    return argparse.Namespace(**{**args, **given})


def test_without_ray_installed_the_extra_is_named(project):
    code = ("import sys\n"
            "sys.modules['ray'] = None  # import fails as if not installed\n"
            "from fuseflow.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    for args in (["submit", "wf.fuse", "--target", "ray", "--address", nobody(), "--storage", "/tmp/x"],
                 ["jobs", "status", "raysubmit_x", "--address", nobody()]):
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=project, capture_output=True, text=True,
                              timeout=120)
        needed = "fusec submit --target ray" if args[0] == "submit" else "fusec jobs"
        assert (done.returncode, done.stderr) == (
            2, f"fusec: error: {needed} needs ray, which is not installed: pip install 'fuseflow[ray]'\n")


class FakeJobs:
    """A JobSubmissionClient's answers for one job: its log in chunks, then its end."""

    def __init__(self, chunks, status, code=None, message=None, interrupt=False):
        from ray.job_submission import JobInfo, JobStatus

        self.chunks, self.interrupt = chunks, interrupt
        self.info = JobInfo(status=JobStatus(status), entrypoint="python -m x", driver_exit_code=code, message=message,
                            metadata={"fuseflow_marker": "fuseflow-m"})

    def get_job_info(self, job_id):
        return self.info

    async def tail_job_logs(self, job_id):
        for chunk in self.chunks:
            yield chunk
        if self.interrupt:
            raise KeyboardInterrupt


@pytest.mark.parametrize(("jobs", "status", "out", "err"), [
    (FakeJobs(["hi\nfuseflow-m outputs ", '{"text": "5\\n", "json": "{\\"m\\": 5}\\n"}\n'], "SUCCEEDED", 0),
     0, "5\n", "hi\n"),
    (FakeJobs(["error: node 'b' failed: ValueError: x\n"], "FAILED", 1, "Job entrypoint command failed"),
     1, "", "error: node 'b' failed: ValueError: x\n"),
    (FakeJobs(["error: unknown param 'q'\n"], "FAILED", 2, "Job entrypoint command failed"), 2, "",
     "error: unknown param 'q'\n"),
    (FakeJobs([], "FAILED", None, "runtime_env setup failed: pip"), 1, "",
     "fusec: error: job J failed: runtime_env setup failed: pip\n"),
    (FakeJobs(["started\n"], "STOPPED", None, "Job was intentionally stopped."), 1, "",
     "started\nfusec: error: job J was stopped\n"),
    (FakeJobs(["working\n"], "RUNNING", interrupt=True), 130, "",
     "working\n\ninterrupted; the job goes on: fusec jobs stop J --address http://h:1\n"),
], ids=["succeeded", "node-failed", "bad-input", "runtime-env", "stopped", "interrupted"])
def test_following_a_job_ends_with_its_status(capsys, jobs, status, out, err):
    from fuseflow.targets.ray.jobs import follow

    assert follow(jobs, "J", "http://h:1") == status
    assert capsys.readouterr() == (out, err)


def test_a_run_whose_display_is_drawn_elsewhere_writes_its_moves(monkeypatch, capsys):
    from fuseflow.runtime.progress import EventProgress, Progress, make_progress, replay

    monkeypatch.setenv("FUSEFLOW_PROGRESS_EVENTS", "fuseflow-m")
    assert type(make_progress(False)) is Progress  # --no-progress: nothing at all
    progress = make_progress(True)
    assert isinstance(progress, EventProgress) and progress.live
    progress.expect(2)
    progress.started("a")
    progress.finished("a")
    progress.loaded("b")
    lines = capsys.readouterr().err.splitlines()
    assert lines == ['fuseflow-m progress ["expect", 2]', 'fuseflow-m progress ["started", "a"]',
                     'fuseflow-m progress ["finished", "a"]', 'fuseflow-m progress ["loaded", "b"]']

    class Drawn(Progress):
        live = True

    drawn = Drawn()
    assert all(replay(drawn, line.partition(" progress ")[2]) for line in lines)
    assert (drawn.total, drawn.counts) == (2, {"done": 1, "loaded": 1, "running": 0, "failed": 0})
    assert not replay(drawn, '["explode", 1]') and not replay(drawn, "not json")
