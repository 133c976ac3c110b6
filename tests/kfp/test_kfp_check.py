"""fuseflow's reference check catches what loading a spec with kfp lets through."""
from __future__ import annotations

import copy

import pytest
from kfp_helpers import compile_example, parse

from fuseflow.targets.kfp import check as kfp_check

pytestmark = pytest.mark.kfp


@pytest.fixture(scope="module")
def models():
    _, (text, _) = compile_example("models")
    return parse(text)


def broken(spec: dict, change) -> list[str]:
    spec = copy.deepcopy(spec)
    change(spec)
    return kfp_check.references(spec)


def tasks(spec: dict) -> dict:
    return spec["root"]["dag"]["tasks"]


def first_member(spec: dict) -> dict:
    """What `best` reads for the first member of the family `err` (input `err_linear_poly1`)."""
    return tasks(spec)["best"]["inputs"]["artifacts"]["err_linear_poly1"]["taskOutputArtifact"]


def test_the_generated_spec_is_clean(models):
    spec, platform = models
    assert kfp_check.references(spec, platform) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: tasks(s)["best"].update(componentRef={"name": "comp-nowhere"}),
     "task 'best': componentRef 'comp-nowhere' is not a component"),
    (lambda s: tasks(s)["best"]["dependentTasks"].append("ghost"),
     "task 'best': dependentTasks names 'ghost', which is not a task"),
    (lambda s: first_member(s).update(producerTask="ghost"),
     "task 'best': input 'err_linear_poly1' reads producerTask 'ghost', which is not a task"),
    (lambda s: first_member(s).update(outputArtifactKey="nope"),
     "task 'best': input 'err_linear_poly1' reads 'nope', which task 'err-linear-poly1' does not produce"),
    (lambda s: tasks(s)["best"]["dependentTasks"].remove("err-wave-ridge"),
     "task 'best': input 'err_wave_ridge' reads task 'err-wave-ridge', which is not in its dependentTasks"),
    (lambda s: tasks(s)["data-wave"]["inputs"]["parameters"]["n"].update(componentInputParameter="size"),
     "task 'data-wave': input 'n' reads pipeline input 'size', which is not declared"),
    (lambda s: tasks(s)["data-wave"]["inputs"]["parameters"].pop("n"),
     "task 'data-wave': required input 'n' is not given"),
    (lambda s: tasks(s)["data-wave"]["inputs"]["parameters"].update(extra={"runtimeValue": {"constant": 1}}),
     "task 'data-wave': input 'extra' is not an input of 'comp-make-dataset'"),
    (lambda s: s["deploymentSpec"]["executors"]["exec-score"]["container"].update(image=3.11),
     "executor 'exec-score': image is 3.11, not a non-empty string"),
    (lambda s: s["deploymentSpec"]["executors"].pop("exec-score"),
     "component 'comp-score': executorLabel 'exec-score' is not an executor"),
    (lambda s: s["root"]["dag"]["outputs"]["artifacts"]["best"]["artifactSelectors"][0].update(producerSubtask="gone"),
     "pipeline output 'best': producerSubtask 'gone' is not a task"),
    (lambda s: s["root"]["dag"]["outputs"]["artifacts"].pop("err"),
     "pipeline output 'err' is declared but not produced"),
    (lambda s: tasks(s)["data-wave"].update(dependentTasks=["best"]),
     "depends on itself through dependentTasks"),
    (lambda s: s["deploymentSpec"]["executors"]["exec-score"]["container"]["command"]
               .append("n={{$.pipeline_job_name}}"),
     "executor 'exec-score': command[4] holds a KFP placeholder"),
    (lambda s: s["deploymentSpec"]["executors"]["exec-score"]["container"]["args"].append("/kfp-workspace/x"),
     "executor 'exec-score': args[4] holds a KFP placeholder"),
    (lambda s: s["pipelineInfo"].update(name="Score"),
     "pipeline 'score': component 'comp-score' has the pipeline's name: kfp would load it instead of the pipeline"),
])
def test_each_broken_reference_is_reported(models, change, expected):
    problems = broken(models[0], change)
    assert any(expected in p for p in problems), problems


def test_platform_spec_for_a_missing_executor(models):
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {"exec-gone": {"nodeSelector": {}}}}}}}
    assert kfp_check.references(models[0], platform) == ["platform spec: executor 'exec-gone' is not in deploymentSpec"]


def test_check_raises_with_every_problem(models):
    spec = copy.deepcopy(models[0])
    tasks(spec)["best"]["componentRef"]["name"] = "comp-x"
    tasks(spec)["best"]["dependentTasks"].append("ghost")
    with pytest.raises(kfp_check.BrokenPipelineSpec, match="comp-x.*ghost"):
        kfp_check.check(spec)


def test_kfp_itself_loads_what_the_check_rejects(models, tmp_path):
    """Why the check exists: kfp's loader accepts a dangling componentRef."""
    from kfp import components

    from fuseflow.targets.kfp import yaml_text as kfp_yaml

    spec = copy.deepcopy(models[0])
    tasks(spec)["best"]["componentRef"]["name"] = "comp-nowhere"
    path = tmp_path / "broken.yaml"
    path.write_text(kfp_yaml.dump(spec))
    components.load_component_from_file(str(path))
    assert kfp_check.references(spec)
