package store

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/cartesi/sequencer/feed"
)

// ResumeQuery is where a client resumes the replay feed: after From, having
// last seen recovery generation Generation (when HasGeneration).
type ResumeQuery struct {
	From          uint64
	Generation    uint64
	HasGeneration bool
}

// ResumeState is what deciding a resume needs, read in one snapshot of the
// database.
type ResumeState struct {
	// Generation is the current recovery generation
	// (control.recovery_generation).
	Generation uint64
	// LastAssigned is the highest offset ever assigned, valid or revoked (0
	// when none): a From above it names history this database never had.
	LastAssigned uint64
	// Head is the highest valid offset (0 when none).
	Head uint64
	// FromInvalidated: From names an entry of an invalidated batch;
	// LastValidBefore is the highest valid offset below From (the rule of
	// a resume without a generation: 409 HISTORY_REWOUND).
	FromInvalidated bool
	LastValidBefore uint64
	// Revoked: a recovery after the query's generation revoked an entry at
	// or below From (only with a generation). LastValidOffset is then the
	// highest valid offset below the first entry any such recovery revoked:
	// the client's view is valid up to it.
	Revoked         bool
	LastValidOffset uint64
}

// resumeStateSQL reads a ResumeState for ($1 from, $2 generation). The
// batches one cascade invalidated are those whose invalidated_at is the
// cascade record's created_at: both are now() of the cascade's single
// transaction (store.Recovery.Cascade), and the nonce and generation bounds
// only restate what that cascade could touch. Cost: the cascades after $2
// (few) and their invalidated batches through batches_invalidated_at
// (migration 0005); nothing when $2 is the current generation.
const resumeStateSQL = `
	WITH cut AS (
		SELECT min(s."offset") AS o
		FROM recovery_cascades rc
		JOIN batches b ON b.invalidated_at = rc.created_at AND b.nonce >= rc.pivot_nonce
		                  AND b.generation < rc.generation
		JOIN sequenced_l2_txs s ON s.batch_id = b.id
		WHERE rc.generation > $2)
	SELECT c.recovery_generation,
		coalesce((SELECT max("offset") FROM sequenced_l2_txs), 0),
		coalesce((SELECT s."offset" FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE b.invalidated_at IS NULL ORDER BY s."offset" DESC LIMIT 1), 0),
		coalesce((SELECT b.invalidated_at IS NOT NULL FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE s."offset" = $1), false),
		coalesce((SELECT s."offset" FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE s."offset" < $1 AND b.invalidated_at IS NULL ORDER BY s."offset" DESC LIMIT 1), 0),
		cut.o,
		coalesce((SELECT s."offset" FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE s."offset" < cut.o AND b.invalidated_at IS NULL ORDER BY s."offset" DESC LIMIT 1), 0)
	FROM control c, cut`

func readResumeState(ctx context.Context, q querier, rq ResumeQuery) (ResumeState, error) {
	gen := int64(math.MaxInt64) // no generation: no recovery is "after" it
	if rq.HasGeneration {
		gen = offsetArg(rq.Generation)
	}
	var (
		st                                         ResumeState
		current, assigned, head, before, lastValid int64
		cut                                        *int64
	)
	err := q.QueryRow(ctx, resumeStateSQL, offsetArg(rq.From), gen).Scan(&current, &assigned, &head,
		&st.FromInvalidated, &before, &cut, &lastValid)
	if err != nil {
		return ResumeState{}, fmt.Errorf("read resume state at offset %d: %w", rq.From, err)
	}
	st.Generation, st.LastAssigned, st.Head, st.LastValidBefore = uint64(current), uint64(assigned), uint64(head), uint64(before)
	if cut != nil && uint64(*cut) <= rq.From {
		st.Revoked, st.LastValidOffset = true, uint64(lastValid)
	}
	return st, nil
}

// ResumeState reads, in one statement, what deciding a resume from rq
// needs. It only reads.
func (r *FeedReader) ResumeState(ctx context.Context, rq ResumeQuery) (ResumeState, error) {
	return readResumeState(ctx, r.pool, rq)
}

// Page reads one page of the valid replay order for GET /history: the
// resume state of rq, then (when check accepts it) at most limit valid
// entries after rq.From. Both come from one read-only repeatable-read
// transaction, so the refusal and the page describe the same history. A
// check error is returned as is, with the state.
func (r *FeedReader) Page(ctx context.Context, rq ResumeQuery, limit int, check func(ResumeState) error) (ResumeState, []feed.Entry, error) {
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return ResumeState{}, nil, fmt.Errorf("begin history read: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only: nothing to keep
	st, err := readResumeState(ctx, tx, rq)
	if err != nil {
		return ResumeState{}, nil, err
	}
	if err := check(st); err != nil {
		return st, nil, err
	}
	entries, err := readEntries(ctx, tx, rq.From, limit)
	if err != nil {
		return st, nil, err
	}
	return st, entries, nil
}
