"""The drift report: markdown (Prefect artifact, MLflow), a self-contained HTML page and a plot."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from tuneops.monitoring.drift import DriftResult


def drift_markdown(result: DriftResult, title: str, context: dict[str, str] | None = None) -> str:
    """Markdown report: verdict, context (model, window, reference), one row per signal."""
    verdict = "**DRIFT**" if result.drift else "no drift"
    lines = [f"# {title}", "", f"Verdict: {verdict} (score {result.score:.3f}; "
             f"{result.n_reference} reference vs {result.n_current} current inputs; "
             f"family-wise false-alarm rate {result.alpha})", ""]
    for key, value in (context or {}).items():
        lines.append(f"- {key}: {value}")
    if result.insufficient_data:
        lines += ["", f"No verdict: {result.insufficient_data}."]
    lines += ["", "| signal | drift | score | min score | p-value | p threshold | details |", "|---|---|---|---|---|---|---|"]
    for name, signal in result.signals.items():
        extra = {k: v for k, v in signal.details.items() if k not in ("per_entity_rate_reference_current",)}
        lines.append(f"| {name} | {'yes' if signal.drift else 'no'} | {signal.score:.3f} | {signal.min_score} | "
                     f"{signal.p_value:.3g} | {signal.p_threshold:.3g} | {extra} |")
    for name, reason in result.skipped.items():
        lines.append(f"| {name} | skipped | | | | | {reason} |")
    lines += ["", "A signal alarms when its p-value is below the threshold (alpha split over the signals) "
              "and its score reaches the minimum score."]
    return "\n".join(lines)


def plot_drift(result: DriftResult, path: Path) -> Path:
    """Histograms of reference vs current for each per-input signal, plus a bar per signal score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    panels = list(result.plot_data.items())
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=(4 * (len(panels) + 1), 3.2))
    axes = np.atleast_1d(axes)
    for ax, (label, (ref, cur)) in zip(axes, panels):
        bins = np.histogram_bin_edges(np.r_[ref, cur], bins=30)
        ax.hist(ref, bins=bins, alpha=0.55, density=True, label="reference")
        ax.hist(cur, bins=bins, alpha=0.55, density=True, label="current")
        ax.set_title(label)
        ax.legend(fontsize=8)
    names = list(result.signals)
    bar_ax = axes[-1]
    bar_ax.bar(names, [result.signals[n].score for n in names],
               color=["tab:red" if result.signals[n].drift else "tab:gray" for n in names])
    bar_ax.scatter(names, [result.signals[n].min_score for n in names], marker="_", s=400, color="black",
                   label="min score")
    bar_ax.set_ylim(0, 1)
    bar_ax.set_title("signal scores (red: drift)")
    bar_ax.tick_params(axis="x", rotation=30)
    bar_ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def drift_html(markdown_text: str, plot_path: Path | None) -> str:
    """A self-contained HTML page: the markdown as preformatted text and the plot inlined."""
    image = ""
    if plot_path and Path(plot_path).exists():
        data = base64.b64encode(Path(plot_path).read_bytes()).decode()
        image = f'<img alt="drift plots" src="data:image/png;base64,{data}">'
    return (f"<!doctype html><meta charset='utf-8'><title>tuneops drift report</title>"
            f"<pre style='white-space:pre-wrap'>{html.escape(markdown_text)}</pre>{image}")


def write_drift_report(result: DriftResult, out_dir: Path, title: str, context: dict[str, str] | None = None) -> dict[str, Path]:
    """Write ``drift.json``, ``drift.md``, ``drift.png`` and ``drift.html`` into ``out_dir``."""
    import json

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "drift.json", "markdown": out_dir / "drift.md", "html": out_dir / "drift.html"}
    paths["json"].write_text(json.dumps({**result.to_json(), "context": context or {}}, indent=2))
    text = drift_markdown(result, title, context)
    paths["markdown"].write_text(text)
    if result.signals:
        paths["plot"] = plot_drift(result, out_dir / "drift.png")
    paths["html"].write_text(drift_html(text, paths.get("plot")))
    return paths
