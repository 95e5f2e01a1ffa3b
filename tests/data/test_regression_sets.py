"""The shipped general-capability sets: regression prompts must not be asked by the training data."""

import itertools

from tests.helpers import DEMO_DATA, REPO
from tuneops.config import load_params
from tuneops.contamination import overlapping_prompts
from tuneops.curate.ingest import ingest
from tuneops.records import read_jsonl

PARAMS = load_params(REPO / "params.yaml")


def test_regression_prompts_are_neither_replay_prompts_nor_demo_tickets():
    training = itertools.chain(read_jsonl(PARAMS.resolve(PARAMS.train.replay.prompts)),
                               (r for r in ingest([DEMO_DATA], PARAMS.curate.max_chars) if isinstance(r, dict)))
    assert overlapping_prompts(read_jsonl(PARAMS.resolve(PARAMS.evaluate.regression_set)), training, PARAMS.curate) == {}


def test_replay_prompts_are_distinct():
    prompts = [r["messages"][0]["content"].lower() for r in read_jsonl(PARAMS.resolve(PARAMS.train.replay.prompts))]
    assert len(prompts) == len(set(prompts))
