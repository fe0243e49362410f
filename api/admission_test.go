package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/protocol"
)

// TestPostTxL1Backlog: at the hard line POST /tx answers 429 L1_BACKLOG with
// the delay in its message and Retry-After in whole seconds; the checks of
// the request itself still come first.
func TestPostTxL1Backlog(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newFakeLane()
	ts := startServer(t, db, lane)
	key := mustKey(t, "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	body := txJSON(signedParts(t, key, validFakeOp()))
	lane.setSubmitErr(&hotpath.BacklogError{QueueDelay: 563.7, HardBlocks: 540, RetryAfter: 284})

	res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", body)
	require.Equal(t, http.StatusTooManyRequests, res.Status, string(res.Body))
	require.Equal(t, "284", res.Header.Get("Retry-After"))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(res.Body, &raw))
	require.Equal(t, map[string]any{"ok": false, "code": "L1_BACKLOG",
		"message": "L1 backlog: queue delay 563 blocks at or above 540; retry in 284 s"}, raw)

	// A request that fails its own checks is answered for them, without
	// Retry-After.
	nonce, maxFee, data, _, sender := signedParts(t, key, validFakeOp())
	bad := txJSON(nonce, maxFee, data, signWith(t, key, validFakeOp(), func(sig []byte) { sig[64] = 5 }), sender)
	res = do(t, http.MethodPost, ts.Public+"/tx", "application/json", bad)
	require.Equal(t, http.StatusBadRequest, res.Status)
	require.Equal(t, api.CodeInvalidSignature, decodeError(t, res.Body).Code)
	require.Empty(t, res.Header.Get("Retry-After"))

	// Other 429s carry no Retry-After; shed requests are counted by code.
	lane.setSubmitErr(hotpath.ErrQueueFull)
	res = do(t, http.MethodPost, ts.Public+"/tx", "application/json", body)
	require.Equal(t, api.CodeOverloaded, decodeError(t, res.Body).Code)
	require.Empty(t, res.Header.Get("Retry-After"))
	metrics := string(get(t, ts.Internal+"/metrics").Body)
	require.Contains(t, metrics, `sequencer_api_rejections_total{code="L1_BACKLOG"} 1`)

	// Reads keep working while shedding.
	require.Equal(t, http.StatusOK, get(t, ts.Public+"/fee").Status)
	require.Equal(t, http.StatusOK, get(t, ts.Public+"/nonce?sender="+crypto.PubkeyToAddress(key.PublicKey).Hex()).Status)
}

// TestHealthzAdmission: /healthz carries the admission object of the
// contract, whatever the lane's status; shedding alone does not degrade it.
func TestHealthzAdmission(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newFakeLane()
	ts := startServer(t, db, lane)
	for _, tc := range []struct {
		name string
		adm  hotpath.Admission
		want map[string]any
	}{
		{"before the first computation", hotpath.Admission{}, map[string]any{
			"state": "normal", "backlog_ops": 0.0, "posting_rate_ops_per_block": 0.0, "queue_delay_blocks": 0.0,
			"fee_step": 0.0, "soft_blocks": 0.0, "hard_blocks": 0.0, "oldest_unaccepted_age_blocks": 0.0,
			"sealed_waiting_batches": 0.0, "large_batches": false}},
		{"shedding", hotpath.Admission{State: hotpath.AdmissionShedding, BacklogOps: 120_000, PostingRate: 533.5,
			QueueDelay: 560.25, OldestAgeBlocks: 335, SealedWaiting: 1200, LargeBatches: true, RetryAfter: 2403, FeeStep: 140,
			SoftBlocks: 360, HardBlocks: 540}, map[string]any{
			"state": "shedding", "backlog_ops": 120000.0, "posting_rate_ops_per_block": 533.5, "queue_delay_blocks": 560.25,
			"fee_step": 140.0, "soft_blocks": 360.0, "hard_blocks": 540.0, "oldest_unaccepted_age_blocks": 335.0,
			"sealed_waiting_batches": 1200.0, "large_batches": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lane.setStatus(hotpath.Status{Role: hotpath.RoleActive, IntakeOpen: true, Danger: "safe", Mode: "normal", Admission: tc.adm})
			res := get(t, ts.Public+"/healthz")
			require.Equal(t, http.StatusOK, res.Status)
			var raw map[string]any
			require.NoError(t, json.Unmarshal(res.Body, &raw))
			require.Equal(t, tc.want, raw["admission"])
			require.Equal(t, "ok", raw["status"])
		})
	}
}

// TestAdmissionRealLane: the real lane's admission figures reach /healthz,
// /fee and the internal /metrics.
func TestAdmissionRealLane(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ctx := context.Background()
	l1, err := l1rows.New(ctx, db.Pool)
	require.NoError(t, err)
	addr := crypto.PubkeyToAddress(mustKey(t, fundedKeys[0]).PublicKey)
	_, err = l1.Append(ctx, l1rows.Input{Sender: testPortal, Block: 1,
		Payload: wallet.EncodeDeposit(testToken, addr, uint256.NewInt(1e18), nil)})
	require.NoError(t, err)
	require.NoError(t, l1.SetSafeHead(ctx, 2, time.Now(), time.Now()))
	require.NoError(t, l1.SetBatchSubmitter(ctx, testSubmitter))
	reg := prometheus.NewRegistry()
	cfg := wallet.Config{Portal: testPortal, Token: testToken, FeeRecipient: testRecipient}
	lane := hotpath.New(hotpath.Config{
		DatabaseURL: db.URL, ChainID: testDomain.ChainID(), App: testDomain.VerifyingContract(), MaxBatchOpen: time.Hour,
		Danger:         hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12},
		DangerInterval: 50 * time.Millisecond,
		Admission:      hotpath.AdmissionConfig{Interval: 20 * time.Millisecond},
	}, hotpath.Deps{NewApp: func() app.Application { return wallet.New(cfg) }, Pool: db.Pool, Hub: db.Hub, Registerer: reg})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lane.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	ts := startServer(t, db, lane, func(_ *api.Config, d *api.Deps) { d.Registerer, d.Gatherer = reg, reg })
	require.Eventually(t, func() bool { return lane.Status().IntakeOpen && lane.Status().Admission.PostingRate > 0 },
		10*time.Second, 10*time.Millisecond)

	key := mustKey(t, fundedKeys[0])
	res := do(t, http.MethodPost, ts.Public+"/tx", "application/json",
		txJSON(signedParts(t, key, protocol.UserOp{Nonce: 0, MaxFee: 2000, Data: testOpData(t, addr)})))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Eventually(t, func() bool { return lane.Status().Admission.BacklogOps == 1 }, 10*time.Second, 10*time.Millisecond)

	h := decodeJSON[api.HealthResponse](t, get(t, ts.Public+"/healthz"))
	// Defaults: danger line 900 → lines 360 and 540; a floor of 16 batches
	// of 102 worst-case wallet ops per 3 blocks.
	require.InDelta(t, 1/544.0, h.Admission.QueueDelayBlocks, 1e-12)
	h.Admission.QueueDelayBlocks = 0
	require.Equal(t, api.AdmissionHealth{State: "normal", BacklogOps: 1, PostingRateOpsPerBlock: 544,
		SoftBlocks: 360, HardBlocks: 540}, h.Admission)
	fee := decodeJSON[api.FeeResponse](t, get(t, ts.Public+"/fee"))
	require.Equal(t, api.FeeResponse{Fee: 1356, RecommendedFee: 1356, SuggestedMaxFee: 1409}, fee)

	metrics := string(get(t, ts.Internal+"/metrics").Body)
	for _, line := range []string{
		"sequencer_admission_backlog_ops 1",
		"sequencer_admission_posting_rate_ops_per_block 544",
		"sequencer_admission_queue_delay_blocks 0.0018",
		"sequencer_admission_fee_step 0",
		"sequencer_admission_state 0",
		"sequencer_admission_shed_total 0",
	} {
		require.True(t, strings.Contains(metrics, "\n"+line), "metrics lack %q", line)
	}
}
