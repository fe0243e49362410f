package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/protocol"
)

// signedReceipt is POST /tx's receipt as any client decodes it: standard
// EIP-712 typed data (go-ethereum's signer types) and the signature.
type signedReceipt struct {
	apitypes.TypedData
	Signature hexutil.Bytes `json:"signature"`
}

// txWithReceipt is a POST /tx 200 body.
type txWithReceipt struct {
	Sender  string          `json:"sender"`
	Nonce   uint32          `json:"nonce"`
	Offset  uint64          `json:"offset"`
	Receipt json.RawMessage `json:"receipt"`
}

// postRaw posts body to p's /tx and returns the status and the raw answer.
func postRaw(t *testing.T, p *proc, body []byte) (int, []byte) {
	t.Helper()
	resp, err := httpClient.Post("http://"+p.public+"/tx", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// receiptSigner recovers who signed a receipt, from its JSON alone, through
// go-ethereum's EIP-712 hashing (the path a third party would take).
func receiptSigner(t *testing.T, raw []byte) (common.Address, signedReceipt) {
	t.Helper()
	var r signedReceipt
	require.NoError(t, json.Unmarshal(raw, &r))
	digest, _, err := apitypes.TypedDataAndHash(r.TypedData)
	require.NoError(t, err)
	require.Len(t, r.Signature, 65)
	require.Contains(t, []byte{27, 28}, r.Signature[64])
	sig := append([]byte(nil), r.Signature...)
	sig[64] -= 27
	pub, err := crypto.SigToPub(digest, sig)
	require.NoError(t, err)
	return crypto.PubkeyToAddress(*pub), r
}

func receiptKeyAddress(t *testing.T, p *proc) common.Address {
	t.Helper()
	code, body := p.get("/receipt_key")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var k struct {
		Address string `json:"address"`
	}
	require.NoError(t, json.Unmarshal(body, &k))
	require.True(t, common.IsHexAddress(k.Address))
	return common.HexToAddress(k.Address)
}

// TestServeSignsReceipts runs the real serve over a real database in
// recovery generation 2 and checks every POST /tx receipt: it recovers to
// GET /receipt_key's address (and that is SEQ_RECEIPT_PRIVATE_KEY's), and
// its message is the op (sender, nonce, EIP-712 digest) and its soft
// confirmation (offset) where the database put it (the batch's nonce and
// generation), which is also what GET /history says of that offset.
func TestServeSignsReceipts(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 2)
	// As if two recoveries had happened before this serve started: the
	// batch it opens is created in generation 2.
	_, err := w.pool.Exec(ctx, `UPDATE control SET recovery_generation = 2`)
	require.NoError(t, err)
	p := startServe(t, w.url)
	p.waitReady()

	key, err := crypto.HexToECDSA(strings.TrimPrefix(receiptKey, "0x"))
	require.NoError(t, err)
	published := receiptKeyAddress(t, p)
	require.Equal(t, crypto.PubkeyToAddress(key.PublicKey), published)
	require.Contains(t, p.logs.String(), "signing receipts")

	for i, sent := range []struct {
		user  int
		nonce uint32
	}{{0, 0}, {1, 0}, {0, 1}} {
		data := (&wallet.Transfer{Amount: uint256.NewInt(1), To: w.addr(1 - sent.user)}).Encode()
		op := protocol.UserOp{Nonce: sent.nonce, MaxFee: 2000, Data: data}
		code, body := postRaw(t, p, signBody(t, domain, w.keys[sent.user], op))
		require.Equal(t, http.StatusOK, code, "%s", body)
		var ack txWithReceipt
		require.NoError(t, json.Unmarshal(body, &ack))
		require.NotEmpty(t, ack.Receipt, "op %d: no receipt in %s", i, body)

		signer, r := receiptSigner(t, ack.Receipt)
		require.Equal(t, published, signer, "op %d: the receipt recovers to GET /receipt_key", i)

		var batchNonce, generation uint64
		require.NoError(t, w.pool.QueryRow(ctx, `SELECT b.nonce, b.generation FROM user_ops u
			JOIN batches b ON b.id = u.batch_id WHERE u."offset" = $1`, int64(ack.Offset)).Scan(&batchNonce, &generation))
		require.Equal(t, uint64(2), generation)

		require.Equal(t, "SoftConfirmation", r.PrimaryType)
		require.Equal(t, "Cartesi Sequencer", r.Domain.Name)
		require.Equal(t, "1", r.Domain.Version)
		require.Equal(t, appAddr.Hex(), r.Domain.VerifyingContract)
		require.Equal(t, chainID, (*big.Int)(r.Domain.ChainId).Uint64())
		require.Equal(t, map[string]any{
			"app":        appAddr.Hex(),
			"sender":     w.addr(sent.user).Hex(),
			"nonce":      float64(sent.nonce),
			"opHash":     domain.Digest(op).Hex(),
			"offset":     float64(ack.Offset),
			"batchNonce": float64(batchNonce),
			"generation": float64(generation),
		}, map[string]any(r.Message), "op %d", i)
		require.Equal(t, w.addr(sent.user).Hex(), ack.Sender)
		require.Equal(t, sent.nonce, ack.Nonce)

		// The feed says the same: the entry at the receipt's offset has its
		// sender, nonce, batch nonce and generation.
		code, body = p.get(fmt.Sprintf("/history?from_offset=%d&limit=1", ack.Offset-1))
		require.Equal(t, http.StatusOK, code, "%s", body)
		var page struct {
			Entries []wire.FeedEntry `json:"entries"`
		}
		require.NoError(t, json.Unmarshal(body, &page))
		require.Len(t, page.Entries, 1)
		e := page.Entries[0]
		require.Equal(t, []any{ack.Offset, w.addr(sent.user).Hex(), sent.nonce, batchNonce, generation},
			[]any{e.Offset, e.Sender, e.Nonce, e.BatchNonce, e.Generation}, "op %d: feed entry %s", i, body)
	}
}

// TestReceiptKeySources: serve signs with the key from the variable or the
// file, and without either answers POST /tx without a receipt and GET
// /receipt_key with 404 RECEIPTS_DISABLED.
func TestReceiptKeySources(t *testing.T) {
	otherKey, err := crypto.ToECDSA(crypto.Keccak256([]byte("e2e receipt key file")))
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "receipt.key")
	require.NoError(t, os.WriteFile(keyFile, []byte(hexutil.Encode(crypto.FromECDSA(otherKey))+"\n"), 0o600))

	cases := []struct {
		name   string
		env    []string
		signer *common.Address // nil: receipts disabled
	}{
		{"key file", []string{"SEQ_RECEIPT_PRIVATE_KEY=", "SEQ_RECEIPT_PRIVATE_KEY_FILE=" + keyFile},
			ptrTo(crypto.PubkeyToAddress(otherKey.PublicKey))},
		{"no key", []string{"SEQ_RECEIPT_PRIVATE_KEY="}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 2)
			p := startServe(t, w.url, tc.env...)
			p.waitReady()
			code, body := postRaw(t, p, w.txBody(t, 0, 0))
			require.Equal(t, http.StatusOK, code, "%s", body)
			var ack map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(body, &ack))

			if tc.signer == nil {
				require.NotContains(t, ack, "receipt", "%s", body)
				code, body := p.get("/receipt_key")
				require.Equal(t, http.StatusNotFound, code)
				require.JSONEq(t, `{"ok":false,"code":"RECEIPTS_DISABLED",
					"message":"receipts are disabled: this sequencer has no receipt key"}`, string(body))
				require.Contains(t, p.logs.String(), "no receipt key")
				return
			}
			require.Equal(t, *tc.signer, receiptKeyAddress(t, p))
			signer, _ := receiptSigner(t, ack["receipt"])
			require.Equal(t, *tc.signer, signer)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestServeRefusesBadReceiptKey: a receipt key that is the batch
// submitter's, doubly configured or malformed stops serve at start with
// exit 2 and a message naming the variable, never the key.
func TestServeRefusesBadReceiptKey(t *testing.T) {
	key, err := crypto.HexToECDSA(strings.TrimPrefix(receiptKey, "0x"))
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "receipt.key")
	require.NoError(t, os.WriteFile(keyFile, []byte(receiptKey+"\n"), 0o600))
	base := []string{
		"SEQ_ETH_RPC_URL=http://127.0.0.1:1", "SEQ_CHAIN_ID=31337", "SEQ_APP_ADDRESS=" + appAddr.Hex(),
		"SEQ_WALLET_PORTAL_ADDRESS=" + portal.Hex(), "SEQ_WALLET_TOKEN_ADDRESS=" + token.Hex(),
		"SEQ_WALLET_FEE_RECIPIENT=" + feeRecipient.Hex(),
		// Never reached: the configuration is refused first.
		"SEQ_DATABASE_URL=postgres://postgres@127.0.0.1:1/none?sslmode=disable",
	}
	cases := []struct {
		name    string
		env     []string
		message string
	}{
		{"the submitter's key", []string{"SEQ_RECEIPT_PRIVATE_KEY=" + receiptKey,
			"SEQ_BATCH_SUBMITTER_ADDRESS=" + crypto.PubkeyToAddress(key.PublicKey).Hex()},
			"SEQ_RECEIPT_PRIVATE_KEY: the receipt key's address " + crypto.PubkeyToAddress(key.PublicKey).Hex() +
				" is SEQ_BATCH_SUBMITTER_ADDRESS"},
		{"both sources", []string{"SEQ_RECEIPT_PRIVATE_KEY=" + receiptKey, "SEQ_RECEIPT_PRIVATE_KEY_FILE=" + keyFile},
			"SEQ_RECEIPT_PRIVATE_KEY: set at most one of"},
		{"malformed", []string{"SEQ_RECEIPT_PRIVATE_KEY=" + receiptKey[:40]},
			"SEQ_RECEIPT_PRIVATE_KEY: not a hex secp256k1 private key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runOnce(t, append(append([]string{}, base...), tc.env...), "serve")
			require.Equal(t, ExitUsage, code, out)
			require.Contains(t, out, tc.message)
			require.NotContains(t, out, strings.TrimPrefix(receiptKey, "0x")[:40])
		})
	}
}
