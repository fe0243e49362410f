package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/hotpath"
)

func decodeJSON[T any](t *testing.T, res httpResult) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(res.Body, &v), string(res.Body))
	return v
}

func TestGetRoutes(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newTestLane(t, db)
	ts := startServer(t, db, lane)

	t.Run("fee", func(t *testing.T) {
		res := get(t, ts.Public+"/fee")
		require.Equal(t, http.StatusOK, res.Status)
		q := mustQuote(t, lane)
		require.JSONEq(t, `{"fee":`+itoa(q.Fee)+`,"recommended_fee":`+itoa(q.RecommendedFee)+
			`,"suggested_max_fee":`+itoa(q.SuggestedMaxFee())+`}`, string(res.Body))
	})

	t.Run("nonce", func(t *testing.T) {
		addr := common.HexToAddress("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4")
		want, err := lane.NextNonce(addr)
		require.NoError(t, err)
		res := get(t, ts.Public+"/nonce?sender="+strings.ToLower(addr.Hex()))
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		require.Equal(t, api.NonceResponse{Sender: addr.Hex(), NextNonce: want}, decodeJSON[api.NonceResponse](t, res))
		require.JSONEq(t, `{"sender":"`+addr.Hex()+`","next_nonce":`+itoa(want)+`}`, string(res.Body))

		for _, bad := range []string{"", "?sender=", "?sender=0x1234", "?sender=5B38Da6a701c568545dCfcB03FcB875f56beddC4aa",
			"?sender=0xZZ38Da6a701c568545dCfcB03FcB875f56beddC4"} {
			res := get(t, ts.Public+"/nonce"+bad)
			require.Equal(t, http.StatusBadRequest, res.Status, bad)
			require.Equal(t, api.CodeBadRequest, decodeError(t, res.Body).Code)
		}
	})

	t.Run("domain", func(t *testing.T) {
		res := get(t, ts.Public+"/domain")
		require.Equal(t, http.StatusOK, res.Status)
		require.JSONEq(t, `{"name":"CartesiAppSequencer","version":"1","chainId":31337,
			"verifyingContract":"0x70ac08179605AF2D9e75782b8DEcDD3c22aA4D0C"}`, string(res.Body))
	})

	t.Run("cors", func(t *testing.T) {
		res := get(t, ts.Public+"/fee", "Origin", "https://wallet.example")
		require.Equal(t, http.StatusOK, res.Status)
		require.Equal(t, "*", res.Header.Get("Access-Control-Allow-Origin"))

		pre := do(t, http.MethodOptions, ts.Public+"/tx", "", nil,
			"Origin", "https://wallet.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type")
		require.Equal(t, http.StatusNoContent, pre.Status)
		require.Equal(t, "*", pre.Header.Get("Access-Control-Allow-Origin"))
		require.Contains(t, pre.Header.Get("Access-Control-Allow-Methods"), "POST")
	})

	t.Run("unknown route", func(t *testing.T) {
		res := get(t, ts.Public+"/nope")
		require.Equal(t, http.StatusNotFound, res.Status)
		require.Equal(t, api.CodeNotFound, decodeError(t, res.Body).Code)
	})

	t.Run("livez", func(t *testing.T) {
		require.Equal(t, http.StatusOK, get(t, ts.Public+"/livez").Status)
	})
}

func itoa[T ~uint16 | ~uint32](v T) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newFakeLane()
	ts := startServer(t, db, lane)
	down := startServer(t, db, lane, withDB(failingPinger{}))

	active := hotpath.Status{Role: hotpath.RoleActive, IntakeOpen: true, Danger: "safe", Mode: "normal", Head: 42, Generation: 1}
	for _, tc := range []struct {
		name   string
		srv    *testServer
		status hotpath.Status
		ready  int
		health string
		db     string
	}{
		{"active", ts, active, 200, "ok", "ok"},
		{"intake closed", ts, with(active, func(s *hotpath.Status) { s.IntakeOpen = false; s.Danger = "l1_stale"; s.Reason = "danger" }), 503, "degraded", "ok"},
		{"recovering", ts, with(active, func(s *hotpath.Status) { s.IntakeOpen = false; s.Mode = "recovering" }), 503, "recovering", "ok"},
		{"standby", ts, hotpath.Status{Role: hotpath.RoleStandby, Mode: "normal"}, 503, "standby", "ok"},
		{"starting", ts, hotpath.Status{Role: hotpath.RoleStarting}, 503, "degraded", "ok"},
		{"database down", down, active, 200, "degraded", "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lane.setStatus(tc.status)
			require.Equal(t, tc.ready, get(t, tc.srv.Public+"/readyz").Status)
			res := get(t, tc.srv.Public+"/healthz")
			require.Equal(t, http.StatusOK, res.Status)
			h := decodeJSON[api.HealthResponse](t, res)
			require.Equal(t, tc.health, h.Status)
			require.Equal(t, tc.db, h.Database)
			require.Equal(t, tc.status.Danger, h.Danger)
			require.Equal(t, string(tc.status.Role), h.Lane.Role)
			require.Equal(t, tc.status.IntakeOpen, h.Lane.IntakeOpen)
			require.Equal(t, tc.status.Head, h.Lane.Head)
		})
	}
}

func with(s hotpath.Status, f func(*hotpath.Status)) hotpath.Status {
	f(&s)
	return s
}
