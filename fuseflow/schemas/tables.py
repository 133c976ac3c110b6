"""The option tables: what each target accepts, and what it leaves out on purpose.

Static data only: nothing here imports Ray, Prefect or KFP. The tests in
``tests/compiler/test_schemas.py`` hold every row against the installed
libraries (Ray 2.60, Prefect 3.9, kfp / kfp-kubernetes 2.17 when written).
"""

from __future__ import annotations

from .spec import OptionSpec

TARGETS = ("neutral", "ray", "prefect", "kfp")

# --- neutral: every target ------------------------------------------------------

NEUTRAL = (
    OptionSpec("retries", "nonneg_int", "how many times a failed node is run again"),
    OptionSpec("retry_delay", "duration", "how long to wait before each retry"),
    OptionSpec("timeout", "duration", "fail an attempt of the node that runs longer than this"),
    OptionSpec("cpus", "number", "CPUs the node needs (fractions allowed)"),
    OptionSpec("gpus", "number", "GPUs the node needs"),
    OptionSpec("memory", "size", "memory the node needs"),
    OptionSpec("cache", "bool", "false: always run the node and do not store its result (a print or log node)"),
    OptionSpec(
        "seed", "nonneg_int", "seed for Python's and NumPy's random generators, set on the worker before the node runs"
    ),
    OptionSpec("setup", "callable", "an imported callable run on the worker before the node"),
    OptionSpec("env", "env", "environment variables set while the node runs"),
    OptionSpec("always_read", "bool", "re-read the result from storage right after saving it (checks it round-trips)"),
)

# --- ray: Ray's own .options() keys of tasks and actors ---------------------------

RAY = (
    OptionSpec("num_cpus", "number", "logical CPUs reserved for the task or actor"),
    OptionSpec("num_gpus", "number", "GPUs reserved for the task or actor"),
    OptionSpec("memory", "size", "heap memory reserved for scheduling (not enforced)"),
    OptionSpec("resources", "resources", "custom resources to reserve, e.g. {\"_model\": 1}"),
    OptionSpec("accelerator_type", "str", "run only on nodes with this accelerator, e.g. \"A100\""),
    OptionSpec("runtime_env", "dict", "Ray runtime environment: pip, env_vars, working_dir, ..."),
    OptionSpec("scheduling_strategy", "choice", "placement across nodes", choices=("DEFAULT", "SPREAD")),
    OptionSpec("label_selector", "str_dict", "run only on nodes whose labels match"),
    OptionSpec(
        "fallback_strategy", "dict_list", "label selectors to try, in order, when label_selector matches no node"
    ),
    OptionSpec("enable_task_events", "bool", "false: do not report this task's events to the dashboard"),
    OptionSpec(
        "max_retries", "count", "retries after a worker crash (or an exception, with retry_exceptions)",
        applies_to="task",
    ),
    OptionSpec(
        "retry_exceptions", "retry_exceptions",
        "also retry when the task raises (true), or raises one of these classes", applies_to="task",
    ),
    OptionSpec("max_restarts", "count", "how often Ray restarts the actor after it dies", applies_to="actor"),
    OptionSpec("max_task_retries", "count", "retries of an actor method when the actor dies", applies_to="actor"),
)

RAY_WORKFLOW = (
    OptionSpec("max_pending", "positive_int", "bound on the tasks in flight at once", scope="workflow"),
    OptionSpec(
        "init", "dict", "keyword arguments of ray.init when fuseflow starts a local Ray",
        scope="workflow", api=("ray.init",),
    ),
    OptionSpec(
        "address", "str", "the Ray cluster to join, e.g. \"auto\" or \"ray://head:10001\"",
        scope="workflow", api=("ray.init(address)",),
    ),
)

# Every other key of ray._common.ray_option_utils.task_options / actor_options,
# with the reason fuseflow leaves it out (a test keeps this list complete).
RAY_EXCLUDED = {
    "name": "fuseflow names each task after its node",
    "namespace": "named actors are not exposed: fuseflow owns each object node's lifetime",
    "lifetime": "a detached actor would outlive the run; fuseflow owns each object node's lifetime",
    "get_if_exists": "named actors are not exposed: fuseflow owns each object node's lifetime",
    "num_returns": "a node returns one value; index its result instead",
    "max_calls": "only @ray.remote accepts it, not .options(), which sets per-node options",
    "concurrency_groups": "needs @ray.method annotations on the class; .options() refuses it",
    "enable_tensor_transport": "needs @ray.method(tensor_transport=...) annotations on the class",
    "allow_out_of_order_execution": "fuseflow runs the method calls of an object in source order",
    "max_concurrency": "above 1 Ray runs an actor's calls out of order; fuseflow runs them in source order",
    "max_pending_calls": "Ray raises PendingCallsLimitExceeded past it instead of waiting; use workflow max_pending",
    "object_store_memory": "deprecated for actors and not implemented for tasks",
    "placement_group": "deprecated by Ray, and needs a PlacementGroup object",
    "placement_group_bundle_index": "deprecated by Ray, and needs a PlacementGroup object",
    "placement_group_capture_child_tasks": "deprecated by Ray, and needs a PlacementGroup object",
    "_labels": "private to Ray",
    "_generator_backpressure_num_objects": "private to Ray (generator tasks)",
    "_num_objects_per_yield": "private to Ray (generator tasks)",
    "_actor_generator_backpressure_num_objects": "private to Ray (generator tasks)",
}

# --- prefect: @task and @flow parameters -----------------------------------------


def _task(name: str, kind: str, doc: str, with_options: bool = True, choices: tuple[str, ...] = ()) -> OptionSpec:
    api = (f"prefect.task({name})",) + ((f"prefect.tasks.Task.with_options({name})",) if with_options else ())
    return OptionSpec(name, kind, doc, api=api, choices=choices)


def _flow(name: str, kind: str, doc: str) -> OptionSpec:
    api = (f"prefect.flow({name})", f"prefect.flows.Flow.with_options({name})")
    return OptionSpec(name, kind, doc, scope="workflow", api=api)


PREFECT_CACHE_POLICIES = ("default", "inputs", "task_source", "run_id", "flow_parameters", "none")

PREFECT = (
    _task("tags", "str_list", "tags of the task run (concurrency limits, filtering in the UI)"),
    _task("description", "str", "the task's description in the UI"),
    _task(
        "version", "str", "the task's version string (prefect.task only: Task.with_options has no version)",
        with_options=False,
    ),
    _task("retries", "nonneg_int", "how many times Prefect retries the task run"),
    _task("retry_delay_seconds", "number_or_list", "seconds before each retry, or one delay per retry"),
    _task("retry_jitter_factor", "number", "random jitter added to retry delays, as a factor of the delay"),
    _task(
        "retry_condition_fn", "callable",
        "an imported callable (task, task_run, state) -> bool deciding whether to retry",
    ),
    _task("timeout_seconds", "number", "fail the task run after this many seconds"),
    _task("log_prints", "bool", "send print() output of the task to Prefect's logs"),
    _task("persist_result", "bool", "persist the task's result with Prefect (besides fuseflow's storage)"),
    _task(
        "cache_policy", "choice", "Prefect's own cache key policy (prefect.cache_policies)",
        choices=PREFECT_CACHE_POLICIES,
    ),
    _task("cache_expiration", "duration", "how long Prefect's cached result stays valid"),
    _task("refresh_cache", "bool", "true: run the task and refresh Prefect's cache even on a hit"),
    _task("cache_result_in_memory", "bool", "false: do not keep the result in memory after the task run"),
    _task("on_completion", "callable_list", "imported hooks called when the task run completes"),
    _task("on_failure", "callable_list", "imported hooks called when the task run fails"),
    _task("on_running", "callable_list", "imported hooks called when the task run starts"),
)

PREFECT_TASK_RUNNERS = {
    "threads": "prefect.task_runners:ThreadPoolTaskRunner",
    "processes": "prefect.task_runners:ProcessPoolTaskRunner",
    "ray": "prefect_ray.task_runners:RayTaskRunner",
    "dask": "prefect_dask.task_runners:DaskTaskRunner",
}

PREFECT_WORKFLOW = (
    OptionSpec(
        "task_runner", "choice_or_callable",
        "what runs the tasks: a name, an imported TaskRunner class or a \"module:Class\" path",
        scope="workflow", choices=tuple(PREFECT_TASK_RUNNERS),
        api=("prefect.flow(task_runner)", "prefect.flows.Flow.with_options(task_runner)"),
    ),
    OptionSpec(
        "max_workers", "positive_int", "threads or processes of the \"threads\" / \"processes\" task runner",
        scope="workflow",
        api=(
            "prefect.task_runners.ThreadPoolTaskRunner(max_workers)",
            "prefect.task_runners.ProcessPoolTaskRunner(max_workers)",
        ),
    ),
    _flow("log_prints", "bool", "send print() output of the flow and its tasks to Prefect's logs"),
    _flow("flow_run_name", "str", "name of each flow run; may use parameters, e.g. \"train-{seed}\""),
    _flow("description", "str", "the flow's description in the UI and in deployments"),
    _flow("version", "str", "the flow's version string"),
    _flow("retries", "nonneg_int", "how many times Prefect retries the whole flow run"),
    _flow("retry_delay_seconds", "number", "seconds before each flow retry"),
    _flow("timeout_seconds", "number", "fail the flow run after this many seconds"),
    _flow("validate_parameters", "bool", "false: do not validate flow parameters with pydantic"),
    _flow("persist_result", "bool", "persist the flow's result with Prefect"),
    _flow("cache_result_in_memory", "bool", "false: do not keep the flow's result in memory"),
    _flow("on_completion", "callable_list", "imported hooks called when the flow run completes"),
    _flow("on_failure", "callable_list", "imported hooks called when the flow run fails"),
    _flow("on_cancellation", "callable_list", "imported hooks called when the flow run is cancelled"),
    _flow("on_crashed", "callable_list", "imported hooks called when the flow run crashes"),
    _flow("on_running", "callable_list", "imported hooks called when the flow run starts"),
)

# Every other parameter of prefect.task / Task.with_options (node) and of
# prefect.flow / Flow.with_options (workflow); a test keeps these complete.
PREFECT_EXCLUDED = {
    "name": "fuseflow names each task after its node",
    "task_run_name": "fuseflow names each task run after its node",
    "cache_key_fn": "use cache_policy: Prefect 3 builds cache keys from policies",
    "result_storage": "fuseflow's storage keeps results; a storage block is not a literal",
    "result_storage_key": "fuseflow's storage keeps results under the node's name",
    "result_serializer": "fuseflow's storage serializes results",
    "viz_return_value": "only for Prefect's flow visualization, which fusec graph replaces",
    "asset_deps": "Prefect assets belong to @materialize, which fuseflow does not generate",
}
PREFECT_WORKFLOW_EXCLUDED = {
    "name": "the workflow statement names the flow",
    "result_storage": "fuseflow's storage keeps results; a storage block is not a literal",
    "result_serializer": "fuseflow's storage serializes results",
}

# --- kfp: PipelineTask settings, component settings and kfp-kubernetes --------------

_T = "kfp.dsl.PipelineTask."
_K = "kfp.kubernetes."


def _kfp(name: str, kind: str, doc: str, *api: str, choices: tuple[str, ...] = ()) -> OptionSpec:
    return OptionSpec(name, kind, doc, api=api, choices=choices)


KFP = (
    _kfp("image", "str", "container image of the step", "kfp.dsl.component(base_image)"),
    _kfp(
        "packages", "str_list", "pip packages installed when the step starts", "kfp.dsl.component(packages_to_install)"
    ),
    _kfp("pip_index_urls", "str_list", "package indexes for packages", "kfp.dsl.component(pip_index_urls)"),
    _kfp("runtime_package", "str", "pip spec of the fuseflow runtime when the image lacks it"),
    _kfp("embed_modules", "module_list", "local modules whose source is embedded into the YAML"),
    _kfp("display_name", "str", "the step's name in the KFP UI", _T + "set_display_name(name)"),
    _kfp(
        "caching", "bool", "let KFP reuse an earlier execution of the step", _T + "set_caching_options(enable_caching)"
    ),
    _kfp("retries", "nonneg_int", "how many times KFP retries the step", _T + "set_retry(num_retries)"),
    _kfp(
        "retry_backoff_duration", "whole_duration", "wait before the first retry", _T + "set_retry(backoff_duration)"
    ),
    _kfp(
        "retry_backoff_factor", "number", "factor applied to the wait after each retry",
        _T + "set_retry(backoff_factor)",
    ),
    _kfp(
        "retry_backoff_max_duration", "whole_duration", "longest wait between retries",
        _T + "set_retry(backoff_max_duration)",
    ),
    _kfp("cpu_request", "cpu", "CPUs reserved for the step", _T + "set_cpu_request(cpu)"),
    _kfp("cpu_limit", "cpu", "CPUs the step may use at most", _T + "set_cpu_limit(cpu)"),
    _kfp("memory_request", "size", "memory reserved for the step", _T + "set_memory_request(memory)"),
    _kfp("memory_limit", "size", "memory the step may use at most", _T + "set_memory_limit(memory)"),
    _kfp(
        "accelerator_type", "str", "accelerator resource, e.g. \"nvidia.com/gpu\"",
        _T + "set_accelerator_type(accelerator)",
    ),
    _kfp(
        "accelerator_limit", "nonneg_int", "how many accelerators the step gets", _T + "set_accelerator_limit(limit)"
    ),
    _kfp("env", "env", "environment variables of the step's container", _T + "set_env_variable(name)"),
    _kfp("timeout", "whole_duration", "the pod's active deadline", _K + "set_timeout(seconds)"),
    _kfp(
        "secret_env", "env_from", "environment variables read from secrets: {secret: {ENV_VAR: key}}",
        _K + "use_secret_as_env(secret_key_to_env)",
    ),
    _kfp(
        "secret_volumes", "path_dict", "secrets mounted as files: {secret: mount_path}",
        _K + "use_secret_as_volume(mount_path)",
    ),
    _kfp(
        "config_map_env", "env_from", "environment variables read from config maps: {config_map: {ENV_VAR: key}}",
        _K + "use_config_map_as_env(config_map_key_to_env)",
    ),
    _kfp(
        "config_map_volumes", "path_dict", "config maps mounted as files: {config_map: mount_path}",
        _K + "use_config_map_as_volume(mount_path)",
    ),
    _kfp(
        "pvc_mounts", "path_dict", "persistent volume claims mounted: {pvc: mount_path}", _K + "mount_pvc(mount_path)"
    ),
    _kfp("node_selector", "str_dict", "run only on nodes with these labels", _K + "add_node_selector(label_key)"),
    _kfp("tolerations", "tolerations", "taints the step's pod tolerates", _K + "add_toleration(key)"),
    _kfp(
        "image_pull_secrets", "str_list", "secrets used to pull the image", _K + "set_image_pull_secrets(secret_names)"
    ),
    _kfp(
        "image_pull_policy", "choice", "when to pull the image", _K + "set_image_pull_policy(policy)",
        choices=("Always", "IfNotPresent", "Never"),
    ),
    _kfp("pod_labels", "str_dict", "labels of the step's pod", _K + "add_pod_label(label_key)"),
    _kfp("pod_annotations", "str_dict", "annotations of the step's pod", _K + "add_pod_annotation(annotation_key)"),
)

KFP_WORKFLOW = tuple(
    OptionSpec(name, kind, doc, scope="workflow", api=api)
    for name, kind, doc, api in (
        ("image", "str", "default container image of every step", ("kfp.dsl.component(base_image)",)),
        ("packages", "str_list", "pip packages installed in every step", ("kfp.dsl.component(packages_to_install)",)),
        ("pip_index_urls", "str_list", "package indexes for packages", ("kfp.dsl.component(pip_index_urls)",)),
        ("runtime_package", "str", "pip spec of the fuseflow runtime when the image lacks it", ()),
        ("embed_modules", "module_list", "local modules whose source is embedded into the YAML", ()),
        ("description", "str", "the pipeline's description", ("kfp.dsl.pipeline(description)",)),
        ("display_name", "str", "the pipeline's name in the KFP UI", ("kfp.dsl.pipeline(display_name)",)),
        (
            "pipeline_root", "str", "where KFP keeps the pipeline's artifacts, e.g. \"s3://bucket/root\"",
            ("kfp.dsl.pipeline(pipeline_root)",),
        ),
    )
)

# PipelineTask methods and kfp.kubernetes functions no option uses, and why
# (a test keeps this complete, so a new KFP setting is a conscious choice).
KFP_UNEXPOSED = {
    _T + "after": "order comes from the data flow",
    _T + "ignore_upstream_failure": "a fuseflow node needs its inputs",
    _T + "set_container_image": "use image",
    _T + "set_gpu_limit": "deprecated by KFP; use accelerator_limit",
    _T + "add_node_selector_constraint": "deprecated by KFP; use accelerator_type",
    _T + "set_debug_pause": "a debugging aid for one run, not a pipeline setting",
    _K + "CreatePVC": "creates a volume as a step of its own, not a setting",
    _K + "DeletePVC": "deletes a volume as a step of its own, not a setting",
    _K + "add_ephemeral_volume": "not exposed yet",
    _K + "empty_dir_mount": "not exposed yet",
    _K + "add_node_affinity": "not exposed yet; node_selector covers the common case",
    _K + "add_node_affinity_json": "takes a pipeline input, not a literal",
    _K + "add_node_selector_json": "takes a pipeline input; node_selector takes literals",
    _K + "add_toleration_json": "takes a pipeline input; tolerations takes literals",
    _K + "use_field_path_as_env": "not exposed yet",
    _K + "set_security_context": "not exposed yet",
}

# --- the tables by target and scope ------------------------------------------------


def _by_name(specs: tuple[OptionSpec, ...]) -> dict[str, OptionSpec]:
    return {spec.name: spec for spec in specs}


TABLES: dict[str, dict[str, dict[str, OptionSpec]]] = {
    "neutral": {"node": _by_name(NEUTRAL), "workflow": {}},
    "ray": {"node": _by_name(RAY), "workflow": _by_name(RAY_WORKFLOW)},
    "prefect": {"node": _by_name(PREFECT), "workflow": _by_name(PREFECT_WORKFLOW)},
    "kfp": {"node": _by_name(KFP), "workflow": _by_name(KFP_WORKFLOW)},
}

EXCLUDED: dict[str, dict[str, dict[str, str]]] = {
    "neutral": {"node": {}, "workflow": {}},
    "ray": {"node": RAY_EXCLUDED, "workflow": {}},
    "prefect": {"node": PREFECT_EXCLUDED, "workflow": PREFECT_WORKFLOW_EXCLUDED},
    "kfp": {"node": {}, "workflow": {}},
}
