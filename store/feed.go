package store

import (
	"context"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/feed"
)

// FeedReader reads the replay feed (the valid rows of sequenced_l2_txs with
// their user op or safe input) for WebSocket catch-up. It only reads. Safe for
// concurrent use (every method takes its own pooled connection).
type FeedReader struct{ pool *pgxpool.Pool }

// NewFeedReader returns a FeedReader on pool.
func NewFeedReader(pool *pgxpool.Pool) *FeedReader { return &FeedReader{pool: pool} }

// offsetArg converts a feed offset to the bigint the schema stores. Offsets
// above MaxInt64 cannot exist, so they clamp to MaxInt64 (nothing lies after
// it, nothing valid is skipped before it).
func offsetArg(o uint64) int64 {
	if o > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(o)
}

// validAfter selects the valid replay rows after $1, in offset order. A row
// is valid when its batch is not invalidated.
const validAfter = `
	FROM sequenced_l2_txs s
	JOIN batches b ON b.id = s.batch_id
	WHERE s."offset" > $1 AND b.invalidated_at IS NULL`

// Entries returns at most limit valid entries with offset > afterOffset, in
// ascending offset order. Entries of invalidated batches are skipped: their
// offsets are gone for good. Fee and SafeBlock are the frame's; BatchNonce and
// Generation the batch's.
func (r *FeedReader) Entries(ctx context.Context, afterOffset uint64, limit int) ([]feed.Entry, error) {
	return readEntries(ctx, r.pool, afterOffset, limit)
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func readEntries(ctx context.Context, q querier, afterOffset uint64, limit int) ([]feed.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `
	SELECT s."offset", s.kind, b.nonce, b.generation, f.fee, f.safe_block,
	       u.sender, u.nonce, u.data,
	       si.sender, si.payload, si.block_number, si.input_index
	FROM sequenced_l2_txs s
	JOIN batches b ON b.id = s.batch_id
	JOIN frames f ON f.batch_id = s.batch_id AND f.position = s.frame_position
	LEFT JOIN user_ops u ON u."offset" = s."offset"
	LEFT JOIN safe_inputs si ON si.input_index = s.safe_input_index
	WHERE s."offset" > $1 AND b.invalidated_at IS NULL
	ORDER BY s."offset"
	LIMIT $2`, offsetArg(afterOffset), limit)
	if err != nil {
		return nil, fmt.Errorf("query feed entries after %d: %w", afterOffset, err)
	}
	defer rows.Close()
	out := make([]feed.Entry, 0, min(limit, 1024))
	for rows.Next() {
		var (
			offset, batchNonce, gen, safeBlock int64
			kind                               string
			fee                                int32
			uSender, uData                     []byte
			uNonce                             *int64
			siSender, siPayload                []byte
			siBlock, siIndex                   *int64
		)
		if err := rows.Scan(&offset, &kind, &batchNonce, &gen, &fee, &safeBlock,
			&uSender, &uNonce, &uData,
			&siSender, &siPayload, &siBlock, &siIndex); err != nil {
			return nil, fmt.Errorf("scan feed entry: %w", err)
		}
		e := feed.Entry{
			Offset:     uint64(offset),
			Kind:       feed.Kind(kind),
			BatchNonce: uint64(batchNonce),
			Generation: uint64(gen),
			Fee:        uint16(fee),
			SafeBlock:  uint64(safeBlock),
		}
		switch e.Kind {
		case feed.KindUserOp:
			if uNonce == nil {
				return nil, fmt.Errorf("feed entry %d: user op row missing", offset)
			}
			e.Sender = common.BytesToAddress(uSender)
			e.Nonce = uint32(*uNonce)
			e.Data = nonNilBytes(uData)
		case feed.KindDirectInput:
			if siIndex == nil {
				return nil, fmt.Errorf("feed entry %d: safe input row missing", offset)
			}
			e.Sender = common.BytesToAddress(siSender)
			e.Payload = nonNilBytes(siPayload)
			e.BlockNumber = uint64(*siBlock)
			e.InputIndex = uint64(*siIndex)
		default:
			return nil, fmt.Errorf("feed entry %d: unknown kind %q", offset, kind)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read feed entries after %d: %w", afterOffset, err)
	}
	return out, nil
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// CountAfter counts the valid entries with offset > afterOffset, but stops
// counting at limit+1: the result is min(n, limit+1), so it exceeds limit
// exactly when more than limit entries lie after afterOffset. Its cost is
// bounded by limit, not by the feed's length.
func (r *FeedReader) CountAfter(ctx context.Context, afterOffset uint64, limit int) (int, error) {
	if limit < 0 {
		limit = 0
	}
	var n int64
	err := r.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1`+validAfter+` LIMIT $2) t`,
		offsetArg(afterOffset), int64(limit)+1).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count feed entries after %d: %w", afterOffset, err)
	}
	return int(n), nil
}

// LastValidOffset returns the highest valid offset, 0 when there is none.
func (r *FeedReader) LastValidOffset(ctx context.Context) (uint64, error) {
	var o int64
	err := r.pool.QueryRow(ctx, `SELECT coalesce((SELECT s."offset"
		FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		WHERE b.invalidated_at IS NULL ORDER BY s."offset" DESC LIMIT 1), 0)`).Scan(&o)
	if err != nil {
		return 0, fmt.Errorf("read last valid feed offset: %w", err)
	}
	return uint64(o), nil
}

// OffsetState reports whether offset names an entry of an invalidated batch
// (an offset that does not exist, e.g. beyond the head, is not invalidated),
// and the highest valid offset below it (0 when none), in one statement.
func (r *FeedReader) OffsetState(ctx context.Context, offset uint64) (invalidated bool, lastValidBefore uint64, err error) {
	var before int64
	err = r.pool.QueryRow(ctx, `SELECT
		coalesce((SELECT b.invalidated_at IS NOT NULL
			FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE s."offset" = $1), false),
		coalesce((SELECT s."offset"
			FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE s."offset" < $1 AND b.invalidated_at IS NULL
			ORDER BY s."offset" DESC LIMIT 1), 0)`, offsetArg(offset)).Scan(&invalidated, &before)
	if err != nil {
		return false, 0, fmt.Errorf("read state of feed offset %d: %w", offset, err)
	}
	return invalidated, uint64(before), nil
}
