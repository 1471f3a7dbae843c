// Trust layer (hub.auth): parties' clients, cooperation agreements, revoked access tokens
// and used private_key_jwt assertion ids. Party.id is unique since 0001.
CREATE CONSTRAINT client_client_id IF NOT EXISTS FOR (c:Client) REQUIRE c.client_id IS UNIQUE;
CREATE CONSTRAINT agreement_id IF NOT EXISTS FOR (a:Agreement) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT revoked_token_jti IF NOT EXISTS FOR (r:RevokedToken) REQUIRE r.jti IS UNIQUE;
// RFC 7523 §3: an assertion's jti is single-use; the key is "<client_id> <jti>".
CREATE CONSTRAINT used_assertion_key IF NOT EXISTS FOR (u:UsedAssertion) REQUIRE u.key IS UNIQUE;
CREATE INDEX client_party IF NOT EXISTS FOR (c:Client) ON (c.party_id);
CREATE INDEX agreement_party IF NOT EXISTS FOR (a:Agreement) ON (a.party_id);
// Expired revocations and assertion ids are pruned by expiry.
CREATE INDEX revoked_token_expiry IF NOT EXISTS FOR (r:RevokedToken) ON (r.expires_at);
CREATE INDEX used_assertion_expiry IF NOT EXISTS FOR (u:UsedAssertion) ON (u.expires_at);
