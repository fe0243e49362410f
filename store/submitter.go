package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Submitter is the batch submitter's view of the database: the accepted
// frontier, the sealed batches still to post, and the wallet-nonce
// watermark it raises before every broadcast. Safe for concurrent use.
type Submitter struct {
	pool *pgxpool.Pool
}

// NewSubmitter returns the submitter's store.
func NewSubmitter(pool *pgxpool.Pool) *Submitter { return &Submitter{pool: pool} }

// SealedBatch is a valid sealed batch, ready to post.
type SealedBatch struct {
	ID             int64
	Nonce          uint64
	Payload        []byte
	Hash           common.Hash
	FirstSafeBlock uint64
}

// Frontier returns how many batches the rollup has accepted (the nonce it
// expects next) and the stored safe block.
func (s *Submitter) Frontier(ctx context.Context) (accepted, safeBlock uint64, err error) {
	var a, b int64
	err = s.pool.QueryRow(ctx, `SELECT (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches),
		coalesce((SELECT block_number FROM l1_safe_head), 0)`).Scan(&a, &b)
	if err != nil {
		return 0, 0, fmt.Errorf("read accepted frontier: %w", err)
	}
	return uint64(a), uint64(b), nil
}

// SealedFrom returns the valid sealed batches with nonce ≥ from, in nonce
// order, at most limit.
func (s *Submitter) SealedFrom(ctx context.Context, from uint64, limit int) ([]SealedBatch, error) {
	rows, err := s.pool.Query(ctx, `SELECT b.id, b.nonce, b.payload, b.payload_hash,
			(SELECT safe_block FROM frames WHERE batch_id = b.id AND position = 0)
		FROM batches b WHERE b.invalidated_at IS NULL AND b.sealed_at IS NOT NULL AND b.nonce >= $1
		ORDER BY b.nonce LIMIT $2`, int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("read sealed batches: %w", err)
	}
	defer rows.Close()
	var out []SealedBatch
	for rows.Next() {
		var (
			b            SealedBatch
			nonce, first int64
			hash         []byte
		)
		if err := rows.Scan(&b.ID, &nonce, &b.Payload, &hash, &first); err != nil {
			return nil, fmt.Errorf("scan sealed batch: %w", err)
		}
		b.Nonce, b.Hash, b.FirstSafeBlock = uint64(nonce), common.BytesToHash(hash), uint64(first)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sealed batches: %w", err)
	}
	return out, nil
}

// ClaimForBroadcast checks, and holds for the length of one transaction,
// that no recovery holds the fence and that the batch with this nonce and
// hash is still valid and sealed, and raises the watermark to walletNonce in
// that same transaction. The fence is the submitter's real pause: a claim
// during a recovery is refused even if the pause signal has not reached the
// submitter workflow, so the flush's target stops moving. A recovery
// cascade either runs before it (the batch is invalidated: ok is false and
// nothing is raised) or after it (it sees the raised watermark and refuses
// until the flush has covered it). Idempotent.
func (s *Submitter) ClaimForBroadcast(ctx context.Context, nonce uint64, hash common.Hash, walletNonce uint64) (SealedBatch, bool, error) {
	var b SealedBatch
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return b, false, fmt.Errorf("begin broadcast claim: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var mode string
	if err := tx.QueryRow(ctx, `SELECT mode FROM control FOR SHARE`).Scan(&mode); err != nil {
		return b, false, fmt.Errorf("read control row: %w", err)
	}
	if mode == "recovering" {
		return b, false, nil
	}
	var n int64
	var h []byte
	err = tx.QueryRow(ctx, `SELECT id, nonce, payload, payload_hash FROM batches
		WHERE nonce = $1 AND invalidated_at IS NULL AND sealed_at IS NOT NULL FOR SHARE`, int64(nonce)).Scan(&b.ID, &n, &b.Payload, &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("claim batch %d: %w", nonce, err)
	}
	b.Nonce, b.Hash = uint64(n), common.BytesToHash(h)
	if b.Hash != hash {
		return b, false, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, $1)
		ON CONFLICT (singleton) DO UPDATE SET nonce = greatest(wallet_nonce_watermark.nonce, excluded.nonce)`, int64(walletNonce)); err != nil {
		return b, false, fmt.Errorf("raise wallet nonce watermark to %d: %w", walletNonce, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return b, false, fmt.Errorf("commit broadcast claim: %w", err)
	}
	return b, true, nil
}

// SubmitterView is the database's side of one submission plan, read in one
// statement (one snapshot): what the rollup has accepted, how far the
// observer has read, whether a recovery holds the fence, and the newest
// valid sealed batch.
type SubmitterView struct {
	Accepted       uint64 // batches the rollup accepted: the nonce it expects next
	SafeBlock      uint64 // the stored safe head (0 when none)
	NextInputIndex uint64 // count of stored safe inputs
	Recovering     bool   // a recovery holds the fence: nothing may be broadcast
	// SealedEnd is one past the highest valid sealed batch nonce (0 when
	// none): a cheap "is there anything new to post" probe.
	SealedEnd uint64
}

// View reads the SubmitterView. Read-only.
func (s *Submitter) View(ctx context.Context) (SubmitterView, error) {
	var v SubmitterView
	var accepted, safe, next, sealedEnd int64
	var mode string
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches),
		coalesce((SELECT block_number FROM l1_safe_head), 0),
		(SELECT coalesce(max(input_index) + 1, 0) FROM safe_inputs),
		(SELECT mode FROM control),
		(SELECT coalesce(max(nonce) + 1, 0) FROM batches WHERE invalidated_at IS NULL AND sealed_at IS NOT NULL)`).
		Scan(&accepted, &safe, &next, &mode, &sealedEnd)
	if err != nil {
		return v, fmt.Errorf("read submitter view: %w", err)
	}
	v.Accepted, v.SafeBlock, v.NextInputIndex, v.SealedEnd = uint64(accepted), uint64(safe), uint64(next), uint64(sealedEnd)
	v.Recovering = mode == "recovering"
	return v, nil
}

// BatchInfo describes a valid sealed batch without its payload: what a plan
// needs to assign it a wallet nonce and size its gas.
type BatchInfo struct {
	Nonce uint64
	Hash  common.Hash
	Size  int    // payload bytes
	Ops   uint64 // user ops it carries
}

// SealedInfoFrom returns the valid sealed batches with nonce ≥ from, in
// nonce order, at most limit, without payloads. Read-only.
func (s *Submitter) SealedInfoFrom(ctx context.Context, from uint64, limit int) ([]BatchInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT b.nonce, b.payload_hash, octet_length(b.payload),
			(SELECT count(*) FROM user_ops u WHERE u.batch_id = b.id)
		FROM batches b WHERE b.invalidated_at IS NULL AND b.sealed_at IS NOT NULL AND b.nonce >= $1
		ORDER BY b.nonce LIMIT $2`, int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("read sealed batch info: %w", err)
	}
	defer rows.Close()
	var out []BatchInfo
	for rows.Next() {
		var (
			b         BatchInfo
			nonce     int64
			hash      []byte
			size, ops int64
		)
		if err := rows.Scan(&nonce, &hash, &size, &ops); err != nil {
			return nil, fmt.Errorf("scan sealed batch info: %w", err)
		}
		b.Nonce, b.Hash, b.Size, b.Ops = uint64(nonce), common.BytesToHash(hash), int(size), uint64(ops)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sealed batch info: %w", err)
	}
	return out, nil
}

// Claim asks ClaimRound for one broadcast: the batch with this nonce and
// hash, at this wallet nonce.
type Claim struct {
	Nonce       uint64
	Hash        common.Hash
	WalletNonce uint64
}

// ClaimRound is ClaimForBroadcast for a whole submission round, in one
// transaction: it checks that no recovery holds the fence and, per claim,
// that the batch with that nonce and hash is still valid and sealed, and
// raises the watermark to the highest wallet nonce among the granted
// claims. It returns, per claim in order, the batch (with its payload) or
// nil when refused; during a recovery every claim is refused and nothing is
// raised. The same serialisation as ClaimForBroadcast holds against a
// cascade (FOR SHARE on the control row and the batches). Idempotent: a
// repeat grants the same claims (the watermark is monotonic).
func (s *Submitter) ClaimRound(ctx context.Context, claims []Claim) ([]*SealedBatch, error) {
	out := make([]*SealedBatch, len(claims))
	if len(claims) == 0 {
		return out, nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin round claim: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var mode string
	if err := tx.QueryRow(ctx, `SELECT mode FROM control FOR SHARE`).Scan(&mode); err != nil {
		return nil, fmt.Errorf("read control row: %w", err)
	}
	if mode == "recovering" {
		return out, nil
	}
	nonces := make([]int64, len(claims))
	for i, c := range claims {
		nonces[i] = int64(c.Nonce)
	}
	rows, err := tx.Query(ctx, `SELECT id, nonce, payload, payload_hash FROM batches
		WHERE nonce = ANY($1) AND invalidated_at IS NULL AND sealed_at IS NOT NULL ORDER BY nonce FOR SHARE`, nonces)
	if err != nil {
		return nil, fmt.Errorf("claim round batches: %w", err)
	}
	found := map[uint64]*SealedBatch{}
	for rows.Next() {
		var (
			b SealedBatch
			n int64
			h []byte
		)
		if err := rows.Scan(&b.ID, &n, &b.Payload, &h); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan claimed batch: %w", err)
		}
		b.Nonce, b.Hash = uint64(n), common.BytesToHash(h)
		found[b.Nonce] = &b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim round batches: %w", err)
	}
	granted, highest := false, uint64(0)
	for i, c := range claims {
		if b := found[c.Nonce]; b != nil && b.Hash == c.Hash {
			out[i] = b
			granted, highest = true, max(highest, c.WalletNonce)
		}
	}
	if !granted {
		return out, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, $1)
		ON CONFLICT (singleton) DO UPDATE SET nonce = greatest(wallet_nonce_watermark.nonce, excluded.nonce)`, int64(highest)); err != nil {
		return nil, fmt.Errorf("raise wallet nonce watermark to %d: %w", highest, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit round claim: %w", err)
	}
	return out, nil
}

// RaiseWatermark durably raises the wallet-nonce watermark to at least
// nonce: write-before-broadcast, so recovery knows every slot a transaction
// of ours may occupy. Idempotent and monotonic.
func (s *Submitter) RaiseWatermark(ctx context.Context, nonce uint64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, $1)
		ON CONFLICT (singleton) DO UPDATE SET nonce = greatest(wallet_nonce_watermark.nonce, excluded.nonce)`, int64(nonce))
	if err != nil {
		return fmt.Errorf("raise wallet nonce watermark to %d: %w", nonce, err)
	}
	return nil
}

// Watermark returns the wallet-nonce watermark; ok is false when nothing was
// ever broadcast.
func (s *Submitter) Watermark(ctx context.Context) (nonce uint64, ok bool, err error) {
	var n int64
	err = s.pool.QueryRow(ctx, `SELECT nonce FROM wallet_nonce_watermark`).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read wallet nonce watermark: %w", err)
	}
	return uint64(n), true, nil
}

// Maintenance is the snapshot promotion and garbage-collection role.
type Maintenance struct {
	pool *pgxpool.Pool
}

// NewMaintenance returns the snapshot maintenance store.
func NewMaintenance(pool *pgxpool.Pool) *Maintenance { return &Maintenance{pool: pool} }

// PromotionResult reports a promotion and collection pass.
type PromotionResult struct {
	FinalizedNonce *uint64 // the finalized snapshot's batch nonce, nil when none
	Promoted       bool    // the finalized pointer moved
	Deleted        int64   // snapshots collected
}

// PromoteAndCollect makes the snapshot of the newest accepted batch the
// finalized one (monotonic: it never moves back), then deletes every
// snapshot except the finalized one and the valid ones beyond it. One
// transaction; idempotent — a repeated pass changes nothing.
func (m *Maintenance) PromoteAndCollect(ctx context.Context) (PromotionResult, error) {
	var res PromotionResult
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin promotion: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var (
		candidate *int64
		candNonce *int64
		current   *int64
		currNonce *int64
	)
	if err := tx.QueryRow(ctx, `SELECT a.batch_id, a.nonce FROM accepted_batches a
		JOIN snapshots s ON s.batch_id = a.batch_id ORDER BY a.nonce DESC LIMIT 1`).Scan(&candidate, &candNonce); err != nil &&
		!errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("find newest accepted snapshot: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT c.finalized_batch_id, b.nonce FROM control c
		LEFT JOIN batches b ON b.id = c.finalized_batch_id FOR UPDATE OF c`).Scan(&current, &currNonce); err != nil {
		return res, fmt.Errorf("read finalized pointer: %w", err)
	}
	finalized := currNonce
	if candidate != nil && (current == nil || *candNonce > *currNonce) {
		if _, err := tx.Exec(ctx, `UPDATE control SET finalized_batch_id = $1`, *candidate); err != nil {
			return res, fmt.Errorf("promote snapshot of batch %d: %w", *candNonce, err)
		}
		res.Promoted, finalized = true, candNonce
	}
	if finalized != nil {
		n := uint64(*finalized)
		res.FinalizedNonce = &n
		tag, err := tx.Exec(ctx, `DELETE FROM snapshots s USING batches b WHERE b.id = s.batch_id
			AND (b.invalidated_at IS NOT NULL OR b.nonce < $1)`, *finalized)
		if err != nil {
			return res, fmt.Errorf("collect snapshots: %w", err)
		}
		res.Deleted = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit promotion: %w", err)
	}
	return res, nil
}
