-- Faster claims and saves, and faster list loads (the same rules as 0002_calling.sql).
--
-- * The helpers are plain PL/pgSQL run with the privileges of the calling function (no SECURITY
--   DEFINER, no SET: their plans are cached per session; SQL functions with subqueries are planned
--   again at every call), every table named with its schema. Still not executable by anyone but the
--   owner.
-- * voters.zone: the voter's *zone class* — zone keys whose zones keep the same UTC offsets (a list
--   load works them out: "America/New_York" and "America/Detroit|America/New_York" are one class), so a
--   class is open exactly when its keys are; lists.zone_classes gives each key's class (1-based, in the
--   order of lists.zone_keys), lists.class_sizes each class's number of keys. The per-zone pick indexes
--   sort integers, not long text keys, and when only some zones are open a claim probes the open classes
--   (a national list of 1,101 keys has 278 classes; at 09:30 Eastern 74 keys are open, in 6 classes).
-- * holds: each volunteer's latest claim (one row per volunteer). A retried claim finds the voter held
--   there, and a login's next claim gives that voter back — so voters needs no index on holder, and a
--   claim, a heartbeat and a release change no indexed column of the voter row: PostgreSQL updates it
--   in place (a HOT update, no index entry written).
-- * claim_next: one round trip per claim with int zone positions, and the voter the caller has just
--   finished with given back in the same transaction (phonebank's client calls it; claim stays for
--   older clients).

-- == helpers ===========================================================================================

CREATE OR REPLACE FUNCTION phonebank._me(p_volunteer text, p_need_name boolean, OUT email text,
                                         OUT is_login boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    vol record;
BEGIN
    SELECT v.email, v.revoked_at INTO vol FROM phonebank.volunteers v WHERE v.login_role = session_user::text;
    IF FOUND THEN
        IF vol.revoked_at IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('the login of %s was revoked — ask the organizer', vol.email);
        END IF;
        IF coalesce(p_volunteer, '') <> '' AND lower(p_volunteer) <> vol.email THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('this login belongs to %s — it cannot act as %s', vol.email, p_volunteer);
        END IF;
        email := vol.email;
        is_login := true;
        RETURN;
    END IF;
    IF pg_has_role(session_user, 'phonebank_owner', 'MEMBER') THEN
        IF coalesce(p_volunteer, '') = '' AND p_need_name THEN
            RAISE EXCEPTION 'an organizer connection must name the volunteer';
        END IF;
        email := nullif(p_volunteer, '');
        is_login := false;
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = format('role %s is not a volunteer of this campaign — ask the organizer for an invitation', session_user);
END $$;

CREATE OR REPLACE FUNCTION phonebank._list(p_list text, OUT id int, OUT generation int, OUT n_keys int,
                                           OUT claim_minutes int)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- n_keys: the number of zone classes (what a claim's open zones are counted against); not the arrays,
    -- long ones are TOASTed
    SELECT l.id, l.generation, l.n_classes INTO id, generation, n_keys
    FROM phonebank.lists l WHERE l.name = p_list;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no list named ''%s'' in the database — available: %s',
            p_list, coalesce((SELECT string_agg(x.name, ', ' ORDER BY x.name) FROM phonebank.lists x), 'none'));
    END IF;
    claim_minutes := coalesce((SELECT c.claim_minutes FROM phonebank.campaign c), 30);
END $$;

CREATE OR REPLACE FUNCTION phonebank._has_live_phone(p_phones text[], p_dead text[])
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM unnest(p_phones) AS p(phone)
                   WHERE p.phone <> '' AND NOT (p.phone = ANY (p_dead))
                     AND NOT EXISTS (SELECT 1 FROM phonebank.dnc d WHERE d.phone = p.phone AND d.active));
END $$;

CREATE OR REPLACE FUNCTION phonebank._sign(p_list_id int, p_voter_id text, p_volunteer text, p_since bigint,
                                           p_nonce text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT p_nonce || left(encode(sha256(convert_to(s.value || encode(sha256(convert_to(
        s.value || '|' || concat_ws('|', p_list_id, p_voter_id, p_volunteer, p_since, p_nonce), 'UTF8')), 'hex'),
        'UTF8')), 'hex'), 32)
            FROM phonebank.secrets s WHERE s.name = 'hold');
END $$;

CREATE OR REPLACE FUNCTION phonebank._token_ok(p_list_id int, p_voter_id text, p_volunteer text, p_since bigint,
                                               p_token text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(p_token IS NOT NULL AND length(p_token) = 64
                    AND phonebank._sign(p_list_id, p_voter_id, p_volunteer, p_since, left(p_token, 32)) = p_token,
                    false);
END $$;

CREATE OR REPLACE FUNCTION phonebank._history(p_list_id int, p_voter_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_array(r.row_id, r.recorded_at, r.volunteer, r.list, r.voter_id,
                                                        r.phone, r.code, r.answers, r.note, r.language, r.seconds,
                                                        r.callback_at, r.undoes, r.overlaps) ORDER BY r.seq), '[]'::jsonb)
            FROM phonebank.results r WHERE r.list_id = p_list_id AND r.voter_id = p_voter_id);
END $$;

CREATE OR REPLACE FUNCTION phonebank._may_see(p_list_id int, p_voter phonebank.voters, p_token text, p_email text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(p_token IS NOT NULL AND p_voter.token = p_token, false)
        OR EXISTS (SELECT 1 FROM phonebank.results r WHERE r.list_id = p_list_id AND r.voter_id = p_voter.voter_id
                                                       AND r.volunteer = p_email);
END $$;

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

-- What a screen needs about one voter (as 0002; PL/pgSQL, cached plans).
CREATE OR REPLACE FUNCTION phonebank._voter_json(p_list_id int, p_voter phonebank.voters)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object(
        'voter_id', p_voter.voter_id, 'seq', p_voter.seq, 'zone_key', p_voter.zone_key,
        'phones', to_jsonb(p_voter.phones), 'data', to_jsonb(p_voter.data), 'version', p_voter.version,
        'dead_phones', to_jsonb(p_voter.dead_phones),
        'dnc', (SELECT coalesce(jsonb_agg(DISTINCT p.phone), '[]'::jsonb) FROM unnest(p_voter.phones) AS p(phone)
                WHERE EXISTS (SELECT 1 FROM phonebank.dnc d WHERE d.phone = p.phone AND d.active)),
        -- a voter whose state no saved call changed has none (every save and every fold counts in version)
        'rows', CASE WHEN p_voter.version = 0 THEN '[]'::jsonb ELSE phonebank._history(p_list_id, p_voter.voter_id) END);
END $$;

-- == claims ===============================================================================================

-- The claim itself (see phonebank.claim): p_open are zone classes (voters.zone), NULL for every zone.
-- p_release: a voter (voter_id, token) this volunteer is done with, given back first.
CREATE OR REPLACE FUNCTION phonebank._claim(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                            p_open int[], p_now timestamptz, p_release_voter text,
                                            p_release_token text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    me record;
    l record;
    v phonebank.voters;
    h phonebank.holds;
    l_now timestamptz := coalesce(p_now, now());
    l_exclude text[] := coalesce(p_exclude, '{}');
    l_open int[] := coalesce(p_open, '{}');
    l_all boolean := p_open IS NULL;
    l_language text := coalesce(p_language, '');
    l_since bigint;
    l_token text;
    tries int := 0;
    cand record;
    l_found boolean;
    l_walked int;
BEGIN
    me := phonebank._me(p_volunteer, true);
    l := phonebank._list(p_list);
    IF p_release_voter IS NOT NULL THEN
        UPDATE phonebank.voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
        WHERE list_id = l.id AND voter_id = p_release_voter AND token = p_release_token;
    END IF;
    SELECT * INTO h FROM phonebank.holds x WHERE x.volunteer = me.email;
    IF FOUND AND h.list_id = l.id AND NOT (h.voter_id = ANY (l_exclude)) THEN
        SELECT * INTO v FROM phonebank.voters
        WHERE list_id = l.id AND voter_id = h.voter_id AND token = h.token AND holder = me.email
          AND lease_until > l_now AND (l_all OR zone = ANY (l_open))
        FOR UPDATE;
        IF FOUND THEN  -- a retried claim: the voter already held
            UPDATE phonebank.voters SET lease_until = l_now + make_interval(mins => l.claim_minutes)
            WHERE list_id = l.id AND voter_id = v.voter_id;
            RETURN jsonb_build_object('generation', l.generation, 'voter',
                phonebank._voter_json(l.id, v) || jsonb_build_object('token', v.token, 'since', v.since));
        END IF;
    END IF;
    IF me.is_login AND h.voter_id IS NOT NULL
       AND (h.voter_id, h.token) IS DISTINCT FROM (p_release_voter, p_release_token) THEN  -- one voter at a time
        UPDATE phonebank.voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
        WHERE list_id = h.list_id AND voter_id = h.voter_id AND token = h.token;
    END IF;
    l_all := l_all OR cardinality(l_open) >= l.n_keys;
    LOOP
        tries := tries + 1;
        SELECT * INTO v FROM phonebank.voters
        WHERE list_id = l.id AND attempts > 0 AND NOT finished AND NOT blocked AND (is_callback OR route_language <> '')
          AND next_at <= l_now AND (l_all OR zone = ANY (l_open)) AND (route_language = '' OR route_language = l_language)
          AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
        ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            IF l_all THEN
                SELECT * INTO v FROM phonebank.voters
                WHERE list_id = l.id AND attempts = 0 AND NOT finished AND NOT blocked
                  AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
                ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                -- most zones open: walk list order a little way (without locking), the first voter in an
                -- open zone that can be locked wins; few zones open, or open voters rare at the head of
                -- the list: probe each open zone for its first voter instead (locking there skips voters
                -- other claims are taking, so it never comes back empty while a voter is free)
                l_found := false;
                l_walked := 0;
                IF cardinality(l_open) * 2 >= l.n_keys THEN
                    FOR cand IN SELECT x.voter_id, x.zone FROM phonebank.voters x
                             WHERE x.list_id = l.id AND x.attempts = 0 AND NOT x.finished AND NOT x.blocked
                               AND (x.lease_until IS NULL OR x.lease_until <= l_now) AND x.voter_id <> ALL (l_exclude)
                             ORDER BY x.seq LOOP
                        l_walked := l_walked + 1;
                        EXIT WHEN l_walked > 64;
                        CONTINUE WHEN NOT (cand.zone = ANY (l_open));
                        SELECT * INTO v FROM phonebank.voters x
                        WHERE x.list_id = l.id AND x.voter_id = cand.voter_id AND x.attempts = 0 AND NOT x.finished
                          AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                        FOR UPDATE SKIP LOCKED;
                        l_found := FOUND;
                        EXIT WHEN l_found;
                    END LOOP;
                END IF;
                IF NOT l_found THEN  -- each open zone's first voter, without locking; the first that locks
                    FOR cand IN SELECT c.voter_id FROM unnest(l_open) AS k(zone) CROSS JOIN LATERAL (
                                    SELECT x.voter_id, x.seq FROM phonebank.voters x
                                    WHERE x.list_id = l.id AND x.zone = k.zone AND x.attempts = 0 AND NOT x.finished
                                      AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                                      AND x.voter_id <> ALL (l_exclude)
                                    ORDER BY x.seq LIMIT 1) AS c
                                ORDER BY c.seq LOOP
                        SELECT * INTO v FROM phonebank.voters x
                        WHERE x.list_id = l.id AND x.voter_id = cand.voter_id AND x.attempts = 0 AND NOT x.finished
                          AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                        FOR UPDATE SKIP LOCKED;
                        l_found := FOUND;
                        EXIT WHEN l_found;
                    END LOOP;
                END IF;
                IF NOT l_found THEN  -- every first voter was being taken: lock while probing (skips them)
                    SELECT c.* INTO v FROM unnest(l_open) AS k(zone) CROSS JOIN LATERAL (
                        SELECT * FROM phonebank.voters x
                        WHERE x.list_id = l.id AND x.zone = k.zone AND x.attempts = 0 AND NOT x.finished
                          AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                          AND x.voter_id <> ALL (l_exclude)
                        ORDER BY x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
                    ORDER BY c.seq LIMIT 1;
                    l_found := FOUND;
                END IF;
                IF NOT l_found THEN
                    v := NULL;
                END IF;
            END IF;
            l_found := v.voter_id IS NOT NULL;
        ELSE
            l_found := true;
        END IF;
        IF NOT l_found THEN
            IF l_all THEN
                SELECT * INTO v FROM phonebank.voters
                WHERE list_id = l.id AND attempts > 0 AND NOT finished AND NOT blocked AND next_at <= l_now
                  AND (route_language = '' OR route_language = l_language)
                  AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
                ORDER BY next_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                SELECT c.* INTO v FROM unnest(l_open) AS k(zone) CROSS JOIN LATERAL (
                    SELECT * FROM phonebank.voters x
                    WHERE x.list_id = l.id AND x.zone = k.zone AND x.attempts > 0 AND NOT x.finished
                      AND NOT x.blocked AND x.next_at <= l_now
                      AND (x.route_language = '' OR x.route_language = l_language)
                      AND (x.lease_until IS NULL OR x.lease_until <= l_now) AND x.voter_id <> ALL (l_exclude)
                    ORDER BY x.next_at, x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
                ORDER BY c.next_at, c.seq LIMIT 1;
            END IF;
        END IF;
        IF v.voter_id IS NULL THEN
            RETURN jsonb_build_object('generation', l.generation, 'voter', NULL);
        END IF;
        EXIT WHEN phonebank._has_live_phone(v.phones, v.dead_phones) OR tries >= 1000;
        -- every number is dead or on the do-not-call list: out of the queue, and look again
        UPDATE phonebank.voters SET blocked = true WHERE list_id = l.id AND voter_id = v.voter_id;
    END LOOP;
    IF tries >= 1000 AND NOT phonebank._has_live_phone(v.phones, v.dead_phones) THEN
        RETURN jsonb_build_object('generation', l.generation, 'voter', NULL);
    END IF;
    l_since := (SELECT coalesce(max(r.seq), 0) FROM phonebank.results r);
    l_token := phonebank._sign(l.id, v.voter_id, me.email, l_since, replace(gen_random_uuid()::text, '-', ''));
    UPDATE phonebank.voters SET holder = me.email, lease_until = l_now + make_interval(mins => l.claim_minutes),
                                token = l_token, since = l_since
    WHERE list_id = l.id AND voter_id = v.voter_id;
    IF me.email IS NOT NULL THEN
        INSERT INTO phonebank.holds AS x (volunteer, list_id, voter_id, token) VALUES (me.email, l.id, v.voter_id, l_token)
        ON CONFLICT (volunteer) DO UPDATE SET list_id = excluded.list_id, voter_id = excluded.voter_id,
                                              token = excluded.token;
    END IF;
    RETURN jsonb_build_object('generation', l.generation, 'voter',
        phonebank._voter_json(l.id, v) || jsonb_build_object('token', l_token, 'since', l_since));
END $$;

-- Claim the next voter (as before: the one this volunteer already holds here — a retried claim — else,
-- in one short transaction, FOR UPDATE SKIP LOCKED, due call-backs and voters waiting for a caller of
-- this language, then voters never called in list order, then retries that are due; only in p_open
-- zone keys, never p_exclude; a login holds at most one voter).
CREATE OR REPLACE FUNCTION phonebank.claim(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                           p_open text[], p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
BEGIN
    RETURN phonebank._claim(p_list, p_volunteer, p_language, p_exclude, phonebank._open_classes(p_list, p_open),
                            p_now, NULL, NULL);
END $$;

-- The classes whose every zone key is among p_open (what claim_next takes, from zone keys).
CREATE OR REPLACE FUNCTION phonebank._open_classes(p_list text, p_open text[])
RETURNS int[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(c.class ORDER BY c.class), '{}') FROM (
        SELECT l.zone_classes[z.pos] AS class, count(*) AS n, max(l.class_sizes[l.zone_classes[z.pos]]) AS size
        FROM phonebank.lists l, unnest(l.zone_keys) WITH ORDINALITY AS z(key, pos)
        WHERE l.name = p_list AND z.key = ANY (p_open) GROUP BY 1) c
    WHERE c.n = c.size
$$;

-- A list's header (column names of `data`), zone keys, their classes (0004) and generation.
CREATE OR REPLACE FUNCTION phonebank.list_info(p_list text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    l := phonebank._list(p_list);
    RETURN (SELECT jsonb_build_object('id', x.id, 'name', x.name, 'header', to_jsonb(x.header),
                                      'zone_keys', to_jsonb(x.zone_keys), 'zone_classes', to_jsonb(x.zone_classes),
                                      'generation', x.generation, 'voters', x.voters,
                                      'claim_minutes', l.claim_minutes)
            FROM phonebank.lists x WHERE x.id = l.id);
END $$;

-- The same, with the open zones as classes (list_info's zone_classes: a class is open when each of its
-- keys is; NULL: every zone is open), giving back first the voter (p_release_voter, p_release_token) the
-- caller is done with.
CREATE OR REPLACE FUNCTION phonebank.claim_next(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                                p_open int[], p_now timestamptz, p_release_voter text,
                                                p_release_token text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
BEGIN
    RETURN phonebank._claim(p_list, p_volunteer, p_language, p_exclude, p_open, p_now, p_release_voter,
                            p_release_token);
END $$;

REVOKE ALL ON FUNCTION phonebank._claim(text, text, text, text[], int[], timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION phonebank._open_classes(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION phonebank.claim_next(text, text, text, text[], int[], timestamptz, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION phonebank.claim_next(text, text, text, text[], int[], timestamptz, text, text)
    TO phonebank_caller;
