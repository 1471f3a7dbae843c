// Credit engine performance: a batch's open alerts are found by an index seek per
// subject (hub.credit.alerts.OPEN_ALERTS_OF) instead of a scan of every alert; the
// (rule, uscc) index of 0004 cannot serve a lookup by uscc alone.
CREATE INDEX alert_uscc IF NOT EXISTS FOR (n:Alert) ON (n.uscc);
