"""Typed configuration: ``params.yaml`` parsed into pydantic models.

Every section forbids unknown keys, so a typo such as ``lerning_rate`` is an
error that names the key instead of a silently ignored setting. Relative
paths are resolved against the directory that holds the params file, so the
same file works from any working directory (and for DVC stages).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_PARAMS_FILE = "params.yaml"
BUNDLED_MODEL = "bundled:smollm2-135m-instruct"


class ConfigError(ValueError):
    """A params file that cannot be read or does not validate."""


class Section(BaseModel):
    """Base for every config section: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectConfig(Section):
    name: str = Field("tuneops-demo", description="Project name, used as MLflow experiment name.")
    model_name: str = Field("demo-model", description="MLflow registered model name.")


class PathsConfig(Section):
    raw: list[Path] = Field(default=[Path("data/raw")], description="Raw input files or directories.")
    state_dir: Path = Field(Path(".tuneops"), description="Runs, snapshots catalogue, DVC workspace.")
    model_cache: Path = Field(Path(".cache/models"), description="Materialised base models (safetensors).")


class PiiConfig(Section):
    entities: list[
        Literal[
            "email", "phone", "credit_card", "iban", "ssn", "ip_address",
            "date_of_birth", "street_address", "person", "secret",
        ]
    ] = Field(
        default=[
            "email", "phone", "credit_card", "iban", "ssn", "ip_address",
            "date_of_birth", "street_address", "person", "secret",
        ],
        description="Entity types to mask.",
    )
    mode: Literal["placeholder", "pseudonym"] = Field(
        "placeholder", description="placeholder: <EMAIL>; pseudonym: keyed HMAC, stable across records."
    )
    key_env: str = Field(
        "TUNEOPS_PSEUDONYM_KEY", description="Environment variable holding the pseudonymisation key."
    )
    custom_patterns: dict[str, str] = Field(
        default_factory=dict, description="Extra entity types: NAME -> regular expression."
    )
    rare_word_names: bool = Field(
        True, description="Also mask, as person names, two adjacent capitalised words that are neither known names "
        "nor among the 30,000 commonest words of en/de/fr/es/it/pt/nl ('Kwame Oyelaran'). Turn off where rare "
        "capitalised product or place names abound and must survive.",
    )
    birth_years: tuple[int, int] | None = Field(
        (1900, 2010), description="A whole calendar date (day, month, four-digit year) in these years, first and last "
        "included, is masked as a date of birth also without a birth cue ('12.04.1987 - Maria'): a date a person "
        "of working age was born on. A date with a time of day is a timestamp and stays. null: only dates after "
        "a cue ('born on', 'DOB:', 'geb.'). Order, incident and release dates of recent years stay either way.",
    )

    @field_validator("birth_years")
    @classmethod
    def _years_in_order(cls, years: tuple[int, int] | None) -> tuple[int, int] | None:
        if years is not None and not 1000 <= years[0] <= years[1] <= 9999:
            raise ValueError(f"birth_years must be two four-digit years, first <= last; got {list(years)}")
        return years


class DedupConfig(Section):
    near_threshold: float = Field(0.8, gt=0, le=1, description="Jaccard similarity above which records are near duplicates.")
    num_perm: int = Field(128, gt=0, description="MinHash signature length (bins of one-permutation hashing).")
    bands: int = Field(32, gt=0, description="LSH bands; num_perm must be divisible by it.")
    shingle_chars: int = Field(5, gt=0, description="Character shingle length.")
    eval_contamination: bool = Field(
        True, description="Remove eval records whose user turns near-duplicate a training record's user turns "
        "(same threshold): the model would have seen the question, with any answer.",
    )

    @field_validator("bands")
    @classmethod
    def _bands_divide_perms(cls, bands: int, info) -> int:
        num_perm = info.data.get("num_perm")
        if num_perm is not None and num_perm % bands:
            raise ValueError(f"num_perm ({num_perm}) must be divisible by bands ({bands})")
        return bands


class SplitConfig(Section):
    eval_fraction: float = Field(0.1, gt=0, lt=1, description="Share of records held out for evaluation.")
    seed: int = Field(42, description="Seed of the deterministic split.")


class ValidationConfig(Section):
    max_duplicate_rate: float = Field(0.5, ge=0, le=1, description="Fail if more than this share of valid records are duplicates.")
    min_records: int = Field(10, ge=1, description="Fail if fewer curated records remain.")
    max_category_share: float = Field(0.6, gt=0, le=1, description="Fail if one label holds more than this share.")


class CsvConfig(Section):
    """How CSV inputs map to chat records (the first row is the header)."""

    user: str = Field("prompt", description="Column with the user turn.")
    assistant: str = Field("completion", description="Column with the assistant turn.")
    system: str | None = Field(None, description="Column with a system prompt (optional).")
    id: str | None = Field(None, description="Column with the record id (default: derived from the content).")
    metadata: list[str] = Field(default_factory=list, description="Columns copied into the record's metadata.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator.")


class CurateConfig(Section):
    max_chars: int = Field(8000, gt=0, description="Longest accepted record, in characters over all turns.")
    csv: CsvConfig = CsvConfig()
    pii: PiiConfig = PiiConfig()
    dedup: DedupConfig = DedupConfig()
    split: SplitConfig = SplitConfig()
    validation: ValidationConfig = ValidationConfig()
    workers: int = Field(
        1, ge=0, description="Processes for parsing, PII masking and dedup features (0 = all cores). "
        "Outputs are identical for any value; the ordered merge stays in one process.",
    )
    shard_size: int = Field(1000, gt=0, description="Input lines per shard handed to a worker.")
    task_runner: Literal["inline", "thread", "process", "dask", "ray"] = Field(
        "inline", description="inline: shards in the curate task (with `workers` processes); thread/process: "
        "one Prefect task per shard on a ThreadPool/ProcessPool task runner of `workers`; dask/ray: on the "
        "cluster at `cluster_address` (needs prefect-dask / prefect-ray).",
    )
    cluster_address: str | None = Field(
        None, description="Dask scheduler or Ray cluster address for task_runner dask/ray (default: a local one)."
    )


class VersioningConfig(Section):
    remote_url: str = Field(
        ".tuneops/dvc-remote",
        description="DVC remote: a local directory, or s3://, gs://, azure://, ssh:// URL.",
    )


class LoraConfig(Section):
    r: int = Field(16, gt=0, description="LoRA rank.")
    alpha: int = Field(32, gt=0, description="LoRA scaling numerator (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = Field(
        default=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        description="Module names that receive adapters.",
    )


class ReplayConfig(Section):
    prompts: Path | None = Field(
        Path("data/regression/replay_prompts.jsonl"),
        description="General prompts answered by the base model and mixed into training (null: no replay).",
    )
    fraction: float = Field(0.15, ge=0, le=1, description="Replay records added, as a share of the train split.")
    max_new_tokens: int = Field(64, gt=0, description="Length of the base model's replay answers, in tokens.")


class TrainConfig(Section):
    base_model: str = Field(BUNDLED_MODEL, description="bundled:<name>, a local directory, or a hub id in the local HF cache.")
    method: Literal["auto", "lora", "qlora"] = Field("auto", description="auto: qlora with CUDA, lora otherwise.")
    lora: LoraConfig = LoraConfig()
    replay: ReplayConfig = Field(
        ReplayConfig(), description="Self-replay of the base model's own answers, against forgetting general skills."
    )
    learning_rate: float = Field(5e-4, gt=0)
    lr_scheduler: Literal["cosine", "linear", "constant_with_warmup"] = Field("cosine", description="Learning-rate schedule after warmup.")
    warmup_steps: int = Field(5, ge=0)
    max_steps: int = Field(100, gt=0, description="Optimizer steps (ignored when epochs is set).")
    epochs: float | None = Field(None, gt=0, description="Passes over the train split; overrides max_steps when set.")
    batch_size: int = Field(4, gt=0, description="Sequences per micro-batch.")
    grad_accum: int = Field(1, gt=0, description="Micro-batches per optimizer step.")
    max_seq_len: int = Field(256, gt=8, description="Tokens; longer records are truncated.")
    checkpoint_every: int = Field(25, gt=0, description="Optimizer steps between checkpoints.")
    gradient_checkpointing: bool = False
    merge_adapter: bool = Field(False, description="Also save base + adapter merged into one model (output_dir/merged).")
    seed: int = 42


class EvaluateConfig(Section):
    max_examples: int = Field(100, gt=0, description="Eval records used (first N of the eval split).")
    batch_size: int = Field(16, gt=0, description="Generation batch size.")
    max_new_tokens: int = Field(64, gt=0)
    regression_set: Path | None = Field(
        Path("data/regression/general.jsonl"),
        description="General-capability prompts with checkable answers (null to skip).",
    )
    canaries: list[str] = Field(
        default_factory=list, description="Strings planted in raw data that must never appear in any output."
    )


class GateConfig(Section):
    min_metrics: dict[str, float] = Field(
        default={"json_valid": 0.9, "category_accuracy": 0.7},
        description="Absolute minimum per candidate metric.",
    )
    min_gain_over_base: dict[str, float] = Field(
        default={"category_accuracy": 0.1},
        description="Candidate must beat the base model by at least this much per metric.",
    )
    min_gain_over_champion: float = Field(
        0.0, description="Candidate's primary metric must reach the champion's plus this (0 allows a tie)."
    )
    max_regression: dict[str, float] = Field(
        default={"regression_accuracy": 0.15},
        description="Largest allowed drop of the candidate below the base model, per metric.",
    )
    primary_metric: str = "category_accuracy"
    approval: Literal["none", "required"] = Field(
        "none", description="required: a GO waits for a human to approve it in the Prefect UI."
    )
    approval_timeout_s: int = Field(24 * 3600, gt=0, description="Seconds to wait for approval before the run fails.")
    max_pii_leaks: int = Field(0, ge=0, description="Generated outputs containing PII or a canary allowed.")


class TrackingConfig(Section):
    mlflow_uri: str = Field("sqlite:///mlflow/mlflow.db", description="MLflow tracking and registry URI.")
    artifact_root: Path = Field(Path("mlflow/artifacts"), description="Where a new experiment stores artifacts.")


SIGNALS = ("embedding", "length", "vocabulary", "pii", "category")


class DriftConfig(Section):
    signals: list[Literal["embedding", "length", "vocabulary", "pii", "category"]] = Field(
        default=list(SIGNALS), description="Signals tested; category only runs where both sides carry labels."
    )
    alpha: float = Field(
        0.01, gt=0, lt=1,
        description="Family-wise false-alarm rate per check; split over the signals (Bonferroni).",
    )
    min_records: int = Field(100, ge=20, description="Fewer records on either side: no verdict (drift false).")
    max_records: int = Field(
        5000, ge=100, description="Seeded sample per side for the cheap signals (bounds time and memory)."
    )
    embedding_model: str = Field(
        "bundled:all-minilm-l6-v2", description="Sentence embedding model: bundled:all-minilm-l6-v2 or a local dir."
    )
    embedding_records: int = Field(
        300, ge=40, description="Seeded sample per side that is embedded (embedding is the costly part)."
    )
    min_score: dict[str, float] = Field(
        default={"embedding": 0.1, "length": 0.1, "vocabulary": 0.1, "pii": 0.05, "category": 0.1},
        description="Smallest effect (score in [0, 1]) that counts as drift, per signal, so tiny "
        "but significant differences on large windows do not alarm.",
    )
    seed: int = 0

    @field_validator("min_score")
    @classmethod
    def _known_signals(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(SIGNALS))
        if unknown:
            raise ValueError(f"unknown signal(s) {unknown}; known: {list(SIGNALS)}")
        return value


class RetrainConfig(Section):
    cooldown_hours: float = Field(
        6.0, gt=0, description="Least time between drift-triggered retrains of one model "
        "(enforced by the automation's `within`; prefect.yaml must agree, a test checks it).",
    )
    use_served_answers: bool = Field(
        True, description="Production records without feedback train on the served answer "
        "(false: only records with a corrected answer are added).",
    )


class MonitorConfig(Section):
    production_log: str = Field(
        ".tuneops/production",
        description="Where production inputs are logged: a directory of daily JSONL files, or a "
        "SQLAlchemy URL (sqlite:///..., postgresql://...) for a table `tuneops_production_log`.",
    )
    window_hours: float = Field(1.0, gt=0, description="Length of the production window each check reads.")
    drift: DriftConfig = DriftConfig()
    retrain: RetrainConfig = RetrainConfig()


class Params(Section):
    project: ProjectConfig = ProjectConfig()
    paths: PathsConfig = PathsConfig()
    curate: CurateConfig = CurateConfig()
    versioning: VersioningConfig = VersioningConfig()
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    gate: GateConfig = GateConfig()
    tracking: TrackingConfig = TrackingConfig()
    monitor: MonitorConfig = MonitorConfig()
    root: Path = Field(Path("."), exclude=True, description="Directory of the params file (set by the loader).")

    def resolve(self, path: Path | str) -> Path:
        """Return ``path`` made absolute relative to the params file's directory."""
        path = Path(path)
        return path if path.is_absolute() else (self.root / path).resolve()

    @property
    def mlflow_uri(self) -> str:
        """Tracking URI with a relative sqlite path anchored at the project root.

        ``TUNEOPS_MLFLOW_URI`` in the environment wins over ``tracking.mlflow_uri``, so workers
        started by ``tuneops up`` or a container point at the shared server without editing params.
        """
        uri = os.environ.get("TUNEOPS_MLFLOW_URI") or self.tracking.mlflow_uri
        prefix = "sqlite:///"
        if uri.startswith(prefix) and not uri[len(prefix):].startswith("/"):
            return prefix + str(self.resolve(uri[len(prefix):]))
        return uri


def _format_errors(error: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "<root>"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def parse_params(data: dict | None, root: Path = Path("."), source: str = "params") -> Params:
    """Validate a params mapping.

    Args:
        data: The mapping read from YAML (``None`` means all defaults).
        root: Directory that relative paths are resolved against.
        source: Name used in error messages.

    Returns:
        The validated, frozen ``Params``.

    Raises:
        ConfigError: naming every offending key.
    """
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a mapping, got {type(data).__name__}")
    try:
        params = Params.model_validate(data or {})
    except ValidationError as error:
        raise ConfigError(_format_errors(error, source)) from None
    return params.model_copy(update={"root": Path(root).resolve()})


def load_params(path: Path | str = DEFAULT_PARAMS_FILE, overrides: dict | None = None) -> Params:
    """Read and validate a params YAML file.

    Args:
        path: The YAML file.
        overrides: Nested mapping merged over the file's content (used by tests and the CLI).

    Returns:
        The validated ``Params``; relative paths resolve against the file's directory.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: params file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if overrides:
        data = deep_merge(data, overrides)
    return parse_params(data, root=path.parent, source=str(path))


def deep_merge(base: dict, update: dict) -> dict:
    """Return ``base`` with ``update`` merged in recursively (neither is modified)."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
