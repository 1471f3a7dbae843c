"""Enrolments 入驻 as the subject's regulators see them, and the daily anomaly rule.

Enrolment is how a platform gains a subject's full view, so it cannot be silent: the
store upsert records each (:Enrolment, hub.graph.ingest_cypher.ENROLMENT) and this
module's query shows them to the regulators of the subject's division, with two flags a
regulator wants (the code was unknown to the registry; the platform, with an established
base, had never enrolled anyone in that city) and the anomalies: a platform enrolling
more than ``enrolment.daily_threshold`` subjects of the caller's scope in one day.
Counts are over the caller's scope only, like every count (issue #11 item 5).
"""

from __future__ import annotations

from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import sees


def query(policy: CompiledPolicy, platform: bool) -> str:
    """Parameters: ``$since`` (a day), ``$limit``, ``$threshold`` and, with ``platform``,
    ``$platform``; the caller's policy parameters. Returns ``rows`` (newest first) and
    ``anomalies``."""
    where = (f"en.day >= $since AND {policy.full('s')} AND {sees(policy, 'Enrolment', 'en')}"
             + (" AND en.platform_id = $platform" if platform else ""))
    return f"""
CALL () {{
  MATCH (en:Enrolment)-[:OF]->(s:Subject) WHERE {where}
  WITH en.platform_id AS platform, en.day AS day, count(*) AS n WHERE n > $threshold
  WITH platform, day, n ORDER BY day DESC, platform
  RETURN collect({{platform: platform, day: day, count: n}}) AS anomalies
}}
CALL () {{
  MATCH (en:Enrolment)-[:OF]->(s:Subject) WHERE {where}
  WITH en ORDER BY en.at DESC, en.key LIMIT $limit
  RETURN collect(en {{.uscc, .platform_id, .party, .at, .unregistered, .outside_usual}})
         AS rows
}}
RETURN rows, anomalies"""
