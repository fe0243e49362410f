// Package signertest runs a small remote transaction signer for tests: a
// JSON-RPC server over HTTP that holds one key and answers
// account_signTransaction the way Clef's external API does (params: one
// transaction arguments object; result: {raw, tx}) and eth_signTransaction
// the way web3signer does (result: the signed transaction's bytes). Like
// Clef it refuses an unknown account or another chain id; like a deployment
// behind a proxy it can demand a token (HTTP basic auth password or the
// "token" query parameter).
//
//	s := signertest.Start(t, key, signertest.Options{Token: "s3cret"})
//	url := s.URL() // http://signer:s3cret@127.0.0.1:port/?token=s3cret
package signertest

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// Options configure Start.
type Options struct {
	// ChainID the signer is configured for; 0 means 31337 (anvil).
	ChainID uint64
	// Token, when set, is required as the basic-auth password or the
	// "token" query parameter; other requests get 401.
	Token string
	// Tamper, when set, may change the transaction before it is signed (a
	// misbehaving signer).
	Tamper func(*types.DynamicFeeTx)
	// SignWith, when set, signs with this key instead (a signer holding
	// the wrong account, that still answers for the configured one).
	SignWith *ecdsa.PrivateKey
}

// Server is a running test signer.
type Server struct {
	srv   *httptest.Server
	opts  Options
	key   *ecdsa.PrivateKey
	addr  common.Address
	calls atomic.Int64
}

// Start serves a signer holding key until the test ends.
func Start(t testing.TB, key *ecdsa.PrivateKey, opts Options) *Server {
	t.Helper()
	if opts.ChainID == 0 {
		opts.ChainID = 31337
	}
	s := &Server{opts: opts, key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
	rs := rpc.NewServer()
	if err := rs.RegisterName("account", &clefAPI{s}); err != nil {
		t.Fatalf("signertest: %v", err)
	}
	if err := rs.RegisterName("eth", &ethAPI{s}); err != nil {
		t.Fatalf("signertest: %v", err)
	}
	s.srv = httptest.NewServer(s.authorize(rs))
	t.Cleanup(func() {
		s.srv.Close()
		rs.Stop()
	})
	return s
}

// URL is the endpoint, carrying the token (if any) both as basic-auth
// password and as query parameter.
func (s *Server) URL() string {
	if s.opts.Token == "" {
		return s.srv.URL
	}
	u, _ := url.Parse(s.srv.URL)
	u.User = url.UserPassword("signer", s.opts.Token)
	u.Path = "/"
	u.RawQuery = url.Values{"token": {s.opts.Token}}.Encode()
	return u.String()
}

// Close stops the server now (it is also stopped when the test ends): an
// unreachable signer.
func (s *Server) Close() { s.srv.Close() }

// Address is the account the signer signs for.
func (s *Server) Address() common.Address { return s.addr }

// Calls counts the signing requests answered (signed or refused).
func (s *Server) Calls() int64 { return s.calls.Load() }

func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Token != "" {
			_, pw, _ := r.BasicAuth()
			if pw != s.opts.Token && r.URL.Query().Get("token") != s.opts.Token {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sign signs args as Clef does: the account must be the one held, the
// chain id (if given) the configured one.
func (s *Server) sign(args apitypes.SendTxArgs) (*types.Transaction, error) {
	s.calls.Add(1)
	if args.From.Address() != s.addr {
		return nil, fmt.Errorf("account %s not found", args.From.Address())
	}
	chainID := new(big.Int).SetUint64(s.opts.ChainID)
	if args.ChainID != nil && args.ChainID.ToInt().Cmp(chainID) != 0 {
		return nil, fmt.Errorf("requested chainid %d does not match the configuration of the signer", args.ChainID.ToInt())
	}
	tx, err := args.ToTransaction()
	if err != nil {
		return nil, err
	}
	if s.opts.Tamper != nil {
		inner, ok := txData(tx)
		if !ok {
			return nil, errors.New("signertest: tamper needs a dynamic-fee transaction")
		}
		s.opts.Tamper(inner)
		tx = types.NewTx(inner)
	}
	key := s.key
	if s.opts.SignWith != nil {
		key = s.opts.SignWith
	}
	return types.SignTx(tx, types.LatestSignerForChainID(chainID), key)
}

func txData(tx *types.Transaction) (*types.DynamicFeeTx, bool) {
	if tx.Type() != types.DynamicFeeTxType {
		return nil, false
	}
	return &types.DynamicFeeTx{ChainID: tx.ChainId(), Nonce: tx.Nonce(), GasTipCap: tx.GasTipCap(), GasFeeCap: tx.GasFeeCap(),
		Gas: tx.Gas(), To: tx.To(), Value: tx.Value(), Data: tx.Data(), AccessList: tx.AccessList()}, true
}

// SignTransactionResult is Clef's answer (go-ethereum's
// ethapi.SignTransactionResult).
type SignTransactionResult struct {
	Raw hexutil.Bytes      `json:"raw"`
	Tx  *types.Transaction `json:"tx"`
}

type clefAPI struct{ s *Server }

// SignTransaction is account_signTransaction. Clef's signature has an
// optional method selector after the arguments; so has this one.
func (a *clefAPI) SignTransaction(_ context.Context, args apitypes.SendTxArgs, _ *string) (*SignTransactionResult, error) {
	tx, err := a.s.sign(args)
	if err != nil {
		return nil, err
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &SignTransactionResult{Raw: raw, Tx: tx}, nil
}

type ethAPI struct{ s *Server }

// SignTransaction is eth_signTransaction as web3signer answers it.
func (a *ethAPI) SignTransaction(_ context.Context, args apitypes.SendTxArgs) (hexutil.Bytes, error) {
	tx, err := a.s.sign(args)
	if err != nil {
		return nil, err
	}
	return tx.MarshalBinary()
}
