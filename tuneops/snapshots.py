"""Dataset snapshots versioned with DVC, plus a catalogue with lineage manifests.

The snapshot workspace is a DVC repository of its own (``dvc init --no-scm``)
under the state directory, so creating a snapshot never touches the user's
code checkout. A snapshot's id is DVC's md5 of the curated directory: the
same curated bytes always give the same id. The catalogue keeps, per id,
the ``.dvc`` file needed to restore it from the remote and the lineage
manifest (sources, code version, params, counts, validation).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

DATA_DIR = "dataset"
log = logging.getLogger(__name__)


class SnapshotError(RuntimeError):
    """A snapshot could not be created, found or verified."""


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot: its id and where its catalogue entry lives."""

    id: str
    path: Path  # catalogue entry: <catalogue>/<id>/ with dataset.dvc and manifest.json
    remote_url: str

    @property
    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text())


def file_md5(path: Path) -> str:
    """MD5 hex digest of a file (DVC's checksum, hence MD5)."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def count_lines(path: Path) -> int:
    """Non-blank lines of a file."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def code_version(root: Path) -> dict:
    """Git commit and dirty flag of the code checkout at ``root`` (``None`` outside git)."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "dirty": bool(status) if status is not None else None}


def params_hash(params: dict) -> str:
    """SHA-256 of the canonical JSON of a params mapping (first 16 hex)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


class SnapshotStore:
    """Create, list and locate DVC-versioned dataset snapshots.

    Args:
        state_dir: Holds ``dvc-workspace/`` and ``snapshots/`` (the catalogue).
        remote_url: DVC remote (local directory or cloud URL).
    """

    def __init__(self, state_dir: Path, remote_url: str):
        self.workspace = Path(state_dir) / "dvc-workspace"
        self.catalogue = Path(state_dir) / "snapshots"
        self.remote_url = remote_url

    def _dvc(self, *args: str, cwd: Path | None = None) -> str:
        command = [sys.executable, "-m", "dvc", *args]
        result = subprocess.run(command, cwd=cwd or self.workspace, capture_output=True, text=True)
        if result.returncode:
            raise SnapshotError(f"`dvc {' '.join(args)}` failed: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def ensure_workspace(self) -> None:
        """Create the DVC workspace (no git) and point its default remote at ``remote_url``."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        if not (self.workspace / ".dvc").is_dir():
            self._dvc("init", "--no-scm", "-q")
            self._dvc("config", "core.analytics", "false")
        self._dvc("remote", "add", "--default", "--force", "storage", self.remote_url)

    def create(self, curated_dir: Path, manifest: dict) -> Snapshot:
        """Version ``curated_dir``: ``dvc add``, ``dvc push``, then catalogue the ``.dvc`` file and manifest.

        Args:
            curated_dir: Directory of curated outputs (train/eval/... and report.json).
            manifest: Lineage facts; ``snapshot_id``, ``created`` and ``dvc`` are added here.

        Returns:
            The ``Snapshot``. Identical content gives the identical id.
        """
        self.ensure_workspace()
        target = self.workspace / DATA_DIR
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(curated_dir, target)
        self._dvc("add", "-q", DATA_DIR)
        dvc_file = self.workspace / f"{DATA_DIR}.dvc"
        out = yaml.safe_load(dvc_file.read_text())["outs"][0]
        snapshot_id = out["md5"].removesuffix(".dir")
        self._dvc("push", "-q")
        entry = self.catalogue / snapshot_id
        entry.mkdir(parents=True, exist_ok=True)
        shutil.copy(dvc_file, entry / f"{DATA_DIR}.dvc")
        full = {
            **manifest,
            "snapshot_id": snapshot_id,
            "created": manifest.get("created") or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "dvc": {"md5": out["md5"], "size": out.get("size"), "nfiles": out.get("nfiles"), "remote_url": self.remote_url,
                    "dvc_file": dvc_file.read_text()},
        }
        manifest_path = entry / "manifest.json"
        if manifest_path.exists():  # same content again: keep the first manifest, record the re-run
            previous = json.loads(manifest_path.read_text())
            previous.setdefault("reproduced", []).append({"created": full["created"], "flow_run_id": manifest.get("flow_run_id")})
            full = previous
        manifest_path.write_text(json.dumps(full, indent=2, sort_keys=True, default=str) + "\n")
        return Snapshot(snapshot_id, entry, self.remote_url)

    def get(self, snapshot_id: str) -> Snapshot:
        """The catalogued snapshot with this id (a unique prefix is enough)."""
        matches = [p for p in self.catalogue.glob(f"{snapshot_id}*") if (p / "manifest.json").is_file()]
        if len(matches) != 1:
            problem = "ambiguous prefix" if matches else "not found in the catalogue (give the full 32-hex id to fetch it from the remote)"
            raise SnapshotError(f"snapshot {snapshot_id!r}: {problem}")
        return Snapshot(matches[0].name, matches[0], self.remote_url)

    def list(self) -> list[Snapshot]:
        """All catalogued snapshots, newest first."""
        entries = [Snapshot(p.name, p, self.remote_url) for p in self.catalogue.glob("*") if (p / "manifest.json").is_file()]
        return sorted(entries, key=lambda s: s.manifest.get("created", ""), reverse=True)

    def data_dir(self, snapshot: Snapshot | str) -> Path:
        """Workspace directory holding the snapshot's files, checked out from cache or remote and verified.

        ``snapshot`` may be a bare 32-hex id that this machine has never seen:
        the id is DVC's directory md5, which is all DVC needs to fetch it from
        the remote. Corrupt files in the local DVC cache are reported, dropped
        and fetched again from the remote; if the remote copy is bad too, or
        the checked-out files do not match, ``SnapshotError``.
        """
        snapshot_id = snapshot.id if isinstance(snapshot, Snapshot) else snapshot
        self.ensure_workspace()
        (self.workspace / f"{DATA_DIR}.dvc").write_text(self._dvc_file_text(snapshot_id))
        for relpath in self.drop_corrupt_cache(snapshot_id):
            log.warning("snapshot %s: cached %s failed its checksum; fetching it again from %s",
                        snapshot_id, relpath, self.remote_url)
        self._dvc("pull", "-q", "--force")
        target = self.workspace / DATA_DIR
        self.verify(snapshot_id, target)
        return target

    def restore(self, snapshot_id: str, destination: Path) -> Path:
        """Copy a snapshot's files into ``destination`` (byte-identical, checksums verified).

        Works on a machine without the catalogue entry when given the full id.
        """
        full_id = snapshot_id if len(snapshot_id) == 32 else self.get(snapshot_id).id
        source = self.data_dir(full_id)
        destination = Path(destination)
        destination.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.rglob("*")):
            if path.is_file():
                target = destination / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        self.verify(full_id, destination)
        return destination

    def _dvc_file_text(self, snapshot_id: str) -> str:
        entry = self.catalogue / snapshot_id / f"{DATA_DIR}.dvc"
        if entry.is_file():
            return entry.read_text()
        if not re.fullmatch(r"[0-9a-f]{32}", snapshot_id):
            raise SnapshotError(f"snapshot {snapshot_id!r}: not in the catalogue; give the full 32-hex id to fetch it from the remote")
        return yaml.safe_dump({"outs": [{"md5": f"{snapshot_id}.dir", "hash": "md5", "path": DATA_DIR}]})

    def verify(self, snapshot_id: str, directory: Path) -> None:
        """Raise ``SnapshotError`` if the files in ``directory`` do not match the snapshot's checksums."""
        for relpath, md5 in self._expected_files(snapshot_id).items():
            path = Path(directory) / relpath
            if not path.is_file() or file_md5(path) != md5:
                raise SnapshotError(f"snapshot {snapshot_id}: {relpath} is missing or does not match its checksum")

    def _cache_path(self, md5: str) -> Path:
        return self.workspace / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]

    def drop_corrupt_cache(self, snapshot_id: str) -> list[str]:
        """Delete cached files of the snapshot whose content does not match their md5; return their paths."""
        if not self._cache_path(snapshot_id + ".dir").is_file():
            return []
        corrupt = []
        for relpath, md5 in self._expected_files(snapshot_id).items():
            cached = self._cache_path(md5)
            if cached.is_file() and file_md5(cached) != md5:
                cached.unlink()
                corrupt.append(relpath)
        return corrupt

    def _expected_files(self, snapshot_id: str) -> dict[str, str]:
        cache = self._cache_path(snapshot_id + ".dir")
        if not cache.is_file():
            self._dvc("fetch", "-q")
        if not cache.is_file():
            raise SnapshotError(f"snapshot {snapshot_id}: not found in the DVC cache or the remote {self.remote_url}")
        entries = json.loads(cache.read_text())
        if file_md5(cache) != snapshot_id:
            raise SnapshotError(f"snapshot {snapshot_id}: its directory listing does not match its checksum")
        return {entry["relpath"]: entry["md5"] for entry in entries}
