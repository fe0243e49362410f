-- Admission control (capacity.md §2) reads, about once a second, how many
-- user ops wait unposted and how many L1 accepted per block. Counting user_ops
-- rows for that would cost what history costs, so every sealed batch carries
-- its op count and the running total of ops along its chain (parent's total +
-- its own). Then "ops between two batches of one chain" is a subtraction of
-- two rows found by index, whatever the history's size:
--   backlog        = ops_through(newest valid sealed) − ops_through(last accepted)
--   posted in (a, b] = ops_through(last accepted at block ≤ b) − ops_through(… ≤ a)
-- Accepted batches are always valid (recovery invalidates only unaccepted
-- ones), so they lie on the valid chain and the subtraction is exact.

ALTER TABLE batches
    ADD COLUMN op_count    int CHECK (op_count >= 0),
    ADD COLUMN ops_through bigint CHECK (ops_through >= 0);

-- Existing history: count once, then sum along each chain (invalidated
-- branches included, from their own parents). The updates queue the deferred
-- chain check (batches_valid_chain) per row; checked now, at each statement,
-- so no trigger events are pending when the table is altered below.
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE batches b SET op_count = (SELECT count(*) FROM user_ops u WHERE u.batch_id = b.id)
WHERE b.sealed_at IS NOT NULL;
WITH RECURSIVE chain (id, through) AS (
    SELECT id, op_count::bigint FROM batches WHERE parent_id IS NULL AND sealed_at IS NOT NULL
    UNION ALL
    SELECT b.id, c.through + b.op_count FROM batches b JOIN chain c ON b.parent_id = c.id WHERE b.sealed_at IS NOT NULL
)
UPDATE batches b SET ops_through = chain.through FROM chain WHERE b.id = chain.id;

-- Set exactly when sealed.
ALTER TABLE batches
    ADD CHECK ((sealed_at IS NULL) = (op_count IS NULL)),
    ADD CHECK ((sealed_at IS NULL) = (ops_through IS NULL));

-- At seal: the lane passes op_count (it knows it; counting rows would add a
-- scan to its commit path); any other writer may leave it NULL and it is
-- counted. ops_through is always derived here from the parent (one primary-key
-- lookup). Both are write-once. Fires only for updates naming these columns
-- or sealed_at, so invalidation (SET invalidated_at) does not pay for it.
CREATE FUNCTION batches_seal_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sealed_at IS NULL AND NEW.sealed_at IS NOT NULL THEN
        IF NEW.op_count IS NULL THEN
            SELECT count(*) INTO NEW.op_count FROM user_ops WHERE batch_id = NEW.id;
        END IF;
        NEW.ops_through := NEW.op_count + coalesce((SELECT ops_through FROM batches WHERE id = NEW.parent_id), 0);
    ELSIF NEW.op_count IS DISTINCT FROM OLD.op_count OR NEW.ops_through IS DISTINCT FROM OLD.ops_through THEN
        RAISE EXCEPTION 'batch % op counts are written once, when it is sealed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER batches_seal_counts BEFORE UPDATE OF sealed_at, op_count, ops_through ON batches
    FOR EACH ROW EXECUTE FUNCTION batches_seal_counts();

-- The posting rate looks up the last batch accepted at or before a block.
CREATE INDEX accepted_batches_block ON accepted_batches (block_number, nonce);
