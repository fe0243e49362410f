package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
)

func TestInternalRoutes(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ts := startServer(t, db, newFakeLane())
	f := fixture{t, db}

	// Nothing yet: 404 everywhere.
	for _, path := range []string{"/finalized_state/inclusion_block", "/finalized_state", "/latest_snapshot"} {
		res := get(t, ts.Internal+path)
		require.Equal(t, http.StatusNotFound, res.Status, path)
		require.Equal(t, api.CodeNotFound, decodeError(t, res.Body).Code)
	}
	// The operator routes are not on the public port.
	require.Equal(t, http.StatusNotFound, get(t, ts.Public+"/finalized_state").Status)
	require.Equal(t, http.StatusNotFound, get(t, ts.Public+"/metrics").Status)

	// Batch 0 sealed with a snapshot: latest only.
	a := f.batch(0, 0, 100, 10)
	f.userOps(a, 1, 3, alice)
	f.seal(a)
	f.snapshot(a, []byte("state-a"), 3)
	res := get(t, ts.Internal+"/latest_snapshot")
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, "application/octet-stream", res.Header.Get("Content-Type"))
	require.Equal(t, "3", res.Header.Get("X-L2-Tx-Index"))
	require.Equal(t, []byte("state-a"), res.Body)
	require.Equal(t, http.StatusNotFound, get(t, ts.Internal+"/finalized_state").Status)

	// Batch 1 sealed (pending); the rollup accepts batch 0 in block 150.
	b := f.batch(a, 1, 105, 10)
	f.userOps(b, 4, 5, bob)
	f.seal(b)
	state := bytes.Repeat([]byte{0xab}, 100_000)
	f.snapshot(b, state, 5)
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES (0, $1, '\xba', 150, 0)`, alice.Bytes())
	f.exec(`INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id) VALUES (0, 0, 150, $1, $2)`,
		bytes.Repeat([]byte{byte(a)}, 32), a)
	f.exec(`UPDATE control SET finalized_batch_id = $1`, a)

	res = get(t, ts.Internal+"/finalized_state/inclusion_block")
	require.Equal(t, http.StatusOK, res.Status)
	require.JSONEq(t, `{"inclusion_block":150,"l2_tx_index":3}`, string(res.Body))

	res = get(t, ts.Internal+"/finalized_state")
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, "application/octet-stream", res.Header.Get("Content-Type"))
	require.Equal(t, "150", res.Header.Get("X-Inclusion-Block"))
	require.Equal(t, "3", res.Header.Get("X-L2-Tx-Index"))
	require.Equal(t, `"block-150"`, res.Header.Get("ETag"))
	require.Equal(t, []byte("state-a"), res.Body)

	res = get(t, ts.Internal+"/finalized_state", "If-None-Match", `"block-150"`)
	require.Equal(t, http.StatusNotModified, res.Status)
	require.Empty(t, res.Body)
	res = get(t, ts.Internal+"/finalized_state", "If-None-Match", `"block-149", W/"block-150"`)
	require.Equal(t, http.StatusNotModified, res.Status)
	res = get(t, ts.Internal+"/finalized_state", "If-None-Match", `"block-149"`)
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, []byte("state-a"), res.Body)

	res = get(t, ts.Internal+"/latest_snapshot")
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, "5", res.Header.Get("X-L2-Tx-Index"))
	require.Equal(t, state, res.Body)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newFakeLane()
	ts := startServer(t, db, lane)

	key := mustKey(t, "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	require.Equal(t, http.StatusOK, do(t, http.MethodPost, ts.Public+"/tx", "application/json",
		txJSON(signedParts(t, key, validFakeOp()))).Status)
	require.Equal(t, http.StatusBadRequest, do(t, http.MethodPost, ts.Public+"/tx", "application/json", []byte(`{`)).Status)

	res := get(t, ts.Internal+"/metrics")
	require.Equal(t, http.StatusOK, res.Status)
	body := string(res.Body)
	require.Contains(t, body, `sequencer_api_rejections_total{code="BAD_REQUEST"} 1`)
	require.Contains(t, body, "sequencer_api_ack_latency_seconds_count 1")
	require.Contains(t, body, `sequencer_api_ack_latency_seconds_bucket{le="0.0001"}`)
	require.Contains(t, body, "sequencer_feed_subscribers 0")
	require.True(t, strings.Contains(body, "# TYPE sequencer_api_ack_latency_seconds histogram"))
}
