-- Queue counts that do not grow with the list, and incremental pulls of the results.
--
-- * voter_counts: per list and zone key, how many voters are done (finished or blocked), fresh (never
--   called) and pending (called, not done). A list load writes them (phonebank.store.pg_load); from then
--   on a trigger on voters appends a change row (voter_counts_delta) whenever a voter moves from one of
--   the three groups to another — an INSERT, so concurrent saves never wait on a counter row.
--   queue_counts folds the change rows in when they pile up (the trigger and the functions:
--   functions/05_counts.sql).
-- * results (list_id, saved_at): `phonebank db pull` reads the calls saved since its last pull (with an
--   overlap window: a transaction that started earlier can commit later), and a list load finds the
--   voters whose calls came in while it was loading.

CREATE TABLE phonebank.voter_counts (
    list_id   int NOT NULL,
    zone_key  text NOT NULL,
    done      bigint NOT NULL DEFAULT 0,
    fresh     bigint NOT NULL DEFAULT 0,
    pending   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, zone_key)
);

CREATE TABLE phonebank.voter_counts_delta (
    list_id   int NOT NULL,
    zone_key  text NOT NULL,
    done      int NOT NULL DEFAULT 0,
    fresh     int NOT NULL DEFAULT 0,
    pending   int NOT NULL DEFAULT 0
);
CREATE INDEX voter_counts_delta_list ON phonebank.voter_counts_delta (list_id);

CREATE INDEX results_saved_at ON phonebank.results (list_id, saved_at);

-- Lists loaded before this migration: their counters from their voters.
INSERT INTO phonebank.voter_counts (list_id, zone_key, done, fresh, pending)
SELECT list_id, zone_key, count(*) FILTER (WHERE finished OR blocked),
       count(*) FILTER (WHERE NOT (finished OR blocked) AND attempts = 0),
       count(*) FILTER (WHERE NOT (finished OR blocked) AND attempts > 0)
FROM phonebank.voters GROUP BY list_id, zone_key;

REVOKE ALL ON ALL TABLES IN SCHEMA phonebank FROM PUBLIC, phonebank_caller;
