"""`fusec submit FILE [--target kfp] --host URL`: compile for KFP and start a run with kfp.Client.

    fusec submit pipeline.fuse --host https://kfp.example.com -p n=500 --experiment nightly

KFP is `fusec submit`'s default target (fuseflow.targets.submit holds the command).

Exit status: 0 the run was created (its id is printed), 1 the file has errors
or the endpoint refused or could not be reached, 2 usage error.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ..submit import command, reason

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub) -> None:
    """KFP's flags and way of submitting, under the one `fusec submit` (fuseflow.targets.submit)."""
    command(sub).add_target("kfp", "start a run on a Kubeflow Pipelines endpoint with kfp.Client",
                            add_arguments, cmd_submit)


def add_arguments(group) -> None:
    group.add_argument("--host", metavar="URL", help="the KFP API endpoint, e.g. http://localhost:8080 (required)")
    group.add_argument("--experiment", metavar="NAME", help="the experiment to add the run to")
    group.add_argument("--run-name", metavar="NAME", help="the run's name in the KFP UI")
    group.add_argument("--namespace", metavar="NS", help="Kubernetes namespace (multi-user KFP)")


def cmd_submit(args) -> int:
    # deferred: the compiler and the generator load when a pipeline is submitted, not to build the parser
    from ...compiler import files
    from ...compiler.errors import UsageError
    from ...runtime.extras import optional
    from .generate import compile_pipeline

    if not args.host:
        raise UsageError("fusec submit --target kfp needs --host URL, the KFP API endpoint")
    workflow, warnings = files.load(args.file, files.define_values(args.defines))
    sys.stderr.write(warnings)
    text, names = compile_pipeline(workflow, Path(args.file).resolve().parent)
    try:
        arguments = submit_arguments(workflow, names, args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with optional("kfp", "fusec submit"):
        import kfp  # optional backend: only with the kfp extra
    with tempfile.TemporaryDirectory(prefix="fusec-submit-") as tmp:
        path = Path(tmp) / f"{names.pipeline}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            client = kfp.Client(host=args.host, namespace=args.namespace or "kubeflow")
            result = client.create_run_from_pipeline_package(
                str(path), arguments=arguments, run_name=args.run_name, experiment_name=args.experiment,
                namespace=args.namespace)
        except Exception as exc:  # kfp raises urllib3, ApiException, ValueError ... : say what happened
            print(f"fusec: error: could not start a run at {args.host}: {reason(exc)}", file=sys.stderr)
            return EXIT_FAILED
    print(f"started run {result.run_id} of pipeline {names.pipeline} at {args.host}")
    return EXIT_OK


def submit_arguments(workflow, names, args) -> dict:
    """The params given with -p (typed; the YAML holds the defaults), --storage and --rerun,
    encoded as the steps read them (fuseflow.targets.kfp.values)."""
    # deferred: loaded when a pipeline is submitted, not to build the parser
    from ...runtime.params import Param, parse_assignments, resolve
    from .values import encode

    texts = parse_assignments(args.param)
    params = [Param(p.name, p.type, p.default, False) for p in workflow.params]
    values = resolve(params, {}, texts)
    arguments = {name: values[name] for name in texts}
    missing = [p.name for p in workflow.params if p.required and p.name not in texts]
    if missing:
        raise ValueError(f"missing required param '{missing[0]}'; pass -p {missing[0]}=VALUE")
    if args.storage:
        arguments[names.storage_input] = args.storage
    if args.rerun:
        arguments[names.rerun_input] = args.rerun
    return encode(arguments)
