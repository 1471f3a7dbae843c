"""``python -m bench [--scale district|city] [--quick] [--out bench/results]``.

Reproduces every benchmark in one run — data, ingestion, the hub's workloads, raw-Cypher
baselines and the Neo4j GraphQL Library peer — and writes ``<out>/<date>-<scale>.md`` and
its PNG plots. Everything it starts is stopped at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import signal
import sys
import time
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import ingestion, report, runner, services, setup
from bench.config import SCALES, Scale
from bench.procs import Procs
from bench.runner import Result
from bench.workloads import Party, Workload

HERE = Path(__file__).resolve().parent


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["district", "city"], default="district")
    ap.add_argument("--quick", action="store_true",
                    help="2,000 subjects and short runs (under 3 minutes)")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--data", type=Path, default=HERE / "data",
                    help="generated feeds, the bench Neo4j, logs (gitignored)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-peer", action="store_true", help="skip the Neo4j GraphQL peer")
    ap.add_argument("--reuse-graph", action="store_true",
                    help="keep the graph a previous run of this scale ingested and scored: "
                         "only the API workloads run (report: <date>-<scale>-api.md)")
    ap.add_argument("--pin", action="store_true",
                    help="taskset: load generator on CPU 1, hub and peer on CPU 0 "
                         "(Neo4j unpinned)")
    return ap.parse_args(argv)


class Suite:
    def __init__(self, args: argparse.Namespace, scale: Scale) -> None:
        self.args, self.scale = args, scale
        self.procs = Procs()
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.logs = args.data / "logs" / self.stamp
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pii_key = secrets.token_urlsafe(32)
        self.peer_secret = secrets.token_urlsafe(32)
        self.results: list[Result] = []
        self.notes: list[str] = []
        self.timings: dict[str, float] = {}
        self.info: dict[str, Any] = {}
        self.gen_cpus = "1" if args.pin else None
        self.srv_cpus = "0" if args.pin else None

    # -- steps ---------------------------------------------------------------------------
    def run(self) -> Path:
        began = time.perf_counter()
        failed: Exception | None = None
        try:
            self._run()
        except Exception as exc:
            failed = exc
            self.notes.append(f"The run failed: {exc!r}")
        finally:
            log("stopping everything this run started")
            self.procs.close()
        self.timings["total"] = time.perf_counter() - began
        path = self.write()
        if failed:
            log(f"partial report: {path}")
            raise failed
        return path

    def _run(self) -> None:
        s, a = self.scale, self.args
        log(f"scale {s.name}: {s.subjects:,} subjects, seed {a.seed}")
        feeds, gen_s = setup.generate(s, a.seed, a.data, log)
        self.timings["generate"] = gen_s
        self.feeds = feeds
        manifest = json.loads((feeds / "manifest.json").read_text(encoding="utf-8"))
        self.doc = setup.parties(feeds)

        t = time.perf_counter()
        self.graph, server = setup.start_neo4j(s, a.data / "neo4j", log,
                                               fresh=not a.reuse_graph)
        self.procs.on_close("neo4j", server.stop)
        self.timings["neo4j start"] = time.perf_counter() - t
        setup.migrate(self.graph)
        setup.create_parties(self.graph, self.doc)
        if a.reuse_graph:
            self.info["graph"] = ingestion.count_subjects(self.graph)
            if not self.info["graph"].get("subjects"):
                raise RuntimeError("--reuse-graph: the bench database holds no subjects; "
                                   "run once without --reuse-graph")
            self.notes.append("Graph reused from an earlier run of this scale "
                              "(--reuse-graph): its ingest and rescore figures are in that "
                              "run's report.")
            log(f"reusing the graph: {self.info['graph']}")
            self.serve()
            return

        env = {**__import__("os").environ, **self.graph.env(), "HUB_PII_KEY": self.pii_key,
               "HUB_STATE_DIR": str(a.data / "state-ingest"), "HUB_ENV": "production"}
        counts = {name: f["records"] for name, f in manifest["files"].items()}
        # Raw baseline first, on the fresh store; then wipe and let the hub ingest.
        self.raw_ingest: dict[str, ingestion.Timed] = {}
        if s.raw_ingest:
            for source in setup.SOURCES:
                party = setup.ingest_party(source, self.doc)
                log(f"raw-driver ingest {source}")
                self.raw_ingest[source] = ingestion.raw_ingest(
                    self.graph, source, feeds / f"{source}.jsonl", party,
                    self.pii_key.encode())
            t = time.perf_counter()
            setup.wipe_data(self.graph)
            self.timings["wipe after raw ingest"] = time.perf_counter() - t
        else:
            self.notes.append(f"No raw-driver ingest baseline at scale {s.name} (it would "
                              "double the ingest time); the district run and "
                              "`python -m bench.ingest_bench` report hub ÷ raw ingest.")
        self.hub_ingest: list[ingestion.Timed] = []
        for source in setup.SOURCES:
            party = setup.ingest_party(source, self.doc)
            log(f"hub ingest {source} ({counts[source + '.jsonl']:,} records, party {party})")
            self.hub_ingest.append(ingestion.hub_ingest(
                source, feeds / f"{source}.jsonl", party, env, counts[source + ".jsonl"],
                self.logs / "ingest.log"))
        if s.rescore:
            log("hub credit rescore (all subjects)")
            self.rescore = ingestion.rescore(env, self.logs / "rescore.log")
        else:
            self.notes.append("No `hub credit rescore` in this scale (--quick): subjects "
                              "carry no risk class, so subjects-regulator filters by "
                              "division only.")
        self.info["graph"] = ingestion.count_subjects(self.graph)
        log(f"graph: {self.info['graph']}")
        self.serve()

    def serve(self) -> None:
        from bench import workloads as wl
        from hub.auth import create_client
        from hub.policy.compiled import PolicyBook

        a, _s = self.args, self.scale
        reg = self.doc["regulators"][0]
        plat = self.doc["platforms"][0]
        assoc = self.doc["associations"][0]
        self.parties = {
            "regulator": Party(reg["party_id"], "regulator", tuple(reg["jurisdiction"])),
            "platform": Party(plat["party_id"], "platform", platform_id=plat["platform_id"]),
            "association": Party(assoc["party_id"], "association",
                                 association_id=assoc["association_id"])}
        with self.graph.driver() as driver:
            self.creds = {role: create_client(driver, p.id)
                          for role, p in self.parties.items()}
            samples = wl.sample(driver, plat["platform_id"], assoc["association_id"], a.seed)
        self.info["samples"] = {"merchants": len(samples.merchants),
                                "related roots": len(samples.related),
                                "divisions": samples.divisions, "classes": samples.classes,
                                "rated members": len(samples.members)}
        book = PolicyBook.load()
        self.workloads = wl.build(book, samples, self.parties["platform"],
                                  self.parties["regulator"], self.parties["association"],
                                  (2, 3, 4), a.seed)
        log("starting the hub (audit on) and the hub (audit off), production mode")
        self.hub = services.start_hub(self.procs, "hub", self.graph, a.data / "state-hub",
                                      self.pii_key, audit=True, cpus=self.srv_cpus,
                                      log=self.logs / "hub.log")
        self.hub_na = services.start_hub(self.procs, "hub-noaudit", self.graph,
                                         a.data / "state-hub-noaudit", self.pii_key,
                                         audit=False, cpus=self.srv_cpus,
                                         log=self.logs / "hub-noaudit.log")
        self.profile_hub()
        self.peer: services.Server | None = None
        if not a.no_peer:
            self.start_peer()
        else:
            self.notes.append("The peer was skipped (--no-peer).")
        for w in self.workloads:
            self.run_workload(w)
        self.sweep()

    def start_peer(self) -> None:
        why = services.npm_install(self.logs / "npm.log")
        if why:
            self.notes.append(f"The peer was skipped: {why} (see {self.logs / 'npm.log'}).")
            log(self.notes[-1])
            return
        self.profile_peer()
        self.peer = services.start_peer(self.procs, self.graph, self.peer_secret,
                                        cpus=self.srv_cpus, log=self.logs / "peer.log")

    # -- dbHits --------------------------------------------------------------------------
    def profile_hub(self) -> None:
        from bench.profile import profile

        self.hits: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, list[str]] = {}
        with self.graph.driver() as driver:
            for w in self.workloads:
                if w.profile_hub:
                    p = profile(driver, w.profile_hub["cypher"], w.profile_hub["params"])
                    self.hits.setdefault(w.name, {})["hub"] = p["db_hits"]
                    self.plans[f"hub {w.name}"] = p["ops"]

    def profile_peer(self) -> None:
        """Run the peer once with debug logging, send each shared query once, PROFILE them."""
        import httpx

        from bench.profile import peer_queries, profile

        dlog = self.logs / "peer-debug.log"
        peer = services.start_peer(self.procs, self.graph, self.peer_secret,
                                   cpus=self.srv_cpus, log=dlog, debug=True)
        token = services.peer_token(self.parties["platform"].platform_id or "",
                                    self.peer_secret)
        shared = [w for w in self.workloads if w.peer]
        try:
            for w in shared:
                resp = httpx.post(f"{peer.url}/graphql", json=w.peer[0],
                                  headers={"authorization": f"Bearer {token}"}, timeout=60)
                body = resp.json()
                if body.get("errors"):
                    self.notes.append(f"peer error on {w.name}: {body['errors'][0]}")
                time.sleep(0.2)
        finally:
            self.procs.stop(peer.proc)
        captured = peer_queries(dlog)
        if len(captured) < len(shared):
            self.notes.append(f"captured {len(captured)} peer queries for {len(shared)} "
                              f"shared workloads; dbHits of the peer incomplete")
        with self.graph.driver() as driver:
            for w, (cypher, params) in zip(shared, captured, strict=False):
                sent = next(iter(w.peer[0]["variables"].values()))
                if isinstance(params.get("param0"), list):
                    params["param0"] = sent  # Node's log truncates long arrays
                try:
                    p = profile(driver, cypher, params)
                except Exception as exc:
                    self.notes.append(f"PROFILE of the peer's {w.name} failed: {exc}")
                    continue
                self.hits.setdefault(w.name, {})["peer"] = p["db_hits"]
                self.plans[f"peer {w.name}"] = p["ops"]
                self.info.setdefault("peer_cypher", {})[w.name] = cypher

    # -- load ----------------------------------------------------------------------------
    def _tokens(self, server: services.Server, role: str) -> str:
        cid, secret = self.creds[role]
        return services.hub_token(server.url, cid, secret)

    def load(self, w: Workload, target: str, *, mode: str = "closed",
             concurrency: int | None = None, rate: float = 0.0,
             name: str | None = None) -> Result | None:
        s = self.scale
        conc = concurrency or s.concurrency
        spec: dict[str, Any] = {"mode": mode, "concurrency": conc, "rate": rate,
                                "warmup": s.warmup,
                                "duration": s.open_duration if mode == "open" else s.duration}
        servers = {"neo4j": self.graph.pid}
        if target in ("hub", "hub-noaudit"):
            srv = self.hub if target == "hub" else self.hub_na
            spec.update(target="http", url=f"{srv.url}/graphql", requests=w.hub,
                        headers={"authorization": f"Bearer {self._tokens(srv, w.party)}"})
            if w.unique:
                spec["unique"] = w.unique
            servers["front"] = srv.pid
        elif target == "peer":
            if not self.peer or not w.peer:
                return None
            tok = services.peer_token(self.parties["platform"].platform_id or "",
                                      self.peer_secret)
            spec.update(target="http", url=f"{self.peer.url}/graphql", requests=w.peer,
                        headers={"authorization": f"Bearer {tok}"})
            servers["front"] = self.peer.pid
        else:
            reqs = w.raw if target == "raw" else w.raw_unscoped
            if not reqs:
                return None
            g = self.graph
            spec.update(target="bolt", requests=reqs,
                        bolt={"uri": g.uri, "user": g.user, "password": g.password})
        label = name or w.name
        log(f"{label}: {target} {mode} "
            f"{'x' + str(conc) if mode == 'closed' else f'{rate:.0f}/s'}")
        try:
            r = runner.run(label, target, spec, servers, gen_cpus=self.gen_cpus,
                           log=self.logs / "loadgen.log")
        except RuntimeError as exc:
            self.notes.append(str(exc))
            log(str(exc))
            return None
        if r.errors:
            self.notes.append(f"{label}/{target}/{mode}: {r.errors} of {r.count} requests "
                              f"failed or returned GraphQL errors")
        self.results.append(r)
        return r

    def run_workload(self, w: Workload) -> None:
        hub = self.load(w, "hub")
        if w.name == "complianceStatus-1":
            self.load(w, "hub-noaudit")
        self.load(w, "raw")
        if self.scale.unscoped:
            self.load(w, "raw-unscoped")
        self.load(w, "peer")
        quick = self.scale.name == "quick"
        if hub and hub.throughput and w.open_loop and (not quick or w.name in (
                "complianceStatus-1", "portrait-platform")):
            self.load(w, "hub", mode="open", rate=max(1.0, round(hub.throughput * 0.5)))

    def sweep(self) -> None:
        w = self.workloads[0]  # complianceStatus-1
        targets = ("hub", "peer") if self.scale.name == "quick" else ("hub", "peer", "raw")
        for conc in self.scale.sweep:
            for target in targets:
                self.load(w, target, concurrency=conc, name=f"sweep-{conc}")

    # -- report --------------------------------------------------------------------------
    def write(self) -> Path:
        a, s = self.args, self.scale
        out: Path = a.out
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{date.today():%Y-%m-%d}-{s.name}{'-api' if a.reuse_graph else ''}"
        pngs = report.plots(self.results, out, stem)
        (a.data / "logs" / self.stamp / "results.json").write_text(json.dumps(
            [r.summary() for r in self.results], indent=1), encoding="utf-8")
        cmd = "python -m bench " + " ".join(shlex.quote(x) for x in sys.argv[1:])
        L: list[str] = [f"# Benchmark {date.today():%Y-%m-%d}, scale {s.name}", "",
                        f"Command: `{cmd.strip()}` (seed {a.seed}); total wall time "
                        f"{self.timings.get('total', 0):.0f} s.", ""]
        L += ["## Machine", "", *[f"- {m}" for m in report.machine()],
              f"- Neo4j 5.26 (LocalNeo4j) heap {s.heap}, page cache {s.pagecache}; "
              f"hub: 1 uvicorn worker, HUB_ENV=production, rate limits off; "
              f"pinning: {'taskset (generator CPU 1, hub/peer CPU 0)' if a.pin else 'none'}",
              f"- Runs: warm-up {s.warmup}s, closed loop {s.duration}s at "
              f"{s.concurrency} clients, open loop {s.open_duration}s at 50% of the "
              f"closed-loop hub throughput", ""]
        if self.info.get("graph"):
            L += [f"Graph after ingest: {json.dumps(self.info['graph'])}", "",
                  f"Samples: {json.dumps(self.info.get('samples', {}), ensure_ascii=False)}",
                  ""]
        L += ["## Timings", "", *[f"- {k}: {v:.1f} s" for k, v in self.timings.items()], ""]
        if getattr(self, "hub_ingest", None):
            L += ["## Ingestion (hub command vs raw driver, same batches and Cypher)", "",
                  *report.ingestion_table(self.hub_ingest, self.raw_ingest), "",
                  "Hub wall time includes interpreter start, connector mapping, content "
                  "hashing and checkpoints; the raw baseline times only "
                  "`session.execute_write` (its mapping time is shown apart). The raw "
                  "baseline ran first on the fresh store, then the data was deleted "
                  "(parties kept) and the hub ingested." if self.raw_ingest else
                  "Hub wall time includes interpreter start, connector mapping, content "
                  "hashing and checkpoints. No raw baseline at this scale (see Notes).", ""]
            total = sum(t.seconds for t in self.hub_ingest)
            peak = max(t.peak_rss for t in self.hub_ingest) / 2 ** 20
            raw_total = sum(r.seconds for r in self.raw_ingest.values())
            vs_raw = f"{raw_total / total:.2f}×" if raw_total and total else "not run"
            L += [f"Targets (reported, not asserted): city set under 15 min — this set "
                  f"{total / 60:.1f} min at {s.subjects:,} subjects; ingest memory < 500 MB "
                  f"— peak {peak:.0f} MB; ≥ 0.8× raw — {vs_raw}.", ""]
            rs = getattr(self, "rescore", None)
            if rs:
                L += [f"`hub credit rescore` (all subjects): {rs.seconds:.1f} s wall, "
                      f"{rs.cpu:.1f} s CPU, peak RSS {rs.peak_rss / 2 ** 20:.0f} MB.", ""]
        L += ["## Workloads", "",
              "Latency in ms (closed loop: from send; open loop: from the scheduled send). "
              "CPU s/1k = CPU seconds per 1,000 requests of the front process (hub, peer; "
              "none for raw) and of Neo4j, from /proc utime+stime; RSS after the run.", ""]
        by: dict[str, list[Result]] = {}
        for r in self.results:
            by.setdefault(r.workload, []).append(r)
        desc = {w.name: w.description for w in self.workloads} if hasattr(
            self, "workloads") else {}
        for name, rs in by.items():
            if name.startswith("sweep"):
                continue
            L += [f"### {name}", "", desc.get(name, ""), "", *report.workload_table(rs), ""]
        sweep = [r for r in self.results if r.workload.startswith("sweep")]
        if sweep:
            L += ["### Concurrency sweep (complianceStatus-1, closed loop)", "",
                  *report.workload_table(sorted(sweep, key=lambda r: (r.target,
                                                                      r.concurrency))), ""]
        names = [w.name for w in getattr(self, "workloads", [])]
        L += ["## Ratios", "", "### Hub ÷ raw Cypher (same data, same scope predicate)", "",
              *report.ratio_table(self.results, names, "raw"), "",
              "### Policy + audit overhead (complianceStatus-1)", ""]
        L += self._overhead()
        if self.peer or any("peer" in h for h in getattr(self, "hits", {}).values()):
            L += ["", "### Hub ÷ peer (Neo4j GraphQL Library 7, graphql-yoga)", "",
                  *report.ratio_table(self.results, names, "peer", self.hits), "",
                  "Throughput ratio > 1 and p50 ratio < 1 favour the hub. dbHits: "
                  "PROFILE of each side's query for the first request of the workload "
                  "(hub: the builders' text; peer: captured with DEBUG=@neo4j/graphql:*). "
                  "The peer's lookup returns only in-scope subjects (no 'status' view "
                  "for other codes) — it does less than the hub's complianceStatus.", ""]
        L += ["## Load generator CPU", "", *self._gen_check()]
        if getattr(self, "plans", None):
            L += ["", "## Query plans (PROFILE)", ""]
            for k, ops in self.plans.items():
                L += [f"<details><summary>{k}</summary>", "", "```", *ops[:60], "```",
                      "</details>", ""]
        if pngs:
            L += ["## Plots", "", *[f"![{p}]({p})" for p in pngs], ""]
        if self.notes:
            L += ["## Notes", "", *[f"- {n}" for n in self.notes], ""]
        path = out / f"{stem}.md"
        path.write_text("\n".join(L) + "\n", encoding="utf-8")
        return path

    def _overhead(self) -> list[str]:
        rows = ["| variant | req/s | p50 ms | p99 ms | hub CPU s/1k | Neo4j CPU s/1k |",
                "|---|---:|---:|---:|---:|---:|"]
        for t in ("hub", "hub-noaudit", "raw", "raw-unscoped", "peer"):
            r = report._closed(self.results, "complianceStatus-1", t)
            if r:
                rows.append(f"| {t} | {r.throughput:,.0f} | {r.pct(50):.2f} | "
                            f"{r.pct(99):.2f} | {r.cpu_per_1k('front'):.2f} | "
                            f"{r.cpu_per_1k('neo4j'):.2f} |")
        return rows

    def _gen_check(self) -> list[str]:
        ok = bad = 0
        worst: list[str] = []
        for r in self.results:
            front = r.server_cpu.get("front", 0.0) + r.server_cpu.get("neo4j", 0.0)
            if r.gen_cpu < front:
                ok += 1
            else:
                bad += 1
                worst.append(f"{r.workload}/{r.target}/{r.mode}: generator {r.gen_cpu:.2f} s "
                             f"vs servers {front:.2f} s")
        lines = [f"The generator used less CPU than the servers it loaded (front + Neo4j) in "
                 f"{ok} of {ok + bad} runs."]
        if worst:
            lines += ["Runs where it did not (raw-Cypher runs have no front process; there "
                      "the driver-side work is the generator itself):", "",
                      *[f"- {x}" for x in worst]]
        return lines


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    scale = SCALES["quick" if args.quick else args.scale]
    signal.signal(signal.SIGTERM, _interrupt)
    suite = Suite(args, scale)
    try:
        path = suite.run()
    except KeyboardInterrupt:
        log("interrupted; everything started was stopped")
        return 130
    log(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
