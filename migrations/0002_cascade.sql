-- Recovery at scale (issue 8): a cascade over thousands of batches costs what
-- the rows it changes cost, and every cascade leaves a record of what it did,
-- so a retried recovery reports the work an earlier attempt committed.

-- The suffix rule ("a valid batch never has an invalidated parent") ran, for
-- every changed batch at commit, a self-join whose OR defeated every index: a
-- scan of batches per row, quadratic in a cascade (5,434 batches took ~14 s,
-- longer than the activity's heartbeat timeout). Same rule, same deferred
-- timing, read through indexes: a valid batch looks up its parent by primary
-- key; an invalidated one looks for valid children through this index.
CREATE INDEX batches_valid_children ON batches (parent_id) WHERE invalidated_at IS NULL;

CREATE OR REPLACE FUNCTION batches_valid_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b batches;
BEGIN
    -- The row as it is now (deferred: later statements of the transaction
    -- may have changed it since the event was queued).
    SELECT * INTO b FROM batches WHERE id = NEW.id;
    IF b.invalidated_at IS NULL THEN
        IF EXISTS (SELECT 1 FROM batches p WHERE p.id = b.parent_id AND p.invalidated_at IS NOT NULL) THEN
            RAISE EXCEPTION 'batch % : a valid batch cannot descend from an invalidated one', NEW.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM batches c WHERE c.parent_id = b.id AND c.invalidated_at IS NULL) THEN
        RAISE EXCEPTION 'batch % : a valid batch cannot descend from an invalidated one', NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

-- The fence epoch: counts the times the control row entered recovery mode.
-- It names "this recovery" in the database (from the fence to the resume),
-- whatever Temporal did in between: retried attempts, a worker that died
-- mid-cascade, a continue-as-new. Only the database moves it.
ALTER TABLE control ADD COLUMN recovery_fence bigint NOT NULL DEFAULT 0 CHECK (recovery_fence >= 0);

CREATE FUNCTION control_fence_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recovery_fence IS DISTINCT FROM OLD.recovery_fence THEN
        RAISE EXCEPTION 'recovery_fence is counted by the database, never written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.mode = 'normal' AND NEW.mode = 'recovering' THEN
        NEW.recovery_fence := OLD.recovery_fence + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER control_fence_epoch BEFORE UPDATE ON control
    FOR EACH ROW EXECUTE FUNCTION control_fence_epoch();

-- What each cascade did, written in the cascade's own transaction (so it is
-- exactly what committed): at most one per fence and one per generation.
CREATE TABLE recovery_cascades (
    generation          bigint PRIMARY KEY CHECK (generation > 0),  -- the generation it created
    recovery_fence      bigint NOT NULL UNIQUE CHECK (recovery_fence > 0),
    pivot_nonce         bigint NOT NULL CHECK (pivot_nonce >= 0),    -- also the new tip's nonce
    pivot_batch_id      bigint NOT NULL REFERENCES batches (id),
    new_tip_id          bigint NOT NULL UNIQUE REFERENCES batches (id),
    safe_block          bigint NOT NULL CHECK (safe_block >= 0),     -- the new tip's first frame
    flush_block         bigint CHECK (flush_block >= 0),             -- NULL: tip only, no flush
    invalidated_batches bigint NOT NULL CHECK (invalidated_batches > 0),
    invalidated_ops     bigint NOT NULL CHECK (invalidated_ops >= 0),
    redrained_inputs    bigint NOT NULL CHECK (redrained_inputs >= 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION recovery_cascades_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ctl control;
    tip batches;
BEGIN
    SELECT * INTO ctl FROM control;
    IF ctl.mode <> 'recovering' OR NEW.generation <> ctl.recovery_generation
       OR NEW.recovery_fence <> ctl.recovery_fence THEN
        RAISE EXCEPTION 'a cascade record names the current fence (%) and generation (%) of a recovery in progress',
            ctl.recovery_fence, ctl.recovery_generation USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT * INTO tip FROM batches WHERE id = NEW.new_tip_id;
    IF tip.generation <> NEW.generation OR tip.nonce <> NEW.pivot_nonce OR tip.invalidated_at IS NOT NULL THEN
        RAISE EXCEPTION 'cascade % : the new tip % must be valid, of generation % and at the pivot nonce %',
            NEW.generation, NEW.new_tip_id, NEW.generation, NEW.pivot_nonce
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER recovery_cascades_insert_guard BEFORE INSERT ON recovery_cascades
    FOR EACH ROW EXECUTE FUNCTION recovery_cascades_insert_guard();
CREATE TRIGGER recovery_cascades_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON recovery_cascades
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
