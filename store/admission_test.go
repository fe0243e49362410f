package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
)

// sealedWithOps opens a batch, adds n user ops from offset on and seals it
// (the seal trigger counts them).
func (f fixture) sealedWithOps(parent int64, nonce, safeBlock uint64, offset *uint64, n int) int64 {
	f.t.Helper()
	id := f.batch(parent, nonce, safeBlock, 1356)
	for i := 0; i < n; i++ {
		f.userOp(*offset, id, alice, uint32(*offset), nil)
		*offset++
	}
	f.seal(id)
	return id
}

func TestReadAdmissionView(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}

	v, err := ReadAdmissionView(ctx, pool, 50)
	require.NoError(t, err)
	require.Equal(t, AdmissionView{}, v, "an empty database")

	// Nonces 0–3 sealed with 3, 2, 4, 1 ops; 2–3 invalidated and replaced by
	// 2′ (5 ops) and 3′ (none); an open tip 4 with 2 ops.
	offset := uint64(1)
	a := f.sealedWithOps(0, 0, 10, &offset, 3)
	b := f.sealedWithOps(a, 1, 12, &offset, 2)
	c := f.sealedWithOps(b, 2, 20, &offset, 4)
	d := f.sealedWithOps(c, 3, 21, &offset, 1)
	f.exec(`UPDATE batches SET invalidated_at = now() WHERE id IN ($1, $2)`, c, d)
	c2 := f.sealedWithOps(b, 2, 30, &offset, 5)
	d2 := f.sealedWithOps(c2, 3, 31, &offset, 0)
	tip := f.batch(d2, 4, 31, 1356)
	f.userOp(offset, tip, alice, 99, nil)
	f.userOp(offset+1, tip, alice, 100, nil)
	f.exec(`INSERT INTO l1_safe_head (block_number, block_timestamp, last_advance_at) VALUES (100, 1200, now())`)

	counts := map[int64][2]int64{}
	rows, err := pool.Query(ctx, `SELECT id, op_count, ops_through FROM batches WHERE sealed_at IS NOT NULL`)
	require.NoError(t, err)
	for rows.Next() {
		var id, n, through int64
		require.NoError(t, rows.Scan(&id, &n, &through))
		counts[id] = [2]int64{n, through}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, map[int64][2]int64{a: {3, 3}, b: {2, 5}, c: {4, 9}, d: {1, 10}, c2: {5, 10}, d2: {0, 10}}, counts,
		"op counts and running totals along each chain")

	v, err = ReadAdmissionView(ctx, pool, 50)
	require.NoError(t, err)
	require.True(t, v.SafeHead.Known)
	require.Equal(t, uint64(100), v.SafeHead.Block)
	v.SafeHead = SafeHead{}
	require.Equal(t, AdmissionView{SealedWaiting: 4, SealedBacklogOps: 10, OldestUnacceptedFirstSafeBlock: ptrU(10)}, v,
		"nothing accepted: every valid sealed batch waits")

	f.accept(0, a, 0, 50)
	f.accept(1, b, 1, 80)
	cases := []struct {
		window    uint64
		windowOps uint64
	}{
		{10, 0},  // (90, 100]: nothing accepted
		{30, 2},  // (70, 100]: batch 1
		{50, 2},  // (50, 100]: batch 0, accepted at block 50, is out
		{60, 5},  // (40, 100]: both
		{200, 5}, // the window starts before the chain
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("window %d", tc.window), func(t *testing.T) {
			v, err := ReadAdmissionView(ctx, pool, tc.window)
			require.NoError(t, err)
			v.SafeHead = SafeHead{}
			require.Equal(t, AdmissionView{SealedWaiting: 2, SealedBacklogOps: 5, OldestUnacceptedFirstSafeBlock: ptrU(30),
				WindowOps: tc.windowOps}, v)
		})
	}
}

func ptrU(v uint64) *uint64 { return &v }

// The counts are written at seal, once: the lane's own count is taken as
// given (it knows it; counting would scan on its commit path), and no later
// update may change either.
func TestSealCountsAreWriteOnce(t *testing.T) {
	pool := newPool(t)
	f := fixture{t, pool}
	offset := uint64(1)
	a := f.sealedWithOps(0, 0, 10, &offset, 2)
	b := f.batch(a, 1, 10, 1356)
	f.exec(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $2, op_count = 7 WHERE id = $1`,
		b, bytes.Repeat([]byte{9}, 32))
	var n, through int64
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT op_count, ops_through FROM batches WHERE id = $1`, b).Scan(&n, &through))
	require.Equal(t, []int64{7, 9}, []int64{n, through})

	for _, sql := range []string{
		`UPDATE batches SET op_count = 8 WHERE id = $1`,
		`UPDATE batches SET ops_through = 0 WHERE id = $1`,
	} {
		_, err := pool.Exec(context.Background(), sql, b)
		require.ErrorContains(t, err, "op counts are written once", sql)
	}
	_, err := pool.Exec(context.Background(), `INSERT INTO batches (parent_id, nonce, generation, op_count) VALUES ($1, 2, 0, 1)`, b)
	require.ErrorContains(t, err, "check constraint", "an open batch has no count")
}

// Migrating a database with history fills the counts of the batches sealed
// before the migration existed.
func TestAdmissionMigrationBackfills(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	all, err := migrations.All()
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	for _, m := range all {
		if m.Name == "0003_admission.sql" {
			break
		}
		_, err := conn.Exec(ctx, m.SQL)
		require.NoError(t, err, m.Name)
		_, err = conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		require.NoError(t, err)
	}
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	f := fixture{t, pool}
	offset := uint64(1)
	a := f.sealedWithOps(0, 0, 10, &offset, 3)
	b := f.sealedWithOps(a, 1, 12, &offset, 4)
	c := f.sealedWithOps(b, 2, 14, &offset, 2)
	f.invalidate(c)
	c2 := f.sealedWithOps(b, 2, 20, &offset, 1)
	f.batch(c2, 3, 20, 1356)

	applied, err := migrations.Apply(ctx, conn)
	require.NoError(t, err)
	require.Contains(t, applied, 3)
	got := map[int64][2]int64{}
	rows, err := pool.Query(ctx, `SELECT id, op_count, ops_through FROM batches WHERE sealed_at IS NOT NULL`)
	require.NoError(t, err)
	for rows.Next() {
		var id, n, through int64
		require.NoError(t, rows.Scan(&id, &n, &through))
		got[id] = [2]int64{n, through}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, map[int64][2]int64{a: {3, 3}, b: {4, 7}, c: {2, 9}, c2: {1, 8}}, got)
}

// BenchmarkReadAdmissionView measures the admission read against 10,000
// sealed batches (100 ops each), 9,000 of them accepted over 9,000 blocks:
// its cost must not grow with history.
func BenchmarkReadAdmissionView(b *testing.B) {
	ctx := context.Background()
	url := pgtest.NewDatabase(b, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	pool, err := pgxpool.New(ctx, url)
	require.NoError(b, err)
	defer pool.Close()
	// Bulk history, in nonce order as the lane writes it (a batch's parent
	// must be sealed), with op_count given as the lane seals; the last batch
	// stays open.
	batch := &pgx.Batch{}
	for id := int64(1); id <= 10001; id++ {
		var parent any
		if id > 1 {
			parent = id - 1
		}
		batch.Queue(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES ($1, $2, $3, 0)`, id, parent, id-1)
		batch.Queue(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, 0, $2, 1356)`, id, id-1)
		if id <= 10000 {
			batch.Queue(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $2, op_count = 100 WHERE id = $1`,
				id, bytes.Repeat([]byte{byte(id)}, 32))
		}
	}
	require.NoError(b, pool.SendBatch(ctx, batch).Close())
	for _, sql := range []string{
		`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp)
			SELECT g, decode('5e00000000000000000000000000000000000001', 'hex'), '\x00', g + 100, 0 FROM generate_series(0, 8999) g`,
		`INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id)
			SELECT g, g, g + 100, decode(repeat('00', 32), 'hex'), g + 1
			FROM generate_series(0, 8999) g`,
		`INSERT INTO l1_safe_head (block_number, block_timestamp, last_advance_at) VALUES (9200, 0, now())`,
		`ANALYZE`,
	} {
		_, err := pool.Exec(ctx, sql)
		require.NoError(b, err, sql)
	}
	v, err := ReadAdmissionView(ctx, pool, 600)
	require.NoError(b, err)
	require.Equal(b, uint64(1000), v.SealedWaiting)
	require.Equal(b, uint64(100_000), v.SealedBacklogOps)
	require.Equal(b, uint64(499*100), v.WindowOps, "accepted at blocks 8601..9099")
	if os.Getenv("ADMISSION_EXPLAIN") != "" {
		rows, err := pool.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+admissionSQL, int64(600))
		require.NoError(b, err)
		for rows.Next() {
			var line string
			require.NoError(b, rows.Scan(&line))
			b.Log(line)
		}
		require.NoError(b, rows.Err())
	}
	// A sub-benchmark, so the history above is built once while the loop
	// is sized.
	b.Run("10k_batches", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := ReadAdmissionView(ctx, pool, 600); err != nil {
				b.Fatal(err)
			}
		}
	})
}
