package store

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
)

// TestMain is the store package's only one: the Postgres harness needs it.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// newPool returns a pool on a fresh migrated database.
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// fixture writes history with plain SQL, following the schema's rules.
type fixture struct {
	t    *testing.T
	pool *pgxpool.Pool
}

func (f fixture) exec(sql string, args ...any) {
	f.t.Helper()
	_, err := f.pool.Exec(context.Background(), sql, args...)
	require.NoError(f.t, err, sql)
}

// batch opens a batch (parent 0 = root) with its first frame and returns
// its id.
func (f fixture) batch(parent int64, nonce uint64, safeBlock uint64, fee uint16) int64 {
	f.t.Helper()
	var p *int64
	if parent != 0 {
		p = &parent
	}
	var id int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(),
		`INSERT INTO batches (parent_id, nonce, generation) VALUES ($1, $2, 0) RETURNING id`, p, int64(nonce)).Scan(&id))
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, 0, $2, $3)`, id, int64(safeBlock), int(fee))
	return id
}

func (f fixture) safeInput(index uint64, sender common.Address, payload []byte, block uint64) {
	f.t.Helper()
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES ($1, $2, $3, $4, 0)`,
		int64(index), sender.Bytes(), payload, int64(block))
}

func (f fixture) directInput(offset uint64, batch int64, index uint64) {
	f.t.Helper()
	f.exec(`INSERT INTO sequenced_l2_txs ("offset", batch_id, frame_position, kind, safe_input_index) VALUES ($1, $2, 0, 'direct_input', $3)`,
		int64(offset), batch, int64(index))
}

func (f fixture) userOp(offset uint64, batch int64, sender common.Address, nonce uint32, data []byte) {
	f.t.Helper()
	if data == nil {
		data = []byte{}
	}
	f.exec(`INSERT INTO user_ops ("offset", batch_id, frame_position, sender, nonce, max_fee, data, signature, received_at)
		VALUES ($1, $2, 0, $3, $4, 100, $5, $6, now())`,
		int64(offset), batch, sender.Bytes(), int64(nonce), data, bytes.Repeat([]byte{1}, 65))
}

func (f fixture) seal(batch int64) {
	f.t.Helper()
	f.exec(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $2 WHERE id = $1`,
		batch, bytes.Repeat([]byte{byte(batch)}, 32))
}

func (f fixture) invalidate(batch int64) {
	f.t.Helper()
	f.exec(`UPDATE batches SET invalidated_at = now() WHERE id = $1`, batch)
}

var (
	alice = common.HexToAddress("0x00000000000000000000000000000000000A11cE")
	bob   = common.HexToAddress("0x0000000000000000000000000000000000000B0b")
	carol = common.HexToAddress("0x00000000000000000000000000000000000CA201")
)

// history builds: batch 0 (offsets 1–3, sealed), an invalidated batch 1
// (offsets 4–5), and its valid replacement (offsets 6–7, open).
func history(t *testing.T, f fixture) {
	t.Helper()
	a := f.batch(0, 0, 100, 10)
	f.safeInput(0, carol, []byte{0xde, 0xad}, 99)
	f.directInput(1, a, 0)
	f.userOp(2, a, alice, 0, []byte{1, 2, 3})
	f.userOp(3, a, bob, 7, nil)
	f.seal(a)
	b := f.batch(a, 1, 105, 20)
	f.userOp(4, b, alice, 1, []byte{4})
	f.userOp(5, b, alice, 2, []byte{5})
	f.invalidate(b)
	c := f.batch(a, 1, 110, 30)
	f.safeInput(1, bob, []byte{}, 108)
	f.directInput(6, c, 1)
	f.userOp(7, c, alice, 1, []byte{7})
}

func TestFeedReaderEntries(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	r := NewFeedReader(pool)
	ctx := context.Background()

	got, err := r.Entries(ctx, 0, 100)
	require.NoError(t, err)
	require.Empty(t, got)
	last, err := r.LastValidOffset(ctx)
	require.NoError(t, err)
	require.Zero(t, last)

	history(t, fixture{t, pool})

	want := []feed.Entry{
		{Offset: 1, Kind: feed.KindDirectInput, Sender: carol, BatchNonce: 0, Fee: 10, SafeBlock: 100,
			Payload: []byte{0xde, 0xad}, BlockNumber: 99, InputIndex: 0},
		{Offset: 2, Kind: feed.KindUserOp, Sender: alice, BatchNonce: 0, Nonce: 0, Fee: 10, SafeBlock: 100, Data: []byte{1, 2, 3}},
		{Offset: 3, Kind: feed.KindUserOp, Sender: bob, BatchNonce: 0, Nonce: 7, Fee: 10, SafeBlock: 100, Data: []byte{}},
		{Offset: 6, Kind: feed.KindDirectInput, Sender: bob, BatchNonce: 1, Fee: 30, SafeBlock: 110,
			Payload: []byte{}, BlockNumber: 108, InputIndex: 1},
		{Offset: 7, Kind: feed.KindUserOp, Sender: alice, BatchNonce: 1, Nonce: 1, Fee: 30, SafeBlock: 110, Data: []byte{7}},
	}
	got, err = r.Entries(ctx, 0, 100)
	require.NoError(t, err)
	require.Equal(t, want, got)

	got, err = r.Entries(ctx, 0, 2)
	require.NoError(t, err)
	require.Equal(t, want[:2], got)

	got, err = r.Entries(ctx, 3, 100) // skips the invalidated 4 and 5
	require.NoError(t, err)
	require.Equal(t, want[3:], got)

	got, err = r.Entries(ctx, 4, 100) // from inside the invalidated range
	require.NoError(t, err)
	require.Equal(t, want[3:], got)

	got, err = r.Entries(ctx, 7, 100)
	require.NoError(t, err)
	require.Empty(t, got)

	got, err = r.Entries(ctx, ^uint64(0), 100)
	require.NoError(t, err)
	require.Empty(t, got)

	last, err = r.LastValidOffset(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(7), last)
}

func TestFeedReaderCountAfter(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	history(t, fixture{t, pool})
	r := NewFeedReader(pool)
	ctx := context.Background()

	for _, tc := range []struct {
		after    uint64
		limit    int
		expected int
	}{
		{0, 10, 5},
		{0, 5, 5},
		{0, 4, 5}, // limit+1: more than limit
		{0, 3, 4},
		{0, 0, 1},
		{2, 10, 3},
		{3, 10, 2},
		{5, 10, 2},
		{6, 10, 1},
		{7, 10, 0},
		{7, 0, 0},
	} {
		n, err := r.CountAfter(ctx, tc.after, tc.limit)
		require.NoError(t, err)
		require.Equal(t, tc.expected, n, "after %d limit %d", tc.after, tc.limit)
	}
}

func TestFeedReaderOffsetState(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	history(t, fixture{t, pool})
	r := NewFeedReader(pool)
	ctx := context.Background()

	for _, tc := range []struct {
		offset      uint64
		invalidated bool
		lastValid   uint64
	}{
		{0, false, 0},
		{1, false, 0},
		{3, false, 2},
		{4, true, 3},
		{5, true, 3},
		{6, false, 3},
		{7, false, 6},
		{100, false, 7}, // beyond the head: not invalidated
		{^uint64(0), false, 7},
	} {
		inv, lv, err := r.OffsetState(ctx, tc.offset)
		require.NoError(t, err)
		require.Equal(t, tc.invalidated, inv, "offset %d", tc.offset)
		require.Equal(t, tc.lastValid, lv, "offset %d", tc.offset)
	}
}
