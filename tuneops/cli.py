"""The ``tuneops`` command line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tuneops.config import ConfigError, Params, deep_merge, load_params

app = typer.Typer(help="tuneops: raw enterprise text -> curated, versioned data -> gated LoRA adapter.", no_args_is_help=True)
pii_app = typer.Typer(help="PII masking.", no_args_is_help=True)
snapshots_app = typer.Typer(help="DVC dataset snapshots.", no_args_is_help=True)
models_app = typer.Typer(help="MLflow registered models.", no_args_is_help=True)
app.add_typer(pii_app, name="pii")
app.add_typer(snapshots_app, name="snapshots")
drift_app = typer.Typer(help="Drift between training data and production inputs.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(drift_app, name="drift")
console = Console(stderr=True)

PARAMS_OPTION = typer.Option(Path("params.yaml"), "--params", "-p", help="Params YAML file.")

# Prefect waits 20 s (of sleep, not wall time) for a temporary server to answer. Its first start
# migrates a fresh SQLite database, which takes longer than that on a busy 2-core machine.
EPHEMERAL_SERVER_STARTUP_S = 180


@contextmanager
def _prefect_backend() -> Iterator[None]:
    """Run flows against PREFECT_API_URL, or give a temporary server time to start where none is set.

    A user's own PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS wins over ours.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

    if PREFECT_API_URL.value() or "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in os.environ:
        yield
        return
    with temporary_settings({PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: EPHEMERAL_SERVER_STARTUP_S}):
        yield


def parse_overrides(assignments: list[str]) -> dict:
    """Turn ``["train.max_steps=5", ...]`` into a nested mapping (values parsed as YAML)."""
    overrides: dict = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {assignment!r}")
        nested: dict = {}
        cursor = nested
        parts = key.split(".")
        for part in parts[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[parts[-1]] = yaml.safe_load(raw)
        overrides = deep_merge(overrides, nested)
    return overrides


def _load(params_file: Path, assignments: list[str] | None = None) -> Params:
    try:
        return load_params(params_file, parse_overrides(assignments or []))
    except ConfigError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} lines"),
                    TimeElapsedColumn(), console=console)


@app.command()
def run(
    params_file: Path = PARAMS_OPTION,
    set_: list[str] = typer.Option([], "--set", help="Override a param, e.g. --set train.max_steps=10."),
) -> None:
    """Run the whole pipeline once as a Prefect flow and print where to look."""
    params = _load(params_file, set_)
    from flows.pipeline import pipeline

    with _prefect_backend():
        summary = pipeline(str(params_file), parse_overrides(set_))
    table = Table(title="tuneops run", show_header=False)
    for key in ("snapshot_id", "mlflow_run_id", "mlflow_tracking_uri", "model_name", "model_version", "previous_champion", "decision"):
        table.add_row(key, str(summary[key]))
    for model, metrics in summary["metrics"].items():
        shown = ("json_valid", "category_accuracy", "priority_accuracy", "regression_accuracy", "eval_loss")
        table.add_row(f"{model} metrics", ", ".join(f"{k}={metrics[k]:.3f}" for k in shown if k in metrics))
    Console().print(table)
    for reason in summary["reasons"]:
        Console().print(f"  {reason}")
    Console().print(f"Look: `prefect server start` (flow runs and artifacts), "
                    f"`mlflow ui --backend-store-uri {params.mlflow_uri}` (runs, registry), "
                    f"`tuneops snapshots show {summary['snapshot_id'][:12]}` (lineage).")


@app.command()
def curate(
    inputs: list[Path] = typer.Argument(..., help="Raw JSONL files or directories."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    params_file: Path = PARAMS_OPTION,
    validate: bool = typer.Option(True, help="Run the Great Expectations suites."),
    workers: int = typer.Option(None, "--workers", "-j", help="Processes for parse/PII/dedup (0 = all cores; default curate.workers)."),
) -> None:
    """Curate INPUTs into OUT/{train,eval,duplicates,quarantine}.jsonl and OUT/report.json."""
    from tuneops.curate.pipeline import curate_to_dir, load_curated, write_report

    params = _load(params_file)
    masker = _masker(params)
    with _progress() as progress:
        bar = progress.add_task("curating", total=None)
        counts = curate_to_dir(inputs, params.curate, out, masker, root=Path.cwd(),
                               progress=lambda n: progress.update(bar, completed=n), workers=workers)
        progress.update(bar, completed=counts.inputs)
    validation = None
    if validate:
        from tuneops.curate.validate import validate_curated

        validation = validate_curated(load_curated(out), counts.duplicates, counts.inputs - counts.quarantined, params.curate, masker)
    report = write_report(out, counts, validation)
    typer.echo(json.dumps(report["counts"], indent=2))
    if validation is not None and not validation["success"]:
        console.print(f"[red]validation failed; see {out / 'report.json'}[/red]")
        raise typer.Exit(1)


def _masker(params: Params):
    """The curation masker with the key from the environment, else the Prefect Secret block (as the flows do)."""
    from tasks.curate_tasks import SECRET_BLOCK, pseudonym_key
    from tuneops.curate.pipeline import build_masker, pseudonym_key_from_env

    try:
        key = pseudonym_key(params)
    except Exception:  # noqa: BLE001 - no reachable Prefect API for the Secret block: the environment only
        key = pseudonym_key_from_env(params.curate)
    if params.curate.pii.mode == "pseudonym" and not key:
        console.print(f"[red]pseudonym mode needs a key: set ${params.curate.pii.key_env} or the Prefect "
                      f"Secret block '{SECRET_BLOCK}'[/red]")
        raise typer.Exit(2)
    return build_masker(params.curate, key)


QUARANTINE_OPTION = typer.Option(None, "--quarantine", help="Rejected lines with line number and reason "
                                  "(default: OUTPUT's name with .quarantine.jsonl).")


def _run_file_stage(label: str, quarantine: Path, run):
    """Run one file's stage (``run(progress)``) under a progress bar of lines, then say on stderr how
    many lines were quarantined, where, and why (the first few). Returns its ``FileCounts``."""
    with _progress() as progress:
        bar = progress.add_task(label, total=None)
        counts = run(lambda lines: progress.update(bar, completed=lines))
    if counts.quarantined:
        console.print(f"[yellow]{counts.quarantined} of {counts.lines} lines quarantined to {quarantine}[/yellow]")
        for reason in counts.quarantine_reasons:
            console.print(f"  {reason}")
    return counts


@pii_app.command("mask")
def pii_mask(
    input_file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                      help="JSONL in any accepted format (chat, prompt/completion, Alpaca)."),
    output: Path = typer.Option(..., "-o", "--output", help="Masked JSONL (same ids and structure)."),
    quarantine: Path = QUARANTINE_OPTION,
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Mask PII in every record's content; ids, structure and metadata are kept, bad lines quarantined."""
    from tuneops.curate.files import default_quarantine_path, mask_file

    params = _load(params_file)
    masker = _masker(params)
    quarantine = quarantine or default_quarantine_path(output)
    counts = _run_file_stage("masking", quarantine, lambda progress: mask_file(
        input_file, output, quarantine, masker, params.curate, progress=progress))
    typer.echo(json.dumps({"records": counts.written, "quarantined": counts.quarantined,
                           "pii": dict(sorted(counts.pii.items()))}))


@app.command()
def dedup(
    input_file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                      help="JSONL in any accepted format (chat, prompt/completion, Alpaca)."),
    output: Path = typer.Option(..., "-o", "--output", help="Kept records."),
    duplicates: Path = typer.Option(..., "--duplicates", help="One {id, duplicate_of} line per removed record."),
    quarantine: Path = QUARANTINE_OPTION,
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Remove exact and near duplicates, keeping the first occurrence; bad lines are quarantined."""
    from tuneops.curate.files import dedup_file, default_quarantine_path

    params = _load(params_file)
    quarantine = quarantine or default_quarantine_path(output)
    counts = _run_file_stage("deduplicating", quarantine, lambda progress: dedup_file(
        input_file, output, duplicates, quarantine, params.curate, progress=progress))
    typer.echo(json.dumps({"kept": counts.written, "duplicates": counts.removed, "quarantined": counts.quarantined}))


@snapshots_app.command("list")
def snapshots_list(params_file: Path = PARAMS_OPTION) -> None:
    """List catalogued snapshots, newest first."""
    from tasks.version_tasks import snapshot_store

    table = Table("id", "created", "records (train/eval)", "sources", "validation")
    for snapshot in snapshot_store(_load(params_file)).list():
        manifest = snapshot.manifest
        counts = manifest.get("counts", {})
        table.add_row(snapshot.id[:12], manifest.get("created"), f"{counts.get('train')}/{counts.get('eval')}",
                      ", ".join(s["path"] for s in manifest.get("sources", [])),
                      "passed" if (manifest.get("validation") or {}).get("success") else "failed")
    Console().print(table)


@snapshots_app.command("show")
def snapshots_show(snapshot_id: str, params_file: Path = PARAMS_OPTION) -> None:
    """Print a snapshot's lineage manifest as JSON."""
    from tasks.version_tasks import snapshot_store
    from tuneops.snapshots import SnapshotError

    try:
        snapshot = snapshot_store(_load(params_file)).get(snapshot_id)
    except SnapshotError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(snapshot.manifest, indent=2))


@snapshots_app.command("restore")
def snapshots_restore(
    snapshot_id: str = typer.Argument(..., help="Snapshot id (full 32-hex id works without a local catalogue)."),
    to: Path = typer.Option(..., "--to", help="Destination directory."),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Restore a snapshot byte for byte from the DVC cache or remote, verified by checksum."""
    from tasks.version_tasks import snapshot_store
    from tuneops.snapshots import SnapshotError

    try:
        with console.status(f"restoring {snapshot_id}"):
            restored = snapshot_store(_load(params_file)).restore(snapshot_id, to)
    except SnapshotError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    files = sorted(p.name for p in restored.iterdir() if p.is_file())
    typer.echo(f"restored {len(files)} files to {restored}: {', '.join(files)} (checksums verified)")


@app.command()
def lineage(
    model: str = typer.Argument(..., help="MODEL, MODEL:VERSION or MODEL@ALIAS (bare name: @champion)."),
    format_: str = typer.Option("markdown", "--format", help="json or markdown."),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Print the chain: model version -> MLflow run -> snapshot -> raw sources and transformations."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from tasks.version_tasks import snapshot_store
    from tuneops.lineage import build_lineage, lineage_markdown, parse_model_ref, resolve_version
    from tuneops.snapshots import SnapshotError

    if format_ not in ("json", "markdown"):
        raise typer.BadParameter("--format must be json or markdown")
    params = _load(params_file)
    mlflow.set_tracking_uri(params.mlflow_uri)
    client = mlflow.MlflowClient()
    try:
        version = resolve_version(client, parse_model_ref(model))
    except (ValueError, MlflowException) as error:
        console.print(f"[red]{model}: {error}[/red]")
        raise typer.Exit(1) from None
    run = client.get_run(version.run_id)
    manifest = None
    snapshot_id = version.tags.get("snapshot_id", "")
    try:
        manifest = snapshot_store(params).get(snapshot_id).manifest
    except SnapshotError:
        try:  # the run carries a copy of the manifest, for machines without the catalogue
            manifest = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/snapshot/manifest.json")
        except Exception:  # noqa: BLE001 - absent artifact: lineage says the manifest is missing
            manifest = None
    chain = build_lineage(version, run, manifest)
    typer.echo(json.dumps(chain, indent=2, default=str) if format_ == "json" else lineage_markdown(chain))


@models_app.command("list")
def models_list(params_file: Path = PARAMS_OPTION) -> None:
    """List registered model versions with their aliases and decisions."""
    import mlflow
    from mlflow.exceptions import MlflowException

    params = _load(params_file)
    mlflow.set_tracking_uri(params.mlflow_uri)
    client = mlflow.MlflowClient()
    table = Table("model", "version", "aliases", "decision", "snapshot", "run")
    name = params.project.model_name
    try:
        aliases = client.get_registered_model(name).aliases  # alias -> version; search results omit them
    except MlflowException:
        console.print(f"[red]{name}: no registered model yet[/red]")
        raise typer.Exit(1) from None
    for version in client.search_model_versions(f"name='{name}'"):
        held = ",".join(sorted(a for a, v in aliases.items() if str(v) == str(version.version)))
        table.add_row(version.name, str(version.version), held, version.tags.get("decision", ""),
                      version.tags.get("snapshot_id", "")[:12], version.run_id)
    Console().print(table)


def _actor() -> str:
    import getpass

    return os.environ.get("TUNEOPS_ACTOR") or getpass.getuser()


@app.command()
def promote(
    model: str = typer.Argument(..., help="Registered model name."),
    version: str = typer.Argument(..., help="Version to make champion."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded on the version)."),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Manually move the champion alias to VERSION (recorded with who and why)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from tuneops.registry import RegistryError
    from tuneops.registry import promote as promote_version

    mlflow.set_tracking_uri(_load(params_file).mlflow_uri)
    try:
        previous = promote_version(model, version, _actor(), reason)
    except (RegistryError, MlflowException) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"{model}: champion v{previous or '-'} -> v{version}")


@app.command()
def rollback(
    model: str = typer.Argument(..., help="Registered model name."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded on both versions)."),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Move the champion alias back to the previous champion."""
    import mlflow

    from tuneops.registry import RegistryError
    from tuneops.registry import rollback as rollback_champion

    mlflow.set_tracking_uri(_load(params_file).mlflow_uri)
    try:
        from_version, to_version = rollback_champion(model, _actor(), reason)
    except RegistryError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"{model}: champion v{from_version} -> v{to_version} (rolled back)")


@app.command()
def evaluate(
    model: str = typer.Option(..., "--model", help="'base', or MODEL, MODEL:VERSION, MODEL@ALIAS from the registry."),
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the newest)."),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Evaluate a model on a snapshot's eval split with the pipeline's settings; print metrics as JSON."""
    import mlflow

    from tasks.evaluate_tasks import eval_records, regression_items
    from tasks.version_tasks import snapshot_store
    from tuneops.base_models import resolve_base_model
    from tuneops.curate.pipeline import leak_masker
    from tuneops.evaluation import evaluate_model
    from tuneops.lineage import parse_model_ref, resolve_version

    params = _load(params_file)
    store = snapshot_store(params)
    snapshots = [store.get(snapshot)] if snapshot else store.list()[:1]
    if not snapshots:
        console.print("[red]no snapshots yet: run the pipeline first[/red]")
        raise typer.Exit(1)
    records = eval_records(params, {"id": snapshots[0].id})
    adapter = None
    if model != "base":
        mlflow.set_tracking_uri(params.mlflow_uri)
        version = resolve_version(mlflow.MlflowClient(), parse_model_ref(model))
        adapter = Path(mlflow.artifacts.download_artifacts(artifact_uri=version.source))
    regression = regression_items(params, {"id": snapshots[0].id})  # without prompts its training data asks
    with console.status(f"evaluating {model} on {len(records)} records"):
        result = evaluate_model(
            model, resolve_base_model(params.train.base_model, params.resolve(params.paths.model_cache)), adapter,
            records, leak_masker(params.curate), params.evaluate.batch_size, params.evaluate.max_new_tokens,
            params.train.max_seq_len, canaries=params.evaluate.canaries, regression_items=regression,
        )
    typer.echo(json.dumps({"model": model, "snapshot": snapshots[0].id, "metrics": result.metrics}, indent=2))


@app.command()
def up(
    prefect_port: int = typer.Option(4200, "--prefect-port"),
    mlflow_port: int = typer.Option(5000, "--mlflow-port"),
    deploy: bool = typer.Option(True, "--deploy/--no-deploy", help="Create the work pools and deploy prefect.yaml."),
    workers: str = typer.Option("cpu,gpu", "--workers", help="Pools to start a worker for ('' for none)."),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Start a local Prefect server, MLflow server and workers; deploy everything; print the UI URLs."""
    from tuneops.ops import OpsError, Stack

    params = _load(params_file)
    repo = Path(os.environ.get("TUNEOPS_HOME") or Path.cwd())
    if not (repo / "prefect.yaml").is_file():
        console.print(f"[red]{repo} has no prefect.yaml: run from the checkout or set TUNEOPS_HOME[/red]")
        raise typer.Exit(2)
    stack = Stack(repo, params.resolve(params.paths.state_dir), prefect_port, mlflow_port)
    try:
        started = stack.up(deploy, tuple(p for p in workers.split(",") if p), log=console.print)
    except OpsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    for service in started:
        console.print(f"started {service.name} (pid {service.pid}, log {service.log})")
    Console().print(f"Prefect UI: {stack.prefect_url}\nMLflow UI:  {stack.mlflow_url}\n"
                    f"export PREFECT_API_URL={stack.prefect_url}/api TUNEOPS_MLFLOW_URI={stack.mlflow_url}\n"
                    "Stop with: tuneops down")


@app.command()
def down(params_file: Path = PARAMS_OPTION) -> None:
    """Stop the processes `tuneops up` started (recorded by pid), nothing else."""
    from tuneops.ops import Stack

    params = _load(params_file)
    stopped = Stack(params.root, params.resolve(params.paths.state_dir)).down()
    Console().print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def monitor(
    window_end: str = typer.Option(None, "--window-end", help="ISO time the window ends (default: now, UTC)."),
    window_hours: float = typer.Option(None, "--window-hours", help="Window length (default: monitor.window_hours)."),
    params_file: Path = PARAMS_OPTION,
    set_: list[str] = typer.Option([], "--set", help="Override a param."),
) -> None:
    """Run the drift monitor flow once (what the hourly deployment runs) and print the verdict as JSON."""
    _load(params_file, set_)
    from flows.monitor import drift_monitor

    with _prefect_backend():
        result = drift_monitor(str(params_file), window_end, window_hours, parse_overrides(set_))
    shown = ("drift", "skipped", "score", "n_reference", "n_current", "window_start", "window_end", "event_id",
             "report_dir", "mlflow_run_id")
    typer.echo(json.dumps({k: result[k] for k in shown if k in result}, indent=2))


@drift_app.command("check")
def drift_check(
    reference: str = typer.Option(..., "--reference", help="Chat or production-log JSONL (file or dir), or a snapshot id."),
    current: str = typer.Option(..., "--current", help="Chat or production-log JSONL (file or dir), or a snapshot id."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object on stdout."),
    report_dir: Path = typer.Option(None, "--report-dir", help="Also write drift.json/.md/.png/.html here."),
    params_file: Path = PARAMS_OPTION,
    overrides: list[str] = typer.Option(None, "--set", help="Override a param, e.g. monitor.drift.alpha=0.05."),
) -> None:
    """Compare two sets of inputs on every drift signal. Exits 0 whether or not there is drift."""
    from tasks.version_tasks import snapshot_store
    from tuneops.monitoring.embeddings import check_with_params
    from tuneops.monitoring.report import write_drift_report
    from tuneops.monitoring.samples import load_side

    params = _load(params_file, overrides)
    store = snapshot_store(params)
    skipped: list[str] = []
    try:
        sides = [load_side(spec, lambda i: store.data_dir(store.get(i)), skipped) for spec in (reference, current)]
    except Exception as error:  # noqa: BLE001 - a missing file or unknown snapshot id: say which
        console.print(f"[red]cannot read the inputs: {error}[/red]")
        raise typer.Exit(2) from None
    if skipped:
        console.print(f"[yellow]left out {len(skipped)} unreadable line(s), first: {skipped[0]}[/yellow]")
    with console.status(f"checking drift: {len(sides[0].texts)} reference vs {len(sides[1].texts)} current inputs"):
        result = check_with_params(sides[0], sides[1], params)
    if report_dir:
        write_drift_report(result, report_dir, "tuneops drift check", {"reference": reference, "current": current})
    if as_json:
        typer.echo(json.dumps(result.to_json()))
        return
    table = Table("signal", "drift", "score", "p-value")
    for name, signal in result.signals.items():
        table.add_row(name, "yes" if signal.drift else "no", f"{signal.score:.3f}", f"{signal.p_value:.3g}")
    Console().print(table)
    verdict = result.insufficient_data or ("DRIFT" if result.drift else "no drift")
    Console().print(f"{verdict} (score {result.score:.3f}, {result.n_reference} vs {result.n_current} inputs)")


@app.command()
def serve(
    model: str = typer.Option(None, "--model", help="MODEL, MODEL:VERSION or MODEL@ALIAS (default: the champion); 'base' for the base model."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    params_file: Path = PARAMS_OPTION,
) -> None:
    """Serve the champion (base + LoRA adapter) over HTTP and log every request for drift monitoring."""
    import uvicorn

    from tuneops.monitoring.production_log import open_production_log
    from tuneops.serving import ModelNotFound, create_app, load_served_model

    params = _load(params_file)
    try:
        loaded = load_served_model(params, model)
    except ModelNotFound as error:
        console.print(f"[red]{error}; run the pipeline first or serve --model base[/red]")
        raise typer.Exit(1) from None
    log = open_production_log(params.monitor.production_log, params.root)
    console.print(f"serving {loaded.name} v{loaded.version or 'base'} on http://{host}:{port} "
                  f"(log: {params.monitor.production_log})")
    uvicorn.run(create_app(loaded, log, params.curate.max_chars), host=host, port=port, log_level="info")


@app.command("prepare-model")
def prepare_model(params_file: Path = PARAMS_OPTION) -> None:
    """Materialise the configured base model into the local model cache (safetensors)."""
    from tuneops.base_models import resolve_base_model

    params = _load(params_file)
    with console.status(f"preparing {params.train.base_model}"):
        path = resolve_base_model(params.train.base_model, params.resolve(params.paths.model_cache))
    typer.echo(str(path))


@app.command("check-config")
def check_config(files: list[Path] = typer.Argument(None, help="Params files (default: params.yaml).")) -> None:
    """Validate params files; exit 2 naming the offending keys."""
    for path in files or [Path("params.yaml")]:
        _load(path)
        typer.echo(f"{path}: ok")
