"""Options land where kfp and kfp-kubernetes put them: the same settings made with
kfp's own DSL and compiled with kfp give the same structures.

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl, kubernetes  # noqa: E402
from kfp_helpers import parse, spec_of  # noqa: E402

OPTIONS = """
    from steps import inc
    a = inc(1)
    options {
        "a": { cpus: 0.5, memory: "2Gi", gpus: 2, retries: 3, retry_delay: "30s", cache: false,
               env: {"B": "2", "A": "1"}, timeout: "10m" }
    }
    options kfp {
        "a": {
            cpu_limit: 2, memory_limit: "4G", accelerator_type: "nvidia.com/gpu",
            retry_backoff_factor: 3, retry_backoff_max_duration: "1h",
            display_name: "add one",
            secret_env: {"db": {"DB_USER": "user", "DB_PASS": "password"}, "api": {"TOKEN": "token"}},
            secret_volumes: {"certs": "/etc/certs"},
            config_map_env: {"settings": {"MODE": "mode"}},
            config_map_volumes: {"conf": "/etc/conf"},
            pvc_mounts: {"data": "/data", "cache": "/cache"},
            node_selector: {"disk": "ssd", "zone": "a"},
            tolerations: [{"key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule",
                           "toleration_seconds": 30},
                          {"key": "spot", "operator": "Exists"}],
            image_pull_secrets: ["regcred", "other"],
            image_pull_policy: "Always",
            pod_labels: {"team": "ml"},
            pod_annotations: {"note": "x"}
        }
    }
    """


def kfp_reference(tmp_path):
    """The same settings, made with kfp's DSL and kfp.kubernetes, compiled by kfp."""

    @dsl.component(base_image="python:3.11")
    def inc(x: int) -> int:
        return x + 1

    @dsl.pipeline(name="reference")
    def pipeline():
        task = inc(x=1)
        task.set_cpu_request("500m").set_cpu_limit("2").set_memory_request("2Gi").set_memory_limit("4G")
        task.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(2)
        task.set_retry(num_retries=3, backoff_duration="30s", backoff_factor=3, backoff_max_duration="3600s")
        task.set_caching_options(False).set_display_name("add one")
        task.set_env_variable("A", "1").set_env_variable("B", "2")
        kubernetes.set_timeout(task, 600)
        kubernetes.use_secret_as_env(task, secret_name="api", secret_key_to_env={"token": "TOKEN"})
        kubernetes.use_secret_as_env(task, secret_name="db",
                                     secret_key_to_env={"password": "DB_PASS", "user": "DB_USER"})
        kubernetes.use_secret_as_volume(task, secret_name="certs", mount_path="/etc/certs")
        kubernetes.use_config_map_as_env(task, config_map_name="settings", config_map_key_to_env={"mode": "MODE"})
        kubernetes.use_config_map_as_volume(task, config_map_name="conf", mount_path="/etc/conf")
        kubernetes.mount_pvc(task, pvc_name="cache", mount_path="/cache")
        kubernetes.mount_pvc(task, pvc_name="data", mount_path="/data")
        kubernetes.add_node_selector(task, label_key="disk", label_value="ssd")
        kubernetes.add_node_selector(task, label_key="zone", label_value="a")
        kubernetes.add_toleration(task, key="gpu", operator="Equal", value="yes", effect="NoSchedule",
                                  toleration_seconds=30)
        kubernetes.add_toleration(task, key="spot", operator="Exists")
        kubernetes.set_image_pull_secrets(task, ["regcred", "other"])
        kubernetes.set_image_pull_policy(task, "Always")
        kubernetes.add_pod_label(task, "team", "ml")
        kubernetes.add_pod_annotation(task, "note", "x")

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    return parse(path.read_text())


def test_task_container_and_platform_settings_match_kfp(tmp_path):
    ours, our_platform = spec_of(OPTIONS)
    theirs, their_platform = kfp_reference(tmp_path)
    our_task, their_task = ours["root"]["dag"]["tasks"]["a"], theirs["root"]["dag"]["tasks"]["inc"]
    for key in ("cachingOptions", "retryPolicy", "taskInfo"):
        assert our_task[key] == their_task[key], key
    our_exec = ours["deploymentSpec"]["executors"]["exec-inc"]["container"]
    their_exec = theirs["deploymentSpec"]["executors"]["exec-inc"]["container"]
    assert our_exec["resources"] == their_exec["resources"]
    assert our_exec["env"] == their_exec["env"]
    ours_k8s = our_platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-inc"]
    theirs_k8s = their_platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-inc"]
    assert ours_k8s == theirs_k8s


def test_a_node_without_kubernetes_settings_has_no_platform_entry():
    spec, platform = spec_of("""
        from steps import inc
        a = inc(1)
        b = inc(2)
        options kfp { "a": { node_selector: {"disk": "ssd"} } }
        """)
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    labels = {t: spec["components"][spec["root"]["dag"]["tasks"][t]["componentRef"]["name"]]["executorLabel"]
              for t in ("a", "b")}
    assert set(executors) == {labels["a"]} and labels["a"] != labels["b"]


def test_defaults_and_kfp_block_win_over_neutral():
    spec, _ = spec_of("""
        from steps import inc
        a = inc(1)
        options { "a": { retries: 2, cpus: 1 } }
        options kfp { "a": { retries: 5, cpu_request: "250m" } }
        """)
    task = spec["root"]["dag"]["tasks"]["a"]
    assert task["retryPolicy"]["maxRetryCount"] == 5
    assert task["cachingOptions"] == {"enableCache": True}
    resources = spec["deploymentSpec"]["executors"]["exec-inc"]["container"]["resources"]
    assert resources == {"cpuRequest": 0.25, "resourceCpuRequest": "250m"}


def test_runtime_options_go_to_the_step():
    spec, _ = spec_of("""
        from steps import inc, log
        a = inc(1)
        options { "a": { seed: 7, setup: log, cache: false, always_read: true } }
        """)
    source = spec["deploymentSpec"]["executors"]["exec-inc"]["container"]["command"][-1]
    namespace: dict = {}
    exec(compile(source, "program", "exec"), namespace)
    assert namespace["_SPEC"]["options"] == {"seed": 7, "setup": "steps:log", "cache": False, "always_read": True}
    assert spec["root"]["dag"]["tasks"]["a"]["cachingOptions"] == {}
