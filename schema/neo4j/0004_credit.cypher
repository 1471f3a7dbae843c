// Credit engine (hub.credit): assessments, class history, sandbox events, alerts and their
// workflow, the notification outbox, platform actions, inspection plans, reminders, clock.
CREATE CONSTRAINT credit_assessment_id IF NOT EXISTS FOR (n:CreditAssessment) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT class_change_id IF NOT EXISTS FOR (n:ClassChange) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT sandbox_event_id IF NOT EXISTS FOR (n:SandboxEvent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT alert_id IF NOT EXISTS FOR (n:Alert) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT alert_step_id IF NOT EXISTS FOR (n:AlertStep) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT guidance_id IF NOT EXISTS FOR (n:Guidance) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT notification_id IF NOT EXISTS FOR (n:Notification) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT platform_action_id IF NOT EXISTS FOR (n:PlatformAction) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT inspection_plan_id IF NOT EXISTS FOR (n:InspectionPlan) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT reminder_id IF NOT EXISTS FOR (n:Reminder) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT clock_id IF NOT EXISTS FOR (n:Clock) REQUIRE n.id IS UNIQUE;
// Listing and counting by class, sandbox membership, alert state and the outbox.
CREATE INDEX subject_credit_class IF NOT EXISTS FOR (n:Subject) ON (n.credit_class);
CREATE INDEX subject_in_sandbox IF NOT EXISTS FOR (n:Subject) ON (n.in_sandbox);
CREATE INDEX alert_status IF NOT EXISTS FOR (n:Alert) ON (n.status);
CREATE INDEX alert_rule_uscc IF NOT EXISTS FOR (n:Alert) ON (n.rule, n.uscc);
CREATE INDEX alert_deadline IF NOT EXISTS FOR (n:Alert) ON (n.deadline);
CREATE INDEX notification_party IF NOT EXISTS FOR (n:Notification) ON (n.party_id, n.created_at);
CREATE INDEX party_type IF NOT EXISTS FOR (n:Party) ON (n.type);
