"""MLflow tracking set-up and registry moves (challenger, champion, rejected).

Only the pipeline moves the ``champion`` alias: on GO it points to the new
version and the version records which version it replaced; on NO-GO the
version is tagged ``rejected`` with the reasons and ``champion`` stays put.
"""

from __future__ import annotations

from pathlib import Path

CHAMPION = "champion"
CHALLENGER = "challenger"


def setup_tracking(tracking_uri: str, experiment: str, artifact_root: Path) -> str:
    """Point MLflow at ``tracking_uri`` and return the id of ``experiment`` (created if needed).

    A new experiment stores artifacts under ``artifact_root/<experiment>``.
    """
    import mlflow

    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    if tracking_uri.startswith(("http://", "https://")):
        # A tracking server chooses (and proxies) the artifact store, so remote workers can write to it.
        return mlflow.create_experiment(experiment)
    location = Path(artifact_root) / experiment
    location.mkdir(parents=True, exist_ok=True)
    return mlflow.create_experiment(experiment, artifact_location=location.resolve().as_uri())


def client():
    """An ``MlflowClient`` for the current tracking URI."""
    from mlflow import MlflowClient

    return MlflowClient()


def champion_version(model_name: str):
    """The model version holding the ``champion`` alias, or ``None``."""
    from mlflow.exceptions import MlflowException

    try:
        return client().get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def register_candidate(model_name: str, run_id: str, artifact_path: str, tags: dict[str, str]):
    """Register the run's adapter as a new version with the ``challenger`` alias."""
    from mlflow.exceptions import MlflowException

    mlflow_client = client()
    try:
        mlflow_client.get_registered_model(model_name)
    except MlflowException:
        mlflow_client.create_registered_model(model_name, description="LoRA adapters trained and gated by tuneops.")
    # Idempotent per run: a retried flow run that already registered this run's adapter reuses that version.
    for existing in mlflow_client.search_model_versions(f"name = '{model_name}' and run_id = '{run_id}'"):
        return existing
    version = mlflow_client.create_model_version(
        model_name, source=f"runs:/{run_id}/{artifact_path}", run_id=run_id, tags=tags
    )
    mlflow_client.set_registered_model_alias(model_name, CHALLENGER, version.version)
    return version


def apply_decision(model_name: str, version: str, go: bool, reasons: list[str]) -> str | None:
    """Move ``champion`` on GO (recording the previous champion) or tag the version ``rejected``.

    Returns:
        The previous champion version on GO (``None`` if there was none), ``None`` on NO-GO.
    """
    mlflow_client = client()
    reason_text = "; ".join(reasons)[:4900]  # MLflow tag values are limited to 5000 characters
    mlflow_client.set_model_version_tag(model_name, version, "decision", "GO" if go else "NO-GO")
    mlflow_client.set_model_version_tag(model_name, version, "decision_reasons", reason_text)
    if not go:
        mlflow_client.set_model_version_tag(model_name, version, "rejected", "true")
        return None
    previous = champion_version(model_name)
    previous_version = str(previous.version) if previous is not None else None
    mlflow_client.set_model_version_tag(model_name, version, "previous_champion", previous_version or "none")
    mlflow_client.set_registered_model_alias(model_name, CHAMPION, version)
    return previous_version


class RegistryError(RuntimeError):
    """A registry move that cannot be made (no champion, nothing to roll back to)."""


def promote(model_name: str, version: str, actor: str, reason: str) -> str | None:
    """Manually make ``version`` the champion, recording who did it, why, and the previous champion.

    Returns:
        The previous champion version, or ``None``.
    """
    mlflow_client = client()
    mlflow_client.get_model_version(model_name, version)  # fails clearly if it does not exist
    previous = champion_version(model_name)
    previous_version = str(previous.version) if previous is not None else None
    if previous_version == str(version):
        raise RegistryError(f"{model_name} v{version} is already the champion")
    tags = {"previous_champion": previous_version or "none", "promoted_by": actor, "promotion_reason": reason}
    for key, value in tags.items():
        mlflow_client.set_model_version_tag(model_name, version, key, value)
    mlflow_client.set_registered_model_alias(model_name, CHAMPION, version)
    return previous_version


def rollback(model_name: str, actor: str, reason: str) -> tuple[str, str]:
    """Move ``champion`` back to the version it replaced; record who and why on both versions.

    Returns:
        ``(from_version, to_version)``.
    """
    mlflow_client = client()
    current = champion_version(model_name)
    if current is None:
        raise RegistryError(f"{model_name} has no champion to roll back")
    target = current.tags.get("previous_champion")
    if not target or target == "none":
        raise RegistryError(f"{model_name} v{current.version} has no previous champion to roll back to")
    from_version = str(current.version)
    mlflow_client.set_model_version_tag(model_name, from_version, "rolled_back", "true")
    mlflow_client.set_model_version_tag(model_name, from_version, "rollback_by", actor)
    mlflow_client.set_model_version_tag(model_name, from_version, "rollback_reason", reason)
    mlflow_client.set_model_version_tag(model_name, target, "restored_by_rollback_from", from_version)
    mlflow_client.set_registered_model_alias(model_name, CHAMPION, target)
    return from_version, target
