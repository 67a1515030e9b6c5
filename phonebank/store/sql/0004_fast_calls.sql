-- Faster claims (the functions: functions/03_claims.sql):
--
-- * voters.zone: the voter's *zone class* — zone keys whose zones keep the same UTC offsets (a list
--   load works them out: "America/New_York" and "America/Detroit|America/New_York" are one class), so a
--   class is open exactly when its keys are; lists.zone_classes gives each key's class (1-based, in the
--   order of lists.zone_keys), lists.class_sizes each class's number of keys. The per-zone pick indexes
--   sort integers, not long text keys, and when only some zones are open a claim probes the open classes
--   (a national list of 1,101 keys has 278 classes; at 09:30 Eastern 74 keys are open, in 6 classes).
-- * holds: each volunteer's latest claim (one row per volunteer), so voters needs no index on holder and
--   a claim, a heartbeat and a release change no indexed column of the voter row (a HOT update).

-- == zones as integers, holds without an index on the voter row =========================================

ALTER TABLE phonebank.lists ADD COLUMN n_keys int NOT NULL DEFAULT 0;  -- cardinality(zone_keys), kept beside it
ALTER TABLE phonebank.lists ADD COLUMN zone_classes int[] NOT NULL DEFAULT '{}';  -- each key's class
ALTER TABLE phonebank.lists ADD COLUMN class_sizes int[] NOT NULL DEFAULT '{}';  -- each class's number of keys
ALTER TABLE phonebank.lists ADD COLUMN n_classes int NOT NULL DEFAULT 0;
-- lists loaded before: one class per key (voters.zone below is the key's position)
UPDATE phonebank.lists SET n_keys = cardinality(zone_keys), n_classes = cardinality(zone_keys),
    zone_classes = ARRAY(SELECT generate_series(1, cardinality(zone_keys))),
    class_sizes = array_fill(1, ARRAY[cardinality(zone_keys)]);

ALTER TABLE phonebank.voters ADD COLUMN zone int NOT NULL DEFAULT 0;
UPDATE phonebank.voters v SET zone = coalesce(array_position(l.zone_keys, v.zone_key), 0)
FROM phonebank.lists l WHERE l.id = v.list_id;
DROP INDEX phonebank.voters_fresh_zone;
DROP INDEX phonebank.voters_due_zone;
DROP INDEX phonebank.voters_holder;
-- Keep in step with VOTER_INDEXES in phonebank/store/pg_load.py (a new list's table gets the same).
CREATE INDEX voters_fresh_zone ON phonebank.voters (zone, seq) WHERE attempts = 0 AND NOT finished AND NOT blocked;
CREATE INDEX voters_due_zone ON phonebank.voters (zone, next_at, seq) WHERE attempts > 0 AND NOT finished AND NOT blocked;

CREATE TABLE phonebank.holds (
    volunteer  text PRIMARY KEY,
    list_id    int NOT NULL,
    voter_id   text NOT NULL,
    token      text NOT NULL
);
INSERT INTO phonebank.holds (volunteer, list_id, voter_id, token)
SELECT DISTINCT ON (v.holder) v.holder, v.list_id, v.voter_id, v.token FROM phonebank.voters v
WHERE v.holder IS NOT NULL AND v.token IS NOT NULL ORDER BY v.holder, v.lease_until DESC;
REVOKE ALL ON phonebank.holds FROM PUBLIC, phonebank_caller;

-- A voter's saved calls always count in its version (lists loaded before this migration folded them
-- without counting): what _voter_json relies on to skip the history of a voter never saved.
UPDATE phonebank.voters v SET version = 1
WHERE v.version = 0 AND EXISTS (SELECT 1 FROM phonebank.results r WHERE r.list_id = v.list_id AND r.voter_id = v.voter_id);
