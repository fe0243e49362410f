package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/store"
)

// TestTypeScriptClientKit runs the client kit's own test (node's test
// runner, examples/ts-client) against a real `sequencer serve` on a migrated
// database with funded accounts: it signs with viem, verifies the receipts
// with viem against GET /receipt_key, follows the feed, and resumes across a
// recovery it triggers through this test's control endpoint (a 4001 for the
// live follower, 409 STALE_GENERATION for one that was away), ending with a
// view equal to GET /history.
func TestTypeScriptClientKit(t *testing.T) {
	root, err := modroot.Find()
	require.NoError(t, err)
	kit := filepath.Join(root, "examples", "ts-client")
	if _, err := os.Stat(filepath.Join(kit, "node_modules", ".package-lock.json")); err != nil {
		t.Fatalf("examples/ts-client/node_modules is missing (%v): run `make deps`", err)
	}
	npm, err := exec.LookPath("npm")
	require.NoError(t, err, "npm is needed for the client kit's test")

	w := newWorld(t, 2)
	// Batches close after three ops, so the kit's handful of ops seals some.
	_, err = w.pool.Exec(context.Background(), `UPDATE batch_policy SET log_base_gas = 950`)
	require.NoError(t, err)
	// More history than the feed replays on a resume (api.MaxCatchUp): a
	// follower from offset 0 is refused with 410 HISTORY_UNAVAILABLE and
	// catches up over GET /history first.
	deposits := make([]l1rows.Input, api.MaxCatchUp)
	for i := range deposits {
		deposits[i] = l1rows.Input{Sender: portal, Block: 1,
			Payload: wallet.EncodeDeposit(token, w.addr(1), uint256.NewInt(1), nil)}
	}
	_, err = w.l1.Copy(context.Background(), deposits)
	require.NoError(t, err)
	kitReceiptKey, err := crypto.ToECDSA(crypto.Keccak256([]byte("ts-client receipt key")))
	require.NoError(t, err)
	serve := startServe(t, w.url, "SEQ_RECEIPT_PRIVATE_KEY="+hexutil.Encode(crypto.FromECDSA(kitReceiptKey)))
	serve.waitReady()

	control := httptest.NewServer(controlHandler(t, w))
	t.Cleanup(control.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "test")
	cmd.Dir = kit
	cmd.Env = append(os.Environ(),
		"SEQ_URL=http://"+serve.public,
		"SEQ_CONTROL_URL="+control.URL,
		"SEQ_TEST_PRIVATE_KEY="+hexutil.Encode(crypto.FromECDSA(w.keys[0])),
		"SEQ_TEST_RECIPIENT="+w.addr(1).Hex(),
		"SEQ_TEST_RECEIPT_ADDRESS="+crypto.PubkeyToAddress(kitReceiptKey.PublicKey).Hex(),
		fmt.Sprintf("SEQ_TEST_CATCHUP_WINDOW=%d", api.MaxCatchUp),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("npm test in examples/ts-client:\n%s", out)
	require.NoError(t, err, "the client kit's test failed (output above)")
}

// controlHandler serves POST /control/recover: a recovery the way the
// recovery workflow runs one, without L1. It marks every sealed batch but
// the newest as accepted by the rollup (with its L1 input), so the newest
// sealed batch is the pivot; then fences, cascades (retrying while the lane
// still holds the writer lock) and resumes. It answers the cascade's result;
// 409 when there was nothing to revoke.
func controlHandler(t *testing.T, w *world) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /control/recover", func(rw http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		res, err := recoverNewestSealed(ctx, w.pool, w.l1)
		switch {
		case err != nil:
			t.Logf("control: recover: %v", err)
			http.Error(rw, err.Error(), http.StatusInternalServerError)
		case res.NoOp:
			http.Error(rw, "nothing to revoke: no unaccepted sealed batch", http.StatusConflict)
		default:
			rw.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(rw).Encode(map[string]any{
				"invalidated_ops": res.InvalidatedOps,
				"redrained":       res.Redrained,
			})
		}
	})
	return mux
}

func recoverNewestSealed(ctx context.Context, pool *pgxpool.Pool, l1 *l1rows.Writer) (store.CascadeResult, error) {
	var res store.CascadeResult
	rows, err := pool.Query(ctx, `SELECT id, nonce, payload, payload_hash FROM batches
		WHERE sealed_at IS NOT NULL AND invalidated_at IS NULL
		  AND nonce >= (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches)
		ORDER BY nonce`)
	if err != nil {
		return res, fmt.Errorf("list sealed batches: %w", err)
	}
	type sealed struct {
		id, nonce     int64
		payload, hash []byte
	}
	batches, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sealed, error) {
		var s sealed
		err := row.Scan(&s.id, &s.nonce, &s.payload, &s.hash)
		return s, err
	})
	if err != nil {
		return res, fmt.Errorf("read sealed batches: %w", err)
	}
	var safe int64
	if err := pool.QueryRow(ctx, `SELECT block_number FROM l1_safe_head`).Scan(&safe); err != nil {
		return res, fmt.Errorf("read safe head: %w", err)
	}
	for i := 0; i+1 < len(batches); i++ {
		b := batches[i]
		index, err := l1.Append(ctx, l1rows.Input{Sender: submitter, Payload: b.payload, Block: uint64(safe)})
		if err != nil {
			return res, fmt.Errorf("append batch %d's input: %w", b.nonce, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id)
			VALUES ($1, $2, $3, $4, $5)`, b.nonce, int64(index), safe, b.hash, b.id); err != nil {
			return res, fmt.Errorf("accept batch %d: %w", b.nonce, err)
		}
	}
	rec := store.NewRecovery(pool)
	if err := rec.Fence(ctx); err != nil {
		return res, err
	}
	// The lane releases the writer lock within a poll interval of the fence.
	for {
		res, err = rec.Cascade(ctx, store.CascadeRequest{Submitter: submitter})
		if !errors.Is(err, store.ErrLaneHoldsLock) && !errors.Is(err, store.ErrCascadeRunning) {
			break
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("cascade: %w (last: %w)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err != nil {
		return res, fmt.Errorf("cascade: %w", err)
	}
	return res, rec.Resume(ctx)
}
