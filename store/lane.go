package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cartesi/sequencer/protocol"
)

// laneLockKey is the advisory lock that elects the one inclusion lane allowed
// to write; it is held by the lane's session for the life of its connection.
const laneLockKey int64 = 0x5e9_1a4e

// ErrIdentityMismatch: the database belongs to another chain, application
// or batch submitter. Terminal.
var ErrIdentityMismatch = errors.New("identity mismatch with the database")

// LaneStore is the inclusion lane's dedicated connection. Every lane write
// goes through it, on the same session that holds the writer lock: if the
// session dies, the lock and the ability to write go together, so a lane that
// lost its lock cannot write behind a successor's back.
//
// The session is bounded in time from both ends (see ConnectLane), so a
// writer that dies or is cut off without a TCP reset loses the lock within
// about one timeout instead of the kernel's 2 h 11 min of keepalives.
//
// Not safe for concurrent use: the lane goroutine owns it.
type LaneStore struct {
	conn    *pgx.Conn
	timeout time.Duration
}

// DefaultLaneTimeout bounds how long a silent lane session keeps the writer
// lock, and how long the lane waits for any one statement (see ConnectLane).
const DefaultLaneTimeout = 10 * time.Second

// ConnectLane opens the lane's connection. timeout (0 → DefaultLaneTimeout)
// bounds the session's silence from both ends:
//
//   - Server side, set on the session at connect: idle_session_timeout and
//     idle_in_transaction_session_timeout end a session whose client sent
//     nothing for timeout — the lane sends a statement every 50 ms while it
//     is active or standby, so only a dead, hung or cut-off writer is that
//     quiet, including behind a proxy that keeps TCP alive — and TCP
//     keepalives plus tcp_user_timeout end one whose host stopped answering.
//     Either way the session ends and Postgres releases the advisory lock.
//     (idle_session_timeout needs PostgreSQL 14 or later.)
//   - Client side: every statement gets a deadline of timeout, and the
//     socket the same keepalives, so a lane cut off from the database
//     notices, ends its session (closing its feed subscribers) and does not
//     believe itself the writer while a standby takes over.
//
// A statement that legitimately runs longer than timeout would also end the
// session (the lane rebuilds and goes on); none of the lane's does.
func ConnectLane(ctx context.Context, url string, timeout time.Duration) (*LaneStore, error) {
	if timeout <= 0 {
		timeout = DefaultLaneTimeout
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("lane session: parse database url: %w", err)
	}
	idle, interval := max(timeout/2, time.Second).Truncate(time.Second), max(timeout/6, time.Second).Truncate(time.Second)
	const count = 3
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	for k, v := range map[string]string{
		"idle_session_timeout":                strconv.FormatInt(timeout.Milliseconds(), 10),
		"idle_in_transaction_session_timeout": strconv.FormatInt(timeout.Milliseconds(), 10),
		"tcp_keepalives_idle":                 secs(idle),
		"tcp_keepalives_interval":             secs(interval),
		"tcp_keepalives_count":                strconv.Itoa(count),
		"tcp_user_timeout":                    strconv.FormatInt(timeout.Milliseconds(), 10),
	} {
		cfg.RuntimeParams[k] = v
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: idle, Interval: interval, Count: count}}
	cfg.DialFunc = dialer.DialContext
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect lane session: %w", err)
	}
	return &LaneStore{conn: conn, timeout: timeout}, nil
}

// bound gives one lane statement its deadline (see ConnectLane). pgx
// interrupts a statement whose context ends by expiring the socket, so the
// connection is then closed and the session over.
func (s *LaneStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Close ends the session, releasing the writer lock if held.
func (s *LaneStore) Close(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.conn.Close(ctx)
}

// Conn exposes the session, for migrations at start.
func (s *LaneStore) Conn() *pgx.Conn { return s.conn }

// TryLock tries once to take the writer lock. Idempotent while held.
func (s *LaneStore) TryLock(ctx context.Context) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var ok bool
	if err := s.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, laneLockKey).Scan(&ok); err != nil {
		return false, fmt.Errorf("try writer lock: %w", err)
	}
	return ok, nil
}

// Control is the control row.
type Control struct {
	ChainID          uint64 // 0 when not recorded yet
	App              *common.Address
	BatchSubmitter   *common.Address
	Mode             string
	Generation       uint64
	Divergence       string // empty when none
	FinalizedBatchID int64  // 0 when none
}

// Recovering reports whether a recovery holds the batch tree.
func (c Control) Recovering() bool { return c.Mode == "recovering" }

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// rowsQueryer is what reads more than one row need: a transaction, a
// connection or a pool.
type rowsQueryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readControl(ctx context.Context, q queryer) (Control, error) {
	var (
		c                  Control
		chainID, finalized *int64
		app, submitter     []byte
		divergence         *string
		generation         int64
	)
	err := q.QueryRow(ctx, `SELECT chain_id, app_address, batch_submitter_address, mode, recovery_generation,
		divergence, finalized_batch_id FROM control`).Scan(&chainID, &app, &submitter, &c.Mode, &generation, &divergence, &finalized)
	if err != nil {
		return c, fmt.Errorf("read control row: %w", err)
	}
	if chainID != nil {
		c.ChainID = uint64(*chainID)
	}
	c.App = optAddress(app)
	c.BatchSubmitter = optAddress(submitter)
	c.Generation = uint64(generation)
	if divergence != nil {
		c.Divergence = *divergence
	}
	if finalized != nil {
		c.FinalizedBatchID = *finalized
	}
	return c, nil
}

func optAddress(b []byte) *common.Address {
	if b == nil {
		return nil
	}
	a := common.BytesToAddress(b)
	return &a
}

// Control reads the control row.
func (s *LaneStore) Control(ctx context.Context) (Control, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readControl(ctx, s.conn)
}

// RecordIdentity writes the chain id, the application address and (when
// known) the batch submitter address on first start, and checks them against
// what is recorded afterwards. A mismatch is ErrIdentityMismatch. Idempotent.
func (s *LaneStore) RecordIdentity(ctx context.Context, chainID uint64, app common.Address, submitter *common.Address) (Control, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return RecordIdentity(ctx, s.conn, chainID, app, submitter)
}

// DB is what one-statement helpers need: a connection or a pool.
type DB interface {
	queryer
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// RecordIdentity is LaneStore.RecordIdentity on any connection or pool: the
// worker records the same identity, with the batch submitter it derives from
// its key.
func RecordIdentity(ctx context.Context, db DB, chainID uint64, app common.Address, submitter *common.Address) (Control, error) {
	var sub []byte
	if submitter != nil {
		sub = submitter.Bytes()
	}
	_, err := db.Exec(ctx, `UPDATE control SET
		chain_id = coalesce(chain_id, $1),
		app_address = coalesce(app_address, $2),
		batch_submitter_address = coalesce(batch_submitter_address, $3)`, int64(chainID), app.Bytes(), sub)
	if err != nil {
		return Control{}, fmt.Errorf("record identity: %w", err)
	}
	c, err := readControl(ctx, db)
	if err != nil {
		return c, err
	}
	if c.ChainID != chainID {
		return c, fmt.Errorf("%w: chain id %d configured, %d recorded", ErrIdentityMismatch, chainID, c.ChainID)
	}
	if *c.App != app {
		return c, fmt.Errorf("%w: application %s configured, %s recorded", ErrIdentityMismatch, app, c.App)
	}
	if submitter != nil && *c.BatchSubmitter != *submitter {
		return c, fmt.Errorf("%w: batch submitter %s configured, %s recorded", ErrIdentityMismatch, submitter, c.BatchSubmitter)
	}
	return c, nil
}

// SafeHead is the persisted L1 safe head.
type SafeHead struct {
	Known       bool
	Block       uint64
	Timestamp   uint64 // unix seconds of the safe block
	LastAdvance time.Time
}

func readSafeHead(ctx context.Context, q queryer) (SafeHead, error) {
	var (
		h         SafeHead
		block, ts int64
	)
	err := q.QueryRow(ctx, `SELECT block_number, block_timestamp, last_advance_at FROM l1_safe_head`).Scan(&block, &ts, &h.LastAdvance)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("read safe head: %w", err)
	}
	h.Known, h.Block, h.Timestamp = true, uint64(block), uint64(ts)
	return h, nil
}

// SafeHead reads the persisted L1 safe head.
func (s *LaneStore) SafeHead(ctx context.Context) (SafeHead, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readSafeHead(ctx, s.conn)
}

// Policy is the fee policy's derived values.
type Policy struct {
	RecommendedFee  int
	BatchSizeTarget int
}

// FrameFee is the fee exponent of a frame opened under this policy: the
// recommendation, clamped to the exponents whose value fits in 256 bits.
func (p Policy) FrameFee() uint16 {
	return uint16(min(max(p.RecommendedFee, 0), protocol.MaxFeeExponent))
}

func readPolicy(ctx context.Context, q queryer) (Policy, error) {
	var p Policy
	err := q.QueryRow(ctx, `SELECT recommended_fee, batch_size_target FROM batch_policy_derived`).Scan(&p.RecommendedFee, &p.BatchSizeTarget)
	if err != nil {
		return p, fmt.Errorf("read fee policy: %w", err)
	}
	return p, nil
}

// Policy reads the derived fee policy.
func (s *LaneStore) Policy(ctx context.Context) (Policy, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readPolicy(ctx, s.conn)
}

// SafeInput is one InputBox input of the application.
type SafeInput struct {
	Index       uint64
	Sender      common.Address
	Payload     []byte
	BlockNumber uint64
}

// Tip is the open batch and its last frame.
type Tip struct {
	BatchID        int64
	Nonce          uint64
	CreatedAt      time.Time
	FirstSafeBlock uint64
	FramePosition  int
	FrameSafeBlock uint64
	FrameFee       uint16
	OpCount        int // user ops in the batch
}

// ReplayRow is one valid replay entry after the restored snapshot.
type ReplayRow struct {
	Offset        uint64
	Kind          string // "user_op" or "direct_input"
	BatchNonce    uint64
	FramePosition int
	Fee           uint16
	SafeBlock     uint64
	// user ops
	Sender    common.Address
	Nonce     uint32
	MaxFee    uint16
	Data      []byte
	Signature []byte
	// direct inputs
	Input SafeInput
}

// Restart is everything the lane needs to rebuild its state.
type Restart struct {
	Control  Control
	SafeHead SafeHead
	Policy   Policy
	// Snapshot is the newest valid snapshot's state, nil at genesis;
	// SnapshotOffset the last replay offset it includes.
	Snapshot       []byte
	SnapshotOffset uint64
	Replay         []ReplayRow
	// NextOffset is one past the highest offset ever used (valid or not):
	// offsets are never reused.
	NextOffset uint64
	// LastValidOffset is the highest valid offset (0 when none).
	LastValidOffset uint64
	// NextDrainIndex is the first safe input index not yet drained by a
	// valid frame.
	NextDrainIndex uint64
	Tip            *Tip // nil when there is no valid open batch
}

// LoadRestart reads, in one repeatable-read transaction, the state the lane
// rebuilds from: the newest valid snapshot and the valid replay rows after it.
func (s *LaneStore) LoadRestart(ctx context.Context) (Restart, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r Restart
	tx, err := s.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return r, fmt.Errorf("begin restart read: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if r.Control, err = readControl(ctx, tx); err != nil {
		return r, err
	}
	if r.SafeHead, err = readSafeHead(ctx, tx); err != nil {
		return r, err
	}
	if r.Policy, err = readPolicy(ctx, tx); err != nil {
		return r, err
	}
	var snapOffset int64
	err = tx.QueryRow(ctx, `SELECT s.state, s.l2_tx_index FROM snapshots s JOIN batches b ON b.id = s.batch_id
		WHERE b.invalidated_at IS NULL ORDER BY b.nonce DESC LIMIT 1`).Scan(&r.Snapshot, &snapOffset)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("read newest snapshot: %w", err)
	}
	r.SnapshotOffset = uint64(snapOffset)

	var nextOffset, lastValid, nextDrain int64
	if err := tx.QueryRow(ctx, `SELECT
		coalesce((SELECT max("offset") FROM sequenced_l2_txs), 0) + 1,
		coalesce((SELECT max(s."offset") FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id WHERE b.invalidated_at IS NULL), 0),
		coalesce((SELECT max(s.safe_input_index) FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE b.invalidated_at IS NULL), -1) + 1`).Scan(&nextOffset, &lastValid, &nextDrain); err != nil {
		return r, fmt.Errorf("read offsets: %w", err)
	}
	r.NextOffset, r.LastValidOffset, r.NextDrainIndex = uint64(nextOffset), uint64(lastValid), uint64(nextDrain)

	if r.Replay, err = readReplayRows(ctx, tx, uint64(snapOffset), math.MaxInt64, 0); err != nil {
		return r, err
	}

	var tip Tip
	var nonce, firstSafe, frameSafe int64
	var frameFee int32
	err = tx.QueryRow(ctx, `SELECT b.id, b.nonce, b.created_at,
			(SELECT safe_block FROM frames WHERE batch_id = b.id AND position = 0),
			f.position, f.safe_block, f.fee,
			(SELECT count(*) FROM user_ops WHERE batch_id = b.id)
		FROM batches b JOIN frames f ON f.batch_id = b.id
		WHERE b.sealed_at IS NULL AND b.invalidated_at IS NULL
		ORDER BY f.position DESC LIMIT 1`).Scan(&tip.BatchID, &nonce, &tip.CreatedAt, &firstSafe,
		&tip.FramePosition, &frameSafe, &frameFee, &tip.OpCount)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return r, fmt.Errorf("read tip: %w", err)
	default:
		tip.Nonce, tip.FirstSafeBlock, tip.FrameSafeBlock, tip.FrameFee = uint64(nonce), uint64(firstSafe), uint64(frameSafe), uint16(frameFee)
		r.Tip = &tip
	}
	return r, nil
}

// readReplayRows returns the valid replay rows with after < offset ≤ upTo,
// in offset order, at most limit of them (0: no limit).
func readReplayRows(ctx context.Context, q rowsQueryer, after, upTo uint64, limit int) ([]ReplayRow, error) {
	lim := "ALL"
	if limit > 0 {
		lim = strconv.Itoa(limit)
	}
	rows, err := q.Query(ctx, `SELECT s."offset", s.kind, b.nonce, s.frame_position, f.fee, f.safe_block,
			u.sender, u.nonce, u.max_fee, u.data, u.signature,
			i.input_index, i.sender, i.payload, i.block_number
		FROM sequenced_l2_txs s
		JOIN batches b ON b.id = s.batch_id
		JOIN frames f ON f.batch_id = s.batch_id AND f.position = s.frame_position
		LEFT JOIN user_ops u ON u."offset" = s."offset"
		LEFT JOIN safe_inputs i ON i.input_index = s.safe_input_index
		WHERE b.invalidated_at IS NULL AND s."offset" > $1 AND s."offset" <= $2
		ORDER BY s."offset" LIMIT `+lim, int64(after), int64(min(upTo, math.MaxInt64)))
	if err != nil {
		return nil, fmt.Errorf("read replay rows: %w", err)
	}
	defer rows.Close()
	var out []ReplayRow
	for rows.Next() {
		var (
			row                                     ReplayRow
			offset, batchNonce, safeBlock           int64
			fee                                     int32
			uSender, uData, uSig, iSender, iPayload []byte
			uNonce, iIndex, iBlock                  *int64
			uMaxFee                                 *int32
		)
		if err := rows.Scan(&offset, &row.Kind, &batchNonce, &row.FramePosition, &fee, &safeBlock,
			&uSender, &uNonce, &uMaxFee, &uData, &uSig, &iIndex, &iSender, &iPayload, &iBlock); err != nil {
			return nil, fmt.Errorf("scan replay row: %w", err)
		}
		row.Offset, row.BatchNonce, row.Fee, row.SafeBlock = uint64(offset), uint64(batchNonce), uint16(fee), uint64(safeBlock)
		switch row.Kind {
		case "user_op":
			if uNonce == nil {
				return nil, fmt.Errorf("replay row %d: user op missing", offset)
			}
			row.Sender, row.Nonce, row.MaxFee = common.BytesToAddress(uSender), uint32(*uNonce), uint16(*uMaxFee)
			row.Data, row.Signature = uData, uSig
		case "direct_input":
			if iIndex == nil {
				return nil, fmt.Errorf("replay row %d: safe input missing", offset)
			}
			row.Input = SafeInput{Index: uint64(*iIndex), Sender: common.BytesToAddress(iSender), Payload: iPayload, BlockNumber: uint64(*iBlock)}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read replay rows: %w", err)
	}
	return out, nil
}

// SafeInputsToDrain returns, in index order, the direct inputs (safe inputs
// whose sender is not the batch submitter) from index `from` on that a frame
// opened at a safe block of at most upToBlock drains, and the frame's safe
// block. The scheduler drains by block (a frame takes every input of a block
// up to its safe block), so the cut falls between blocks: when more than
// limit inputs wait, the safe block stops short of upToBlock at the last
// block whose inputs still fit — or, when the first waiting block alone
// holds more than limit, at that block, whole. Bounded drains keep each lane
// commit small whatever the wave (capacity.md §3); the lane catches up over
// several frames, with intake open between them. limit ≤ 0 means no bound.
func (s *LaneStore) SafeInputsToDrain(ctx context.Context, from, upToBlock uint64, submitter common.Address, limit int) ([]SafeInput, uint64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	lim := "ALL"
	if limit > 0 {
		lim = strconv.Itoa(limit + 1)
	}
	out, err := s.safeInputs(ctx, `SELECT input_index, sender, payload, block_number FROM safe_inputs
		WHERE input_index >= $1 AND block_number <= $2 AND sender <> $3 ORDER BY input_index LIMIT `+lim,
		int64(from), int64(upToBlock), submitter.Bytes())
	if err != nil || limit <= 0 || len(out) <= limit {
		return out, upToBlock, err
	}
	cut := out[limit].BlockNumber // the first block that does not fit whole
	if out[0].BlockNumber < cut {
		n := limit
		for n > 0 && out[n-1].BlockNumber == cut {
			n--
		}
		return out[:n], cut - 1, nil
	}
	// The first waiting block alone exceeds the bound: it goes whole.
	out, err = s.safeInputs(ctx, `SELECT input_index, sender, payload, block_number FROM safe_inputs
		WHERE input_index >= $1 AND block_number = $2 AND sender <> $3 ORDER BY input_index`,
		int64(from), int64(cut), submitter.Bytes())
	return out, cut, err
}

func (s *LaneStore) safeInputs(ctx context.Context, sql string, args ...any) ([]SafeInput, error) {
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read safe inputs to drain: %w", err)
	}
	defer rows.Close()
	var out []SafeInput
	for rows.Next() {
		var (
			in           SafeInput
			index, block int64
			sender       []byte
		)
		if err := rows.Scan(&index, &sender, &in.Payload, &block); err != nil {
			return nil, fmt.Errorf("scan safe input: %w", err)
		}
		in.Index, in.Sender, in.BlockNumber = uint64(index), common.BytesToAddress(sender), uint64(block)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read safe inputs to drain: %w", err)
	}
	return out, nil
}

// NewUserOp is a user op the lane included, to be written with its offset.
type NewUserOp struct {
	Offset        uint64
	BatchID       int64
	FramePosition int
	Sender        common.Address
	Nonce         uint32
	MaxFee        uint16
	Data          []byte
	Signature     []byte
	ReceivedAt    time.Time
}

// Drained is a direct input sequenced into a frame at Offset.
type Drained struct {
	Offset     uint64
	InputIndex uint64
}

// NewFrame opens a frame in an open batch and sequences the direct inputs it
// drains.
type NewFrame struct {
	BatchID   int64
	Position  int
	SafeBlock uint64
	Fee       uint16
	Drained   []Drained
}

// Seal closes a batch with the payload the lane built from its rows (frames
// in creation order, ops in arrival order) and records its state boundary.
// The state itself is not written here: its cost grows with the
// application's state, and the lane's commits must not (capacity.md §3). The
// checkpointer materializes snapshots at boundaries off the lane
// (store/checkpoint.go, hotpath/checkpoint.go).
type Seal struct {
	BatchID int64
	Payload []byte
	// StateOffset is the last replay offset the state at the batch's end
	// includes: the l2_tx_index of its snapshot, whenever one is taken.
	StateOffset uint64
	// OpCount is the number of user ops in the batch, stored with the seal
	// for admission control (migrations/0003_admission.sql).
	OpCount int
}

// NewBatch opens a batch (the root when ParentID is 0).
type NewBatch struct {
	ParentID   int64
	Nonce      uint64
	Generation uint64
}

// Write is one lane transaction, applied in this order: ops, seal, new
// batch, new frame. Every part is optional; a NewFrame with BatchID 0 goes
// into the batch NewBatch creates.
type Write struct {
	Ops   []NewUserOp
	Seal  *Seal
	Batch *NewBatch
	Frame *NewFrame
}

// WriteResult reports what a Write created.
type WriteResult struct {
	NewBatchID int64
	SealedHash common.Hash
}

// Apply commits w atomically. Its statements travel as one pipeline (one
// round trip) and run in one implicit transaction: an error in any of them
// rolls back all. On error nothing is written — or, if the connection broke
// while committing, possibly everything: the caller answers no one with
// success and rebuilds from the database either way.
func (s *LaneStore) Apply(ctx context.Context, w Write) (WriteResult, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var res WriteResult
	b := &pgx.Batch{}
	if len(w.Ops) > 0 {
		queueUserOps(b, w.Ops)
	}
	if w.Seal != nil {
		res.SealedHash = crypto.Keccak256Hash(w.Seal.Payload)
		b.Queue(`UPDATE batches SET sealed_at = now(), payload = $2, payload_hash = $3, op_count = $4, state_offset = $5
			WHERE id = $1 AND sealed_at IS NULL AND invalidated_at IS NULL`, w.Seal.BatchID, w.Seal.Payload, res.SealedHash.Bytes(),
			w.Seal.OpCount, int64(w.Seal.StateOffset)).
			Exec(func(tag pgconn.CommandTag) error {
				if tag.RowsAffected() != 1 {
					return fmt.Errorf("seal batch %d: not the open valid batch", w.Seal.BatchID)
				}
				return nil
			})
	}
	f := w.Frame
	switch {
	case w.Batch != nil && f != nil && f.BatchID == 0:
		var parent *int64
		if w.Batch.ParentID != 0 {
			parent = &w.Batch.ParentID
		}
		// The new batch and its first frame in one statement: the frame
		// needs the batch's id.
		b.Queue(`WITH nb AS (INSERT INTO batches (parent_id, nonce, generation) VALUES ($1, $2, $3) RETURNING id)
			INSERT INTO frames (batch_id, position, safe_block, fee) SELECT id, $4, $5, $6 FROM nb RETURNING batch_id`,
			parent, int64(w.Batch.Nonce), int64(w.Batch.Generation), f.Position, int64(f.SafeBlock), int(f.Fee)).
			QueryRow(func(row pgx.Row) error { return row.Scan(&res.NewBatchID) })
		if len(f.Drained) > 0 {
			queueDrained(b, "currval('batches_id_seq')", f)
		}
	case w.Batch != nil:
		return res, errors.New("lane write: a new batch comes with its first frame")
	case f != nil:
		b.Queue(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, $2, $3, $4)`,
			f.BatchID, f.Position, int64(f.SafeBlock), int(f.Fee))
		if len(f.Drained) > 0 {
			queueDrained(b, strconv.FormatInt(f.BatchID, 10), f)
		}
	}
	if b.Len() == 0 {
		return res, nil
	}
	if err := s.conn.SendBatch(ctx, b).Close(); err != nil {
		return WriteResult{}, fmt.Errorf("lane write: %w", err)
	}
	return res, nil
}

// queueDrained sequences the direct inputs a frame drains; batchExpr is the
// frame's batch id as SQL (a literal, or the batch inserted just before).
func queueDrained(b *pgx.Batch, batchExpr string, f *NewFrame) {
	offsets := make([]int64, len(f.Drained))
	indexes := make([]int64, len(f.Drained))
	for i, d := range f.Drained {
		offsets[i], indexes[i] = int64(d.Offset), int64(d.InputIndex)
	}
	b.Queue(`INSERT INTO sequenced_l2_txs ("offset", batch_id, frame_position, kind, safe_input_index)
		SELECT o, `+batchExpr+`, $1, 'direct_input', i FROM unnest($2::bigint[], $3::bigint[]) AS t(o, i)`,
		f.Position, offsets, indexes)
}

func queueUserOps(b *pgx.Batch, ops []NewUserOp) {
	n := len(ops)
	offsets, batchIDs, nonces := make([]int64, n), make([]int64, n), make([]int64, n)
	frames, maxFees := make([]int32, n), make([]int32, n)
	senders, data, sigs := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	received := make([]time.Time, n)
	for i, op := range ops {
		offsets[i], batchIDs[i], nonces[i] = int64(op.Offset), op.BatchID, int64(op.Nonce)
		frames[i], maxFees[i] = int32(op.FramePosition), int32(op.MaxFee)
		senders[i], data[i], sigs[i], received[i] = op.Sender.Bytes(), op.Data, op.Signature, op.ReceivedAt
		if data[i] == nil {
			data[i] = []byte{}
		}
	}
	b.Queue(`INSERT INTO user_ops ("offset", batch_id, frame_position, sender, nonce, max_fee, data, signature, received_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bytea[], $5::bigint[], $6::int[], $7::bytea[], $8::bytea[], $9::timestamptz[])`,
		offsets, batchIDs, frames, senders, nonces, maxFees, data, sigs, received)
}

// TipRows returns the open batch's frames and user ops as the lane keeps
// them in memory to build its payload at seal time.
func (s *LaneStore) TipRows(ctx context.Context, batchID int64, nonce uint64) (protocol.Batch, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	batch := protocol.Batch{Nonce: nonce}
	rows, err := s.conn.Query(ctx, `SELECT position, safe_block, fee FROM frames WHERE batch_id = $1 ORDER BY position`, batchID)
	if err != nil {
		return batch, fmt.Errorf("read tip frames: %w", err)
	}
	for rows.Next() {
		var (
			pos       int
			safeBlock int64
			fee       int32
		)
		if err := rows.Scan(&pos, &safeBlock, &fee); err != nil {
			rows.Close()
			return batch, fmt.Errorf("scan tip frame: %w", err)
		}
		batch.Frames = append(batch.Frames, protocol.Frame{SafeBlock: uint64(safeBlock), FeePrice: uint16(fee)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return batch, fmt.Errorf("read tip frames: %w", err)
	}
	rows, err = s.conn.Query(ctx, `SELECT frame_position, nonce, max_fee, data, signature FROM user_ops
		WHERE batch_id = $1 ORDER BY "offset"`, batchID)
	if err != nil {
		return batch, fmt.Errorf("read tip ops: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pos    int
			n      int64
			maxFee int32
			op     protocol.WireUserOp
		)
		if err := rows.Scan(&pos, &n, &maxFee, &op.Data, &op.Signature); err != nil {
			return batch, fmt.Errorf("scan tip op: %w", err)
		}
		if pos < 0 || pos >= len(batch.Frames) {
			return batch, fmt.Errorf("tip op in unknown frame %d", pos)
		}
		op.Nonce, op.MaxFee = uint32(n), uint16(maxFee)
		batch.Frames[pos].UserOps = append(batch.Frames[pos].UserOps, op)
	}
	if err := rows.Err(); err != nil {
		return batch, fmt.Errorf("read tip ops: %w", err)
	}
	return batch, nil
}

// BatchRef names a batch.
type BatchRef struct {
	ID    int64
	Nonce uint64
}

// NewestValidSealed returns the valid sealed batch with the highest nonce,
// nil when there is none.
func (s *LaneStore) NewestValidSealed(ctx context.Context) (*BatchRef, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var ref BatchRef
	var nonce int64
	err := s.conn.QueryRow(ctx, `SELECT id, nonce FROM batches WHERE invalidated_at IS NULL AND sealed_at IS NOT NULL
		ORDER BY nonce DESC LIMIT 1`).Scan(&ref.ID, &nonce)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read newest sealed batch: %w", err)
	}
	ref.Nonce = uint64(nonce)
	return &ref, nil
}

// LastValidBeforeCut returns the last valid replay offset before the newest
// recovery's cut: the batches one cascade invalidates share one invalidation
// time, and the cut is the smallest offset among their entries.
func (s *LaneStore) LastValidBeforeCut(ctx context.Context) (uint64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var v int64
	err := s.conn.QueryRow(ctx, `WITH cut AS (
			SELECT min(s."offset") AS o FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
			WHERE b.invalidated_at = (SELECT max(invalidated_at) FROM batches))
		SELECT coalesce(max(s."offset"), 0) FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id, cut
		WHERE b.invalidated_at IS NULL AND (cut.o IS NULL OR s."offset" < cut.o)`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read last valid offset before the cut: %w", err)
	}
	return uint64(v), nil
}
