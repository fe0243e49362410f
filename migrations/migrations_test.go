package migrations_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)

	applied, err := migrations.Apply(ctx, conn)
	require.NoError(t, err)
	all, err := migrations.All()
	require.NoError(t, err)
	require.Len(t, applied, len(all))

	applied, err = migrations.Apply(ctx, conn)
	require.NoError(t, err)
	require.Empty(t, applied)
}

// TestSchemaInvariants checks that the database itself refuses the writes
// that would break the batch tree, the replay order or history.
func TestSchemaInvariants(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	}
	must := func(sql string, args ...any) {
		t.Helper()
		require.NoError(t, exec(sql, args...), sql)
	}
	refuse := func(sql string, args ...any) {
		t.Helper()
		require.Error(t, exec(sql, args...), sql)
	}
	hash := make([]byte, 32)
	addr := make([]byte, 20)
	sig := make([]byte, 65)

	must(`INSERT INTO safe_inputs VALUES (0, $1, '\x01', 10, 100, NULL)`, addr)
	refuse(`INSERT INTO safe_inputs VALUES (2, $1, '\x01', 10, 100, NULL)`, addr) // hole
	refuse(`INSERT INTO safe_inputs VALUES (1, $1, '\x01', 9, 100, NULL)`, addr)  // block goes back
	refuse(`UPDATE safe_inputs SET payload = '\x02'`)
	refuse(`DELETE FROM safe_inputs`)

	must(`INSERT INTO batches (id, nonce, generation) VALUES (1, 0, 0)`)
	refuse(`INSERT INTO batches (id, nonce, generation) VALUES (2, 0, 0)`)               // second valid nonce 0 / tip
	refuse(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES (2, 1, 1, 0)`) // parent not sealed
	must(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (1, 0, 10, 1356)`)
	refuse(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (1, 2, 10, 1356)`) // gap
	refuse(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (1, 1, 9, 1356)`)  // safe block goes back
	must(`INSERT INTO sequenced_l2_txs VALUES (1, 1, 0, 'direct_input', 0)`)
	must(`INSERT INTO user_ops VALUES (2, 1, 0, $1, 0, 2000, '\x00', $2, now())`, addr, sig)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM sequenced_l2_txs WHERE kind = 'user_op' AND "offset" = 2`).Scan(&n))
	require.Equal(t, 1, n, "a user op appends its replay row")
	refuse(`INSERT INTO user_ops VALUES (1, 1, 0, $1, 0, 2000, '\x00', $2, now())`, addr, sig) // offset reused
	refuse(`INSERT INTO sequenced_l2_txs VALUES (3, 1, 0, 'direct_input', 0)`)                 // drained twice
	must(`INSERT INTO user_ops VALUES (5, 1, 0, $1, 1, 2000, '\x00', $2, now())`, addr, sig)
	refuse(`INSERT INTO user_ops VALUES (4, 1, 0, $1, 1, 2000, '\x00', $2, now())`, addr, sig) // offset goes back
	refuse(`DELETE FROM user_ops`)

	refuse(`UPDATE batches SET sealed_at = now() WHERE id = 1`) // seal without payload
	must(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $1 WHERE id = 1`, hash)
	refuse(`UPDATE batches SET payload_hash = $1 WHERE id = 1`, append([]byte{1}, hash[1:]...)) // write-once
	refuse(`INSERT INTO user_ops VALUES (6, 1, 0, $1, 2, 2000, '\x00', $2, now())`, addr, sig)  // sealed
	refuse(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (1, 1, 10, 1356)`)  // sealed
	must(`INSERT INTO snapshots (batch_id, state, l2_tx_index) VALUES (1, '\x00', 5)`)

	refuse(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES (2, 1, 5, 0)`) // nonce ≠ parent + 1
	must(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES (2, 1, 1, 0)`)
	refuse(`INSERT INTO snapshots (batch_id, state, l2_tx_index) VALUES (2, '\x00', 5)`) // not sealed

	// Invalidating the parent alone leaves a valid child: refused at commit.
	refuse(`UPDATE batches SET invalidated_at = now() WHERE id = 1`)
	must(`UPDATE batches SET invalidated_at = now() WHERE id IN (1, 2)`)
	refuse(`UPDATE batches SET invalidated_at = NULL WHERE id = 1`)
	refuse(`DELETE FROM batches`)

	must(`UPDATE control SET chain_id = 31337`)
	refuse(`UPDATE control SET chain_id = 1`)
	must(`UPDATE control SET recovery_generation = 1`)
	refuse(`UPDATE control SET recovery_generation = 0`)

	require.NoError(t, conn.QueryRow(ctx, `SELECT recommended_fee FROM batch_policy_derived`).Scan(&n))
	require.Equal(t, 1356, n)
	require.NoError(t, conn.QueryRow(ctx, `SELECT batch_size_target FROM batch_policy_derived`).Scan(&n))
	require.Equal(t, 1213, n)
}
