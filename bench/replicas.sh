#!/usr/bin/env bash
# Throughput with 1 and 2 hub processes on one Neo4j and one Redis: see bench/replicas.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export HUB_STATE_DIR=${HUB_STATE_DIR:-/tmp/hub-replicas} HUB_NEO4J_HEAP=2g HUB_NEO4J_PAGECACHE=1g \
       HUB_SCHEDULER_ENABLED=false HUB_RATE_LIMIT_PER_SECOND=0
H=.venv/bin/hub
$H neo4j start >/dev/null
$H migrate >/dev/null 2>&1
$H demo load --subjects 300 >/dev/null 2>&1
HUB_REDIS_URL=$($H redis start)
export HUB_REDIS_URL
$H serve --port 18401 >"$HUB_STATE_DIR/a.log" 2>&1 & A=$!
$H serve --port 18402 >"$HUB_STATE_DIR/b.log" 2>&1 & B=$!
trap 'kill $A $B 2>/dev/null; $H redis stop >/dev/null; $H neo4j stop >/dev/null' EXIT
for port in 18401 18402; do
  until curl -sf "localhost:$port/readyz" >/dev/null; do sleep 0.2; done
done
.venv/bin/python -m bench.replicas "$HUB_STATE_DIR"
