"""Great Expectations suites for a curated dataset.

Two suites run on every curated set:

* ``curated_records``: one row per record (schema, roles, lengths, residual
  PII, unique ids, known labels);
* ``curated_stats``: one row of dataset statistics (size, duplicate rate,
  label balance).

The result is a JSON-able dict that lists each failed expectation with its
observed values, so a failing run explains itself in the report.
"""

from __future__ import annotations

import logging
from collections import Counter

import pandas as pd

from tuneops.config import CurateConfig
from tuneops.curate.pii import PiiMasker
from tuneops.records import record_label

ROLE_PATTERN = r"^(system,)?user,assistant(,user,assistant)*$"


def records_frame(records: list[dict], masker: PiiMasker) -> pd.DataFrame:
    """One row per record with the columns the ``curated_records`` suite checks."""
    rows = []
    for record in records:
        messages = record.get("messages") or []
        rows.append({
            "id": record.get("id"),
            "roles": ",".join(str(m.get("role")) for m in messages),
            "chars": sum(len(m.get("content") or "") for m in messages),
            "residual_pii": sum(len(masker.residual(m.get("content") or "")) for m in messages),
            "label": record_label(record) or "",
        })
    return pd.DataFrame(rows, columns=["id", "roles", "chars", "residual_pii", "label"])


def stats_frame(records: list[dict], duplicates: int, valid_inputs: int) -> pd.DataFrame:
    """A single-row frame of dataset statistics for the ``curated_stats`` suite."""
    labels = Counter(record_label(r) for r in records if record_label(r))
    return pd.DataFrame([{
        "records": len(records),
        "duplicate_rate": duplicates / valid_inputs if valid_inputs else 0.0,
        "max_label_share": max(labels.values()) / sum(labels.values()) if labels else 0.0,
    }])


def _expectations(cfg: CurateConfig, labels: list[str]) -> dict[str, list]:
    import great_expectations as gx

    e = gx.expectations
    record_checks = [
        e.ExpectColumnValuesToNotBeNull(column="id"),
        e.ExpectColumnValuesToBeUnique(column="id"),
        e.ExpectColumnValuesToMatchRegex(column="roles", regex=ROLE_PATTERN),
        e.ExpectColumnValuesToBeBetween(column="chars", min_value=1, max_value=cfg.max_chars),
        e.ExpectColumnValuesToBeBetween(column="residual_pii", min_value=0, max_value=0),
    ]
    if labels:
        record_checks.append(e.ExpectColumnDistinctValuesToBeInSet(column="label", value_set=labels + [""]))
    stats_checks = [
        e.ExpectColumnValuesToBeBetween(column="records", min_value=cfg.validation.min_records),
        e.ExpectColumnValuesToBeBetween(column="duplicate_rate", min_value=0, max_value=cfg.validation.max_duplicate_rate),
        e.ExpectColumnValuesToBeBetween(column="max_label_share", min_value=0, max_value=cfg.validation.max_category_share),
    ]
    return {"curated_records": record_checks, "curated_stats": stats_checks}


def _summarise(result) -> dict:
    failed = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        observed = {k: item.result.get(k) for k in ("unexpected_count", "partial_unexpected_list", "observed_value") if k in item.result}
        failed.append({"expectation": config.type, "column": config.kwargs.get("column"), **observed})
    stats = result.statistics
    return {
        "success": bool(result.success),
        "evaluated": stats["evaluated_expectations"],
        "successful": stats["successful_expectations"],
        "failed": failed,
    }


def validate_curated(records: list[dict], duplicates: int, valid_inputs: int, cfg: CurateConfig, masker: PiiMasker) -> dict:
    """Run the curated-data suites with Great Expectations.

    Args:
        records: The curated records (train and eval).
        duplicates: Records removed as duplicates.
        valid_inputs: Records that passed ingestion (kept + duplicates).
        cfg: Curation config (limits and thresholds).
        masker: Detector used for the residual-PII check.

    Returns:
        ``{"success": bool, "suites": {name: {"success", "evaluated", "successful", "failed"}}}``.
    """
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = {"globally": False}
    except Exception:  # noqa: BLE001 - cosmetic; older/newer GX may not accept this
        pass
    source = context.data_sources.add_pandas("tuneops")
    labels = sorted({record_label(r) for r in records if record_label(r)})
    frames = {
        "curated_records": records_frame(records, masker),
        "curated_stats": stats_frame(records, duplicates, valid_inputs),
    }
    suites = {}
    for name, checks in _expectations(cfg, labels).items():
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=checks))
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        suites[name] = _summarise(definition.run(batch_parameters={"dataframe": frames[name]}))
    return {"success": all(s["success"] for s in suites.values()), "suites": suites}
