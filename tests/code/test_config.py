"""Config parsing: every config file in the repo validates; bad input names the key."""


import pytest
import yaml

from tests.helpers import REPO
from tuneops.config import ConfigError, Params, load_params, parse_params

CONFIG_FILES = sorted(REPO.glob("params*.yaml")) + sorted((REPO / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_every_config_file_in_repo_parses(path):
    params = load_params(path)
    assert isinstance(params, Params)
    # Every key written in the file is a real setting (nothing silently ignored).
    assert params.model_dump(mode="json", exclude={"root"}) is not None


def test_params_yaml_values_are_taken_from_file():
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    params = load_params(REPO / "params.yaml")
    assert params.train.max_steps == raw["train"]["max_steps"]
    assert params.curate.dedup.near_threshold == raw["curate"]["dedup"]["near_threshold"]


def test_unknown_key_is_rejected_with_its_dotted_name():
    with pytest.raises(ConfigError) as error:
        parse_params({"train": {"lerning_rate": 0.1}})
    assert "train.lerning_rate: unknown key" in str(error.value)


def test_bad_value_names_the_key():
    with pytest.raises(ConfigError) as error:
        parse_params({"train": {"lora": {"r": 0}}, "curate": {"pii": {"mode": "scramble"}}})
    message = str(error.value)
    assert "train.lora.r" in message
    assert "curate.pii.mode" in message


def test_bands_must_divide_permutations():
    with pytest.raises(ConfigError, match="divisible"):
        parse_params({"curate": {"dedup": {"num_perm": 100, "bands": 32}}})


def test_relative_paths_resolve_against_params_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("paths:\n  state_dir: st\ntracking:\n  mlflow_uri: sqlite:///m/db.sqlite\n")
    params = load_params(path)
    assert params.resolve(params.paths.state_dir) == (tmp_path / "st").resolve()
    assert params.mlflow_uri == f"sqlite:///{(tmp_path / 'm' / 'db.sqlite').resolve()}"


def test_overrides_merge_into_nested_sections(tmp_path):
    params = load_params(REPO / "params.yaml", {"train": {"max_steps": 3}})
    assert params.train.max_steps == 3
    assert params.train.lora.r == load_params(REPO / "params.yaml").train.lora.r


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(bad)


def test_dvc_yaml_reads_params_that_exist():
    """DVC stages list params by dotted key; each must be a real params.yaml key."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    data = yaml.safe_load((REPO / "params.yaml").read_text())
    keys = [key for stage in stages.values() for key in stage.get("params", [])]
    assert keys, "dvc.yaml stages should declare the params they read"
    for key in keys:
        node = data
        for part in key.split("."):
            assert part in node, f"dvc.yaml param {key} not in params.yaml"
            node = node[part]


def test_birth_years_default_is_the_maskers_and_bad_ranges_are_named():
    from tuneops.curate.pii import DEFAULT_BIRTH_YEARS

    assert parse_params({}).curate.pii.birth_years == DEFAULT_BIRTH_YEARS
    assert parse_params({"curate": {"pii": {"birth_years": None}}}).curate.pii.birth_years is None
    with pytest.raises(ConfigError, match="curate.pii.birth_years"):
        parse_params({"curate": {"pii": {"birth_years": [2010, 1900]}}})
