"""``hub ingest``: stream a feed through its connector into the graph, resumably.

Records are mapped and validated in Python, written in batches (one transaction each),
and after each committed batch a checkpoint records the last line done. A run that is
killed resumes from its checkpoint when the same command is run again; since every
write is a keyed MERGE and a replayed statement changes nothing, the batch in flight at
the kill is simply written again. Invalid records go to a rejects file with line, field
and reason.

The re-scores a batch owes (the subjects it touched) are part of its checkpoint and
cleared only once ``on_batch`` has run, so a kill between commit, checkpoint and
re-score never loses one: the resumed run re-scores them first.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import neo4j
import orjson

from connectors import Reject, Row, connector_for
from connectors.base import Context
from connectors.reader import FeedReader
from connectors.record_ids import RecordIds
from hub.graph.writer import GraphWriter, WriteCounts, party_type

#: Called after each committed batch with the subjects it touched (incremental re-score).
BatchHook = Callable[[set[str]], None]
#: Called with (bytes done, bytes total, records read) for progress display.
ProgressHook = Callable[[int, int, int], None]

#: Test-only: ``point:batch`` (e.g. ``after_commit:2``) makes the ingest SIGKILL itself at
#: that point of that batch of the run, so fault tests can kill at an exact moment. Unset
#: in normal use; it can only ever end the ingest process that reads it.
KILL_AT_ENV = "HUB_INGEST_KILL_AT"
KILL_POINTS = ("after_commit", "after_checkpoint", "after_rescore")


def _kill_switch() -> Callable[[str, int], None]:
    spec = os.environ.get(KILL_AT_ENV, "")
    point, _, number = spec.partition(":")
    if point not in KILL_POINTS or not number.isdigit():
        return lambda _point, _batch: None

    def maybe_die(at: str, batch: int) -> None:
        if at == point and batch == int(number):
            os.kill(os.getpid(), signal.SIGKILL)

    return maybe_die


@dataclass
class IngestSummary:
    source: str
    file: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    resumed_from_line: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    batches: int = 0
    subjects: set[str] = field(default_factory=set, repr=False)

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("subjects")
        data["records_per_second"] = round(self.rate, 1)
        return data


@dataclass
class _Batch:
    """A mapped batch and where the file stood after it (for the checkpoint)."""

    rows: list[Row]
    rejects: list[Reject]
    line: int
    read: int
    rejected: int
    position: int


@dataclass
class IngestOptions:
    party: str
    encoding: str = "utf-8"
    fmt: str | None = None
    batch_size: int = 5000
    rejects: Path | None = None
    checkpoint_dir: Path | None = None


def _reuse(ids: RecordIds, record: dict[str, object], line: int) -> Reject | None:
    """A reject if the file already used this record's id for a different record."""
    rid = record.get("record_id")
    if isinstance(rid, bool) or not isinstance(rid, str | int) or not str(rid).strip():
        return None  # the connector rejects a missing or malformed id
    text = str(rid).strip()
    first = ids.claim(text, orjson.dumps(record, option=orjson.OPT_SORT_KEYS), line)
    if first is None:
        return None
    return Reject(line, text, "record_id", f"record_id {text!r} is already used on line "
                                           f"{first} by a different record")


def _save(checkpoint: Path, state: dict[str, object]) -> None:
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    tmp = checkpoint.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(state))
    os.replace(tmp, checkpoint)  # atomic: a kill never leaves half a checkpoint


def _checkpoint_path(directory: Path, source: str, path: Path, party: str) -> Path:
    stat = path.stat()
    ident = f"{source}\0{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{party}"
    return directory / (hashlib.sha256(ident.encode()).hexdigest()[:24] + ".json")


def ingest(driver: neo4j.Driver, database: str, source: str, path: Path,
           options: IngestOptions, pii_key: bytes, *, on_batch: BatchHook | None = None,
           progress: ProgressHook | None = None) -> IngestSummary:
    connector = connector_for(source)
    reader = FeedReader(path, options.encoding, options.fmt)
    party_type(driver, database, options.party)
    writer = GraphWriter(driver, database, options.party)
    rejects_path = options.rejects or path.with_name(path.name + ".rejects.jsonl")
    checkpoint = (_checkpoint_path(options.checkpoint_dir, source, path, options.party)
                  if options.checkpoint_dir else None)

    summary = IngestSummary(source=source, file=str(path), rejects_file=str(rejects_path))
    die = _kill_switch()
    if checkpoint and checkpoint.exists():
        saved = orjson.loads(checkpoint.read_bytes())
        summary.resumed_from_line = int(saved["line"])
        for key in ("read", "created", "updated", "unchanged", "rejected", "batches"):
            setattr(summary, key, int(saved[key]))
        owed = set(saved.get("owed", ()))
        if owed and on_batch:  # the killed run committed these but never re-scored them
            on_batch(owed)
            summary.subjects |= owed
            _save(checkpoint, {**saved, "owed": []})
    else:
        rejects_path.unlink(missing_ok=True)

    began = time.monotonic()
    done_before = summary.batches
    # Mapping (Python) and writing (Neo4j) overlap: the reader thread maps batch N+1
    # while a writer thread commits batch N. Batches are committed, and checkpointed,
    # strictly in file order, so a resume point is always a fully written prefix.
    work: queue.Queue[_Batch | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def commit(job: _Batch) -> None:
        counts = writer.write(job.rows, datetime.now(UTC)) if job.rows else WriteCounts()
        batch_number = summary.batches - done_before + 1
        die("after_commit", batch_number)
        summary.created += counts.created
        summary.updated += counts.updated
        summary.unchanged += counts.unchanged
        touched = {code for row in job.rows for code in row.subjects}
        listings = [str(row.data["store_key"]) for row in job.rows if row.kind == "product"]
        if on_batch and listings:
            touched |= writer.subjects_of_stores(listings)
        summary.subjects |= touched
        if job.rejects:
            with open(rejects_path, "ab") as out:
                for reject in job.rejects:
                    out.write(orjson.dumps(reject.as_dict()) + b"\n")
        summary.batches += 1
        owed = sorted(touched) if on_batch else []
        state: dict[str, object] = {
            "line": job.line, "read": job.read, "rejected": job.rejected,
            **{k: getattr(summary, k) for k in ("created", "updated", "unchanged", "batches")}}
        if checkpoint:
            _save(checkpoint, {**state, "owed": owed})
        die("after_checkpoint", batch_number)
        if on_batch and touched:
            on_batch(touched)
        die("after_rescore", batch_number)
        if checkpoint and owed:
            _save(checkpoint, {**state, "owed": []})
        if progress:
            progress(job.position, reader.size, job.read)

    def write_loop() -> None:
        while (job := work.get()) is not None:
            if not failure:
                try:
                    commit(job)
                except BaseException as exc:  # re-raised in the reading thread
                    failure.append(exc)

    committer = threading.Thread(target=write_loop, name="ingest-writer", daemon=True)
    committer.start()
    batch: list[Row] = []
    pending_rejects: list[Reject] = []
    last_line = summary.resumed_from_line

    def flush() -> None:
        nonlocal batch, pending_rejects
        work.put(_Batch(batch, pending_rejects, last_line, summary.read, summary.rejected,
                        reader.position))
        batch, pending_rejects = [], []

    try:
        ctx = Context.now(pii_key)
        ids = RecordIds()  # rebuilt from the skipped lines on a resume
        for line, item in reader:
            if failure:
                break
            reused = None if isinstance(item, Reject) else _reuse(ids, item, line)
            if line <= summary.resumed_from_line:
                continue
            summary.read += 1
            last_line = line
            mapped = (item if isinstance(item, Reject) else reused
                      or connector.map(item, line, ctx))
            if isinstance(mapped, Reject):
                summary.rejected += 1
                pending_rejects.append(mapped)
            else:
                batch.append(mapped)
            if len(batch) >= options.batch_size:
                flush()
                ctx = Context.now(pii_key)
        if not failure:
            flush()
    finally:
        work.put(None)
        committer.join()
    if failure:
        raise failure[0]
    summary.seconds = time.monotonic() - began
    if checkpoint:
        checkpoint.unlink(missing_ok=True)
    if summary.rejected == 0:
        rejects_path.unlink(missing_ok=True)
        summary.rejects_file = None
    return summary
