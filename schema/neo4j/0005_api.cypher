// API writes: idempotency keys (a replayed mutation returns its first result) and
// platform actions reported through the API.
CREATE CONSTRAINT idempotency_key IF NOT EXISTS FOR (n:IdempotencyKey) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT platform_action_id IF NOT EXISTS FOR (n:PlatformAction) REQUIRE n.id IS UNIQUE;
