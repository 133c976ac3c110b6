"""What `fusec compile --target kfp` writes: tasks, components, inputs, outputs, names."""
from __future__ import annotations

import keyword
import os
import re
import subprocess
import sys

import pytest
from kfp_helpers import EXAMPLES, ODD_NAMES, ROOT, compile_example, compile_text, parse, spec_of, yaml_of

from fuseflow.compiler.errors import CompileError
from fuseflow.targets.kfp import check as kfp_check
from fuseflow.targets.kfp.naming import k8s_name
from fuseflow.targets.kfp.spec import KFP_SDK_VERSION

pytestmark = pytest.mark.kfp


def tasks_of(spec: dict) -> dict:
    return spec["root"]["dag"]["tasks"]


def test_one_component_per_callable_in_a_fan_out():
    spec, _ = spec_of("""
        workflow wide
        from steps import inc, add
        param start: int = 0
        base = inc(start)
        for i in [ITEMS] {
            y = add(base, i)
        }
        """.replace("ITEMS", ", ".join(str(i) for i in range(100))))
    assert len(tasks_of(spec)) == 101
    assert sorted(spec["components"]) == ["comp-add", "comp-inc"]
    assert sorted(spec["deploymentSpec"]["executors"]) == ["exec-add", "exec-inc"]
    assert {t["componentRef"]["name"] for n, t in tasks_of(spec).items() if n != "base"} == {"comp-add"}
    y7 = tasks_of(spec)["y-7"]
    assert y7["inputs"]["parameters"]["arg1"] == {"runtimeValue": {"constant": 7}}
    assert y7["inputs"]["artifacts"]["base"] == {
        "taskOutputArtifact": {"outputArtifactKey": "result", "producerTask": "base"}}
    assert y7["dependentTasks"] == ["base"]
    assert y7["taskInfo"] == {"name": "y (7)"}


def test_a_new_signature_or_image_is_a_new_component():
    spec, _ = spec_of("""
        from steps import add
        a = add(1, 2)
        b = add(3, 4)
        c = add(a, 4)
        d = add("x", "y")
        e = add(1, 2)
        options kfp { "e": { image: "python:3.12" } }
        """)
    refs = {name: t["componentRef"]["name"] for name, t in tasks_of(spec).items()}
    assert refs["a"] == refs["b"]
    assert len({refs["a"], refs["c"], refs["d"], refs["e"]}) == 4


def test_task_names_are_sanitized_unique_and_deterministic():
    spec, _ = spec_of("""
        from steps import inc
        a_b = inc(1)
        for k in ["b", "B"] {
            a = inc(2)
        }
        A_b = inc(3)
        """)
    names = {t["inputs"]["parameters"]["fuseflow_node"]["runtimeValue"]["constant"]: name
             for name, t in tasks_of(spec).items()}
    assert names == {"a_b": "a-b", "a.b": "a-b-2", "a.B": "a-b-3", "A_b": "a-b-4"}
    assert all(k8s_name(name) == name for name in names.values())


def test_params_are_typed_pipeline_inputs_with_defaults():
    spec, _ = spec_of("""
        from steps import show
        param i: int = 3
        param f: float = 2
        param s: str = "x"
        param b: bool = true
        param l: list = [1, "two"]
        param d: dict = {"k": [1]}
        param nothing: str = none
        param required: int
        out = show(i, f, s, b, l, d, nothing, required, l[1])
        """)
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert inputs["i"] == {"defaultValue": 3, "isOptional": True, "parameterType": "NUMBER_INTEGER"}
    assert inputs["f"] == {"defaultValue": 2.0, "isOptional": True, "parameterType": "NUMBER_DOUBLE"}
    assert inputs["s"]["parameterType"] == "STRING" and inputs["b"]["parameterType"] == "BOOLEAN"
    assert inputs["l"] == {"defaultValue": [1, "two"], "isOptional": True, "parameterType": "LIST"}
    assert inputs["d"]["parameterType"] == "STRUCT"
    assert inputs["nothing"] == {"defaultValue": None, "isOptional": True, "parameterType": "STRING"}
    assert inputs["required"] == {"parameterType": "NUMBER_INTEGER"}
    task = tasks_of(spec)["out"]["inputs"]["parameters"]
    assert task["i"] == {"componentInputParameter": "i"}
    assert task["l_1"] == {"componentInputParameter": "l"}  # indexed by the step: l[1]
    component = spec["components"][tasks_of(spec)["out"]["componentRef"]["name"]]
    assert component["inputDefinitions"]["parameters"]["nothing"] == {"isOptional": True, "parameterType": "STRING"}


def test_literals_are_constants_exactly_typed():
    spec, _ = spec_of("""
        from steps import show
        x = show(1, 2.0, "s", true, none, [1, 2.5], {"k": 1}, 12345678901234567890, key=0.5)
        """)
    params = tasks_of(spec)["x"]["inputs"]["parameters"]
    constants = {k: v["runtimeValue"]["constant"] for k, v in params.items() if not k.startswith("fuseflow_")}
    assert constants == {"arg0": 1, "arg1": 2.0, "arg2": "s", "arg3": True, "arg4": "null", "arg5": "[1, 2.5]",
                         "arg6": '{"k": 1}', "arg7": "12345678901234567890", "key": 0.5}
    types = spec["components"]["comp-show"]["inputDefinitions"]["parameters"]
    assert [types[f"arg{i}"]["parameterType"] for i in range(8)] == [
        "NUMBER_INTEGER", "NUMBER_DOUBLE", "STRING", "BOOLEAN", "STRING", "STRING", "STRING", "STRING"]


def test_structures_holding_results_become_one_input_per_result():
    spec, _ = spec_of("""
        from steps import inc, show
        a = inc(1)
        b = inc(2)
        x = show([a, 1, b["k"]], {"first": a})
        """)
    artifacts = tasks_of(spec)["x"]["inputs"]["artifacts"]
    assert {k: v["taskOutputArtifact"]["producerTask"] for k, v in artifacts.items()} == {
        "a": "a", "b_k": "b", "a_2": "a"}  # named after what they carry
    assert tasks_of(spec)["x"]["dependentTasks"] == ["a", "b"]


def bound(spec: dict, node: str) -> dict:
    """The inputs of a node's task (but fuseflow's own): a result as the node that makes it,
    a param as its pipeline input, a literal as its constant."""
    tasks = tasks_of(spec)
    node_of = {name: t["inputs"]["parameters"]["fuseflow_node"]["runtimeValue"]["constant"]
               for name, t in tasks.items() if "fuseflow_node" in t["inputs"].get("parameters", {})}
    (inputs,) = [tasks[name]["inputs"] for name, n in node_of.items() if n == node]
    names = {k: node_of[v["taskOutputArtifact"]["producerTask"]] for k, v in inputs.get("artifacts", {}).items()}
    for k, v in inputs["parameters"].items():
        if k not in ("fuseflow_node", "fuseflow_rerun", "fuseflow_storage"):
            names[k] = v.get("componentInputParameter", v.get("runtimeValue", {}).get("constant"))
    return names


def test_inputs_are_named_after_what_they_carry():
    spec, _ = spec_of("""
        from steps import inc, show
        param size: int = 3
        for ds in ["moons", "circles"] {
            data = inc(size)
            parts = show(data[0], {"lr": 0.1, "raw": data}, 7, n=2, by=size)
            for m in ["knn", "tree"] {
                acc = show(parts["x_train"], m)
            }
        }
        best = show(acc)
        row = show(acc["moons"], parts["circles"])
        one = show(acc["circles"]["tree"][0])
        """)
    # what the current iteration made is named after its variable; a literal after its keyword or place
    assert bound(spec, "parts.moons") == {"data_0": "data.moons", "data": "data.moons", "size": "size",
                                          "arg1_lr": 0.1, "arg2": 7, "n": 2}
    assert bound(spec, "acc.circles.tree") == {"parts_x_train": "parts.circles", "arg1": "tree"}
    # a family's members after the family and their keys, a member picked by key after its node
    assert bound(spec, "best") == {f"acc_{d}_{m}": f"acc.{d}.{m}"
                                   for d in ("moons", "circles") for m in ("knn", "tree")}
    assert bound(spec, "row") == {"acc_moons_knn": "acc.moons.knn", "acc_moons_tree": "acc.moons.tree",
                                  "parts_circles": "parts.circles"}
    assert bound(spec, "one") == {"acc_circles_tree_0": "acc.circles.tree"}
    # every iteration names its inputs alike, so they share one component
    components = {name: t["componentRef"]["name"] for name, t in tasks_of(spec).items()}
    assert components["parts-moons"] == components["parts-circles"]
    assert len({components[f"acc-{d}-{m}"] for d in ("moons", "circles") for m in ("knn", "tree")}) == 1
    program: dict = {}
    exec(spec["deploymentSpec"]["executors"]["exec-show"]["container"]["command"][-1], program)
    assert program["_SPEC"]["args"][:2] == [
        {"ref": "data_0", "path": [0]},
        {"dict": [["lr", {"input": "arg1_lr", "type": "float"}], ["raw", {"ref": "data"}]]}]
    assert program["_SPEC"]["kwargs"][1] == ["by", {"param": "size", "input": "size", "type": "int"}]


def test_odd_loop_keys_and_keywords_give_valid_unique_input_names():
    spec, _ = spec_of(ODD_NAMES)
    for component in spec["components"].values():
        definitions = component["inputDefinitions"]
        names = [*definitions.get("artifacts", {}), *definitions.get("parameters", {})]
        assert len(names) == len(set(names))
        assert all(re.fullmatch("[A-Za-z][A-Za-z0-9_]*", n) and not keyword.iskeyword(n) for n in names), names
    assert bound(spec, "part.if") == {"data": "data.if", "data_0": "data.if", "class_": 1, "self_2": 2, "SPEC": 3,
                                      "fuseflow_node_2": 4, "result_2": 5}
    assert bound(spec, "all") == {
        "data_a_b": "data.a_b", "data": "data._____", "data_e": "data.é", "data_1": "data.-1", "data_1_2": "data.1",
        "data_if": "data.if", "data_x_y": "data.x_y", "data_2": "data._", "part_1": "part.1", "data_1_0": "data.-1"}
    assert spec == spec_of(ODD_NAMES)[0]  # the same every time


def test_method_calls_chain_the_object_state():
    spec, _ = spec_of("""
        from steps import Counter, inc
        one = inc(0)
        c = Counter(start=one)
        c.add(one)
        last = c.add(2)
        """)
    tasks = tasks_of(spec)
    assert tasks["c"]["inputs"]["artifacts"]["one"]["taskOutputArtifact"]["producerTask"] == "one"
    first, last = tasks["c-add-1"], tasks["last"]
    assert first["inputs"]["artifacts"]["self"] == {
        "taskOutputArtifact": {"outputArtifactKey": "state", "producerTask": "c"}}
    assert last["inputs"]["artifacts"]["self"] == {
        "taskOutputArtifact": {"outputArtifactKey": "state", "producerTask": "c-add-1"}}
    assert last["dependentTasks"] == ["c-add-1"]
    method = spec["components"][last["componentRef"]["name"]]
    assert sorted(method["outputDefinitions"]["artifacts"]) == ["result", "state"]
    assert sorted(spec["components"][tasks["c"]["componentRef"]["name"]]["outputDefinitions"]["artifacts"]) == ["state"]


def test_outputs_a_whole_result_directly_anything_else_through_the_outputs_task():
    spec, _ = spec_of("""
        workflow outs
        from steps import inc, pair
        p = pair(1, 2)
        for k in ["x", "y"] {
            fam = inc(1)
        }
        whole = inc(3)
        return whole, p, fam
        """)
    outputs = spec["root"]["dag"]["outputs"]["artifacts"]
    assert outputs["whole"] == {"artifactSelectors": [{"outputArtifactKey": "result", "producerSubtask": "whole"}]}
    assert outputs["fam"] == {
        "artifactSelectors": [{"outputArtifactKey": "fam", "producerSubtask": "fuseflow-outputs"}]}
    assert sorted(spec["root"]["outputDefinitions"]["artifacts"]) == ["fam", "p", "whole"]
    collector = tasks_of(spec)["fuseflow-outputs"]
    assert collector["dependentTasks"] == ["fam-x", "fam-y"]


def test_header_names_source_and_version_and_the_spec_pins_kfp():
    text = yaml_of("""
        workflow My_Flow
        from steps import inc
        a = inc(1)
        """)
    header = [line for line in text.splitlines()[:30] if line.startswith("#")]  # the comment block on top
    assert header[0] == "# PIPELINE DEFINITION" and header[1] == "# Name: my-flow"  # kfp's own layout
    assert "# Generated by fusec 0.1.0 from wf.fuse -- do not edit; edit the .fuse file and recompile:" in header
    spec, platform = parse(text)
    assert spec["pipelineInfo"] == {"displayName": "My_Flow", "name": "my-flow"}
    assert spec["sdkVersion"] == f"kfp-{KFP_SDK_VERSION}" and spec["schemaVersion"] == "2.1.0"
    assert platform == {}


def test_same_output_twice_and_in_another_process():
    workflow, (first, _) = compile_example("models")
    _, (second, _) = compile_example("models")
    assert first == second
    code = ("import sys; sys.modules['kfp'] = None\n"  # the compiler must not need the kfp SDK
            "from fuseflow.cli import main; sys.exit(main(['compile', 'examples/models.fuse', '--target', 'kfp']))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == first


def test_every_generated_spec_passes_the_reference_check():
    for example in ("arith", "counter", "models"):
        _, (text, _) = compile_example(example)
        spec, platform = parse(text)
        assert kfp_check.references(spec, platform) == []


def test_a_relative_storage_is_not_used_by_pods():
    spec, _ = spec_of("""
        from steps import inc
        storage "results"
        a = inc(1)
        """)
    assert spec["root"]["inputDefinitions"]["parameters"]["fuseflow_storage"]["defaultValue"] == ""
    spec, _ = spec_of("""
        from steps import inc
        storage "s3://bucket/runs"
        a = inc(1)
        """)
    assert spec["root"]["inputDefinitions"]["parameters"]["fuseflow_storage"]["defaultValue"] == "s3://bucket/runs"


def test_a_param_named_like_fuseflow_input_keeps_both():
    spec, _ = spec_of("""
        from steps import inc
        param fuseflow_storage: int = 1
        a = inc(fuseflow_storage)
        """)
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert inputs["fuseflow_storage"]["parameterType"] == "NUMBER_INTEGER"
    assert inputs["fuseflow_storage_2"]["parameterType"] == "STRING"
    parameters = tasks_of(spec)["a"]["inputs"]["parameters"]
    assert parameters["fuseflow_storage"] == {"componentInputParameter": "fuseflow_storage_2"}


def test_an_option_kfp_cannot_express_is_an_error_at_the_node():
    workflow = compile_text("""
        from steps import inc
        a = inc(1)
        options { "a": { gpus: 0.5 } }
        """)
    from fuseflow.targets.kfp.generate import generate

    with pytest.raises(CompileError) as caught:
        generate(workflow)
    message = str(caught.value)
    assert "wf.fuse:3:5: error: node 'a' cannot run on kfp" in message
    assert "accelerator_limit" in message


def test_embedded_modules(tmp_path):
    (tmp_path / "mine.py").write_text("def f(x):\n    return x\n\n\nQUOTE = '''\\\\ \"'''\n", encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "sub.py").write_text("VALUE = 1\n", encoding="utf-8")
    workflow = compile_text("""
        from mine import f
        a = f(1)
        options kfp { workflow: { embed_modules: ["mine", "pkg"] } }
        """)
    from fuseflow.targets.kfp.generate import generate

    spec, _ = parse(generate(workflow, tmp_path))
    source = spec["deploymentSpec"]["executors"]["exec-f"]["container"]["command"][-1]
    namespace: dict = {}
    exec(compile(source, "program", "exec"), namespace)
    assert namespace["_MODULES"] == {
        "mine.py": (tmp_path / "mine.py").read_text(), "pkg/__init__.py": "", "pkg/sub.py": "VALUE = 1\n"}
    with pytest.raises(CompileError, match="embed_modules names module 'missing'"):
        generate(compile_text("""
            from mine import f
            a = f(1)
            options kfp { workflow: { embed_modules: ["missing"] } }
            """), tmp_path)


def test_packages_and_runtime_package_install_before_the_step():
    spec, _ = spec_of("""
        from steps import inc
        a = inc(1)
        b = inc(2)
        options kfp {
            ".*": { packages: ["numpy<3"] }
            "b": { runtime_package: "fuseflow==0.1.0", pip_index_urls: ["https://pypi.example.com/simple"] }
            workflow: { packages: ["scipy"], image: "registry.example.com/ml:1" }
        }
        """)
    executors = spec["deploymentSpec"]["executors"]
    a = executors[spec["components"][tasks_of(spec)["a"]["componentRef"]["name"]]["executorLabel"]]["container"]
    b = executors[spec["components"][tasks_of(spec)["b"]["componentRef"]["name"]]["executorLabel"]]["container"]
    assert a["image"] == b["image"] == "registry.example.com/ml:1"
    assert a["command"][:2] == ["sh", "-c"] and a["command"][3:5] == ["sh", "-ec"]
    assert "pip install --quiet --no-warn-script-location scipy 'numpy<3' &&" in a["command"][2]
    assert "kfp==" not in a["command"][2]
    assert ("--index-url https://pypi.example.com/simple scipy 'numpy<3' fuseflow==0.1.0 && python3 -m pip install"
            in b["command"][2])
    assert f"kfp=={KFP_SDK_VERSION} --no-deps" in b["command"][2]


def test_the_example_spec_loads_back_with_kfp(tmp_path):
    from kfp import components

    for example in ("arith", "counter", "models"):
        _, (text, _) = compile_example(example)
        path = tmp_path / f"{example}.yaml"
        path.write_text(text)
        component = components.load_component_from_file(str(path))
        assert component.name == example
    assert (EXAMPLES / "ops.py").exists()


def test_set_overrides_apply_before_compiling():
    from fuseflow.compiler.errors import UsageError
    from fuseflow.runtime.execute import RunSettings
    from fuseflow.runtime.overrides import parse_set
    from fuseflow.targets.kfp.generate import generate, with_overrides

    workflow = compile_text("""
        from steps import inc
        a = inc(1)
        b = inc(2)
        """)
    changed = with_overrides(workflow, RunSettings(overrides=[parse_set("a:retries=2"), parse_set("a:timeout=90s")]))
    spec, platform = parse(generate(changed))
    assert spec["root"]["dag"]["tasks"]["a"]["retryPolicy"]["maxRetryCount"] == 2
    assert "retryPolicy" not in spec["root"]["dag"]["tasks"]["b"]
    assert list(platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"].values()) == [
        {"activeDeadlineSeconds": "90"}]
    with pytest.raises(UsageError, match="matches no node"):
        with_overrides(workflow, RunSettings(overrides=[parse_set("zzz:retries=2")]))
    with pytest.raises(UsageError, match="retries"):
        with_overrides(workflow, RunSettings(overrides=[parse_set("a:retries=-1")]))


def test_literals_beside_references_travel_as_task_constants_not_in_the_command():
    spec, _ = spec_of("""
        from steps import show
        param p: str = "{{$.pipeline_job_name}}"
        x = show(["{{$.pipeline_job_name}}", p, 2], {"{{$}}": p, "k": "/kfp-workspace"})
        options kfp { "x": { packages: ["a{{$}}b"], pip_index_urls: ["https://h/kfp-workspace"] } }
        """)
    task = tasks_of(spec)["x"]["inputs"]["parameters"]
    constants = {name: binding["runtimeValue"]["constant"]
                 for name, binding in task.items() if "runtimeValue" in binding}
    assert constants == {"arg0_0": 'fuseflow-json:"\\u007b\\u007b$.pipeline_job_name\\u007d\\u007d"', "arg0_2": 2,
                         "arg1_k": 'fuseflow-json:"\\u002fkfp-workspace"', "fuseflow_node": "x"}
    assert spec["root"]["inputDefinitions"]["parameters"]["p"]["defaultValue"] == constants["arg0_0"]
    container = spec["deploymentSpec"]["executors"]["exec-show"]["container"]
    assert kfp_check.references(spec) == []  # no placeholder left in the command
    assert "{{" not in "".join(container["command"]) and "/kfp-workspace" not in "".join(container["command"])
    namespace: dict = {}
    exec(compile(container["command"][-1], "program", "exec"), namespace)
    assert namespace["_SPEC"]["args"][1]["dict"][0][0] == "{{$}}"  # a dict key stays in the program, escaped


def test_embed_modules_names_modules_not_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wf.fuse").write_text(
        'from steps import inc\na = inc(1)\noptions kfp { workflow: { embed_modules: ["ops", "/abs/path/creds"] } }\n')
    from fuseflow.compiler.frontend import compile_file

    with pytest.raises(CompileError) as caught:
        compile_file(tmp_path / "wf.fuse")
    message = str(caught.value)
    assert message.startswith(
        "wf.fuse:3:42: error: kfp workflow option 'embed_modules' expects a list of module names (dotted Python "
        'names), got a list whose item 2 is "/abs/path/creds"\n')
    assert 'name a module as Python imports it ("ops", "pkg.sub"), not a file or a path' in message


def embedding_error(project, monkeypatch, options: str) -> str:
    """The error compiling, in `project`, a file whose third line is `options`."""
    from fuseflow.compiler.frontend import compile_file
    from fuseflow.targets.kfp.generate import generate

    (project / "wf.fuse").write_text(f"from steps import inc\na = inc(1)\n{options}\n")
    monkeypatch.chdir(project)
    workflow, _ = compile_file("wf.fuse")
    with pytest.raises(CompileError) as caught:
        generate(workflow)
    return str(caught.value)


@pytest.mark.parametrize("layout", ["module", "package", "folder"])
def test_embed_modules_never_follows_a_symlink_out_of_the_folder(tmp_path, monkeypatch, layout):
    secret = tmp_path / "elsewhere" / "creds"
    secret.parent.mkdir()
    secret.write_text("TOKEN = 'secret'\n")
    project = tmp_path / "project"
    project.mkdir()
    if layout == "module":
        (project / "ops.py").symlink_to(secret)
    elif layout == "package":
        (project / "ops").mkdir()
        (project / "ops" / "__init__.py").write_text("")
        (project / "ops" / "keys.py").symlink_to(secret)
    else:
        (secret.parent / "__init__.py").write_text("")
        (project / "ops").symlink_to(secret.parent)
    message = embedding_error(project, monkeypatch, 'options kfp { workflow: { embed_modules: ["ops"] } }')
    assert message.startswith("wf.fuse:3:43: error: embed_modules names module 'ops', but ")
    assert "leads outside" in message
    assert "TOKEN" not in message  # the file's text is never shown


def test_a_missing_embedded_module_is_an_error_at_the_option(tmp_path, monkeypatch):
    message = embedding_error(tmp_path, monkeypatch, 'options kfp { "a": { embed_modules: ["nowhere.sub"] } }')
    assert message.startswith("wf.fuse:3:38: error: embed_modules names module 'nowhere.sub', but neither "
                              "nowhere/sub.py nor nowhere/sub/__init__.py is in .")


def test_kfp_reads_the_description_from_the_header_as_it_was_written(tmp_path):
    from kfp import components

    text = yaml_of("""
        workflow described
        from steps import inc
        a = inc(1)
        options kfp { workflow: { description: "First line\\nsecond: line\\n  indented" } }
        """)
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert components.load_component_from_file(str(path)).description == "First line\nsecond: line\n  indented"
