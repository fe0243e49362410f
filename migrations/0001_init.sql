-- The sequencer's whole state. Invariants live here, not only in Go: the lane,
-- the worker and recovery all write through these constraints and triggers.
-- History (batches, frames, user ops, the replay order, safe inputs, accepted
-- batches) is never deleted: invalidation marks rows. Only snapshots are
-- garbage-collected.

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is forbidden: history is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

-- Identity and mode: one row.
CREATE TABLE control (
    singleton               boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    chain_id                bigint CHECK (chain_id > 0),
    app_address             bytea CHECK (octet_length(app_address) = 20),
    batch_submitter_address bytea CHECK (octet_length(batch_submitter_address) = 20),
    mode                    text NOT NULL DEFAULT 'normal' CHECK (mode IN ('normal', 'recovering')),
    recovery_generation     bigint NOT NULL DEFAULT 0 CHECK (recovery_generation >= 0),
    divergence              text,
    divergence_at           timestamptz,
    finalized_batch_id      bigint,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO control DEFAULT VALUES;

CREATE FUNCTION control_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.chain_id IS NOT NULL AND NEW.chain_id IS DISTINCT FROM OLD.chain_id
       OR OLD.app_address IS NOT NULL AND NEW.app_address IS DISTINCT FROM OLD.app_address
       OR OLD.batch_submitter_address IS NOT NULL
          AND NEW.batch_submitter_address IS DISTINCT FROM OLD.batch_submitter_address THEN
        RAISE EXCEPTION 'control identity (chain id, app, batch submitter) is write-once'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.divergence IS NOT NULL AND NEW.divergence IS DISTINCT FROM OLD.divergence THEN
        RAISE EXCEPTION 'a recorded divergence is never cleared'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.recovery_generation < OLD.recovery_generation THEN
        RAISE EXCEPTION 'recovery_generation only grows' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER control_guard BEFORE UPDATE ON control FOR EACH ROW EXECUTE FUNCTION control_guard();
CREATE TRIGGER control_no_delete BEFORE DELETE OR TRUNCATE ON control
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Every InputBox input of the app up to the L1 safe head, the batch
-- submitter's own included. Written by the L1 reader, in index order.
CREATE TABLE safe_inputs (
    input_index     bigint PRIMARY KEY CHECK (input_index >= 0),
    sender          bytea NOT NULL CHECK (octet_length(sender) = 20),
    payload         bytea NOT NULL,
    block_number    bigint NOT NULL CHECK (block_number >= 0),
    block_timestamp bigint NOT NULL CHECK (block_timestamp >= 0),
    tx_hash         bytea CHECK (octet_length(tx_hash) = 32)
);

CREATE FUNCTION safe_inputs_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev safe_inputs;
BEGIN
    SELECT * INTO prev FROM safe_inputs ORDER BY input_index DESC LIMIT 1;
    IF NEW.input_index <> coalesce(prev.input_index + 1, 0) THEN
        RAISE EXCEPTION 'safe input % does not continue the stored inputs (next is %)',
            NEW.input_index, coalesce(prev.input_index + 1, 0) USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.block_number < prev.block_number THEN
        RAISE EXCEPTION 'safe input % block % is below the previous input''s block %',
            NEW.input_index, NEW.block_number, prev.block_number USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER safe_inputs_contiguous BEFORE INSERT ON safe_inputs
    FOR EACH ROW EXECUTE FUNCTION safe_inputs_contiguous();
CREATE TRIGGER safe_inputs_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON safe_inputs
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The L1 safe head as the reader last saw it: one row once known.
CREATE TABLE l1_safe_head (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    block_number    bigint NOT NULL CHECK (block_number >= 0),
    block_timestamp bigint NOT NULL CHECK (block_timestamp >= 0),
    last_advance_at timestamptz NOT NULL,  -- when block_number last actually grew
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION l1_safe_head_monotonic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.block_number < OLD.block_number THEN
        RAISE EXCEPTION 'safe head cannot go back from % to %', OLD.block_number, NEW.block_number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER l1_safe_head_monotonic BEFORE UPDATE ON l1_safe_head
    FOR EACH ROW EXECUTE FUNCTION l1_safe_head_monotonic();

-- The batch tree. At most one valid open batch (the tip); valid nonces are
-- unique; nonce = parent's nonce + 1; stamps are write-once.
CREATE TABLE batches (
    id             bigserial PRIMARY KEY,
    parent_id      bigint REFERENCES batches (id),
    nonce          bigint NOT NULL CHECK (nonce >= 0),
    generation     bigint NOT NULL CHECK (generation >= 0),  -- recovery generation at creation
    created_at     timestamptz NOT NULL DEFAULT now(),
    sealed_at      timestamptz,
    payload        bytea,
    payload_hash   bytea CHECK (octet_length(payload_hash) = 32),
    invalidated_at timestamptz,
    CHECK ((parent_id IS NULL) = (nonce = 0)),
    CHECK ((sealed_at IS NULL) = (payload IS NULL) AND (payload IS NULL) = (payload_hash IS NULL))
);
CREATE UNIQUE INDEX batches_one_valid_tip ON batches ((true)) WHERE sealed_at IS NULL AND invalidated_at IS NULL;
CREATE UNIQUE INDEX batches_valid_nonce ON batches (nonce) WHERE invalidated_at IS NULL;

CREATE FUNCTION batches_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent batches;
BEGIN
    IF NEW.sealed_at IS NOT NULL OR NEW.invalidated_at IS NOT NULL THEN
        RAISE EXCEPTION 'a batch is created open and valid' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT * INTO parent FROM batches WHERE id = NEW.parent_id;
        IF parent.sealed_at IS NULL OR parent.invalidated_at IS NOT NULL THEN
            RAISE EXCEPTION 'parent batch % must be sealed and valid', NEW.parent_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.nonce <> parent.nonce + 1 THEN
            RAISE EXCEPTION 'batch nonce % must be parent nonce % + 1', NEW.nonce, parent.nonce
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER batches_insert_guard BEFORE INSERT ON batches
    FOR EACH ROW EXECUTE FUNCTION batches_insert_guard();

CREATE FUNCTION batches_update_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.nonce <> OLD.nonce
       OR NEW.generation <> OLD.generation OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'batch % identity is immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.sealed_at IS NOT NULL AND (NEW.sealed_at IS DISTINCT FROM OLD.sealed_at
        OR NEW.payload IS DISTINCT FROM OLD.payload OR NEW.payload_hash IS DISTINCT FROM OLD.payload_hash) THEN
        RAISE EXCEPTION 'batch % seal is write-once', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.invalidated_at IS NOT NULL AND NEW.invalidated_at IS DISTINCT FROM OLD.invalidated_at THEN
        RAISE EXCEPTION 'batch % invalidation is write-once', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.invalidated_at IS NOT NULL AND OLD.sealed_at IS NULL AND NEW.sealed_at IS NOT NULL THEN
        RAISE EXCEPTION 'batch % is invalidated and cannot be sealed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER batches_update_guard BEFORE UPDATE ON batches
    FOR EACH ROW EXECUTE FUNCTION batches_update_guard();
CREATE TRIGGER batches_no_delete BEFORE DELETE OR TRUNCATE ON batches
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- At commit: a valid batch never has an invalidated parent (invalidation
-- cascades to the whole suffix in one transaction).
CREATE FUNCTION batches_valid_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM batches c JOIN batches p ON p.id = c.parent_id
               WHERE c.invalidated_at IS NULL AND p.invalidated_at IS NOT NULL
                 AND (c.id = NEW.id OR p.id = NEW.id)) THEN
        RAISE EXCEPTION 'batch % : a valid batch cannot descend from an invalidated one', NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER batches_valid_chain AFTER INSERT OR UPDATE ON batches
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION batches_valid_chain();

-- Frames of a batch: consecutive positions, non-decreasing safe blocks, only
-- inserted into the open, valid batch.
CREATE TABLE frames (
    batch_id   bigint NOT NULL REFERENCES batches (id),
    position   int NOT NULL CHECK (position >= 0),
    safe_block bigint NOT NULL CHECK (safe_block >= 0),
    fee        int NOT NULL CHECK (fee BETWEEN 0 AND 65535),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, position)
);

CREATE FUNCTION frames_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b batches;
    prev frames;
BEGIN
    SELECT * INTO b FROM batches WHERE id = NEW.batch_id;
    IF b.sealed_at IS NOT NULL OR b.invalidated_at IS NOT NULL THEN
        RAISE EXCEPTION 'no frame may be added to sealed or invalidated batch %', NEW.batch_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT * INTO prev FROM frames WHERE batch_id = NEW.batch_id ORDER BY position DESC LIMIT 1;
    IF NEW.position <> coalesce(prev.position + 1, 0) THEN
        RAISE EXCEPTION 'frame position % of batch % is not the next one', NEW.position, NEW.batch_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.safe_block < prev.safe_block THEN
        RAISE EXCEPTION 'frame safe block % below the previous frame''s %', NEW.safe_block, prev.safe_block
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER frames_insert_guard BEFORE INSERT ON frames FOR EACH ROW EXECUTE FUNCTION frames_insert_guard();
CREATE TRIGGER frames_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON frames
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The replay order: every sequenced transaction, a user op or a drained
-- direct input, by feed offset. Offsets start at 1, only increase, and are
-- never reused.
CREATE TABLE sequenced_l2_txs (
    "offset"         bigint PRIMARY KEY CHECK ("offset" > 0),
    batch_id         bigint NOT NULL,
    frame_position   int NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('user_op', 'direct_input')),
    safe_input_index bigint REFERENCES safe_inputs (input_index),
    FOREIGN KEY (batch_id, frame_position) REFERENCES frames (batch_id, position),
    CHECK ((kind = 'direct_input') = (safe_input_index IS NOT NULL))
);
CREATE INDEX sequenced_l2_txs_batch ON sequenced_l2_txs (batch_id);
-- Not unique: a direct input drained by a frame that recovery invalidated is
-- drained again into the new tip. Among valid rows it is unique (trigger).
CREATE INDEX sequenced_l2_txs_input ON sequenced_l2_txs (safe_input_index) WHERE safe_input_index IS NOT NULL;

CREATE FUNCTION sequenced_append_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lowest bigint;
    fresh  bigint;
    above  bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN batches b ON b.id = n.batch_id
               WHERE b.sealed_at IS NOT NULL OR b.invalidated_at IS NOT NULL) THEN
        RAISE EXCEPTION 'no transaction may be sequenced into a sealed or invalidated batch'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Runs on every lane commit, so it must cost what the new rows cost, not
    -- what history costs: every row at or above the lowest new offset must
    -- be a new one. EXECUTE plans with the actual value (a primary-key
    -- range scan), where a cached generic plan could scan the table.
    SELECT min("offset"), count(*) INTO lowest, fresh FROM new_rows;
    EXECUTE 'SELECT count(*) FROM sequenced_l2_txs WHERE "offset" >= $1' INTO above USING lowest;
    IF above <> fresh THEN
        RAISE EXCEPTION 'replay offsets only increase' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Only for drained direct inputs (rare), never on a user-op insert.
    IF EXISTS (SELECT 1 FROM new_rows WHERE safe_input_index IS NOT NULL)
       AND EXISTS (SELECT 1 FROM new_rows n
               JOIN sequenced_l2_txs s ON s.safe_input_index = n.safe_input_index AND s."offset" <> n."offset"
               JOIN batches b ON b.id = s.batch_id
               WHERE n.safe_input_index IS NOT NULL AND s.safe_input_index IS NOT NULL
                 AND b.invalidated_at IS NULL) THEN
        RAISE EXCEPTION 'a direct input is already sequenced in a valid batch'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sequenced_append_guard AFTER INSERT ON sequenced_l2_txs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sequenced_append_guard();
CREATE TRIGGER sequenced_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON sequenced_l2_txs
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Included user ops, keyed by their replay offset. Inserting one appends its
-- replay row in the same statement (trigger), so the two never disagree.
CREATE TABLE user_ops (
    "offset"       bigint PRIMARY KEY,
    batch_id       bigint NOT NULL,
    frame_position int NOT NULL,
    sender         bytea NOT NULL CHECK (octet_length(sender) = 20),
    nonce          bigint NOT NULL CHECK (nonce BETWEEN 0 AND 4294967295),
    max_fee        int NOT NULL CHECK (max_fee BETWEEN 0 AND 65535),
    data           bytea NOT NULL,
    signature      bytea NOT NULL CHECK (octet_length(signature) = 65),
    received_at    timestamptz NOT NULL,
    FOREIGN KEY (batch_id, frame_position) REFERENCES frames (batch_id, position)
);
CREATE INDEX user_ops_batch ON user_ops (batch_id);

CREATE FUNCTION user_ops_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sequenced_l2_txs ("offset", batch_id, frame_position, kind)
    SELECT "offset", batch_id, frame_position, 'user_op' FROM new_ops ORDER BY "offset";
    RETURN NULL;
END $$;
CREATE TRIGGER user_ops_sequence AFTER INSERT ON user_ops
    REFERENCING NEW TABLE AS new_ops FOR EACH STATEMENT EXECUTE FUNCTION user_ops_sequence();
CREATE TRIGGER user_ops_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON user_ops
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- What the rollup accepted, derived by the L1 reader with the scheduler's
-- rules: batch nonces 0, 1, 2, … in order.
CREATE TABLE accepted_batches (
    nonce        bigint PRIMARY KEY CHECK (nonce >= 0),
    input_index  bigint NOT NULL UNIQUE REFERENCES safe_inputs (input_index),
    block_number bigint NOT NULL,
    payload_hash bytea NOT NULL CHECK (octet_length(payload_hash) = 32),
    batch_id     bigint NOT NULL REFERENCES batches (id)
);

CREATE FUNCTION accepted_batches_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_nonce bigint;
BEGIN
    SELECT coalesce(max(nonce) + 1, 0) INTO next_nonce FROM accepted_batches;
    IF NEW.nonce <> next_nonce THEN
        RAISE EXCEPTION 'accepted batch nonce % is not the next one (%)', NEW.nonce, next_nonce
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER accepted_batches_contiguous BEFORE INSERT ON accepted_batches
    FOR EACH ROW EXECUTE FUNCTION accepted_batches_contiguous();
CREATE TRIGGER accepted_batches_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON accepted_batches
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Application snapshots, one per sealed batch, stored in the sealing
-- transaction. l2_tx_index is the last replay offset the state includes.
CREATE TABLE snapshots (
    batch_id    bigint PRIMARY KEY REFERENCES batches (id),
    state       bytea NOT NULL,
    l2_tx_index bigint NOT NULL CHECK (l2_tx_index >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Stored out of line but uncompressed: a snapshot is written with every
-- sealed batch, on the lane's commit path, and compressing it costs more lane
-- time than the disk it saves.
ALTER TABLE snapshots ALTER COLUMN state SET STORAGE EXTERNAL;

CREATE FUNCTION snapshots_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM batches WHERE id = NEW.batch_id AND sealed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'snapshot of batch % before it is sealed', NEW.batch_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER snapshots_insert_guard BEFORE INSERT ON snapshots
    FOR EACH ROW EXECUTE FUNCTION snapshots_insert_guard();
CREATE TRIGGER snapshots_immutable BEFORE UPDATE ON snapshots
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

ALTER TABLE control ADD FOREIGN KEY (finalized_batch_id) REFERENCES batches (id);

-- The fee policy (protocol.md §5), all log-space exponents: one row.
CREATE TABLE batch_policy (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    log_gas_price      int NOT NULL DEFAULT 0,
    log_slack          int NOT NULL DEFAULT 296,
    log_one_plus_alpha int NOT NULL DEFAULT 20,
    log_alpha          int NOT NULL DEFAULT -229,
    log_base_gas       int NOT NULL DEFAULT 1403,
    log_delta          int NOT NULL DEFAULT 419,
    log_user_op_bytes  int NOT NULL DEFAULT 621,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO batch_policy DEFAULT VALUES;

CREATE VIEW batch_policy_derived AS
SELECT log_gas_price + log_slack + log_one_plus_alpha + log_delta + log_user_op_bytes AS recommended_fee,
       log_base_gas - log_alpha - log_delta AS batch_size_target
FROM batch_policy;

-- Write-before-broadcast: the highest wallet nonce the batch submitter may
-- have broadcast at. Recovery flushes every slot up to it.
CREATE TABLE wallet_nonce_watermark (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    nonce      bigint NOT NULL CHECK (nonce >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION watermark_monotonic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.nonce < OLD.nonce THEN
        RAISE EXCEPTION 'wallet nonce watermark cannot go down from % to %', OLD.nonce, NEW.nonce
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER watermark_monotonic BEFORE UPDATE ON wallet_nonce_watermark
    FOR EACH ROW EXECUTE FUNCTION watermark_monotonic();
