// Leases of the hub's scheduled jobs (hub.scheduler): one node per job, so that several
// hub processes run each job once per period.
CREATE CONSTRAINT job_lease_id IF NOT EXISTS FOR (l:JobLease) REQUIRE l.id IS UNIQUE;
