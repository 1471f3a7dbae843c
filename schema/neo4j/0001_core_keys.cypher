// Core keys: every MERGE on these labels is backed by a uniqueness constraint
// (which also gives the index seek every keyed lookup relies on).
CREATE CONSTRAINT subject_uscc IF NOT EXISTS FOR (s:Subject) REQUIRE s.uscc IS UNIQUE;
CREATE CONSTRAINT platform_id IF NOT EXISTS FOR (p:Platform) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT association_id IF NOT EXISTS FOR (a:Association) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT party_id IF NOT EXISTS FOR (p:Party) REQUIRE p.id IS UNIQUE;
CREATE INDEX subject_division IF NOT EXISTS FOR (s:Subject) ON (s.division);
