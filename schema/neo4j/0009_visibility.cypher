// Enrolments 入驻 (hub.policy: a platform's first store for a subject is recorded and
// shown to the subject's regulators). One node per (subject, platform), keyed; the
// regulator's listing seeks by division prefix and the anomaly count by (platform, day).
CREATE CONSTRAINT enrolment_key IF NOT EXISTS FOR (n:Enrolment) REQUIRE n.key IS UNIQUE;
CREATE INDEX enrolment_division IF NOT EXISTS FOR (n:Enrolment) ON (n.division);
CREATE INDEX enrolment_platform_day IF NOT EXISTS FOR (n:Enrolment) ON (n.platform_id, n.day);
// Backfill: stores pushed before enrolments were recorded (first sighting of the store).
MATCH (s:Subject)-[:OPERATES]->(st:Store)
WHERE st.platform_id IS NOT NULL AND NOT coalesce(st.stub, false)
WITH s, st.platform_id AS platform, min(st.first_seen) AS at,
     head(collect(st.first_party)) AS party
MERGE (en:Enrolment {key: s.uscc + '@' + platform})
ON CREATE SET en.uscc = s.uscc, en.platform_id = platform, en.party = party, en.at = at,
              en.day = left(at, 10), en.division = s.division, en.unregistered = false,
              en.outside_usual = false, en.backfilled = true
MERGE (en)-[:OF]->(s);
