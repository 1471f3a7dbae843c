"""The graph issue's ingest benchmark: every feed of a generated set, hub vs. raw driver.

``python -m bench.ingest_bench --scale district|city`` generates (or reuses) the data set,
starts a dedicated Neo4j, ingests each feed with ``hub ingest`` (a child process: wall
time, records/s, peak RSS), then wipes the data and sends the same batches through the
raw driver (``bench.ingestion.raw_ingest``), and writes
``bench/results/<date>-ingest-<scale>.md``. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date, datetime
from pathlib import Path

from bench import ingestion, setup
from bench.config import SCALES
from bench.ingestion import Timed

HERE = Path(__file__).resolve().parent
ORDER = ("registry", "platform", "complaints", "enforcement", "association")


def log(msg: str) -> None:
    print(f"[ingest-bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    ap.add_argument("--scale", choices=sorted(SCALES), default="district")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-raw", action="store_true", help="skip the raw-driver baseline")
    args = ap.parse_args(argv)
    scale = SCALES[args.scale]
    logs = args.data / "logs" / f"ingest-{datetime.now():%Y%m%d-%H%M%S}"
    logs.mkdir(parents=True, exist_ok=True)
    feeds, gen_seconds = setup.generate(scale, args.seed, args.data, log)
    doc = setup.parties(feeds)
    graph, server = setup.start_neo4j(scale, args.data / "ingest-neo4j", log)
    try:
        setup.migrate(graph)
        setup.create_parties(graph, doc)
        env = {**os.environ, **graph.env(), "HUB_STATE_DIR": str(args.data / "state")}
        hub: list[Timed] = []
        began = time.perf_counter()
        for source in ORDER:
            path = feeds / f"{source}.jsonl"
            with open(path, "rb") as fh:
                records = sum(1 for _ in fh)
            log(f"hub ingest {source}: {records:,} records")
            party = setup.ingest_party(source, doc)
            hub.append(ingestion.hub_ingest(source, path, party, env, records,
                                            logs / f"hub-{source}.log"))
            log(f"  {hub[-1].rate:,.0f} records/s, peak RSS {hub[-1].peak_rss / 2**20:.0f} MB")
        hub_total = time.perf_counter() - began
        raw: list[Timed] = []
        if not args.no_raw:
            setup.wipe_data(graph)
            for source in ORDER:
                log(f"raw driver {source}")
                raw.append(ingestion.raw_ingest(graph, source, feeds / f"{source}.jsonl",
                                                setup.ingest_party(source, doc),
                                                b"bench-pii-key"))
                log(f"  {raw[-1].rate:,.0f} records/s (writes only)")
    finally:
        server.stop()
    out = args.out / f"{date.today().isoformat()}-ingest-{scale.name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Ingest benchmark — {scale.name} ({scale.subjects:,} subjects)", "",
        f"Command: `python -m bench.ingest_bench --scale {scale.name}` · "
        f"{datetime.now():%Y-%m-%d %H:%M} · {platform.node()} · 2 cores shared by Neo4j "
        f"(heap {scale.heap}, page cache {scale.pagecache}) and the ingest process.", "",
        f"Data generation: {gen_seconds:.0f} s (`hub demo generate`, seed {args.seed}).", "",
        "| source | records | hub wall s | hub records/s | hub peak RSS MB | hub CPU s |"
        " raw write s | raw records/s | hub ÷ raw |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, h in enumerate(hub):
        r = raw[i] if raw else None
        ratio = f"{h.rate / r.rate:.2f}×" if r and r.rate else "—"
        lines.append(
            f"| {h.name} | {h.records:,} | {h.seconds:.1f} | {h.rate:,.0f} | "
            f"{h.peak_rss / 2**20:.0f} | {h.cpu:.1f} | "
            + (f"{r.seconds:.1f} | {r.rate:,.0f} | {ratio} |" if r else "— | — | — |"))
    total_records = sum(h.records for h in hub)
    lines += ["", f"**Total: {total_records:,} records in {hub_total:.0f} s "
                  f"({total_records / hub_total:,.0f} records/s) through `hub ingest`.** "
                  f"Peak ingest RSS {max(h.peak_rss for h in hub) / 2**20:.0f} MB.", "",
              "The hub's time includes reading, validating, normalising and hashing each "
              "record, the rejects file and checkpoints; the raw baseline times only the "
              "writes of the same batches (the mapping is done outside its timer), so the "
              "ratio is a floor for the hub.", ""]
    out.write_text("\n".join(lines), encoding="utf-8")
    log(f"wrote {out}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
