"""DVC snapshots: content-derived ids, restore from the remote, corruption detected."""

import shutil

import pytest

from tuneops.snapshots import SnapshotError, SnapshotStore


def curated_dir(tmp_path, name, text):
    path = tmp_path / name
    path.mkdir()
    (path / "train.jsonl").write_text(text)
    (path / "eval.jsonl").write_text('{"id": "e1"}\n')
    return path


@pytest.fixture
def store(tmp_path):
    return SnapshotStore(tmp_path / "state", str(tmp_path / "remote"))


def test_same_content_same_id_changed_content_new_id(tmp_path, store):
    one = store.create(curated_dir(tmp_path, "a", '{"id": "r1"}\n'), {"note": "first"})
    again = store.create(curated_dir(tmp_path, "b", '{"id": "r1"}\n'), {"note": "second"})
    changed = store.create(curated_dir(tmp_path, "c", '{"id": "r2"}\n'), {})
    assert one.id == again.id != changed.id
    assert len(store.list()) == 2
    assert again.manifest["note"] == "first" and len(again.manifest["reproduced"]) == 1


def test_restore_from_remote_after_local_cache_is_gone(tmp_path, store):
    first = store.create(curated_dir(tmp_path, "a", '{"id": "r1"}\n'), {})
    second = store.create(curated_dir(tmp_path, "b", '{"id": "r2"}\n'), {})
    # A machine that never had the data: only the catalogue and the remote remain.
    shutil.rmtree(store.workspace)
    for snapshot, text in ((first, '{"id": "r1"}\n'), (second, '{"id": "r2"}\n')):
        restored = store.data_dir(store.get(snapshot.id[:10]))
        assert (restored / "train.jsonl").read_text() == text
        assert (restored / "eval.jsonl").read_bytes() == b'{"id": "e1"}\n'


def tamper(root):
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".dir")]
    for path in files:
        path.chmod(0o644)
        path.write_text("tampered\n")
    return files


def test_corrupted_cache_file_is_reported_and_refetched(tmp_path, store, caplog):
    snapshot = store.create(curated_dir(tmp_path, "a", '{"id": "r1"}\n'), {})
    assert tamper(store.workspace / ".dvc" / "cache")
    shutil.rmtree(store.workspace / "dataset")
    with caplog.at_level("WARNING"):
        restored = store.data_dir(snapshot)
    assert "failed its checksum" in caplog.text and "train.jsonl" in caplog.text
    assert (restored / "train.jsonl").read_text() == '{"id": "r1"}\n'


def test_corrupted_cache_and_remote_is_an_error(tmp_path, store):
    snapshot = store.create(curated_dir(tmp_path, "a", '{"id": "r1"}\n'), {})
    tamper(store.workspace / ".dvc" / "cache")
    tamper(tmp_path / "remote")
    shutil.rmtree(store.workspace / "dataset")
    with pytest.raises(SnapshotError):
        store.data_dir(snapshot)


def test_unknown_snapshot_is_a_clear_error(store):
    with pytest.raises(SnapshotError, match="not found"):
        store.get("deadbeef")


def test_restore_by_full_id_on_a_machine_without_catalogue(tmp_path, store):
    snapshot = store.create(curated_dir(tmp_path, "a", '{"id": "r1"}\n'), {})
    elsewhere = SnapshotStore(tmp_path / "other-machine", store.remote_url)
    restored = elsewhere.restore(snapshot.id, tmp_path / "restored")
    assert (restored / "train.jsonl").read_bytes() == b'{"id": "r1"}\n'
    with pytest.raises(SnapshotError, match="full 32-hex id"):
        elsewhere.restore(snapshot.id[:8], tmp_path / "nope")


def test_acceptance_curated_runs_ids_and_byte_identical_restores(tmp_path, store):
    """Two curations of identical inputs share an id; one changed record gives a new id; both restore exactly."""
    import json

    from tests.helpers import demo_records
    from tuneops.config import parse_params
    from tuneops.curate.pipeline import build_masker, curate_to_dir

    cfg = parse_params({"curate": {"validation": {"min_records": 1}}}).curate
    lines = demo_records(120)
    changed = list(lines)
    record = json.loads(changed[5])
    record["messages"][1]["content"] += " Also, the app is slow."
    changed[5] = json.dumps(record).encode()
    snapshots = []
    for name, raw_lines in (("first", lines), ("again", lines), ("changed", changed)):
        raw = tmp_path / name / "raw.jsonl"
        raw.parent.mkdir()
        raw.write_bytes(b"\n".join(raw_lines) + b"\n")
        curate_to_dir([raw], cfg, tmp_path / name / "curated", build_masker(cfg), root=tmp_path / name)
        snapshots.append(store.create(tmp_path / name / "curated", {}))
    first, again, other = snapshots
    assert first.id == again.id != other.id
    shutil.rmtree(store.workspace)  # the local DVC cache is gone; only the remote has the data
    for snapshot, name in ((first, "first"), (other, "changed")):
        target = tmp_path / f"restored-{name}"
        store.restore(snapshot.id, target)
        for path in (tmp_path / name / "curated").iterdir():
            assert (target / path.name).read_bytes() == path.read_bytes()
