package api_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/protocol"
)

func mustKey(t *testing.T, hex string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.HexToECDSA(hex)
	require.NoError(t, err)
	return k
}

// testOpData is a wallet transfer of 1 unit from a funded sender to the fee
// recipient.
func testOpData(t *testing.T, _ common.Address) []byte {
	t.Helper()
	return (&wallet.Transfer{Amount: uint256.NewInt(1), To: testRecipient}).Encode()
}

// txJSON assembles a POST /tx body from raw JSON fragments, so tests can
// break any part of it.
func txJSON(nonce, maxFee, data, sig, sender string) []byte {
	return fmt.Appendf(nil, `{"message":{"nonce":%s,"max_fee":%s,"data":%s},"signature":%s,"sender":%s}`,
		nonce, maxFee, data, sig, sender)
}

func quote(s string) string { return `"` + s + `"` }

// signedParts signs op with key and returns the JSON fragments of a valid
// body.
func signedParts(t *testing.T, key *ecdsa.PrivateKey, op protocol.UserOp) (nonce, maxFee, data, sig, sender string) {
	t.Helper()
	req, err := wire.SignTx(testDomain, key, op)
	require.NoError(t, err)
	return fmt.Sprint(op.Nonce), fmt.Sprint(op.MaxFee), quote(hexutil.Encode(req.Message.Data)),
		quote(hexutil.Encode(req.Signature)), quote(req.Sender)
}

func signWith(t *testing.T, key *ecdsa.PrivateKey, op protocol.UserOp, mutate func(sig []byte)) string {
	t.Helper()
	req, err := wire.SignTx(testDomain, key, op)
	require.NoError(t, err)
	mutate(req.Signature)
	return quote(hexutil.Encode(req.Signature))
}

func decodeError(t *testing.T, body []byte) api.ErrorBody {
	t.Helper()
	var e api.ErrorBody
	require.NoError(t, json.Unmarshal(body, &e), string(body))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(body, &raw))
	require.Equal(t, map[string]any{"ok": false, "code": e.Code, "message": e.Message}, raw, "error shape")
	return e
}

// TestPostTx runs every POST /tx check in the order of service.md §3: each
// case that breaks several rules must report the earliest.
func TestPostTx(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newTestLane(t, db)
	ts := startServer(t, db, lane)

	key := mustKey(t, "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	other := mustKey(t, "8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a")
	addr := crypto.PubkeyToAddress(key.PublicKey)
	maxData := lane.MaxPayloadSize()
	nextNonce, err := lane.NextNonce(addr)
	require.NoError(t, err)
	op := protocol.UserOp{Nonce: nextNonce, MaxFee: mustQuote(t, lane).SuggestedMaxFee(), Data: testOpData(t, addr)}
	n, mf, data, sig, sender := signedParts(t, key, op)

	badParity := signWith(t, key, op, func(s []byte) { s[64] = 30 })
	zeroR := signWith(t, key, op, func(s []byte) { clear(s[:32]) })
	bigData := quote(hexutil.Encode(make([]byte, maxData+1)))
	hugeData := quote(hexutil.Encode(make([]byte, 2100)))
	badHexSig := quote("0x" + strings.Repeat("zz", 65))
	shortSig := sig[:len(sig)-2] + `"`
	shortSender := sender[:len(sender)-2] + `"`
	otherSender := quote(crypto.PubkeyToAddress(other.PublicKey).Hex())
	tooLarge := fmt.Sprintf("user op payload too large: max %d bytes, got %d bytes", maxData, maxData+1)

	cases := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		code        string
		message     string // exact when set
		contains    string // substring when set
	}{
		{"body too large with bad signature", "application/json", txJSON(n, mf, hugeData, badParity, sender),
			413, api.CodePayloadTooLarge, "", "max 4096 bytes"},
		{"wrong content type", "text/plain", txJSON(n, mf, data, sig, sender), 400, api.CodeBadRequest, "", "Content-Type"},
		{"no content type", "", txJSON(n, mf, data, sig, sender), 400, api.CodeBadRequest, "", "Content-Type"},
		{"not JSON", "application/json", []byte(`{"message":`), 400, api.CodeBadRequest, "", "invalid JSON"},
		{"empty body", "application/json", nil, 400, api.CodeBadRequest, "", "invalid JSON"},
		{"array", "application/json", []byte(`[1,2]`), 400, api.CodeBadRequest, "", "invalid JSON"},
		{"trailing data", "application/json", append(txJSON(n, mf, data, sig, sender), []byte(`{}`)...),
			400, api.CodeBadRequest, "", "trailing"},
		{"float nonce with bad signature", "application/json", txJSON("1.5", mf, data, badParity, sender),
			400, api.CodeBadRequest, "", "message.nonce"},
		{"negative nonce", "application/json", txJSON("-1", mf, data, sig, sender), 400, api.CodeBadRequest, "", "message.nonce"},
		{"nonce overflow", "application/json", txJSON("4294967296", mf, data, sig, sender), 400, api.CodeBadRequest, "", "message.nonce"},
		{"exponent nonce", "application/json", txJSON("1e3", mf, data, sig, sender), 400, api.CodeBadRequest, "", "message.nonce"},
		{"string nonce", "application/json", txJSON(`"1"`, mf, data, sig, sender), 400, api.CodeBadRequest, "", "message.nonce"},
		{"max_fee overflow", "application/json", txJSON(n, "65536", data, sig, sender), 400, api.CodeBadRequest, "", "message.max_fee"},
		{"data not a string", "application/json", txJSON(n, mf, "12", sig, sender), 400, api.CodeBadRequest, "", "message.data"},
		{"missing nonce", "application/json", fmt.Appendf(nil, `{"message":{"max_fee":%s,"data":%s},"signature":%s,"sender":%s}`, mf, data, sig, sender),
			400, api.CodeBadRequest, "missing field message.nonce", ""},
		{"null sender", "application/json", txJSON(n, mf, data, sig, "null"), 400, api.CodeBadRequest, "missing field sender", ""},
		{"short signature before short sender", "application/json", txJSON(n, mf, bigData, shortSig, shortSender),
			400, api.CodeBadRequest, "", "signature must be"},
		{"short sender before large data", "application/json", txJSON(n, mf, bigData, badHexSig, shortSender),
			400, api.CodeBadRequest, "", "sender must be"},
		{"large data before bad hex and parity", "application/json", txJSON(n, mf, bigData, badHexSig, sender),
			400, api.CodeBadRequest, tooLarge, ""},
		{"large data without 0x", "application/json", txJSON(n, mf, quote(strings.Repeat("00", maxData+1)), sig, sender),
			400, api.CodeBadRequest, tooLarge, ""},
		{"bad hex in data", "application/json", txJSON(n, mf, `"0xzz"`, badHexSig, sender), 400, api.CodeBadRequest, "", "message.data"},
		{"data without 0x", "application/json", txJSON(n, mf, `"0102"`, sig, sender), 400, api.CodeBadRequest, "", "message.data"},
		{"odd data", "application/json", txJSON(n, mf, `"0x012"`, sig, sender), 400, api.CodeBadRequest, "", "message.data"},
		{"bad hex in signature", "application/json", txJSON(n, mf, data, badHexSig, sender), 400, api.CodeBadRequest, "", "signature"},
		{"bad hex in sender", "application/json", txJSON(n, mf, data, badParity, quote("0x"+strings.Repeat("g", 40))),
			400, api.CodeBadRequest, "", "sender"},
		{"bad parity", "application/json", txJSON(n, mf, data, badParity, otherSender),
			400, api.CodeInvalidSignature, "invalid signature parity", ""},
		{"unrecoverable", "application/json", txJSON(n, mf, data, zeroR, otherSender),
			400, api.CodeInvalidSignature, "cannot recover sender", ""},
		{"sender mismatch", "application/json", txJSON(n, mf, data, sig, otherSender),
			400, api.CodeInvalidSignature, "sender mismatch", ""},
		{"signed data differs", "application/json", txJSON(n, mf, `"0x0a"`, sig, sender),
			400, api.CodeInvalidSignature, "sender mismatch", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, http.MethodPost, ts.Public+"/tx", tc.contentType, tc.body)
			require.Equal(t, tc.status, res.Status, string(res.Body))
			e := decodeError(t, res.Body)
			require.Equal(t, tc.code, e.Code)
			if tc.message != "" {
				require.Equal(t, tc.message, e.Message)
			}
			if tc.contains != "" {
				require.Contains(t, e.Message, tc.contains)
			}
		})
	}

	// Last: the valid op is accepted (after the failures above, none of
	// which reached the lane, so the nonce is still the next one).
	t.Run("success", func(t *testing.T) {
		res := do(t, http.MethodPost, ts.Public+"/tx", "application/json; charset=utf-8", txJSON(n, mf, data, sig, strings.ToLower(sender)))
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var raw map[string]any
		require.NoError(t, json.Unmarshal(res.Body, &raw))
		require.ElementsMatch(t, []string{"ok", "sender", "nonce", "offset", "fee"}, keys(raw))
		var got api.TxResponse
		require.NoError(t, json.Unmarshal(res.Body, &got))
		require.True(t, got.OK)
		require.Equal(t, addr.Hex(), got.Sender) // EIP-55, whatever case was sent
		require.Equal(t, op.Nonce, got.Nonce)
		require.NotZero(t, got.Offset)
		require.Equal(t, mustQuote(t, lane).Fee, got.Fee)
		next, err := lane.NextNonce(addr)
		require.NoError(t, err)
		require.Equal(t, op.Nonce+1, next)
	})

	// The same op again: the real lane refuses it with the wallet's reason.
	t.Run("replay is rejected by the application", func(t *testing.T) {
		res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", txJSON(n, mf, data, sig, sender))
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, string(res.Body))
		e := decodeError(t, res.Body)
		require.Equal(t, api.CodeExecutionRejected, e.Code)
		require.Equal(t, fmt.Sprintf("bad nonce: expected %d, got %d", op.Nonce+1, op.Nonce), e.Message)
	})

	t.Run("max fee below the frame fee is rejected", func(t *testing.T) {
		low := protocol.UserOp{Nonce: op.Nonce + 1, MaxFee: mustQuote(t, lane).Fee - 1, Data: testOpData(t, addr)}
		n, mf, data, sig, sender := signedParts(t, key, low)
		res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", txJSON(n, mf, data, sig, sender))
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, string(res.Body))
		e := decodeError(t, res.Body)
		require.Equal(t, api.CodeExecutionRejected, e.Code)
		require.Equal(t, fmt.Sprintf("max fee %d below base fee %d", low.MaxFee, mustQuote(t, lane).Fee), e.Message)
	})

	t.Run("an unfunded sender cannot pay the fee", func(t *testing.T) {
		poor := mustKey(t, "1111111111111111111111111111111111111111111111111111111111111111")
		n, mf, data, sig, sender := signedParts(t, poor, protocol.UserOp{Nonce: 0, MaxFee: 2000, Data: testOpData(t, addr)})
		res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", txJSON(n, mf, data, sig, sender))
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, string(res.Body))
		require.Equal(t, "insufficient balance for fee: required 38276, available 0", decodeError(t, res.Body).Message)
	})
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPostTxLaneErrors maps each lane error to its response. It scripts the
// lane, so it always uses the fake.
func TestPostTxLaneErrors(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newFakeLane()
	ts := startServer(t, db, lane)
	key := mustKey(t, "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	body := txJSON(signedParts(t, key, protocol.UserOp{Nonce: 0, MaxFee: 2000, Data: []byte{1}}))

	for _, tc := range []struct {
		err     error
		status  int
		code    string
		message string
	}{
		{hotpath.ErrUnavailable, 503, api.CodeUnavailable, "sequencer unavailable"},
		{fmt.Errorf("%w: recovering", hotpath.ErrUnavailable), 503, api.CodeUnavailable, "sequencer unavailable: recovering"},
		{hotpath.ErrQueueFull, 429, api.CodeOverloaded, "queue full"},
		{&hotpath.RejectedError{Reason: errors.New("insufficient balance")}, 422, api.CodeExecutionRejected, "insufficient balance"},
		{errors.New("write tcp 10.1.2.3:5432: broken pipe"), 500, api.CodeInternalError, "internal error"},
		{context.Canceled, 503, api.CodeUnavailable, "sequencer unavailable"},
	} {
		lane.setSubmitErr(tc.err)
		res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", body)
		require.Equal(t, tc.status, res.Status, string(res.Body))
		e := decodeError(t, res.Body)
		require.Equal(t, tc.code, e.Code)
		require.Equal(t, tc.message, e.Message)
	}

	// Intake closed with a reason: the client sees it.
	lane.setStatus(hotpath.Status{Role: hotpath.RoleActive, Mode: "recovering", Reason: "recovery running"})
	lane.setSubmitErr(hotpath.ErrUnavailable)
	res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", body)
	require.Equal(t, http.StatusServiceUnavailable, res.Status)
	require.Equal(t, "sequencer unavailable: recovery running", decodeError(t, res.Body).Message)
}

// validFakeOp is an op the fake lane accepts as a sender's first.
func validFakeOp() protocol.UserOp { return protocol.UserOp{Nonce: 0, MaxFee: 2000, Data: []byte{1}} }
