// The access log's chain heads, anchored at each group commit (hub.audit.anchor): one node
// per chain, named by the hash of the chain's first record. `hub audit verify` reads it to
// detect records cut off the end of the log.
CREATE CONSTRAINT audit_anchor_chain IF NOT EXISTS FOR (n:AuditAnchor) REQUIRE n.chain IS UNIQUE;
