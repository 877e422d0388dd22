"""Table definitions of the analytical store, in the order the data flows.

Each stage reads the tables of the stage before and writes its own:
ingest -> ``source_files``, ``transfers``, ``quarantine``, ``conflicts``, ``fx_rates``,
``phone_numbers`` (a cache: each distinct phone is read once);
resolve -> ``transfer_parties``, ``party_names``;
scoring -> ``screening_runs``, ``indicator_hits``, ``receiver_scores``, ``sender_scores``,
``targets``, ``facilitators``;
referrals -> ``referrals``, ``referral_subjects``, ``referral_hits``, ``session_imports``,
``sessions``, ``session_quarantine``, ``session_accounts``, ``session_flags``;
learning -> ``supervised_models``, ``supervised_scores``.
Statements are idempotent (``IF NOT EXISTS``) so opening a store always brings it up to date.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# One string per statement: DuckDB executes them in order on every open.
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE SEQUENCE IF NOT EXISTS source_file_ids START 1""",
    # --- ingest -----------------------------------------------------------------------
    """CREATE TABLE IF NOT EXISTS source_files (
        file_id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,            -- file name as given
        path VARCHAR NOT NULL,            -- absolute path at load time
        sha256 VARCHAR NOT NULL,
        format VARCHAR NOT NULL,          -- csv | parquet | iso20022
        mapping VARCHAR,                  -- mapping file name, if any
        mapping_sha256 VARCHAR,
        encoding VARCHAR,
        delimiter VARCHAR,
        loaded_at TIMESTAMPTZ NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_added BIGINT NOT NULL,
        rows_duplicate BIGINT NOT NULL,   -- same key, same content: already loaded
        rows_conflict BIGINT NOT NULL,    -- same key, different content: reported, not loaded
        rows_quarantined BIGINT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS transfers (
        provider VARCHAR NOT NULL,        -- '' when the source names none
        transfer_id VARCHAR NOT NULL,
        sent_at TIMESTAMPTZ NOT NULL,     -- the instant, stored in UTC
        sent_local TIMESTAMP NOT NULL,    -- wall-clock time in the sender's time zone
        amount DECIMAL(18, 2) NOT NULL,
        currency VARCHAR NOT NULL,
        amount_eur DOUBLE NOT NULL,       -- in the reporting currency (EUR by default)
        fx_rate DOUBLE NOT NULL,          -- reporting-currency units per unit of currency
        fx_date DATE NOT NULL,            -- date of the reference rate used
        channel VARCHAR,
        sender_name VARCHAR NOT NULL,     -- as captured
        sender_name_norm VARCHAR NOT NULL,-- lower case, no accents, single spaces
        sender_birth_date DATE,
        sender_id_number VARCHAR,         -- upper case, letters and digits only
        sender_phone VARCHAR,             -- as captured
        sender_phone_e164 VARCHAR,
        sender_email VARCHAR,             -- lower case, trimmed
        sender_address VARCHAR,
        sender_city VARCHAR,
        sender_country VARCHAR NOT NULL,
        receiver_name VARCHAR NOT NULL,
        receiver_name_norm VARCHAR NOT NULL,
        receiver_birth_date DATE,
        receiver_id_number VARCHAR,
        receiver_phone VARCHAR,
        receiver_phone_e164 VARCHAR,
        receiver_city VARCHAR,
        receiver_country VARCHAR NOT NULL,
        payout_location VARCHAR,
        message VARCHAR,
        source_file_id INTEGER NOT NULL,
        source_line BIGINT NOT NULL
        -- One row per (provider, transfer_id): the load checks it against the store
        -- (filature/ingest/load.py) rather than through a PRIMARY KEY, whose index DuckDB
        -- maintains row by row and which made a national load several times slower.
    )""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        source_file_id INTEGER NOT NULL,
        line BIGINT NOT NULL,             -- line in the file (1 = header)
        reason VARCHAR NOT NULL,
        raw VARCHAR                       -- the record as read, for correction
    )""",
    """CREATE TABLE IF NOT EXISTS conflicts (
        source_file_id INTEGER NOT NULL,
        line BIGINT NOT NULL,
        provider VARCHAR NOT NULL,
        transfer_id VARCHAR NOT NULL,
        existing_file_id INTEGER NOT NULL,
        existing_line BIGINT NOT NULL,
        differing_columns VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS phone_numbers (
        raw VARCHAR NOT NULL,             -- as captured
        country VARCHAR NOT NULL,         -- the party's country, the region it is read in
        e164 VARCHAR                      -- NULL when libphonenumber cannot read it
        -- One row per (raw, country): a load adds only the pairs it does not find here.
    )""",
    """CREATE TABLE IF NOT EXISTS fx_rates (
        currency VARCHAR NOT NULL,
        rate_date DATE NOT NULL,          -- the transfer date asked for
        fx_date DATE NOT NULL,            -- the date of the ECB rate actually used
        rate DOUBLE NOT NULL,             -- reporting-currency units per unit
        source VARCHAR NOT NULL,
        PRIMARY KEY (currency, rate_date)
    )""",
    # --- resolve ----------------------------------------------------------------------
    """CREATE TABLE IF NOT EXISTS transfer_parties (
        provider VARCHAR NOT NULL,
        transfer_id VARCHAR NOT NULL,
        sender_id VARCHAR NOT NULL,       -- a person (entity) behind the sender record
        receiver_id VARCHAR NOT NULL,     -- a receiving identity
        PRIMARY KEY (provider, transfer_id)
    )""",
    """CREATE TABLE IF NOT EXISTS resolution_runs (
        resolution_id VARCHAR PRIMARY KEY,
        method VARCHAR NOT NULL,          -- exact | splink
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        parameters JSON,
        senders BIGINT,
        receivers BIGINT
    )""",
    """CREATE TABLE IF NOT EXISTS entity_records (
        side VARCHAR NOT NULL,            -- sender | receiver
        record_id VARCHAR NOT NULL,       -- signature of a distinct party record (s:... r:...)
        entity_id VARCHAR NOT NULL,       -- the person / receiving identity (SE-... RE-...)
        resolution_id VARCHAR NOT NULL,   -- the Splink run that last placed the record
        PRIMARY KEY (side, record_id)
    )""",
    """CREATE TABLE IF NOT EXISTS resolution_judgements (
        judgement_id VARCHAR PRIMARY KEY,
        side VARCHAR NOT NULL,            -- sender | receiver
        verdict VARCHAR NOT NULL,         -- same | different
        a_ref VARCHAR NOT NULL,           -- record or entity id as the analyst gave it
        b_ref VARCHAR NOT NULL,
        decided_by VARCHAR NOT NULL,
        decided_at TIMESTAMPTZ NOT NULL,
        reason VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS resolution_judgement_records (
        judgement_id VARCHAR NOT NULL,
        part VARCHAR NOT NULL,            -- a | b: the records each reference stood for
        record_id VARCHAR NOT NULL,
        PRIMARY KEY (judgement_id, part, record_id)
    )""",
    """CREATE TABLE IF NOT EXISTS receiver_households (
        receiver_id VARCHAR PRIMARY KEY,  -- a receiving identity (transfer_parties.receiver_id)
        household_id VARCHAR NOT NULL,    -- receiving identities grouped as one household
        why VARCHAR NOT NULL,             -- the ties, in words ('' when alone)
        resolution_id VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS entity_aliases (
        side VARCHAR NOT NULL,            -- sender | receiver
        old_id VARCHAR NOT NULL,          -- an entity id that a run merged away
        new_id VARCHAR NOT NULL,          -- the entity that took most of its records
        resolution_id VARCHAR NOT NULL,   -- the run that merged it
        reason VARCHAR NOT NULL,          -- merged by the model | same-person judgement J-...
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (side, old_id, resolution_id)
    )""",
    # --- scoring ----------------------------------------------------------------------
    """CREATE TABLE IF NOT EXISTS screening_runs (
        run_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        status VARCHAR NOT NULL,          -- running | done | failed
        capacity INTEGER NOT NULL,
        pack_id VARCHAR NOT NULL,
        pack_version VARCHAR NOT NULL,
        pack_sha256 VARCHAR NOT NULL,
        filature_version VARCHAR NOT NULL,
        parameters JSON NOT NULL,
        transfers BIGINT,
        senders BIGINT,
        receivers BIGINT
    )""",
    """CREATE TABLE IF NOT EXISTS indicator_hits (
        run_id VARCHAR NOT NULL,
        side VARCHAR NOT NULL,            -- sender | receiver
        party_id VARCHAR NOT NULL,
        indicator_id VARCHAR NOT NULL,
        value DOUBLE,                     -- the measured quantity (share, count, hours...)
        strength DOUBLE NOT NULL,         -- 0..1, how fully the flag is met
        points DOUBLE NOT NULL,           -- strength x the indicator's weight
        detail_en VARCHAR NOT NULL,       -- the measure in plain words
        detail_fr VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS receiver_scores (
        run_id VARCHAR NOT NULL,
        receiver_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,            -- 0..1 likelihood-like facilitator score
        indicator_points DOUBLE NOT NULL,
        network_points DOUBLE NOT NULL,
        payers BIGINT NOT NULL,
        unrelated_payers BIGINT NOT NULL,
        transfer_count BIGINT NOT NULL,
        total_eur DOUBLE NOT NULL,
        breakdown JSON NOT NULL,
        PRIMARY KEY (run_id, receiver_id)
    )""",
    """CREATE TABLE IF NOT EXISTS sender_scores (
        run_id VARCHAR NOT NULL,
        sender_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        rank BIGINT NOT NULL,
        indicator_points DOUBLE NOT NULL,
        network_points DOUBLE NOT NULL,
        breakdown JSON NOT NULL,          -- [{kind, id, label_en, label_fr, points, value, detail}]
        PRIMARY KEY (run_id, sender_id)
    )""",
    """CREATE TABLE IF NOT EXISTS targets (
        run_id VARCHAR NOT NULL,
        rank BIGINT NOT NULL,
        target_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        name VARCHAR NOT NULL,
        names_seen VARCHAR NOT NULL,
        country VARCHAR,
        transfer_count BIGINT NOT NULL,
        total_eur DOUBLE NOT NULL,
        first_seen TIMESTAMPTZ,
        last_seen TIMESTAMPTZ,
        top_indicators VARCHAR NOT NULL,
        receivers VARCHAR NOT NULL,
        transfer_ids VARCHAR NOT NULL,
        PRIMARY KEY (run_id, target_id)
    )""",
    # A target that may be another target's second record (``scoring.aliases``): kept out
    # of the list's ranks, named in that target's line.
    """CREATE TABLE IF NOT EXISTS target_aliases (
        run_id VARCHAR NOT NULL,
        target_id VARCHAR NOT NULL,
        alias_id VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        PRIMARY KEY (run_id, alias_id)
    )""",
    """CREATE TABLE IF NOT EXISTS facilitators (
        run_id VARCHAR NOT NULL,
        rank BIGINT NOT NULL,
        receiver_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        name VARCHAR NOT NULL,
        names_seen VARCHAR NOT NULL,
        phones VARCHAR NOT NULL,
        country VARCHAR,
        cities VARCHAR NOT NULL,
        payers BIGINT NOT NULL,
        unrelated_payers BIGINT NOT NULL,
        payer_countries VARCHAR NOT NULL,
        transfer_count BIGINT NOT NULL,
        total_eur DOUBLE NOT NULL,
        first_seen TIMESTAMPTZ,
        last_seen TIMESTAMPTZ,
        top_indicators VARCHAR NOT NULL,
        PRIMARY KEY (run_id, receiver_id)
    )""",
    # --- referrals --------------------------------------------------------------------
    """CREATE TABLE IF NOT EXISTS referrals (
        referral_id VARCHAR PRIMARY KEY,
        source VARCHAR,
        source_country VARCHAR,
        received_at DATE,
        summary VARCHAR,
        document JSON NOT NULL,           -- the referral as received, unknown fields kept
        file_name VARCHAR,                -- file it was imported from
        loaded_at TIMESTAMPTZ NOT NULL,
        status VARCHAR NOT NULL,          -- open (no hit yet) | matched
        matched_at TIMESTAMPTZ            -- last time it was matched against the transfers
    )""",
    """CREATE TABLE IF NOT EXISTS referral_subjects (
        referral_id VARCHAR NOT NULL,
        subject_no INTEGER NOT NULL,      -- 1-based position in the referral
        role VARCHAR NOT NULL,            -- suspected_buyer | suspected_facilitator | unknown
        names VARCHAR[] NOT NULL,         -- as given
        birth_dates DATE[] NOT NULL,
        phones VARCHAR[] NOT NULL,        -- as given
        emails VARCHAR[] NOT NULL,
        id_numbers VARCHAR[] NOT NULL,
        usernames VARCHAR[] NOT NULL,
        cities VARCHAR[] NOT NULL,
        countries VARCHAR[] NOT NULL,
        ip_addresses JSON NOT NULL,       -- [{ip, seen_at}]
        payment_references JSON NOT NULL, -- [{provider, transfer_id}]
        PRIMARY KEY (referral_id, subject_no)
    )""",
    """CREATE TABLE IF NOT EXISTS referral_hits (
        referral_id VARCHAR NOT NULL,
        subject_no INTEGER NOT NULL,
        side VARCHAR NOT NULL,            -- sender | receiver
        party_id VARCHAR NOT NULL,        -- transfer_parties.sender_id or receiver_id
        confidence DOUBLE NOT NULL,       -- 0..1, combined over the evidence below
        matched_on VARCHAR NOT NULL,      -- identifiers that matched: name;phone;email...
        reason VARCHAR NOT NULL,          -- the evidence in plain words
        matched_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (referral_id, subject_no, side, party_id)
    )""",
    """CREATE SEQUENCE IF NOT EXISTS session_import_ids START 1""",
    """CREATE TABLE IF NOT EXISTS session_imports (
        import_id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        loaded_at TIMESTAMPTZ NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_added BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS sessions (
        import_id INTEGER NOT NULL,
        line BIGINT NOT NULL,             -- line in the file (1 = header)
        account VARCHAR NOT NULL,         -- as given
        account_key VARCHAR NOT NULL,     -- email lower case, phone E.164, username lower case
        peer_account VARCHAR,
        peer_key VARCHAR,
        started_at TIMESTAMPTZ NOT NULL,
        ended_at TIMESTAMPTZ,
        ip VARCHAR,
        platform VARCHAR,
        PRIMARY KEY (import_id, line)
    )""",
    """CREATE TABLE IF NOT EXISTS session_quarantine (
        import_id INTEGER NOT NULL,
        line BIGINT NOT NULL,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS session_accounts (
        account_key VARCHAR NOT NULL,     -- as in sessions.account_key
        side VARCHAR NOT NULL,            -- sender | receiver
        party_id VARCHAR NOT NULL,
        via VARCHAR NOT NULL,             -- email | phone | username (attached by an investigator)
        attached_by VARCHAR,              -- who attached a username, when via = username
        PRIMARY KEY (account_key, side, party_id)
    )""",
    """CREATE TABLE IF NOT EXISTS session_flags (
        window_hours DOUBLE NOT NULL,     -- the window the flags were computed with
        provider VARCHAR NOT NULL,
        transfer_id VARCHAR NOT NULL,
        sender_id VARCHAR NOT NULL,
        receiver_id VARCHAR NOT NULL,
        sent_at TIMESTAMPTZ NOT NULL,
        amount_eur DOUBLE NOT NULL,
        session_started_at TIMESTAMPTZ NOT NULL,  -- the first session after the payment
        session_ended_at TIMESTAMPTZ,
        minutes_after DOUBLE NOT NULL,
        account VARCHAR NOT NULL,
        peer_account VARCHAR,
        platform VARCHAR,
        link VARCHAR NOT NULL,            -- how the session was tied to the payment, in words
        sessions_in_window BIGINT NOT NULL,
        PRIMARY KEY (window_hours, provider, transfer_id)
    )""",
    # --- learning (case outcomes teach the screening; see filature/learning) ------------
    """CREATE TABLE IF NOT EXISTS supervised_models (
        model_id VARCHAR PRIMARY KEY,
        run_id VARCHAR NOT NULL,          -- the screening run it was fitted on and applied to
        fitted_at TIMESTAMPTZ NOT NULL,
        status VARCHAR NOT NULL,          -- fitted | skipped (too few labels: see reason)
        reason VARCHAR,                   -- why no model, in words
        positives INTEGER NOT NULL,       -- confirmed buyers found in the run
        negatives INTEGER NOT NULL,       -- cleared senders found in the run
        labels_outside_run INTEGER NOT NULL,
        penalty DOUBLE,                   -- L2 penalty chosen by cross-validation
        baseline DOUBLE,                  -- log-odds of a sender with no evidence at all
        columns JSON,                     -- [{id, label_en, label_fr, mean, scale, coefficient}]
        validation JSON,                  -- cross-validated figures (learning/validation.py)
        ranking VARCHAR NOT NULL,         -- supervised | indicators: the order of the targets
        pool INTEGER                      -- senders the model re-ordered (top of the score)
    )""",
    """CREATE TABLE IF NOT EXISTS supervised_scores (
        run_id VARCHAR NOT NULL,
        model_id VARCHAR NOT NULL,
        sender_id VARCHAR NOT NULL,
        probability DOUBLE NOT NULL,      -- calibrated on the labels (see learning/model.py)
        logit DOUBLE NOT NULL,            -- the model's baseline + the contributions
        rank BIGINT NOT NULL,             -- the blended rank (learning/ranking.py)
        indicator_rank BIGINT NOT NULL,
        contributions JSON NOT NULL,      -- [{id, label_en, label_fr, points, contribution}]
        explanation_en VARCHAR NOT NULL,
        explanation_fr VARCHAR NOT NULL,
        PRIMARY KEY (run_id, sender_id)
    )""",
)
