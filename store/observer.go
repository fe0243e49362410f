package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/protocol/scheduler"
)

// ErrDivergence: L1 accepted a batch that is not ours (a nonce we never
// sealed, or different bytes). Terminal: it is recorded, never repaired
// automatically.
var ErrDivergence = errors.New("canonical divergence")

// Observer is the L1 observer's writer role: it appends safe inputs, moves
// the safe head and derives the accepted-batch frontier, all in one
// transaction per observation. Safe for concurrent use (it uses a pool).
type Observer struct {
	pool *pgxpool.Pool
}

// NewObserver returns the observer's store.
func NewObserver(pool *pgxpool.Pool) *Observer { return &Observer{pool: pool} }

// ObserverState is what the observer needs before reading L1.
type ObserverState struct {
	SafeHead       SafeHead
	NextInputIndex uint64 // count of stored safe inputs
	AcceptedCount  uint64 // expected batch nonce of the rollup
	Control        Control
}

// State reads the observer's starting point.
func (o *Observer) State(ctx context.Context) (ObserverState, error) {
	var s ObserverState
	tx, err := o.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s, fmt.Errorf("begin observer read: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if s.SafeHead, err = readSafeHead(ctx, tx); err != nil {
		return s, err
	}
	if s.Control, err = readControl(ctx, tx); err != nil {
		return s, err
	}
	var next, accepted int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(input_index) + 1, 0), (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches)
		FROM safe_inputs`).Scan(&next, &accepted); err != nil {
		return s, fmt.Errorf("read observer counters: %w", err)
	}
	s.NextInputIndex, s.AcceptedCount = uint64(next), uint64(accepted)
	return s, nil
}

// ObservedInput is one InputBox input read from L1.
type ObservedInput struct {
	Index          uint64
	Sender         common.Address
	Payload        []byte
	BlockNumber    uint64
	BlockTimestamp uint64
	TxHash         common.Hash
}

// Observation is one round of the L1 reader: the new safe head and every
// input of the app after the stored ones up to it.
type Observation struct {
	SafeBlock     uint64
	SafeTimestamp uint64
	Inputs        []ObservedInput
	// Submitter is the batch submitter's address: its inputs are batches.
	Submitter common.Address
	Now       time.Time
}

// ObservationResult reports what an observation changed.
type ObservationResult struct {
	Advanced      bool     // the safe head number grew
	InputsAdded   int      // safe inputs appended
	Accepted      []uint64 // batch nonces newly accepted by the rollup
	AcceptedCount uint64   // the frontier after the observation
	Divergence    string   // non-empty when divergence was recorded
}

// Record writes an observation in one transaction: the safe inputs, the safe
// head (its last-advance time stamped only when the number grows) and the
// accepted frontier, derived with the scheduler's batch checks over the
// batch submitter's inputs and checked against our sealed batches. A
// mismatch, or an accepted nonce we never sealed, is canonical divergence:
// recorded in the same transaction and returned as ErrDivergence.
//
// Idempotent: inputs already stored are skipped by index (their content must
// match), and a head that does not move changes only updated_at.
func (o *Observer) Record(ctx context.Context, obs Observation) (ObservationResult, error) {
	var res ObservationResult
	tx, err := o.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin observation: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op

	var next, accepted int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(input_index) + 1, 0), (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches)
		FROM safe_inputs`).Scan(&next, &accepted); err != nil {
		return res, fmt.Errorf("read observer counters: %w", err)
	}
	expected := uint64(accepted)
	var divergence string
	for _, in := range obs.Inputs {
		if in.Index < uint64(next) {
			continue // stored by an earlier attempt of this observation
		}
		if in.BlockNumber > obs.SafeBlock {
			return res, fmt.Errorf("input %d at block %d is above the safe block %d", in.Index, in.BlockNumber, obs.SafeBlock)
		}
		var txHash []byte
		if in.TxHash != (common.Hash{}) {
			txHash = in.TxHash.Bytes()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp, tx_hash)
			VALUES ($1, $2, $3, $4, $5, $6)`, int64(in.Index), in.Sender.Bytes(), in.Payload, int64(in.BlockNumber),
			int64(in.BlockTimestamp), txHash); err != nil {
			return res, fmt.Errorf("store safe input %d: %w", in.Index, err)
		}
		res.InputsAdded++
		if in.Sender != obs.Submitter || divergence != "" {
			continue
		}
		batch, outcome, _ := scheduler.CheckBatch(in.Payload, in.BlockNumber, expected)
		if !outcome.ConsumesNonce() {
			continue
		}
		hash := crypto.Keccak256Hash(in.Payload)
		var batchID int64
		var localHash []byte
		err := tx.QueryRow(ctx, `SELECT id, payload_hash FROM batches
			WHERE nonce = $1 AND invalidated_at IS NULL AND sealed_at IS NOT NULL`, int64(batch.Nonce)).Scan(&batchID, &localHash)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			divergence = fmt.Sprintf("L1 input %d (block %d) was accepted as batch %d, which the sequencer never sealed (or invalidated); hash %s",
				in.Index, in.BlockNumber, batch.Nonce, hash)
			continue
		case err != nil:
			return res, fmt.Errorf("find local batch %d: %w", batch.Nonce, err)
		case common.BytesToHash(localHash) != hash:
			divergence = fmt.Sprintf("L1 input %d (block %d) was accepted as batch %d with hash %s, but the sequencer sealed %s",
				in.Index, in.BlockNumber, batch.Nonce, hash, common.BytesToHash(localHash))
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id)
			VALUES ($1, $2, $3, $4, $5)`, int64(batch.Nonce), int64(in.Index), int64(in.BlockNumber), hash.Bytes(), batchID); err != nil {
			return res, fmt.Errorf("record accepted batch %d: %w", batch.Nonce, err)
		}
		res.Accepted = append(res.Accepted, batch.Nonce)
		expected++
	}
	res.AcceptedCount = expected

	prev, err := readSafeHead(ctx, tx)
	if err != nil {
		return res, err
	}
	if prev.Known && obs.SafeBlock < prev.Block {
		return res, fmt.Errorf("safe head went back from %d to %d", prev.Block, obs.SafeBlock)
	}
	res.Advanced = !prev.Known || obs.SafeBlock > prev.Block
	if _, err := tx.Exec(ctx, `INSERT INTO l1_safe_head (singleton, block_number, block_timestamp, last_advance_at)
		VALUES (true, $1, $2, $3)
		ON CONFLICT (singleton) DO UPDATE SET
			last_advance_at = CASE WHEN excluded.block_number > l1_safe_head.block_number
				THEN excluded.last_advance_at ELSE l1_safe_head.last_advance_at END,
			block_number = excluded.block_number, block_timestamp = excluded.block_timestamp, updated_at = now()`,
		int64(obs.SafeBlock), int64(obs.SafeTimestamp), obs.Now); err != nil {
		return res, fmt.Errorf("store safe head %d: %w", obs.SafeBlock, err)
	}
	if divergence != "" {
		if _, err := tx.Exec(ctx, `UPDATE control SET divergence = coalesce(divergence, $1), divergence_at = coalesce(divergence_at, now())`,
			divergence); err != nil {
			return res, fmt.Errorf("record divergence: %w", err)
		}
		res.Divergence = divergence
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit observation: %w", err)
	}
	if divergence != "" {
		return res, fmt.Errorf("%w: %s", ErrDivergence, divergence)
	}
	return res, nil
}
