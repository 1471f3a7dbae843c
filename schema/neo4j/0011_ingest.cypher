// Ingest replays: a row whose record already stated a since-superseded version is found
// by an index seek on the Revision's key (hub.graph.ingest_cypher.upsert), so replaying a
// feed never re-applies an old statement. Revisions written before this migration have
// no of_key and are not consulted.
CREATE INDEX revision_of_key IF NOT EXISTS FOR (r:Revision) ON (r.of_key);
