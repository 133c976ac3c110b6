"""A node's options as KFP settings: the task's (caching, retries, display name),
the container's (image, packages, env, resources) and the Kubernetes ones that
kfp-kubernetes keeps in the platform spec (secrets, volumes, node selectors,
tolerations, pull secrets, timeout).

Neutral options are carried over with NEUTRAL_MAPPING (`retries` -> `retries`,
`cpus` -> `cpu_request`, ...); an `options kfp { ... }` entry wins over them,
key by key. Workflow options (`options kfp { workflow: { ... } }`) give the
defaults every node starts from. The structures are those kfp 2.17 and
kfp-kubernetes 2.17 write (tests compare them with kfp's own output).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from ...ir import Node, Workflow
from ...schemas import format_size_k8s, map_neutral

DEFAULT_IMAGE = "python:3.11"  # kfp's own default base image
DEFAULT_ACCELERATOR = "nvidia.com/gpu"
# Neutral options the step itself carries out (see fuseflow.targets.kfp.step).
STEP_OPTIONS = ("seed", "setup", "timeout")  # timeout: also the pod's deadline, which kfp.local does not enforce


class OptionProblem(ValueError):
    """A node's options cannot be expressed on KFP; the message names the option."""


@dataclass(frozen=True)
class NodeSettings:
    """Everything the options decide for one node, split by where it goes in the YAML."""

    task: dict = field(default_factory=dict)        # cachingOptions, retryPolicy
    display_name: str | None = None
    container: dict = field(default_factory=dict)   # image, env, resources (without command/args)
    install: dict = field(default_factory=dict)     # packages, pip_index_urls, runtime_package
    modules: tuple[str, ...] = ()                   # embed_modules
    platform: dict = field(default_factory=dict)    # the kfp-kubernetes executor config
    step: dict = field(default_factory=dict)        # options the step carries out itself

    @functools.cached_property
    def key(self) -> str:
        """What makes two nodes' executors differ (not the task-level settings)."""
        return repr((self.container, self.install, self.modules, self.platform, self.step))


def kfp_options(node: Node) -> dict[str, Any]:
    """The node's effective KFP options: neutral ones mapped, then the kfp block."""
    merged: dict[str, Any] = {}
    for key, value in node.options.get("neutral", {}).items():
        target_key, mapped, problem = map_neutral("kfp", key, value)
        if problem is not None:
            raise OptionProblem(problem)
        if target_key is not None:
            merged[target_key] = mapped
    merged.update(node.options.get("kfp", {}))
    return merged


def node_options(node: Node | None, wf: Workflow) -> dict[str, Any]:
    """The KFP options a node's step gets: the workflow's defaults (image, packages, ...),
    then the node's own (kfp_options); packages and embedded modules add up. Sorted."""
    defaults = wf.workflow_options.get("kfp", {})
    own = kfp_options(node) if node is not None else {}
    options = {**{k: v for k, v in defaults.items() if k in _DEFAULTED}, **own}
    packages = _unique([*defaults.get("packages", ()), *own.get("packages", ())])
    modules = sorted({*defaults.get("embed_modules", ()), *own.get("embed_modules", ())})
    options.update({key: value for key, value in (("packages", packages), ("embed_modules", modules)) if value})
    return dict(sorted(options.items()))


def settings(node: Node | None, wf: Workflow) -> NodeSettings:
    """The node's settings (None: the workflow's defaults alone, for the outputs step)."""
    options = node_options(node, wf)
    neutral = node.options.get("neutral", {}) if node is not None else {}
    return NodeSettings(
        task=task_settings(options),
        display_name=options.get("display_name"),
        container=container_settings(options),
        install={k: options[k] for k in ("packages", "pip_index_urls", "runtime_package") if options.get(k)},
        modules=tuple(options.get("embed_modules", ())),
        platform=platform_settings(options),
        step=step_options(neutral),
    )


_DEFAULTED = ("image", "pip_index_urls", "runtime_package")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def step_options(neutral: dict[str, Any]) -> dict[str, Any]:
    """What the step does itself: seed, setup, and fuseflow's storage (cache, always_read)."""
    step = {k: neutral[k] for k in STEP_OPTIONS if neutral.get(k) is not None}
    if neutral.get("cache") is False:
        step["cache"] = False
    if neutral.get("always_read"):
        step["always_read"] = True
    return step


def task_settings(options: dict[str, Any]) -> dict:
    """cachingOptions and retryPolicy, as kfp's PipelineTask writes them."""
    task: dict[str, Any] = {"cachingOptions": {"enableCache": True} if options.get("caching", True) else {}}
    retries = options.get("retries", 0)
    if retries:
        task["retryPolicy"] = {
            "backoffDuration": f"{options.get('retry_backoff_duration', 0)}s",
            "backoffFactor": float(options.get("retry_backoff_factor", 2.0)),
            "backoffMaxDuration": f"{options.get('retry_backoff_max_duration', 3600)}s",
            "maxRetryCount": retries,
        }
    return task


def container_settings(options: dict[str, Any]) -> dict:
    container: dict[str, Any] = {"image": options.get("image", DEFAULT_IMAGE)}
    env = options.get("env")
    if env:
        container["env"] = [{"name": name, "value": env[name]} for name in sorted(env)]
    resources = resource_settings(options)
    if resources:
        container["resources"] = resources
    return container


def resource_settings(options: dict[str, Any]) -> dict:
    """Requests, limits and the accelerator, in the new (resource*) and the old fields
    as kfp writes both, so older KFP backends read them too."""
    resources: dict[str, Any] = {}
    for key, name in (("cpu_request", "CpuRequest"), ("cpu_limit", "CpuLimit")):
        if key in options:
            cpu = options[key]
            resources["resource" + name] = cpu
            resources[name[0].lower() + name[1:]] = float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    for key, name in (("memory_request", "MemoryRequest"), ("memory_limit", "MemoryLimit")):
        if key in options:
            resources["resource" + name] = format_size_k8s(options[key])
            resources[name[0].lower() + name[1:]] = options[key] / 1e9
    count = options.get("accelerator_limit")
    kind = options.get("accelerator_type")
    if kind or count:
        kind = kind or DEFAULT_ACCELERATOR
        count = 1 if count is None else count
        resources["accelerator"] = {"count": str(count), "resourceCount": str(count),
                                    "resourceType": kind, "type": kind}
    return resources


def _constant(name: str) -> dict:
    return {"runtimeValue": {"constant": name}}


def _secret_env(secrets: dict) -> list:
    return [{"keyToEnv": [{"envVar": env, "secretKey": secrets[s][env]} for env in sorted(secrets[s])],
             "optional": False, "secretName": s, "secretNameParameter": _constant(s)} for s in sorted(secrets)]


def _secret_volumes(volumes: dict) -> list:
    return [{"mountPath": volumes[s], "optional": False, "secretName": s, "secretNameParameter": _constant(s)}
            for s in sorted(volumes)]


def _config_map_env(maps: dict) -> list:
    return [{"configMapName": c, "configMapNameParameter": _constant(c), "optional": False,
             "keyToEnv": [{"configMapKey": maps[c][env], "envVar": env} for env in sorted(maps[c])]}
            for c in sorted(maps)]


def _config_map_volumes(volumes: dict) -> list:
    return [{"configMapName": c, "configMapNameParameter": _constant(c), "mountPath": volumes[c], "optional": False}
            for c in sorted(volumes)]


def _pvc_mounts(pvcs: dict) -> list:
    return [{"constant": p, "mountPath": pvcs[p], "pvcNameParameter": _constant(p)} for p in sorted(pvcs)]


def _toleration(item: dict) -> dict:
    out = {k: item[k] for k in ("key", "operator", "value", "effect") if item.get(k)}
    if item.get("toleration_seconds") is not None:
        out["tolerationSeconds"] = str(item["toleration_seconds"])
    return out


# option -> (platform spec key, how kfp-kubernetes writes the value)
_PLATFORM = {
    "timeout": ("activeDeadlineSeconds", str),
    "secret_env": ("secretAsEnv", _secret_env),
    "secret_volumes": ("secretAsVolume", _secret_volumes),
    "config_map_env": ("configMapAsEnv", _config_map_env),
    "config_map_volumes": ("configMapAsVolume", _config_map_volumes),
    "pvc_mounts": ("pvcMount", _pvc_mounts),
    "node_selector": ("nodeSelector", lambda labels: {"labels": dict(sorted(labels.items()))}),
    "tolerations": ("tolerations", lambda items: [_toleration(t) for t in items]),
    "image_pull_secrets": ("imagePullSecret", lambda names: [{"secretName": s, "secretNameParameter": _constant(s)}
                                                              for s in names]),
    "image_pull_policy": ("imagePullPolicy", str),
}


def platform_settings(options: dict[str, Any]) -> dict:
    """The executor's kfp-kubernetes config: the keys kfp.kubernetes writes, same shapes."""
    k8s = {key: write(options[option]) for option, (key, write) in _PLATFORM.items() if options.get(option)}
    kinds = (("labels", "pod_labels"), ("annotations", "pod_annotations"))
    metadata = {key: dict(sorted(options[option].items())) for key, option in kinds if options.get(option)}
    if metadata:
        k8s["podMetadata"] = metadata
    return k8s
