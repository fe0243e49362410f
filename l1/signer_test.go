package l1_test

import (
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/signertest"
	"github.com/cartesi/sequencer/l1"
)

const signerToken = "tok-9f8e7d6c5b4a"

// writeKeystore encrypts anvil's key i into a go-ethereum keystore file
// (light scrypt parameters: fast in tests, same format) and returns its
// path.
func writeKeystore(t *testing.T, i int, passphrase string) string {
	t.Helper()
	ks := keystore.NewKeyStore(t.TempDir(), keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.ImportECDSA(anviltest.Key(i), passphrase)
	require.NoError(t, err)
	return acct.URL.Path
}

// TestSignersPostThroughAnvil: every signer the worker can be configured
// with — the raw key, a keystore file, a remote signer speaking Clef's
// account_signTransaction, one speaking web3signer's eth_signTransaction
// (both behind a token) — signs the submitter's addInput and self-transfer
// so that a real anvil accepts and mines them, from the submitter's
// address; a remote signer signs the same transaction twice to the same
// bytes (a retried round re-broadcasts the same hash).
func TestSignersPostThroughAnvil(t *testing.T) {
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	const pass = "correct horse battery staple"
	ksSigner, err := l1.NewKeystoreSigner(writeKeystore(t, 1, pass), pass)
	require.NoError(t, err)
	remote := func(method string) l1.Signer {
		srv := signertest.Start(t, anviltest.Key(1), signertest.Options{Token: signerToken})
		rs, err := l1.DialRemoteSigner(ctx, srv.URL(), anviltest.Address(1), method)
		require.NoError(t, err)
		t.Cleanup(rs.Close)
		return rs
	}
	for _, c := range []struct {
		name   string
		signer l1.Signer
	}{
		{"raw key", l1.NewKeySigner(anviltest.Key(1))},
		{"keystore file", ksSigner},
		{"clef account_signTransaction", remote(l1.MethodClefSignTransaction)},
		{"web3signer eth_signTransaction", remote(l1.MethodEthSignTransaction)},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, anviltest.Address(1), c.signer.Address())
			p, err := l1.NewPoster(e.rc, l1.PosterConfig{ChainID: anviltest.ChainID, InputBox: e.addrs.InputBox,
				App: e.addrs.App, Signer: c.signer})
			require.NoError(t, err)
			require.Equal(t, anviltest.Address(1), p.Address())

			tx := addInput(t, p, []byte("batch via "+c.name))
			sender, err := types.Sender(types.LatestSignerForChainID(big.NewInt(int64(anviltest.ChainID))), tx)
			require.NoError(t, err)
			require.Equal(t, anviltest.Address(1), sender)
			again, err := p.SignAddInput(ctx, []byte("batch via "+c.name), tx.Nonce(),
				l1.Fees{TipCap: tx.GasTipCap(), FeeCap: tx.GasFeeCap()}, tx.Gas())
			require.NoError(t, err)
			require.Equal(t, tx.Hash(), again.Hash(), "signing is deterministic")

			_, pending, _, err := p.Nonces(ctx)
			require.NoError(t, err)
			fees, err := p.SuggestFees(ctx)
			require.NoError(t, err)
			flush, err := p.BuildSelfTransfer(ctx, pending, fees)
			require.NoError(t, err)
			require.NoError(t, p.Send(ctx, flush))
			mustReceipt(t, p, flush.Hash())
		})
	}
}

// TestSignerFailuresAreErrSigner: a remote signer that refuses, cannot be
// reached, holds another key, or changes the transaction makes signing fail
// with ErrSigner (nothing is returned, so nothing can be broadcast), and no
// error quotes the token in the signer's URL.
func TestSignerFailuresAreErrSigner(t *testing.T) {
	ctx := testContext(t)
	// Signing needs no node: the poster's client is never used here.
	rc, err := rpc.Dial("http://127.0.0.1:1")
	require.NoError(t, err)
	t.Cleanup(rc.Close)
	good := signertest.Start(t, anviltest.Key(1), signertest.Options{Token: signerToken})
	closed := signertest.Start(t, anviltest.Key(1), signertest.Options{Token: signerToken})
	closedURL := closed.URL()
	for _, c := range []struct {
		name    string
		url     string
		opts    signertest.Options
		addr    int // the account asked for
		message string
	}{
		{"wrong token", strings.ReplaceAll(good.URL(), signerToken, signerToken+"-wrong"), signertest.Options{}, 1, "401"},
		{"unknown account", good.URL(), signertest.Options{}, 2, "not found"},
		{"signs with another key", "", signertest.Options{SignWith: anviltest.Key(3)}, 1, "signed by"},
		{"changes the nonce", "", signertest.Options{Tamper: func(tx *types.DynamicFeeTx) { tx.Nonce++ }}, 1, "differs"},
		{"changes the recipient", "", signertest.Options{Tamper: func(tx *types.DynamicFeeTx) { other := anviltest.Address(3); tx.To = &other }}, 1, "differs"},
		{"unreachable", closedURL, signertest.Options{}, 1, "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := c.url
			if url == "" {
				c.opts.Token = signerToken
				url = signertest.Start(t, anviltest.Key(1), c.opts).URL()
			}
			if c.name == "unreachable" {
				closed.Close()
			}
			rs, err := l1.DialRemoteSigner(ctx, url, anviltest.Address(c.addr), "")
			require.NoError(t, err)
			t.Cleanup(rs.Close)
			p, err := l1.NewPoster(rc, l1.PosterConfig{ChainID: anviltest.ChainID, InputBox: anviltest.Address(8),
				App: anviltest.Address(9), Signer: rs})
			require.NoError(t, err)
			tx, err := p.SignAddInput(ctx, []byte("batch"), 0, l1.Fees{TipCap: big.NewInt(1), FeeCap: big.NewInt(2)}, 100_000)
			require.ErrorIs(t, err, l1.ErrSigner)
			require.Nil(t, tx)
			t.Log(err)
			require.Contains(t, err.Error(), c.message)
			require.NotContains(t, err.Error(), signerToken)
			require.True(t, l1.Retryable(err), "a signer failure is retried, never terminal")
		})
	}
	require.Positive(t, good.Calls())
}

// TestKeystoreSignerErrors: a wrong passphrase or a file that is not a
// keystore is ErrKeystore, and the error never contains the passphrase.
func TestKeystoreSignerErrors(t *testing.T) {
	const pass = "the right passphrase"
	path := writeKeystore(t, 1, pass)
	notKeystore := t.TempDir() + "/key.json"
	require.NoError(t, os.WriteFile(notKeystore, []byte(`{"hello":"world"}`), 0o600))
	for _, c := range []struct {
		name, path, pass string
	}{
		{"wrong passphrase", path, "a wrong passphrase"},
		{"not a keystore", notKeystore, pass},
		{"missing file", t.TempDir() + "/absent.json", pass},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := l1.NewKeystoreSigner(c.path, c.pass)
			require.ErrorIs(t, err, l1.ErrKeystore)
			require.NotContains(t, err.Error(), c.pass)
		})
	}
	s, err := l1.NewKeystoreSigner(path, pass)
	require.NoError(t, err)
	require.Equal(t, anviltest.Address(1), s.Address())
	require.NotContains(t, s.String(), anviltest.DevKeys[1])
}
