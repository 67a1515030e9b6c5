-- Queue counts that do not grow with the list: the counters per list and zone key (voter_counts, written
-- by a list load), a change row per voter that moves between done / fresh / pending (an INSERT, so
-- concurrent saves never wait on a counter row), folded in when they pile up.

-- The group of a voter row: done (finished or blocked), fresh (never called) or pending. One change
-- row per voter that changes group (two when its zone key changes); about once in 2,000 the change
-- rows of the list are folded into the counters here (when no other session is folding them), so they
-- stay few even when no one asks for the counts.
CREATE OR REPLACE FUNCTION phonebank._count_change()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    o_done int := (OLD.finished OR OLD.blocked)::int;
    o_fresh int := (NOT (OLD.finished OR OLD.blocked) AND OLD.attempts = 0)::int;
    n_done int := (NEW.finished OR NEW.blocked)::int;
    n_fresh int := (NOT (NEW.finished OR NEW.blocked) AND NEW.attempts = 0)::int;
BEGIN
    IF OLD.zone_key = NEW.zone_key THEN
        INSERT INTO voter_counts_delta (list_id, zone_key, done, fresh, pending) VALUES
            (NEW.list_id, NEW.zone_key, n_done - o_done, n_fresh - o_fresh, (1 - n_done - n_fresh) - (1 - o_done - o_fresh));
    ELSE
        INSERT INTO voter_counts_delta (list_id, zone_key, done, fresh, pending) VALUES
            (OLD.list_id, OLD.zone_key, -o_done, -o_fresh, -(1 - o_done - o_fresh)),
            (NEW.list_id, NEW.zone_key, n_done, n_fresh, 1 - n_done - n_fresh);
    END IF;
    IF random() < 0.0005 THEN
        PERFORM _fold_counts(NEW.list_id);
    END IF;
    RETURN NULL;
END $$;

-- Fold a list's change rows into its counters (one session at a time; the others skip it).
CREATE OR REPLACE FUNCTION phonebank._fold_counts(p_list_id int)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
BEGIN
    IF pg_try_advisory_xact_lock(1668248179, p_list_id) THEN  -- "cnts"
        WITH moved AS (DELETE FROM voter_counts_delta d WHERE d.list_id = p_list_id
                       RETURNING d.zone_key, d.done, d.fresh, d.pending)
        INSERT INTO voter_counts AS c (list_id, zone_key, done, fresh, pending)
        SELECT p_list_id, m.zone_key, sum(m.done), sum(m.fresh), sum(m.pending) FROM moved m GROUP BY m.zone_key
        ON CONFLICT ON CONSTRAINT voter_counts_pkey DO UPDATE SET done = c.done + excluded.done,
            fresh = c.fresh + excluded.fresh, pending = c.pending + excluded.pending;
    END IF;
END $$;

-- Voters by zone key, done or not, due or not (the client applies calling hours, as FileStore.counts):
-- the counters, and the voters waiting for a retry or a call-back (bounded by the calls of the last
-- retry delay, not by the list). Folds the change rows into the counters when there are many.
CREATE OR REPLACE FUNCTION phonebank.queue_counts(p_list text, p_now timestamptz)
RETURNS TABLE (zone_key text, done boolean, due boolean, n bigint, next_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
    l_now timestamptz := coalesce(p_now, now());
    l_changes bigint;
BEGIN
    PERFORM _me(NULL, false);
    l := _list(p_list);
    l_changes := (SELECT count(*) FROM voter_counts_delta d WHERE d.list_id = l.id);
    IF l_changes > 2000 THEN
        PERFORM _fold_counts(l.id);
    END IF;
    RETURN QUERY
        WITH totals AS (
            SELECT t.zone_key, sum(t.done)::bigint AS done, sum(t.fresh)::bigint AS fresh,
                   sum(t.pending)::bigint AS pending
            FROM (SELECT c.zone_key, c.done, c.fresh, c.pending FROM voter_counts c WHERE c.list_id = l.id
                  UNION ALL
                  SELECT d.zone_key, d.done, d.fresh, d.pending FROM voter_counts_delta d WHERE d.list_id = l.id) t
            GROUP BY t.zone_key),
        waiting AS (
            SELECT v.zone_key, count(*) AS n, min(v.next_at) AS next_at FROM voters v
            WHERE v.list_id = l.id AND v.attempts > 0 AND NOT v.finished AND NOT v.blocked AND v.next_at > l_now
            GROUP BY v.zone_key)
        SELECT g.zone_key, g.done, g.due, g.n, g.next_at FROM (
            SELECT t.zone_key, true AS done, true AS due, t.done AS n, NULL::timestamptz AS next_at FROM totals t
            UNION ALL
            SELECT t.zone_key, false, true, t.fresh + t.pending - coalesce(w.n, 0), NULL
            FROM totals t LEFT JOIN waiting w USING (zone_key)
            UNION ALL
            SELECT w.zone_key, false, false, w.n, w.next_at FROM waiting w) g
        WHERE g.n > 0;
END $$;

-- The trigger that writes the change rows (made again with the functions, after the tables exist).
DROP TRIGGER IF EXISTS voters_count_change ON phonebank.voters;
CREATE TRIGGER voters_count_change AFTER UPDATE OF attempts, finished, blocked, zone_key ON phonebank.voters
FOR EACH ROW WHEN (
    (OLD.finished OR OLD.blocked, OLD.attempts = 0, OLD.zone_key)
    IS DISTINCT FROM (NEW.finished OR NEW.blocked, NEW.attempts = 0, NEW.zone_key))
EXECUTE FUNCTION phonebank._count_change();
