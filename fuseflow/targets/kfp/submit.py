"""`fusec submit FILE --host URL`: compile for KFP and start a run with kfp.Client.

    fusec submit pipeline.fuse --host https://kfp.example.com -p n=500 --experiment nightly

Exit status: 0 the run was created (its id is printed), 1 the file has errors
or the endpoint refused or could not be reached, 2 usage error.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub) -> None:
    p = sub.add_parser("submit", help="compile for Kubeflow Pipelines and start a run on a KFP endpoint",
                       description="Compile a .fuse file to a KFP pipeline and start a run with kfp.Client "
                                   "(needs the kfp package). See docs/kfp.md.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--host", required=True, metavar="URL", help="the KFP API endpoint, e.g. http://localhost:8080")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="set a param (repeatable)")
    p.add_argument("--storage", metavar="URL",
                   help="the fuseflow store the steps use: an absolute path on a mounted volume, or s3://...")
    p.add_argument("--rerun", metavar="REGEX", help="recompute matching nodes and everything downstream")
    p.add_argument("--experiment", metavar="NAME", help="the experiment to add the run to")
    p.add_argument("--run-name", metavar="NAME", help="the run's name in the KFP UI")
    p.add_argument("--namespace", metavar="NS", help="Kubernetes namespace (multi-user KFP)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    p.add_argument("-D", dest="defines", action="append", metavar="NAME=VALUE", default=[],
                   help="override a `let` constant (repeatable)")
    p.set_defaults(func=cmd_submit)


def cmd_submit(args) -> int:
    # deferred: the compiler and the generator load when a pipeline is submitted, not to build the parser
    from ...compiler import files
    from ...compiler.errors import UsageError
    from ...runtime.extras import optional
    from .generate import compile_pipeline

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


def reason(exc: BaseException) -> str:
    """The gist of a client error: "[Errno 111] Connection refused" rather than a page of urllib3."""
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    if errno:
        return errno.group(0).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
