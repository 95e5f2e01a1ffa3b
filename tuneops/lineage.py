"""Lineage of a registered model version, from registry down to raw files.

The chain: registered model version (aliases, decision) -> MLflow run
(metrics, params) -> dataset snapshot (DVC id, remote, validation, counts,
PII) -> raw sources (path, md5, lines) and the transformations applied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tuneops.registry import CHAMPION

SPEC = re.compile(r"^(?P<name>[^:@]+)(?::(?P<version>\d+)|@(?P<alias>[\w-]+))?$")


@dataclass(frozen=True)
class ModelRef:
    """A reference to one model version: ``name``, ``name:3`` or ``name@alias`` (default ``@champion``)."""

    name: str
    version: str | None = None
    alias: str | None = None


def parse_model_ref(text: str) -> ModelRef:
    """Parse ``MODEL[:VERSION|@ALIAS]``; a bare name means the champion."""
    match = SPEC.match(text.strip())
    if not match:
        raise ValueError(f"{text!r}: expected MODEL, MODEL:VERSION or MODEL@ALIAS")
    alias = match["alias"] or (None if match["version"] else CHAMPION)
    return ModelRef(match["name"], match["version"], alias)


def resolve_version(client, ref: ModelRef):
    """The MLflow ``ModelVersion`` a reference points to."""
    if ref.version:
        return client.get_model_version(ref.name, ref.version)
    return client.get_model_version_by_alias(ref.name, ref.alias)


def build_lineage(version, run, manifest: dict | None) -> dict:
    """Assemble the lineage chain as a JSON-able dict.

    Args:
        version: MLflow ``ModelVersion``.
        run: MLflow ``Run`` that produced it.
        manifest: The snapshot's lineage manifest (``None`` if it cannot be found).
    """
    metrics = run.data.metrics
    candidate = {k.removeprefix("candidate."): v for k, v in metrics.items() if k.startswith("candidate.")}
    base = {k.removeprefix("base."): v for k, v in metrics.items() if k.startswith("base.")}
    lineage = {
        "model": {
            "name": version.name,
            "version": str(version.version),
            "aliases": list(version.aliases),
            "decision": version.tags.get("decision"),
            "reasons": version.tags.get("decision_reasons", "").split("; "),
            "previous_champion": version.tags.get("previous_champion"),
            "source": version.source,
        },
        "run": {
            "id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "status": run.info.status,
            "train_method": run.data.tags.get("train_method"),
            "base_model": version.tags.get("base_model"),
            "params": dict(run.data.params),
            "candidate_metrics": candidate,
            "base_metrics": base,
        },
        "snapshot": None,
    }
    if manifest:
        lineage["snapshot"] = {
            "id": manifest["snapshot_id"],
            "created": manifest.get("created"),
            "dvc_remote": manifest["dvc"]["remote_url"],
            "flow_run_id": manifest.get("flow_run_id"),
            "code": manifest.get("code"),
            "params_hash": manifest.get("params_hash"),
            "pii_mode": manifest.get("pii_mode"),
            "counts": manifest.get("counts"),
            "validation_passed": (manifest.get("validation") or {}).get("success"),
            "transformations": transformations(manifest),
            "sources": manifest.get("sources", []),
        }
    else:
        lineage["snapshot"] = {"id": version.tags.get("snapshot_id"), "note": "manifest not found in catalogue or MLflow"}
    return lineage


def transformations(manifest: dict) -> list[str]:
    """One readable line per curation stage, with its settings and effect."""
    curate = (manifest.get("params") or {}).get("curate", {})
    counts = manifest.get("counts", {})
    pii = curate.get("pii", {})
    dedup = curate.get("dedup", {})
    split = curate.get("split", {})
    return [
        f"ingest: {counts.get('inputs')} lines read, {counts.get('quarantined')} quarantined (max_chars {curate.get('max_chars')})",
        f"pii: mode {pii.get('mode')}, entities {', '.join(pii.get('entities', []))}; masked {json.dumps(counts.get('pii', {}))}",
        f"dedup: exact + near (Jaccard >= {dedup.get('near_threshold')}, {dedup.get('num_perm')}-value MinHash); "
        f"removed {counts.get('exact_duplicates')} exact, {counts.get('near_duplicates')} near, "
        f"{counts.get('eval_contaminated', 0)} eval records whose question training already asks",
        f"split: eval fraction {split.get('eval_fraction')}, seed {split.get('seed')}; {counts.get('train')} train / {counts.get('eval')} eval",
        f"validation: Great Expectations suites {'passed' if (manifest.get('validation') or {}).get('success') else 'failed'}",
    ]


def lineage_markdown(lineage: dict) -> str:
    """Render the lineage chain as markdown."""
    model, run, snapshot = lineage["model"], lineage["run"], lineage["snapshot"]
    lines = [
        f"# Lineage of {model['name']} v{model['version']}",
        f"**Model version** {model['version']} (aliases: {', '.join(model['aliases']) or 'none'}), "
        f"decision **{model['decision']}**, previous champion {model['previous_champion']}",
        *[f"- {r}" for r in model["reasons"] if r],
        f"\n**MLflow run** `{run['id']}` ({run['status']}), method {run['train_method']}, base model `{run['base_model']}`",
        *[f"- {k}: {v:.4f}" for k, v in sorted(run["candidate_metrics"].items())],
        f"\n**Snapshot** `{snapshot.get('id')}`",
    ]
    if "sources" in snapshot:
        code = snapshot.get("code") or {}
        lines += [
            f"- created {snapshot['created']}, DVC remote {snapshot['dvc_remote']}, flow run {snapshot['flow_run_id']}",
            f"- code {code.get('git_commit')} (dirty: {code.get('dirty')}), params hash {snapshot['params_hash']}",
            "\n**Transformations**",
            *[f"1. {t}" for t in snapshot["transformations"]],
            "\n**Raw sources**",
            "| file | md5 | lines |", "|---|---|---|",
            *[f"| {s['path']} | {s['md5']} | {s['lines']} |" for s in snapshot["sources"]],
        ]
    else:
        lines.append(f"- {snapshot.get('note')}")
    return "\n".join(lines) + "\n"
