"""Eval contamination: an eval record whose question a training record asks leaves the eval split."""

import json

from tests.helpers import REPO, chat, jsonl_bytes
from tuneops.config import load_params
from tuneops.curate.pipeline import build_masker, curate_to_dir
from tuneops.curate.split import split_of

CFG = load_params(REPO / "params.yaml").curate
QUESTION = "How can I export the quarterly usage report of the admin console as a spreadsheet file?"


def side(record_id: str) -> str:
    return split_of(record_id, None, CFG.split.eval_fraction, CFG.split.seed)


def ids_on(wanted: str, prefix: str, count: int) -> list[str]:
    return [i for i in (f"{prefix}{n}" for n in range(1000)) if side(i) == wanted][:count]


def curate(tmp_path, rows, cfg=CFG):
    raw = tmp_path / "raw.jsonl"
    raw.write_bytes(jsonl_bytes(rows))
    counts = curate_to_dir([raw], cfg, tmp_path / "out", build_masker(cfg), root=tmp_path)
    read = lambda name: [json.loads(line) for line in (tmp_path / "out" / name).read_text().splitlines()]  # noqa: E731
    return counts, read("eval.jsonl"), read("duplicates.jsonl")


def test_eval_questions_seen_in_training_are_removed_in_both_orders(tmp_path):
    (train_a, train_b), (eval_a, eval_b) = ids_on("train", "t", 2), ids_on("eval", "e", 2)
    other_question = "Why does the mobile app log me out every few minutes since the last update?"
    rows = [
        chat(QUESTION, "Open Reports, then Export, then CSV.", record_id=train_a),     # train first ...
        chat(QUESTION, "Use the export button on the usage page.", record_id=eval_a),  # ... then eval: never written
        chat(other_question, "Clear the app cache.", record_id=eval_b),                 # eval first ...
        chat(other_question, "Reinstall the app.", record_id=train_b),                  # ... then train: removed at the end
    ]
    counts, eval_rows, duplicates = curate(tmp_path, rows)
    assert {r["id"] for r in eval_rows}.isdisjoint({eval_a, eval_b})
    contaminated = {d["id"]: d["duplicate_of"] for d in duplicates if d["kind"] == "contamination"}
    assert contaminated == {eval_a: train_a, eval_b: train_b}
    assert counts.contaminated == 2 and counts.eval == 0
    assert counts.inputs == counts.train + counts.eval + counts.duplicates + counts.quarantined


def test_different_questions_and_the_switch_off_keep_eval_records(tmp_path):
    (train_a,), (eval_a,) = ids_on("train", "t", 1), ids_on("eval", "e", 1)
    rows = [chat(QUESTION, "Open Reports.", record_id=train_a),
            chat("Can two people share one licence seat on the team plan?", "No.", record_id=eval_a)]
    assert [r["id"] for r in curate(tmp_path, rows)[1]] == [eval_a]
    same_question = [rows[0], chat(QUESTION, "Use the export button.", record_id=eval_a)]
    off = CFG.model_copy(update={"dedup": CFG.dedup.model_copy(update={"eval_contamination": False})})
    assert [r["id"] for r in curate(tmp_path, same_question, off)[1]] == [eval_a]


def test_external_eval_prompts_asked_by_training_data_are_found():
    """The regression-set check: the same question with another answer counts; another question does not."""
    from tuneops.contamination import overlapping_prompts

    training = [chat(QUESTION, "Use Reports > Export."), chat("My invoice total is wrong this month.", "Sorry!")]
    for i, record in enumerate(training):
        record["id"] = f"train-{i}"
    items = [{"id": "same", "messages": [{"role": "user", "content": QUESTION.replace("How can I", "How do I")}]},
             {"id": "other", "messages": [{"role": "user", "content": "What is the capital of France?"}]}]
    assert overlapping_prompts(items, iter(training), CFG) == {"same": "train-0"}


def test_a_near_duplicate_of_a_later_training_prompt_is_found_too():
    """Training prompts are all indexed, not deduplicated: near duplication is not transitive."""
    from tuneops.contamination import overlapping_prompts

    first = ("Please reset the password of my account, the reset email never arrives and I cannot log in to the "
             "billing portal of the company workspace since the migration last week")
    second = first.replace("the company workspace", "our company space")  # Jaccard 0.85 to first
    third = second.replace("Please reset", "Kindly reset").replace("last week", "last month")  # 0.88 to second, 0.74 to first
    training = [{"id": "a", "messages": [{"role": "user", "content": first}]},
                {"id": "b", "messages": [{"role": "user", "content": second}]}]
    found = overlapping_prompts([{"id": "item", "messages": [{"role": "user", "content": third}]}], training, CFG)
    assert found == {"item": "b"}
