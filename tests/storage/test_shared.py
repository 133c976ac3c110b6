"""Stores shared by several .fuse files with one workflow name (issue 15 item 5).

a/models.fuse and b/models.fuse both say `workflow models` and run with one
store: each result's meta names its file, the store keeps a marker per file,
a run warns once naming the other file, and `fusec storage gc FILE` keeps the
other file's results (and says so).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import warnings
from pathlib import Path

import pytest

from fuseflow.runtime import shared
from fuseflow.runtime.storage import FileStore, Source, StorageWarning, Store, open_store
from fuseflow.runtime.storage import markers as marking

from .conftest import S3, Project

A = """
    workflow models
    from steps import inc, add

    param a: int = 1
    x = inc(a)
    y = inc(x, by=10)
    return y
"""
B = """
    workflow models
    from steps import inc, add

    param a: int = 5
    x = inc(a, by=2)
    z = add(x, x)
    return z
"""


def two_files(project: Project) -> None:
    for folder, text in (("a", A), ("b", B)):
        (project.root / folder).mkdir(exist_ok=True)
        (project.root / folder / "steps.py").write_text(project.STEPS)  # for a run from the file's folder
        project.fuse(text, f"{folder}/models.fuse")


def run(project: Project, fuse: str, *args: str, storage: str = "shared", cwd: Path | None = None) -> list[str]:
    """Run `fuse`; the warnings it printed."""
    done = project.fusec("run", fuse, "--storage", storage, *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("warning:")]


def gc(project: Project, fuse: str, *args: str, storage: str = "shared") -> tuple[list[str], list[str]]:
    """(stdout lines, stderr lines) of `fusec storage gc`."""
    done = project.fusec("storage", "gc", fuse, "--storage", storage, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines(), done.stderr.splitlines()


def test_a_run_warns_once_naming_the_other_file_and_not_itself(project: Project) -> None:
    two_files(project)
    assert run(project, "a/models.fuse") == []
    warned = run(project, "b/models.fuse")  # saves two results: one warning all the same
    assert len(warned) == 1 and "results of workflow 'models' from another file (a/models.fuse)" in warned[0]
    assert "another `workflow` name" in warned[0] and "another `storage`" in warned[0]
    assert len(run(project, "b/models.fuse", "-p", "a=7")) == 1
    warned = run(project, "a/models.fuse", "-p", "a=2")
    assert len(warned) == 1 and "(b/models.fuse)" in warned[0] and "a/models.fuse" not in warned[0]
    # the same file run from its own folder is named models.fuse there: known as the same file all the same
    warned = run(project, "models.fuse", "-p", "a=3", storage="../shared", cwd=project.root / "a")
    assert len(warned) == 1 and "(b/models.fuse)" in warned[0]
    for command in (["explain", "b/models.fuse"], ["storage", "gc", "b/models.fuse", "-n"]):
        done = project.fusec(*command, "--storage", "shared")
        assert done.returncode == 0 and "warning" not in done.stderr, done.stderr


def test_each_result_names_its_file_and_markers_are_not_results(project: Project) -> None:
    two_files(project)
    run(project, "a/models.fuse")
    run(project, "b/models.fuse")
    store = open_store(project.root / "shared")
    by_node = {r.node: store.meta("models", r.node, r.key) for r in store.list("models")}
    assert by_node["y"]["source"] == "a/models.fuse" and by_node["z"]["source"] == "b/models.fuse"
    assert len(by_node["y"]["file"]) == 16  # the same file from another folder is known by it
    assert {s.path for s in store.sources("models")} == {"a/models.fuse", "b/models.fuse"}
    assert store.workflows() == ["models"] and len(store.list("models")) == 4
    assert len(list((project.root / "shared" / "models" / marking.DIRNAME).iterdir())) == 2
    done = project.fusec("storage", "show", "--storage", "shared", "models", "z")
    assert done.stdout.strip() == "14" and done.stderr.strip() == "written by b/models.fuse"
    listed = project.fusec("storage", "ls", "--storage", "shared", "models").stdout.splitlines()[1:]
    assert sorted(line.split()[0] for line in listed) == ["x", "x", "y", "z"]
    assert project.fusec("storage", "ls", "--storage", "shared").stdout.splitlines()[1].split()[:2] == ["models", "4"]
    du = project.fusec("storage", "du", "--storage", "shared", "models").stdout.splitlines()[1:]
    assert sorted(line.split()[0] for line in du) == ["total", "x", "y", "z"]
    assert project.fusec("storage", "rm", "--storage", "shared", "models", "*").returncode == 0
    assert store.sources("models") == set()  # nothing left: no file has results there


def test_explain_says_when_the_stored_result_compared_is_another_file_s(project: Project) -> None:
    two_files(project)
    run(project, "a/models.fuse")
    done = project.fusec("explain", "b/models.fuse", "--storage", "shared", "--json")
    rows = {row["node"]: row["reasons"] for row in map(json.loads, done.stdout.splitlines())}
    assert "the closest stored result was written by another file, a/models.fuse" in rows["x"]
    assert rows["z"] == ["never stored"]


def test_gc_of_one_file_keeps_the_other_files_results_and_says_so(project: Project) -> None:
    two_files(project)
    run(project, "a/models.fuse")
    run(project, "b/models.fuse")
    run(project, "b/models.fuse", "-p", "a=7")
    store = FileStore(project.root / "shared")
    store.save("models", "old", "0" * 32, 1, meta={"v": 1})  # saved before results named their file: b's to remove
    project.calls()
    for dry in (True, False):
        out, err = gc(project, "b/models.fuse", *(["--dry-run"] if dry else []))
        verb = "would remove" if dry else "removed"
        assert sorted(line.split()[-4] for line in out) == ["models/old", "models/x", "models/z"]
        assert all(line.startswith(f"{verb} unreferenced") for line in out)
        assert err[0] == (f"{'would keep' if dry else 'kept'} 2 results of workflow 'models' written by other "
                          "files: a/models.fuse; run `fusec storage gc` with that file to prune them")
        assert err[1].startswith(f"{verb} 3 items")
    assert sorted(r.node for r in FileStore(project.root / "shared").list("models")) == ["x", "x", "y", "z"]
    assert project.run("--storage", "shared", fuse="a/models.fuse") == {"y": 12}
    assert project.run("--storage", "shared", fuse="b/models.fuse") == {"z": 14}
    assert project.calls() == []  # both files' current results were kept
    out, err = gc(project, "a/models.fuse")
    assert out == [] and err[0].startswith("kept 2 results of workflow 'models' written by other files: b/models.fuse")


def test_gc_after_a_rename_removes_the_file_s_results_under_its_old_name(project: Project) -> None:
    two_files(project)
    run(project, "a/models.fuse")
    run(project, "b/models.fuse")
    (project.root / "a" / "models.fuse").write_text(A.replace("workflow models", "workflow models_a"))
    assert run(project, "a/models.fuse") == []
    assert len(run(project, "b/models.fuse")) == 1  # a's results under the old name are still there
    out, _ = gc(project, "a/models.fuse")
    assert sorted(line.split()[-4] for line in out) == ["models/x", "models/y"]
    store = FileStore(project.root / "shared")
    assert {s.path for s in store.sources("models")} == {"b/models.fuse"}
    assert sorted(r.node for r in store.list("models")) == ["x", "z"] and len(store.list("models_a")) == 2
    assert run(project, "b/models.fuse") == []


def test_rm_source_removes_what_a_file_that_is_gone_wrote(project: Project) -> None:
    two_files(project)
    run(project, "a/models.fuse")
    run(project, "b/models.fuse")
    (project.root / "a" / "models.fuse").unlink()
    rm = ["storage", "rm", "--storage", "shared", "models"]
    done = project.fusec(*rm, "--source", "a/model.fuse")
    assert done.returncode == 1 and "was written by 'a/model.fuse'; did you mean 'a/models.fuse'" in done.stderr
    assert project.fusec(*rm, "--all", "--source", "a/models.fuse").returncode == 2
    done = project.fusec(*rm, "--source", "a/models.fuse")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["removed models/x (1 result written by a/models.fuse)",
                                        "removed models/y (1 result written by a/models.fuse)"]
    store = FileStore(project.root / "shared")
    assert sorted(r.node for r in store.list("models")) == ["x", "z"]
    assert {s.path for s in store.sources("models")} == {"b/models.fuse"}
    assert run(project, "b/models.fuse") == []


def test_results_of_the_same_file_saved_from_another_folder_are_its_own(project: Project) -> None:
    two_files(project)
    run(project, "a/models.fuse")
    run(project, "models.fuse", "-p", "a=4", storage="../shared", cwd=project.root / "a")  # source: models.fuse
    out, err = gc(project, "a/models.fuse")
    assert sorted(line.split()[-4] for line in out) == ["models/x", "models/y"] and not err[0].startswith("kept")


def warnings_of(action) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [str(w.message) for w in caught if issubclass(w.category, StorageWarning)]


def test_a_hostile_source_path_is_data(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s")
    hostile = Source("../../../etc/passwd\n\x1b[31mwarning: all is well", "x")
    store.add_source("wf", hostile)
    store.add_source("wf", hostile)
    [marker] = (tmp_path / "s" / "wf" / marking.DIRNAME).iterdir()
    assert len(marker.name) == 32 and set(marker.name) <= set("0123456789abcdef")
    assert store.sources("wf") == {hostile}
    message = warnings_of(lambda: shared.warn_if_shared(store, "wf", Source("mine.fuse")))[0]
    assert "\n" not in message and "\x1b" not in message and "passwd\\n\\x1b[31m" in message
    folder = tmp_path / "s" / "wf" / marking.DIRNAME
    (folder / "junk").write_bytes(b"\xff" * 10)
    (folder / "huge").write_bytes(b'{"source": "' + b"x" * marking.MAX_SIZE + b'"}')
    (folder / "list").write_text('["a.fuse"]')
    (folder / "link").symlink_to(marker)
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe")  # opening it would wait forever
    assert store.sources("wf") == {hostile}
    store.remove_source("wf", hostile)
    assert store.sources("wf") == set()


def test_the_file_of_a_workflow_and_same_file() -> None:
    here = Path(__file__)
    me = shared.origin("tests/storage/" + here.name, here.parent)
    assert me is not None and me.file == shared.file_id(here) and len(me.file) == 16
    assert me.same_file(Source(here.name, me.file)) and me.same_file(Source(me.path, "other"))
    assert not me.same_file(Source("x/" + here.name, "other")) and not Source("a").same_file(Source("b"))
    assert shared.origin("", here.parent) is None and shared.origin("x.fuse", None) == Source("x.fuse")
    assert shared.origin("missing.fuse", here.parent) == Source("missing.fuse")


def test_a_marker_that_cannot_be_written_is_one_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    from fuseflow.runtime import node

    class Refusing(FileStore):
        def add_source(self, workflow: str, source: Source) -> None:
            raise PermissionError("read-only")

    store = Refusing(tmp_path / "s")
    meta = {"v": 1, "source": "a.fuse"}
    warned = warnings_of(lambda: [node.keep(node.NodeJob("wf", f"n{i}", {}, store.url, f"{i}" * 32, meta), i, store)
                                  for i in range(3)])
    assert len(warned) == 1 and "could not note" in warned[0] and "'wf'" in warned[0]
    assert [r.node for r in store.list("wf")] == ["n0", "n1", "n2"] and store.sources("wf") == set()
    assert Store.sources(store, "wf") == set()  # a store that keeps no markers knows of no other file


def _add_sources(url: str, writer: int, count: int, barrier) -> None:
    store = open_store(url)
    barrier.wait()
    for i in range(count):
        store.add_source("wf", Source(f"w{writer}/f{i}.fuse"))
        store.add_source("wf", Source("both.fuse"))  # the same marker from both, at once


def add_at_once(url: str, count: int = 20) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_add_sources, args=(url, writer, count, barrier)) for writer in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0, 0]


def test_two_processes_adding_sources_at_once_both_end_up_listed(tmp_path: Path) -> None:
    add_at_once(str(tmp_path / "s"))
    expected = {Source(f"w{w}/f{i}.fuse") for w in range(2) for i in range(20)} | {Source("both.fuse")}
    assert FileStore(tmp_path / "s").sources("wf") == expected
    assert FileStore(tmp_path / "s").garbage(max_age=0) == []  # no temp file left behind


# --- every target --------------------------------------------------------------------------


def run_on(target: str, path: str, storage: str) -> None:
    """The start of a run of `path` on `target`, in this process, as `fusec run --target` starts it
    (everything is stored: Ray is not started, and a dummy stands for the Prefect flow)."""
    from fuseflow.cli.inputs import load
    from fuseflow.runtime import execute
    from fuseflow.runtime.bind import bind
    from fuseflow.runtime.prepare import RunSettings

    ir, settings = load(path, []), RunSettings(storage=storage)
    if target == "local":
        execute.run(bind(ir, path), {}, settings)
    elif target == "ray":
        from fuseflow.targets.ray import backend as ray_backend

        ray_backend.run(bind(ir, path, ray_backend.Builders()), {}, settings)
    elif target == "prefect":
        from fuseflow.targets.prefect import backend as prefect_backend

        prefect_backend.run_flow(lambda **params: {}, bind(ir, path), settings)
    else:
        from fuseflow.targets.kfp import local as kfp_local

        kfp_local.storage_url(ir, path, settings)


@pytest.mark.parametrize("target", ["local", "ray", "prefect", "kfp"])
def test_a_run_on_every_target_warns_once(target: str, project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip({"local": "fuseflow", "ray": "ray", "prefect": "prefect", "kfp": "kfp"}[target])
    from fuseflow.runtime.bind import import_path

    two_files(project)
    run(project, "a/models.fuse")
    run(project, "b/models.fuse")
    project.calls()
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("STEPS_LOG", str(project.log))
    before = set(sys.modules)
    try:
        with import_path(project.root):
            warned = warnings_of(lambda: run_on(target, "b/models.fuse", "shared"))
    finally:  # forget this project's steps.py: other tests import their own
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(project.root)):
                del sys.modules[name]
    assert len(warned) == 1 and "(a/models.fuse)" in warned[0], warned
    assert project.calls() == []


# --- S3 -------------------------------------------------------------------------------------


def test_on_s3_a_run_warns_and_gc_keeps_the_other_file_s_results(s3: S3, project: Project) -> None:
    bucket = s3.bucket()
    url = f"s3://{bucket}/results"
    project.env = s3.env
    two_files(project)
    assert run(project, "a/models.fuse", storage=url) == []
    warned = run(project, "b/models.fuse", storage=url)
    assert len(warned) == 1 and "(a/models.fuse)" in warned[0]
    run(project, "b/models.fuse", "-p", "a=7", storage=url)
    store = open_store(url)
    assert {s.path for s in store.sources("models")} == {"a/models.fuse", "b/models.fuse"}
    assert len([key for key in s3.objects(bucket) if f"/{marking.DIRNAME}/" in key]) == 2
    assert store.workflows() == ["models"] and sorted(r.node for r in store.list("models")) == ["x", "x", "x", "y",
                                                                                                 "z", "z"]
    out, err = gc(project, "b/models.fuse", storage=url)
    assert sorted(line.split()[-4] for line in out) == ["models/x", "models/z"]
    assert err[0].startswith("kept 2 results of workflow 'models' written by other files: a/models.fuse")
    assert sorted(r.node for r in open_store(url).list("models")) == ["x", "x", "y", "z"]
    assert project.fusec("storage", "rm", "--storage", url, "models", "*").returncode == 0
    assert open_store(url).sources("models") == set() and s3.objects(bucket) == []


def test_on_s3_two_processes_adding_sources_at_once_both_end_up_listed(s3: S3) -> None:
    url = f"s3://{s3.bucket()}/r"
    add_at_once(url, count=5)
    expected = {Source(f"w{w}/f{i}.fuse") for w in range(2) for i in range(5)} | {Source("both.fuse")}
    assert open_store(url).sources("wf") == expected


def test_metas_of_many_results_at_once(s3: S3, tmp_path: Path) -> None:
    stores: list[Store] = [open_store(f"s3://{s3.bucket()}/r"), FileStore(tmp_path / "s")]
    for store in stores:
        for i in range(3):
            store.save("wf", f"n{i}", "k" * 32, i, meta={"source": f"{i}.fuse"} if i else None)
        assert store.metas("wf", [("n0", "k" * 32), ("n1", "k" * 32), ("n2", "k" * 32), ("n9", "k" * 32)]) == \
            [None, {"source": "1.fuse"}, {"source": "2.fuse"}, None]
