// The credit graph's keys (every MERGE is backed by one of these) and the indexes
// the queries need. See schema/model.md.
CREATE CONSTRAINT person_key IF NOT EXISTS FOR (n:Person) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT address_key IF NOT EXISTS FOR (n:Address) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT phone_key IF NOT EXISTS FOR (n:Phone) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT store_key IF NOT EXISTS FOR (n:Store) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT product_key IF NOT EXISTS FOR (n:Product) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT evaluation_id IF NOT EXISTS FOR (n:CreditEvaluation) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT complaint_id IF NOT EXISTS FOR (n:Complaint) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT case_id IF NOT EXISTS FOR (n:Case) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT inspection_id IF NOT EXISTS FOR (n:Inspection) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT annual_report_key IF NOT EXISTS FOR (n:AnnualReport) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT registration_change_id IF NOT EXISTS FOR (n:RegistrationChange) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT licence_key IF NOT EXISTS FOR (n:Licence) REQUIRE n.key IS UNIQUE;
CREATE INDEX subject_status IF NOT EXISTS FOR (n:Subject) ON (n.status);
CREATE INDEX subject_stub IF NOT EXISTS FOR (n:Subject) ON (n.stub);
CREATE INDEX product_category IF NOT EXISTS FOR (n:Product) ON (n.category);
CREATE INDEX complaint_received IF NOT EXISTS FOR (n:Complaint) ON (n.received_on);
CREATE INDEX case_opened IF NOT EXISTS FOR (n:Case) ON (n.opened_on);
CREATE INDEX store_platform IF NOT EXISTS FOR (n:Store) ON (n.platform_id);
