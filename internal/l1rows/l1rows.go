// Package l1rows writes, for tests and the load generator, the rows the L1
// reader (the worker's observer) writes in production: the safe head and the
// application's safe inputs. It lets the soft-confirmation service be
// exercised against a real database without an L1 node.
package l1rows

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Writer appends safe inputs and moves the safe head. Not safe for
// concurrent use (input indexes are assigned in order).
type Writer struct {
	pool      *pgxpool.Pool
	nextIndex uint64
}

// New returns a writer continuing after the inputs already stored.
func New(ctx context.Context, pool *pgxpool.Pool) (*Writer, error) {
	var next int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(input_index) + 1, 0) FROM safe_inputs`).Scan(&next); err != nil {
		return nil, fmt.Errorf("read safe input count: %w", err)
	}
	return &Writer{pool: pool, nextIndex: uint64(next)}, nil
}

// Input is a safe input to append.
type Input struct {
	Sender  common.Address
	Payload []byte
	Block   uint64
}

// Append stores inputs with consecutive indexes and returns the first index.
func (w *Writer) Append(ctx context.Context, inputs ...Input) (uint64, error) {
	first := w.nextIndex
	batch := make([][]any, 0, len(inputs))
	for i, in := range inputs {
		batch = append(batch, []any{int64(first) + int64(i), in.Sender.Bytes(), in.Payload, int64(in.Block), int64(in.Block) * 12})
	}
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	for _, row := range batch {
		if _, err := tx.Exec(ctx, `INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp)
			VALUES ($1, $2, $3, $4, $5)`, row...); err != nil {
			return 0, fmt.Errorf("append safe input %v: %w", row[0], err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	w.nextIndex += uint64(len(inputs))
	return first, nil
}

// Copy stores inputs with consecutive indexes in one COPY statement and
// returns the first index: for bulk loads (a deposit wave, a million
// funded accounts), where Append's one INSERT per row costs a round trip
// each. Blocks must not decrease, as the L1 reader writes them. On error
// nothing is stored and the writer's next index is unchanged, so a retry
// of the same inputs is safe.
func (w *Writer) Copy(ctx context.Context, inputs []Input) (uint64, error) {
	first := w.nextIndex
	if len(inputs) == 0 {
		return first, nil
	}
	rows := pgx.CopyFromSlice(len(inputs), func(i int) ([]any, error) {
		in := inputs[i]
		return []any{int64(first) + int64(i), in.Sender.Bytes(), in.Payload, int64(in.Block), int64(in.Block) * 12}, nil
	})
	_, err := w.pool.CopyFrom(ctx, pgx.Identifier{"safe_inputs"},
		[]string{"input_index", "sender", "payload", "block_number", "block_timestamp"}, rows)
	if err != nil {
		return 0, fmt.Errorf("copy safe inputs %d..%d: %w", first, first+uint64(len(inputs))-1, err)
	}
	w.nextIndex += uint64(len(inputs))
	return first, nil
}

// SetSafeHead records the safe head at block with the given block timestamp,
// stamping the last advance at now when the number grows.
func (w *Writer) SetSafeHead(ctx context.Context, block uint64, timestamp time.Time, now time.Time) error {
	_, err := w.pool.Exec(ctx, `INSERT INTO l1_safe_head (singleton, block_number, block_timestamp, last_advance_at)
		VALUES (true, $1, $2, $3)
		ON CONFLICT (singleton) DO UPDATE SET
			last_advance_at = CASE WHEN excluded.block_number > l1_safe_head.block_number
				THEN excluded.last_advance_at ELSE l1_safe_head.last_advance_at END,
			block_number = excluded.block_number, block_timestamp = excluded.block_timestamp, updated_at = now()`,
		int64(block), timestamp.Unix(), now)
	if err != nil {
		return fmt.Errorf("set safe head %d: %w", block, err)
	}
	return nil
}

// SetBatchSubmitter records the batch submitter's address, as the worker
// does at start.
func (w *Writer) SetBatchSubmitter(ctx context.Context, addr common.Address) error {
	_, err := w.pool.Exec(ctx, `UPDATE control SET batch_submitter_address = $1`, addr.Bytes())
	return err
}
