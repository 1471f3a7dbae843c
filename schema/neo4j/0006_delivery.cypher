// Alert delivery: webhook registrations, and the outbox queries of the delivery channels
// (hub.delivery). Notification.party_id + created_at is indexed by 0004.
CREATE CONSTRAINT webhook_id IF NOT EXISTS FOR (n:Webhook) REQUIRE n.id IS UNIQUE;
CREATE INDEX webhook_party IF NOT EXISTS FOR (n:Webhook) ON (n.party_id);
CREATE INDEX notification_party_delivered IF NOT EXISTS
  FOR (n:Notification) ON (n.party_id, n.delivered_at);
