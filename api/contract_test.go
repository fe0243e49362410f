package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	fws "github.com/fasthttp/websocket"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gofiber/fiber/v2"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/internal/receipt"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// The contract test: api/openapi.yaml is what both listeners answer. It
// drives real servers (real Postgres, the real lane where a user meets it)
// through every success and error path it can provoke, validates each
// response against the file with kin-openapi, and then checks that every
// response the file documents was seen (or is listed in notProvoked with the
// reason), so the file and the server cannot drift apart silently.

// notProvoked are the documented responses this test cannot provoke against
// the real components, each with why. Keys are coverage keys (see
// contract.record).
var notProvoked = map[string]string{
	"POST /tx 500":   "a lane failure other than the classified ones (a bug); the shape is the shared InternalError",
	"GET /fee 500":   "the real lane's Quote fails only with ErrUnavailable (503)",
	"GET /nonce 500": "the real lane's NextNonce fails only with ErrUnavailable (503)",
	// Codes (the status of each is covered by another code).
	"code OVERLOADED on POST /tx": "the inclusion queue full: not deterministic on a real lane (api tests cover it)",
	// WebSocket closes of the feed (ws_test.go provokes them with a scripted hub).
	"close 1008 ^slow consumer$":                                "needs a reader slower than the hub's buffer: ws_test.go TestFeedSlowConsumer",
	"close 1008 ^too many subscribers$":                         "a reserved slot expiring before the upgraded connection starts (10 s)",
	"close 1012 ^writer restarted: reconnect with from_offset$": "the lane losing the writer lock: ws_test.go TestFeedWriterRestart",
}

// contract is api/openapi.yaml loaded for validation, and what the test saw.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	client *http.Client

	mu   sync.Mutex
	seen map[string]bool
}

func loadContract(t *testing.T) *contract {
	t.Helper()
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPISpec())
	require.NoError(t, err)
	require.True(t, doc.IsOpenAPI31OrLater(), "the contract is OpenAPI 3.1")
	require.NoError(t, doc.Validate(ctx), "api/openapi.yaml is not a valid OpenAPI document")

	// Route by path alone: the servers name the default listener addresses,
	// the test's listeners are on free ports.
	doc.Servers = nil
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
	}
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &contract{
		doc:    doc,
		router: router,
		// Redirects are answers to validate, not to follow.
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		seen:   map[string]bool{},
	}
}

func (c *contract) record(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[key] = true
}

// do sends a request, validates the response against the contract and
// returns it.
func (c *contract) do(t *testing.T, method, url, contentType string, body []byte, header ...string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	res := httpResult{Status: resp.StatusCode, Header: resp.Header, Body: b}
	c.check(t, req, res)
	return res
}

func (c *contract) get(t *testing.T, url string, header ...string) httpResult {
	t.Helper()
	return c.do(t, http.MethodGet, url, "", nil, header...)
}

// expect is get or do, then the status and (for errors) the code.
func (c *contract) expect(t *testing.T, res httpResult, status int, code string) httpResult {
	t.Helper()
	require.Equal(t, status, res.Status, "%s", res.Body)
	if code != "" {
		require.Equal(t, code, errorOf(t, res.Body).Code, "%s", res.Body)
	}
	return res
}

// check validates one response: a route of the file against its operation
// (status documented, headers, content type, body schema), anything else
// against the file's generic NotFound and MethodNotAllowed responses.
func (c *contract) check(t *testing.T, req *http.Request, res httpResult) {
	t.Helper()
	ctx := context.Background()
	if req.Method == http.MethodHead {
		// HEAD answers like GET (the file's convention), without a body.
		get := req.Clone(ctx)
		get.Method = http.MethodGet
		route, _, err := c.router.FindRoute(get)
		require.NoError(t, err, "HEAD %s: the file has no GET", req.URL.Path)
		require.Empty(t, res.Body, "HEAD %s", route.Path)
		ref := route.Operation.Responses.Status(res.Status)
		require.NotNil(t, ref, "HEAD %s %d: status not documented for GET", route.Path, res.Status)
		requireHeaders(t, "HEAD "+route.Path, ref.Value, res.Header)
		return
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		var re *routers.RouteError
		require.ErrorAs(t, err, &re, "find route %s %s", req.Method, req.URL.Path)
		name := "NotFound"
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			name = "MethodNotAllowed"
		}
		c.checkGeneric(t, name, res)
		return
	}
	method := req.Method
	key := fmt.Sprintf("%s %s %d", method, route.Path, res.Status)
	ref := route.Operation.Responses.Status(res.Status)
	require.NotNil(t, ref, "%s: status not documented; body %s", key, res.Body)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(res.Body)
	require.NoError(t, openapi3filter.ValidateResponse(ctx, in), "%s: body %.300s", key, res.Body)
	// ValidateResponse skips 304 whole: check its headers here. A response
	// without content must have no body.
	requireHeaders(t, key, ref.Value, res.Header)
	if len(ref.Value.Content) == 0 && res.Status != http.StatusSwitchingProtocols {
		require.Empty(t, res.Body, "%s: documented without content", key)
	}
	c.record(key)
	c.recordCode(res, " on "+method+" "+route.Path)
}

func (c *contract) recordCode(res httpResult, where string) {
	var e struct {
		OK   *bool  `json:"ok"`
		Code string `json:"code"`
	}
	if res.Status >= 400 && json.Unmarshal(res.Body, &e) == nil && e.Code != "" {
		c.record("code " + e.Code)
		c.record("code " + e.Code + where)
	}
}

// checkGeneric validates a response to a path or method the file does not
// list against components.responses[name].
func (c *contract) checkGeneric(t *testing.T, name string, res httpResult) {
	t.Helper()
	ref := c.doc.Components.Responses[name]
	require.NotNil(t, ref, name)
	want := map[string]int{"NotFound": http.StatusNotFound, "MethodNotAllowed": http.StatusMethodNotAllowed}[name]
	require.Equal(t, want, res.Status, "%s: %s", name, res.Body)
	requireHeaders(t, name, ref.Value, res.Header)
	mt := ref.Value.Content.Get(res.Header.Get("Content-Type"))
	require.NotNil(t, mt, "%s: content type %q", name, res.Header.Get("Content-Type"))
	c.visit(t, name, mt.Schema.Value, res.Body)
	c.record("generic " + name)
	c.recordCode(res, "")
}

// visit validates JSON against a schema of the file (JSON Schema 2020-12,
// as openapi3filter does for 3.1 documents).
func (c *contract) visit(t *testing.T, what string, schema *openapi3.Schema, body []byte) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(body, &v), "%s: %s", what, body)
	require.NoError(t, schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors(), openapi3.VisitAsResponse()),
		"%s: %s", what, body)
}

func requireHeaders(t *testing.T, key string, r *openapi3.Response, h http.Header) {
	t.Helper()
	for name, hdr := range r.Headers {
		if hdr.Value.Required {
			require.NotEmpty(t, h.Get(name), "%s: required header %s missing", key, name)
		}
	}
}

// wsOp is the file's /ws/subscribe operation and its x-websocket extension.
type wsSpec struct {
	Close []struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"closeCodes"`
}

func (c *contract) ws(t *testing.T) wsSpec {
	t.Helper()
	raw, ok := c.doc.Paths.Value("/ws/subscribe").Get.Extensions["x-websocket"]
	require.True(t, ok, "/ws/subscribe has no x-websocket")
	b, err := json.Marshal(raw)
	require.NoError(t, err)
	var s wsSpec
	require.NoError(t, json.Unmarshal(b, &s))
	require.NotEmpty(t, s.Close)
	return s
}

// dial opens the feed and validates the handshake's answer: 101, or a
// refusal before the upgrade.
func (c *contract) dial(t *testing.T, ts *testServer, query string) (*fws.Conn, httpResult) {
	t.Helper()
	conn, resp, err := (&fws.Dialer{HandshakeTimeout: wsTimeout}).Dial(ts.WS+"/ws/subscribe"+query, nil)
	require.NotNil(t, resp, "dial %s: %v", query, err)
	body, rerr := io.ReadAll(resp.Body)
	require.NoError(t, rerr)
	resp.Body.Close()
	req, rerr := http.NewRequest(http.MethodGet, ts.Public+"/ws/subscribe"+query, nil)
	require.NoError(t, rerr)
	res := httpResult{Status: resp.StatusCode, Header: resp.Header, Body: body}
	c.check(t, req, res)
	if err != nil {
		require.ErrorIs(t, err, fws.ErrBadHandshake)
		return nil, res
	}
	t.Cleanup(func() { conn.Close() })
	return conn, res
}

// subscribe dials and expects the upgrade.
func (c *contract) subscribe(t *testing.T, ts *testServer, query string) *fws.Conn {
	t.Helper()
	conn, res := c.dial(t, ts, query)
	require.NotNil(t, conn, "subscribe %s: %d %s", query, res.Status, res.Body)
	return conn
}

// refused dials and expects a refusal before the upgrade.
func (c *contract) refused(t *testing.T, ts *testServer, query string, status int, code string) api.ErrorBody {
	t.Helper()
	conn, res := c.dial(t, ts, query)
	require.Nil(t, conn, "%s: upgraded", query)
	c.expect(t, res, status, code)
	return errorOf(t, res.Body)
}

// errorOf decodes an error body (the contract check has validated its
// shape, extra fields included).
func errorOf(t *testing.T, body []byte) api.ErrorBody {
	t.Helper()
	var e api.ErrorBody
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	return e
}

// readEntries reads n feed messages and validates each against FeedEntry.
func (c *contract) readEntries(t *testing.T, conn *fws.Conn, n int) []map[string]any {
	t.Helper()
	schema := c.doc.Components.Schemas["FeedEntry"].Value
	out := make([]map[string]any, 0, n)
	for range n {
		msg := readRaw(t, conn)
		c.visit(t, "feed message", schema, []byte(msg))
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(msg), &m))
		c.record("message " + m["kind"].(string))
		out = append(out, m)
	}
	return out
}

// expectClose reads until the close frame (skipping messages when drain)
// and validates its code and reason against x-websocket.closeCodes.
func (c *contract) expectClose(t *testing.T, conn *fws.Conn, code int, drain bool) string {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(wsTimeout)))
	for {
		_, msg, err := conn.ReadMessage()
		if err == nil {
			require.True(t, drain, "unexpected message before close: %.200s", msg)
			continue
		}
		var ce *fws.CloseError
		require.ErrorAs(t, err, &ce, "want a close frame")
		require.Equal(t, code, ce.Code, ce.Text)
		for _, cc := range c.ws(t).Close {
			if cc.Code == ce.Code && regexp.MustCompile(cc.Reason).MatchString(ce.Text) {
				c.record(fmt.Sprintf("close %d %s", cc.Code, cc.Reason))
				return ce.Text
			}
		}
		require.Failf(t, "close not documented", "%d %q is not in x-websocket.closeCodes", ce.Code, ce.Text)
	}
}

// requireCoverage fails for every documented response, error code and
// close code no subtest saw and notProvoked does not explain.
func (c *contract) requireCoverage(t *testing.T) {
	t.Helper()
	var want []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				want = append(want, fmt.Sprintf("%s %s %s", method, path, status))
			}
		}
	}
	for _, code := range c.doc.Components.Schemas["ErrorCode"].Value.Enum {
		want = append(want, "code "+code.(string))
	}
	for _, cc := range c.ws(t).Close {
		want = append(want, fmt.Sprintf("close %d %s", cc.Code, cc.Reason))
	}
	want = append(want, "generic NotFound", "generic MethodNotAllowed", "message user_op", "message direct_input")
	for k := range notProvoked {
		if strings.HasPrefix(k, "code ") && strings.Contains(k, " on ") {
			want = append(want, k)
		}
	}
	sort.Strings(want)
	var missing, stale []string
	for _, k := range want {
		_, excused := notProvoked[k]
		switch {
		case c.seen[k] && excused:
			stale = append(stale, k)
		case !c.seen[k] && !excused:
			missing = append(missing, k)
		}
	}
	require.Empty(t, missing, "documented but never provoked (provoke them or add them to notProvoked with why)")
	require.Empty(t, stale, "listed in notProvoked but provoked: remove them from the list")
}

// TestContractRoutes: every route either listener serves is in the file
// with its method, and every path of the file is served, on its listener.
// Middleware (CORS, pprof) is not a route: the pprof paths are marked
// x-middleware and checked by TestContract.
func TestContractRoutes(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	reg := prometheus.NewRegistry()
	srv := api.New(api.Config{}, api.Deps{Registerer: reg, Gatherer: reg})

	file := map[string]map[string]bool{"public": {}, "internal": {}}
	for path, item := range c.doc.Paths.Map() {
		listener, _ := item.Extensions["x-listener"].(string)
		require.Contains(t, []string{"public", "internal"}, listener, "%s: x-listener", path)
		if mw, _ := item.Extensions["x-middleware"].(bool); mw {
			continue
		}
		for method := range item.Operations() {
			file[listener][method+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)
	for listener, routes := range map[string][]fiber.Route{
		"public":   srv.PublicApp().GetRoutes(true),
		"internal": srv.InternalApp().GetRoutes(true),
	} {
		served := map[string]bool{}
		for _, r := range routes {
			path := param.ReplaceAllString(r.Path, "{$1}")
			if r.Method == http.MethodHead {
				// fiber adds HEAD to every GET; the file says so once.
				require.True(t, file[listener]["GET "+path], "%s: HEAD %s without GET in the file", listener, path)
				continue
			}
			served[r.Method+" "+path] = true
			require.True(t, file[listener][r.Method+" "+path], "the %s listener serves %s %s: missing from api/openapi.yaml", listener, r.Method, path)
		}
		for k := range file[listener] {
			require.True(t, served[k], "api/openapi.yaml documents %s on the %s listener: the server does not serve it", k, listener)
		}
	}
}

// TestContract drives real servers through every path the file documents.
func TestContract(t *testing.T) {
	t.Parallel()
	c := loadContract(t)

	t.Run("writer", func(t *testing.T) { contractWriter(t, c) })
	t.Run("history", func(t *testing.T) { contractHistory(t, c) })
	t.Run("snapshots", func(t *testing.T) { contractSnapshots(t, c) })
	t.Run("shedding", func(t *testing.T) { contractShedding(t, c) })
	t.Run("database down", func(t *testing.T) { contractDatabaseDown(t, c) })
	if !t.Failed() {
		c.requireCoverage(t)
	}
}

// contractWriter: the real lane as the writer, with receipts: the public
// routes' successes and the request errors, then a fence (503s), a standby
// server and a shutdown.
func contractWriter(t *testing.T, c *contract) {
	db := newTestDB(t)
	lane := newTestLane(t, db)
	signer, err := receipt.NewSigner(newKey(t), testDomain.ChainID(), testDomain.VerifyingContract())
	require.NoError(t, err)
	ts := startServer(t, db, lane, func(_ *api.Config, d *api.Deps) { d.Receipts = signer })
	key := mustKey(t, fundedKeys[0])
	sender := crypto.PubkeyToAddress(key.PublicKey)

	// The file the server serves is the file in the repository.
	res := c.expect(t, c.get(t, ts.Public+"/openapi.yaml"), 200, "")
	disk, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	require.Equal(t, disk, res.Body)
	require.Equal(t, "application/yaml", res.Header.Get("Content-Type"))

	for _, path := range []string{"/domain", "/livez", "/readyz", "/healthz", "/fee", "/nonce?sender=" + sender.Hex()} {
		c.expect(t, c.get(t, ts.Public+path), 200, "")
	}
	key2 := c.expect(t, c.get(t, ts.Public+"/receipt_key"), 200, "")
	require.JSONEq(t, `{"address":"`+signer.Address().Hex()+`"}`, string(key2.Body))
	c.expect(t, c.do(t, http.MethodHead, ts.Public+"/livez", "", nil), 200, "")
	c.expect(t, c.get(t, ts.Public+"/nonce"), 400, api.CodeBadRequest)
	c.expect(t, c.get(t, ts.Public+"/nonce?sender=0x12"), 400, api.CodeBadRequest)
	c.expect(t, c.get(t, ts.Public+"/nope"), 404, api.CodeNotFound)
	c.expect(t, c.do(t, http.MethodDelete, ts.Public+"/fee", "", nil), 405, api.CodeMethodNotAllowed)
	c.expect(t, c.get(t, ts.Internal+"/nope"), 404, api.CodeNotFound)

	// POST /tx: a success with its receipt, then each class of refusal.
	fee := mustQuote(t, lane).SuggestedMaxFee()
	op := protocol.UserOp{Nonce: 0, MaxFee: fee, Data: testOpData(t, sender)}
	res = c.expect(t, c.do(t, http.MethodPost, ts.Public+"/tx", "application/json", txJSON(signedParts(t, key, op))), 200, "")
	var ok api.TxResponse
	require.NoError(t, json.Unmarshal(res.Body, &ok))
	require.NotNil(t, ok.Receipt, "receipts are configured")
	require.Equal(t, ok.Offset, ok.Receipt.Message.Offset)

	post := func(contentType string, body []byte, status int, code string) {
		t.Helper()
		c.expect(t, c.do(t, http.MethodPost, ts.Public+"/tx", contentType, body), status, code)
	}
	good := txJSON(signedParts(t, key, protocol.UserOp{Nonce: 1, MaxFee: fee, Data: testOpData(t, sender)}))
	post("text/plain", good, 400, api.CodeBadRequest)
	post("application/json", []byte(`{"message":`), 400, api.CodeBadRequest)
	post("application/json", []byte(`{"message":{"nonce":-1,"max_fee":1,"data":"0x"}}`), 400, api.CodeBadRequest)
	nonce, maxFee, data, _, _ := signedParts(t, key, op)
	other := crypto.PubkeyToAddress(mustKey(t, fundedKeys[1]).PublicKey)
	post("application/json", txJSON(nonce, maxFee, data, signWith(t, key, op, func([]byte) {}), quote(other.Hex())), 400, api.CodeInvalidSignature)
	post("application/json", bytes.Repeat([]byte(" "), api.MaxBodyBytes+1), 413, api.CodePayloadTooLarge)
	post("application/json", txJSON(signedParts(t, key, protocol.UserOp{Nonce: 7, MaxFee: fee, Data: testOpData(t, sender)})),
		422, api.CodeExecutionRejected)

	// The feed: the entry of the op above, a refusal of each kind the
	// writer can give, and the per-IP limit.
	c.expect(t, c.get(t, ts.Public+"/ws/subscribe"), 400, api.CodeBadRequest)
	c.refused(t, ts, "?from_offset=abc", 400, api.CodeBadRequest)
	c.refused(t, ts, "?generation=7", 400, api.CodeInvalidRequest)
	c.refused(t, ts, "?generation=x", 400, api.CodeInvalidRequest)
	c.refused(t, ts, fmt.Sprintf("?from_offset=%d&generation=0", ok.Offset+100), 409, api.CodeAheadOfHead)
	conns := []*fws.Conn{c.subscribe(t, ts, "")}
	entries := c.readEntries(t, conns[0], int(ok.Offset)) // the deposits, then the op
	require.Equal(t, "user_op", entries[len(entries)-1]["kind"])
	for len(conns) < 4 {
		conns = append(conns, c.subscribe(t, ts, fmt.Sprintf("?from_offset=%d&generation=0", ok.Offset)))
	}
	c.refused(t, ts, "", 429, api.CodeOverloaded)
	for _, conn := range conns {
		require.NoError(t, conn.Close())
	}
	page := c.expect(t, c.get(t, ts.Public+"/history?from_offset=0&limit=10&generation=0"), 200, "")
	require.Contains(t, string(page.Body), `"offset":`+strconv.FormatUint(ok.Offset, 10))
	c.expect(t, c.get(t, ts.Public+"/history?limit=1001"), 400, api.CodeInvalidRequest)
	c.expect(t, c.get(t, ts.Public+"/history?from_offset=x"), 400, api.CodeBadRequest)
	c.expect(t, c.get(t, fmt.Sprintf("%s/history?from_offset=%d&generation=0", ts.Public, ok.Offset+100)), 409, api.CodeAheadOfHead)

	// A recovery fences the lane: the writer's routes answer 503.
	rec := store.NewRecovery(db.Pool)
	require.NoError(t, rec.Fence(context.Background()))
	require.Eventually(t, func() bool { return lane.Status().Mode == "recovering" }, 10*time.Second, 10*time.Millisecond)
	for _, path := range []string{"/fee", "/nonce?sender=" + sender.Hex(), "/readyz"} {
		c.expect(t, c.get(t, ts.Public+path), 503, "")
	}
	post("application/json", good, 503, api.CodeUnavailable)
	c.expect(t, c.get(t, ts.Public+"/healthz"), 200, "")
	require.NoError(t, rec.Resume(context.Background()))
	require.Eventually(t, func() bool { return lane.Status().IntakeOpen }, 10*time.Second, 10*time.Millisecond)

	// A standby (another process holds the writer lock) serves no feed.
	sdb := db
	sdb.Hub = feed.NewHub(0)
	standby := startServer(t, sdb, newContractLane(t, sdb, hotpath.AdmissionConfig{}, hotpath.RoleStandby))
	c.refused(t, standby, "", 503, api.CodeUnavailable)
	c.expect(t, c.get(t, standby.Public+"/healthz"), 200, "")

	// Shutting down closes subscribers with 1001.
	sub := c.subscribe(t, ts, fmt.Sprintf("?from_offset=%d&generation=0", ok.Offset))
	require.Eventually(t, func() bool { return db.Hub.Count() == 1 }, wsTimeout, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- ts.Shutdown(ctx) }()
	c.expectClose(t, sub, 1001, true)
	require.NoError(t, sub.Close())
	require.NoError(t, <-stopped)
}

// contractHistory: history a real recovery cascade rewound (written with
// the fixture and store.Recovery, served with a scripted lane status): the
// resume refusals, pages, both entry kinds and the live rewind.
func contractHistory(t *testing.T, c *contract) {
	ctx := context.Background()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 5)
	f.userOps(a, 1, 3, alice)
	f.seal(a)
	b := f.batch(a, 1, 105, 5)
	f.userOps(b, 4, 5, bob)
	f.exec(`INSERT INTO l1_safe_head VALUES (true, 1200, 0, now(), now())`)
	rec := store.NewRecovery(db.Pool)
	require.NoError(t, rec.Fence(ctx))
	cascade, err := rec.Cascade(ctx, store.CascadeRequest{FlushBlock: 1200, InDanger: 900, Submitter: testSubmitter})
	require.NoError(t, err)
	require.Equal(t, uint64(1), cascade.Generation)
	require.NoError(t, rec.Resume(ctx))
	f.userOps(cascade.NewTipID, 6, 7, bob)
	f.directInput(8, cascade.NewTipID, 0, alice, []byte{0xde, 0xad}, 1100)
	db.Hub.SetHead(8)

	lane := newFakeLane()
	ts := startServer(t, db, lane, withConfig(func(cfg *api.Config) { cfg.HistoryMaxConcurrent = 1 }))

	c.refused(t, ts, "?from_offset=2", 409, api.CodeHistoryRewound)
	stale := c.refused(t, ts, "?from_offset=2&generation=0", 409, api.CodeStaleGeneration)
	require.Contains(t, stale.Message, "generation")
	c.expect(t, c.get(t, ts.Public+"/history?from_offset=4"), 409, api.CodeHistoryRewound)
	c.expect(t, c.get(t, ts.Public+"/history?from_offset=4&generation=0"), 409, api.CodeStaleGeneration)
	c.expect(t, c.get(t, ts.Public+"/history?from_offset=9&generation=1"), 409, api.CodeAheadOfHead)
	c.expect(t, c.get(t, ts.Public+"/history?generation=2"), 400, api.CodeInvalidRequest)
	page := c.expect(t, c.get(t, ts.Public+"/history?from_offset=0&limit=2"), 200, "")
	require.Contains(t, string(page.Body), `"next_offset":7`)
	c.expect(t, c.get(t, ts.Public+"/history?from_offset=7&generation=1"), 200, "")

	live := c.subscribe(t, ts, "?from_offset=5&generation=1")
	got := c.readEntries(t, live, 3)
	require.Equal(t, "direct_input", got[2]["kind"])
	require.Eventually(t, func() bool { return db.Hub.Count() == 1 }, wsTimeout, time.Millisecond)
	db.Hub.Rewind(6, 8)
	require.Equal(t, "history rewound: last_valid_offset=6", c.expectClose(t, live, api.CloseHistoryRewound, false))

	// The catch-up window: a resume further back than it is closed 1008.
	small := startServer(t, db, lane, withConfig(func(cfg *api.Config) { cfg.CatchUpWindow = 1 }))
	c.expectClose(t, c.subscribe(t, small, ""), 1008, false)
	c.refused(t, small, "?generation=1", 410, api.CodeHistoryUnavailable)

	// Concurrent history reads beyond the limit: 429 with Retry-After. A
	// table lock holds the one allowed read.
	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	_, err = tx.Exec(ctx, `LOCK TABLE batches IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	held := make(chan httpResult, 1)
	go func() { held <- get(t, ts.Public+"/history") }()
	require.Eventually(t, func() bool { // the held read waits on the lock
		var waiting bool
		err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting)
		return err == nil && waiting
	}, wsTimeout, 5*time.Millisecond)
	res := c.expect(t, c.get(t, ts.Public+"/history"), http.StatusTooManyRequests, api.CodeOverloaded)
	require.Equal(t, "1", res.Header.Get("Retry-After"))
	require.NoError(t, tx.Rollback(ctx))
	res = <-held
	require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
}

// contractSnapshots: the internal routes, before and after snapshots, with
// metrics and profiling, on a server without a receipt key.
func contractSnapshots(t *testing.T, c *contract) {
	db := newTestDB(t)
	ts := startServer(t, db, newFakeLane())
	f := fixture{t, db}
	for _, path := range []string{"/finalized_state/inclusion_block", "/finalized_state", "/latest_snapshot"} {
		c.expect(t, c.get(t, ts.Internal+path), 404, api.CodeNotFound)
	}
	a := f.batch(0, 0, 100, 10)
	f.userOps(a, 1, 3, alice)
	f.seal(a)
	f.snapshot(a, []byte("state-a"), 3)
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES (0, $1, '\xba', 150, 0)`, alice.Bytes())
	f.exec(`INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id) VALUES (0, 0, 150, $1, $2)`,
		bytes.Repeat([]byte{byte(a)}, 32), a)
	f.exec(`UPDATE control SET finalized_batch_id = $1`, a)
	c.expect(t, c.get(t, ts.Internal+"/finalized_state/inclusion_block"), 200, "")
	res := c.expect(t, c.get(t, ts.Internal+"/finalized_state"), 200, "")
	c.expect(t, c.get(t, ts.Internal+"/finalized_state", "If-None-Match", res.Header.Get("ETag")), 304, "")
	c.expect(t, c.get(t, ts.Internal+"/latest_snapshot"), 200, "")
	c.expect(t, c.get(t, ts.Internal+"/metrics"), 200, "")
	c.expect(t, c.get(t, ts.Public+"/receipt_key"), 404, api.CodeReceiptsDisabled) // no receipt key here
	c.expect(t, c.get(t, ts.Internal+"/debug/pprof/"), 200, "")
	for _, p := range []string{"cmdline", "heap", "goroutine?debug=1"} {
		c.expect(t, c.get(t, ts.Internal+"/debug/pprof/"+p), 200, "")
	}
	c.expect(t, c.get(t, ts.Internal+"/debug/pprof/nosuch"), 302, "")
}

// contractShedding: the real lane at the admission hard line answers 429
// L1_BACKLOG with Retry-After. A one-batch submitter window resent every
// million blocks floors the posting rate so low that one op in the backlog
// is a queue delay past the hard line.
func contractShedding(t *testing.T, c *contract) {
	db := newTestDB(t)
	lane := newContractLane(t, db,
		hotpath.AdmissionConfig{MaxInFlight: 1, ResendAfterBlocks: 1_000_000, Interval: 10 * time.Millisecond}, hotpath.RoleActive)
	ts := startServer(t, db, lane)
	key := mustKey(t, fundedKeys[0])
	sender := crypto.PubkeyToAddress(key.PublicKey)
	// Post until admission, recomputed every 10 ms, sheds.
	deadline := time.Now().Add(wsTimeout)
	for nonce := uint32(0); ; nonce++ {
		op := protocol.UserOp{Nonce: nonce, MaxFee: math.MaxUint16, Data: testOpData(t, sender)}
		res := c.do(t, http.MethodPost, ts.Public+"/tx", "application/json", txJSON(signedParts(t, key, op)))
		if res.Status != http.StatusOK {
			c.expect(t, res, http.StatusTooManyRequests, api.CodeL1Backlog)
			require.NotEmpty(t, res.Header.Get("Retry-After"), "L1_BACKLOG carries Retry-After")
			return
		}
		require.True(t, time.Now().Before(deadline), "the lane never shed")
		time.Sleep(10 * time.Millisecond) // pace the posts; the deadline decides
	}
}

// contractDatabaseDown: the reads that need the database answer 500 (or
// close the feed 1011) when it is gone; /healthz says so.
func contractDatabaseDown(t *testing.T, c *contract) {
	db := newTestDB(t)
	pool, err := pgxpool.New(context.Background(), db.URL)
	require.NoError(t, err)
	pool.Close()
	down := db
	down.Pool = pool
	ts := startServer(t, down, newFakeLane())
	for _, path := range []string{"/finalized_state/inclusion_block", "/finalized_state", "/latest_snapshot"} {
		c.expect(t, c.get(t, ts.Internal+path), 500, api.CodeInternalError)
	}
	c.expect(t, c.get(t, ts.Public+"/history"), 500, api.CodeInternalError)
	c.refused(t, ts, "?from_offset=1", 500, api.CodeInternalError)
	c.expectClose(t, c.subscribe(t, ts, ""), 1011, false)
	h := c.expect(t, c.get(t, ts.Public+"/healthz"), 200, "")
	require.Contains(t, string(h.Body), `"database":"unreachable"`)
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	require.NoError(t, err)
	return k
}

// newContractLane is the real inclusion lane over db with the reference
// wallet and admission config adm, as newTestLane builds it: the funded
// keys get deposits on first use of db. It returns once the lane has role
// (the active writer with intake open, or a standby while another lane holds
// the writer lock).
func newContractLane(t *testing.T, db testDB, adm hotpath.AdmissionConfig, role hotpath.Role) api.Lane {
	t.Helper()
	ctx := context.Background()
	if role == hotpath.RoleActive {
		l1, err := l1rows.New(ctx, db.Pool)
		require.NoError(t, err)
		for _, hex := range fundedKeys {
			addr := crypto.PubkeyToAddress(mustKey(t, hex).PublicKey)
			_, err := l1.Append(ctx, l1rows.Input{Sender: testPortal, Block: 1,
				Payload: wallet.EncodeDeposit(testToken, addr, uint256.NewInt(1e18), nil)})
			require.NoError(t, err)
		}
		require.NoError(t, l1.SetSafeHead(ctx, 2, time.Now(), time.Now()))
		require.NoError(t, l1.SetBatchSubmitter(ctx, testSubmitter))
	}
	cfg := wallet.Config{Portal: testPortal, Token: testToken, FeeRecipient: testRecipient}
	lane := hotpath.New(hotpath.Config{
		DatabaseURL: db.URL, ChainID: testDomain.ChainID(), App: testDomain.VerifyingContract(), MaxBatchOpen: time.Hour,
		Danger:         hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12},
		DangerInterval: 50 * time.Millisecond,
		Admission:      adm,
	}, hotpath.Deps{NewApp: func() app.Application { return wallet.New(cfg) }, Pool: db.Pool, Hub: db.Hub})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lane.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool {
		st := lane.Status()
		return st.Role == role && (role != hotpath.RoleActive || st.IntakeOpen)
	}, 10*time.Second, 10*time.Millisecond)
	return lane
}
