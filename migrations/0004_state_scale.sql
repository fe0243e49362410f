-- The cost of state (capacity.md §3): no lane commit may cost what the
-- application's state or the pending inputs cost.

-- 1. A batch's state boundary. The lane no longer writes the application's
-- whole state when it seals a batch (that grew with the number of accounts);
-- it records the feed offset the state at the batch's end includes, and a
-- background checkpointer (hotpath/checkpoint.go) materializes full snapshots
-- at some boundaries, off the lane, from the nearest stored snapshot plus the
-- replay rows up to that offset. Write-once, set with the seal. NULL for
-- batches sealed before this migration whose snapshot garbage collection has
-- already removed (nothing needs their state again).
ALTER TABLE batches ADD COLUMN state_offset bigint CHECK (state_offset >= 0);
ALTER TABLE batches ADD CHECK (sealed_at IS NOT NULL OR state_offset IS NULL);
UPDATE batches b SET state_offset = s.l2_tx_index FROM snapshots s WHERE s.batch_id = b.id;

CREATE FUNCTION batches_state_offset_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state_offset IS DISTINCT FROM OLD.state_offset
       AND (OLD.state_offset IS NOT NULL OR OLD.sealed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'batch % state offset is written once, when it is sealed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER batches_state_offset_once BEFORE UPDATE OF state_offset ON batches
    FOR EACH ROW EXECUTE FUNCTION batches_state_offset_once();

-- A snapshot is the state at its batch's boundary: the two offsets agree.
CREATE OR REPLACE FUNCTION snapshots_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM batches WHERE id = NEW.batch_id AND sealed_at IS NOT NULL
                   AND (state_offset IS NULL OR state_offset = NEW.l2_tx_index)) THEN
        RAISE EXCEPTION 'snapshot of batch % before it is sealed, or not at its state offset', NEW.batch_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

-- 2. Draining a deposit wave writes thousands of replay rows in one
-- statement. The old guard's duplicate-drain check joined the new rows to
-- the table with a plan made before any statistics existed (a nested loop
-- over a sequential scan): 20,000 drained inputs took over a minute, past the
-- lane's statement deadline, so serve never became ready. Same rules, with
-- plans made for the actual values: the rows a new one could duplicate are
-- the valid ones below the lowest new offset, found through the input index.
CREATE OR REPLACE FUNCTION sequenced_append_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lowest  bigint;
    fresh   bigint;
    above   bigint;
    drained bigint[];
    dup     boolean;
BEGIN
    IF EXISTS (SELECT 1 FROM batches b WHERE b.id IN (SELECT DISTINCT batch_id FROM new_rows)
               AND (b.sealed_at IS NOT NULL OR b.invalidated_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'no transaction may be sequenced into a sealed or invalidated batch'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Every row at or above the lowest new offset must be a new one. EXECUTE
    -- plans with the actual value (a primary-key range scan).
    SELECT min("offset"), count(*) INTO lowest, fresh FROM new_rows;
    EXECUTE 'SELECT count(*) FROM sequenced_l2_txs WHERE "offset" >= $1' INTO above USING lowest;
    IF above <> fresh THEN
        RAISE EXCEPTION 'replay offsets only increase' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- A direct input is sequenced at most once among valid rows: not twice
    -- in this statement, and not already below it in a valid batch.
    SELECT array_agg(safe_input_index) INTO drained FROM new_rows WHERE safe_input_index IS NOT NULL;
    IF drained IS NOT NULL THEN
        IF cardinality(drained) <> (SELECT count(DISTINCT i) FROM unnest(drained) AS i) THEN
            RAISE EXCEPTION 'a direct input is already sequenced in a valid batch'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
                 WHERE s.safe_input_index = ANY($1) AND s."offset" < $2 AND b.invalidated_at IS NULL)'
            INTO dup USING drained, lowest;
        IF dup THEN
            RAISE EXCEPTION 'a direct input is already sequenced in a valid batch'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- 3. Safe inputs arrive in waves too (the L1 reader after an outage, a bulk
-- load): one statement-level check per insert instead of one lookup per row.
-- Same rules: indexes continue the stored ones without a hole, blocks never
-- decrease.
DROP TRIGGER safe_inputs_contiguous ON safe_inputs;
DROP FUNCTION safe_inputs_contiguous();
CREATE FUNCTION safe_inputs_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lo      bigint;
    hi      bigint;
    n       bigint;
    prev    safe_inputs;
    lowblk  bigint;
BEGIN
    SELECT min(input_index), max(input_index), count(*) INTO lo, hi, n FROM new_rows;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    SELECT * INTO prev FROM safe_inputs WHERE input_index < lo ORDER BY input_index DESC LIMIT 1;
    IF lo <> coalesce(prev.input_index + 1, 0) OR hi - lo + 1 <> n THEN
        RAISE EXCEPTION 'safe inputs % .. % do not continue the stored inputs (next is %)',
            lo, hi, coalesce(prev.input_index + 1, 0) USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT block_number, lag(block_number) OVER (ORDER BY input_index) AS before
                              FROM new_rows) o WHERE o.block_number < o.before) THEN
        RAISE EXCEPTION 'safe input blocks decrease within one insert' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT block_number INTO lowblk FROM new_rows WHERE input_index = lo;
    IF lowblk < prev.block_number THEN
        RAISE EXCEPTION 'safe input % block % is below the previous input''s block %',
            lo, lowblk, prev.block_number USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER safe_inputs_contiguous AFTER INSERT ON safe_inputs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION safe_inputs_contiguous();
