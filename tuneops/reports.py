"""Human-readable reports (markdown) and plots shared by Prefect artifacts and MLflow."""

from __future__ import annotations

from pathlib import Path


def _table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def curation_markdown(report: dict) -> str:
    """Markdown summary of a curation report: stage counts, PII per entity, validation."""
    counts = report["counts"]
    validation = report.get("validation") or {}
    parts = [
        "# Curation report",
        _table(["stage", "records"], [[k, counts[k]] for k in
                ("inputs", "train", "eval", "exact_duplicates", "near_duplicates", "eval_contaminated",
                 "quarantined") if k in counts]),
        f"Conservation: inputs = train + eval + duplicates + quarantined ({report.get('conservation')})",
        "## PII masked per entity type",
        _table(["entity", "values masked"], [[k, v] for k, v in counts["pii"].items()]) if counts["pii"] else "none found",
        "## Quarantine reasons",
        _table(["reason", "records"], [[k, v] for k, v in counts["quarantine_reasons"].items()]) if counts["quarantine_reasons"] else "none",
        f"## Validation (Great Expectations): {'PASSED' if validation.get('success') else 'FAILED'}",
    ]
    for name, suite in (validation.get("suites") or {}).items():
        parts.append(f"- `{name}`: {suite['successful']}/{suite['evaluated']} expectations met")
        parts += [f"  - failed `{f['expectation']}` on `{f.get('column')}`: {f}" for f in suite["failed"]]
    return "\n\n".join(parts)


def snapshot_markdown(manifest: dict) -> str:
    """Markdown summary of a snapshot's lineage manifest."""
    code = manifest.get("code", {})
    rows = [
        ["snapshot id", f"`{manifest['snapshot_id']}`"],
        ["created", manifest.get("created")],
        ["DVC remote", manifest["dvc"]["remote_url"]],
        ["files / bytes", f"{manifest['dvc'].get('nfiles')} / {manifest['dvc'].get('size')}"],
        ["code", f"{code.get('git_commit')} (dirty: {code.get('dirty')})"],
        ["params hash", manifest.get("params_hash")],
        ["flow run", manifest.get("flow_run_id")],
        ["validation", "passed" if (manifest.get("validation") or {}).get("success") else "failed"],
    ]
    sources = [[s["path"], s["md5"], s["lines"]] for s in manifest.get("sources", [])]
    counts = manifest.get("counts", {})
    return "\n\n".join([
        f"# Dataset snapshot {manifest['snapshot_id'][:12]}",
        _table(["field", "value"], rows),
        "## Raw sources",
        _table(["file", "md5", "lines"], sources),
        "## Counts",
        _table(["stage", "records"], [[k, v] for k, v in counts.items() if isinstance(v, int)]),
        "## PII masked",
        _table(["entity", "values"], [[k, v] for k, v in counts.get("pii", {}).items()]),
    ])


def evaluation_markdown(metrics: dict[str, dict[str, float]], decision_label: str, reasons: list[str]) -> str:
    """Markdown table of metrics per model (base, champion, candidate) and the decision."""
    models = list(metrics)
    names = sorted({k for m in metrics.values() for k in m})
    rows = [[name] + [f"{metrics[m].get(name, float('nan')):.3f}" for m in models] for name in names]
    return "\n\n".join([
        f"# Evaluation: {decision_label}",
        _table(["metric"] + models, rows),
        "## Reasons",
        "\n".join(f"- {r}" for r in reasons),
    ])


def plot_loss(losses: list[float], path: Path) -> Path:
    """Save a training-loss curve as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(losses) + 1), losses)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("train loss (nats/token)")
    ax.set_title("Training loss")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_comparison(metrics: dict[str, dict[str, float]], names: list[str], path: Path) -> Path:
    """Grouped bar chart of selected metrics for each model; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / max(len(metrics), 1)
    for offset, (model, values) in enumerate(metrics.items()):
        xs = [i + offset * width for i in range(len(names))]
        ax.bar(xs, [values.get(n, 0.0) for n in names], width, label=model)
    ax.set_xticks([i + width * (len(metrics) - 1) / 2 for i in range(len(names))], names, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("Evaluation on the held-out split")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
