-- phonebank schema, version 1: one campaign per database, in schema "phonebank".
--
-- Applied by `phonebank db init` / `db migrate` as role phonebank_owner (which owns every object here),
-- inside one transaction under pg_advisory_xact_lock. Volunteers' logins (members of phonebank_caller)
-- get no privilege on any table: they only EXECUTE the calling functions (store/sql/functions/).

-- Functions created from here on are not executable by PUBLIC: each is granted to whom it is for.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
REVOKE ALL ON SCHEMA phonebank FROM PUBLIC;

-- The campaign: scripts.yaml as text (the source of truth for the script), and what the server needs
-- from it. One row.
CREATE TABLE phonebank.campaign (
    id             int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    script_text    text NOT NULL,
    script_sha256  text NOT NULL,
    name           text NOT NULL DEFAULT '',
    time_zone      text NOT NULL DEFAULT '',
    claim_minutes  int NOT NULL DEFAULT 30 CHECK (claim_minutes > 0),
    pushed_at      timestamptz NOT NULL DEFAULT now()
);

-- Response codes of the script: the server needs each code's effect (do_not_call) and whether it exists.
CREATE TABLE phonebank.codes (
    code     text PRIMARY KEY,
    effect   text NOT NULL,
    contact  boolean NOT NULL DEFAULT false
);

-- A secret for signing holds (a volunteer cannot forge a hold on a voter they were never given).
CREATE TABLE phonebank.secrets (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
INSERT INTO phonebank.secrets VALUES ('hold', gen_random_uuid()::text || gen_random_uuid()::text);

-- Volunteers: the roster (volunteers.csv) and, once invited, their login role.
CREATE TABLE phonebank.volunteers (
    email          text PRIMARY KEY CHECK (email = lower(email)),
    first_name     text NOT NULL DEFAULT '',
    last_name      text NOT NULL DEFAULT '',
    zip            text NOT NULL DEFAULT '',
    registered_at  text NOT NULL DEFAULT '',
    login_role     text UNIQUE,
    invited_at     timestamptz,
    revoked_at     timestamptz
);

-- Call lists. `generation` grows with every (re-)load, so sessions know to re-read header and zone keys.
CREATE TABLE phonebank.lists (
    id            serial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    header        text[] NOT NULL DEFAULT '{}',
    zone_keys     text[] NOT NULL DEFAULT '{}',
    voters        int NOT NULL DEFAULT 0,
    source_sha256 text NOT NULL DEFAULT '',
    generation    int NOT NULL DEFAULT 0,
    loaded_at     timestamptz
);

-- One row per voter of a list; one partition per list (a new list is COPYed into its own table and
-- attached). `seq` is list order. The queue state (attempts .. dead_phones) is what
-- phonebank.outcomes.fold computes from the voter's saved calls (the client computes it and sends it
-- with each save); `blocked`: no number left that is neither dead nor on the do-not-call list.
-- The lease: `holder` holds the voter until `lease_until`, under `token`; `since` is the results
-- position when the hold was taken. `version` counts the saved calls folded into the state.
CREATE TABLE phonebank.voters (
    list_id         int NOT NULL,
    voter_id        text NOT NULL,
    seq             int NOT NULL,
    zone_key        text NOT NULL,
    phones          text[] NOT NULL,
    data            text[] NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    finished        boolean NOT NULL DEFAULT false,
    blocked         boolean NOT NULL DEFAULT false,
    next_at         timestamptz NOT NULL DEFAULT '-infinity',
    is_callback     boolean NOT NULL DEFAULT false,
    route_language  text NOT NULL DEFAULT '',
    dead_phones     text[] NOT NULL DEFAULT '{}',
    version         int NOT NULL DEFAULT 0,
    holder          text,
    lease_until     timestamptz,
    token           text,
    since           bigint,
    PRIMARY KEY (list_id, voter_id)
) PARTITION BY LIST (list_id);

-- The pick indexes are partial (only voters still to call) and none yields plain list order over every
-- voter: a full index on list order lures the planner into walking every called voter.
-- Keep in step with VOTER_INDEXES in phonebank/store/postgres.py (a new list's table gets the same).
CREATE INDEX voters_fresh_all ON phonebank.voters (seq) WHERE attempts = 0 AND NOT finished AND NOT blocked;
CREATE INDEX voters_fresh_zone ON phonebank.voters (zone_key, seq) WHERE attempts = 0 AND NOT finished AND NOT blocked;
CREATE INDEX voters_due_all ON phonebank.voters (next_at, seq) WHERE attempts > 0 AND NOT finished AND NOT blocked;
CREATE INDEX voters_due_zone ON phonebank.voters (zone_key, next_at, seq)
    WHERE attempts > 0 AND NOT finished AND NOT blocked;
CREATE INDEX voters_priority ON phonebank.voters (next_at)
    WHERE attempts > 0 AND NOT finished AND NOT blocked AND (is_callback OR route_language <> '');
CREATE INDEX voters_holder ON phonebank.voters (holder) WHERE holder IS NOT NULL;
CREATE INDEX voters_blocked ON phonebank.voters (list_id) WHERE blocked;

-- Every saved call, append-only, keyed by its 128-bit row id (a resent save inserts nothing). `seq` is
-- save order. Columns are the results CSV's (phonebank.results.RESULT_COLUMNS), as text, so a row
-- round-trips exactly; `cancels` is the row an undo row cancels.
CREATE TABLE phonebank.results (
    row_id       text PRIMARY KEY,
    seq          bigserial NOT NULL UNIQUE,
    list_id      int NOT NULL REFERENCES phonebank.lists (id),
    recorded_at  text NOT NULL,
    volunteer    text NOT NULL,
    list         text NOT NULL,
    voter_id     text NOT NULL,
    phone        text NOT NULL DEFAULT '',
    code         text NOT NULL,
    answers      text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    language     text NOT NULL DEFAULT '',
    seconds      text NOT NULL DEFAULT '0',
    callback_at  text NOT NULL DEFAULT '',
    undoes       text NOT NULL DEFAULT '',
    "overlaps"   text NOT NULL DEFAULT '',
    cancels      text,
    saved_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX results_voter ON phonebank.results (list_id, voter_id, seq);
CREATE INDEX results_volunteer ON phonebank.results (list_id, volunteer, seq);
CREATE INDEX results_cancels ON phonebank.results (cancels) WHERE cancels IS NOT NULL;

-- The do-not-call list, entry by entry as in do-not-call.csv (phonebank.dnc): removal rows (source
-- 'undo') included. `active`: the entry counts now (not taken back by an undo).
CREATE TABLE phonebank.dnc (
    id         bigserial PRIMARY KEY,
    phone      text NOT NULL,
    added_at   text NOT NULL DEFAULT '',
    source     text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    row_id     text NOT NULL DEFAULT '',
    entry_key  text NOT NULL UNIQUE,
    active     boolean NOT NULL DEFAULT true
);
CREATE INDEX dnc_active_phone ON phonebank.dnc (phone) WHERE active;
CREATE INDEX dnc_row ON phonebank.dnc (row_id) WHERE row_id <> '';

-- Saves update the voter row every time: clean up dead tuples early on the hot tables.
ALTER TABLE phonebank.results SET (autovacuum_vacuum_scale_factor = 0.02);

REVOKE ALL ON ALL TABLES IN SCHEMA phonebank FROM PUBLIC, phonebank_caller;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA phonebank FROM PUBLIC, phonebank_caller;
