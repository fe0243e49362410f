package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	// The stored inputs of the last stored input's block: indices
	// [LastBlockFirstIndex, NextInputIndex) at block LastInputBlock (none
	// when NextInputIndex is 0). The observer re-reads them each round the
	// safe head advances and Record compares them: safe inputs never
	// change, and a reorg below the safe block that rewrites any stored
	// input replaces every block from its fork point up, the last stored
	// input's block included. One one-block log query per round.
	LastInputBlock      uint64
	LastBlockFirstIndex uint64
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
	if next == 0 {
		return s, nil
	}
	// Block numbers never decrease with the index (trigger), so the inputs
	// of the last block are a suffix: walk the primary key backwards to the
	// first input of an earlier block.
	var lastBlock, first int64
	if err := tx.QueryRow(ctx, `SELECT l.block_number, coalesce((SELECT p.input_index + 1 FROM safe_inputs p
			WHERE p.block_number < l.block_number ORDER BY p.input_index DESC LIMIT 1), 0)
		FROM safe_inputs l WHERE l.input_index = $1`, next-1).Scan(&lastBlock, &first); err != nil {
		return s, fmt.Errorf("read the last stored input's block: %w", err)
	}
	s.LastInputBlock, s.LastBlockFirstIndex = uint64(lastBlock), uint64(first)
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
// input of the app after the stored ones up to it, in index order, possibly
// preceded by stored ones read again to be compared (see Record).
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
// Idempotent: inputs already stored are not written again, and a head that
// does not move changes only updated_at. An input already stored (an earlier
// or concurrent attempt stored it, or the caller re-read it on purpose) is
// compared with the stored row: index, sender, payload, block number, block
// timestamp and, when both sides have it, transaction hash. Safe inputs never
// change, so a difference means the L1 history under our stored inputs was
// rewritten (a reorg below the safe block, or a node serving another chain):
// everything derived from those inputs is void, which is canonical divergence
// too. It is recorded, nothing else of the observation is written, and
// ErrDivergence is returned. Concurrent calls serialise on the safe_inputs
// rows and the contiguity trigger; a loser's conflicting insert fails and its
// retry compares what the winner stored.
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
	mismatch, err := compareStoredInputs(ctx, tx, obs.Inputs, uint64(next))
	if err != nil {
		return res, err
	}
	if mismatch != "" {
		if err := recordDivergence(ctx, tx, mismatch); err != nil {
			return res, err
		}
		if err := tx.Commit(ctx); err != nil {
			return res, fmt.Errorf("commit observation: %w", err)
		}
		res.Divergence = mismatch
		return res, fmt.Errorf("%w: %s", ErrDivergence, mismatch)
	}
	expected := uint64(accepted)
	var divergence string
	for _, in := range obs.Inputs {
		if in.Index < uint64(next) {
			continue // already stored, and equal (compareStoredInputs)
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
		if err := recordDivergence(ctx, tx, divergence); err != nil {
			return res, err
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

// recordDivergence stores the first divergence found; a later one does not
// overwrite it (the first is the cause, the rest its consequences).
func recordDivergence(ctx context.Context, tx pgx.Tx, detail string) error {
	if _, err := tx.Exec(ctx, `UPDATE control SET divergence = coalesce(divergence, $1), divergence_at = coalesce(divergence_at, now())`,
		detail); err != nil {
		return fmt.Errorf("record divergence: %w", err)
	}
	return nil
}

// compareStoredInputs compares the observed inputs with index below next
// (already stored) with their rows and describes the first difference, or
// returns "" when they all match. Payloads are compared by keccak so the
// description stays short.
func compareStoredInputs(ctx context.Context, tx pgx.Tx, observed []ObservedInput, next uint64) (string, error) {
	var indices []int64
	for _, in := range observed {
		if in.Index < next {
			indices = append(indices, int64(in.Index))
		}
	}
	if len(indices) == 0 {
		return "", nil
	}
	type row struct {
		sender                 []byte
		payload                []byte
		blockNumber, blockTime int64
		txHash                 []byte
	}
	stored := make(map[uint64]row, len(indices))
	rows, err := tx.Query(ctx, `SELECT input_index, sender, payload, block_number, block_timestamp, tx_hash
		FROM safe_inputs WHERE input_index = ANY($1)`, indices)
	if err != nil {
		return "", fmt.Errorf("read stored safe inputs: %w", err)
	}
	for rows.Next() {
		var idx int64
		var r row
		if err := rows.Scan(&idx, &r.sender, &r.payload, &r.blockNumber, &r.blockTime, &r.txHash); err != nil {
			rows.Close()
			return "", fmt.Errorf("read stored safe inputs: %w", err)
		}
		stored[uint64(idx)] = r
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read stored safe inputs: %w", err)
	}
	for _, in := range observed {
		if in.Index >= next {
			continue
		}
		r, ok := stored[in.Index]
		if !ok { // the inputs are contiguous from 0 (trigger): cannot happen
			return "", fmt.Errorf("safe input %d below the stored count %d is missing", in.Index, next)
		}
		var diffs []string
		if got := common.BytesToAddress(r.sender); got != in.Sender {
			diffs = append(diffs, fmt.Sprintf("sender %s, stored %s", in.Sender, got))
		}
		if got, want := crypto.Keccak256Hash(in.Payload), crypto.Keccak256Hash(r.payload); got != want {
			diffs = append(diffs, fmt.Sprintf("payload hash %s, stored %s", got, want))
		}
		if uint64(r.blockNumber) != in.BlockNumber {
			diffs = append(diffs, fmt.Sprintf("block %d, stored %d", in.BlockNumber, r.blockNumber))
		}
		if uint64(r.blockTime) != in.BlockTimestamp {
			diffs = append(diffs, fmt.Sprintf("block timestamp %d, stored %d", in.BlockTimestamp, r.blockTime))
		}
		// An absent hash (an older row, or a reader that does not give it)
		// is not evidence either way.
		if r.txHash != nil && in.TxHash != (common.Hash{}) && common.BytesToHash(r.txHash) != in.TxHash {
			diffs = append(diffs, fmt.Sprintf("tx %s, stored %s", in.TxHash, common.BytesToHash(r.txHash)))
		}
		if len(diffs) > 0 {
			return fmt.Sprintf("L1 now serves safe input %d differently from the stored one (%s): the L1 history was rewritten below the safe block, or the node follows another chain",
				in.Index, strings.Join(diffs, "; ")), nil
		}
	}
	return "", nil
}
