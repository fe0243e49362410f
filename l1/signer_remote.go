package l1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cartesi/sequencer/internal/logging"
)

// JSON-RPC methods a RemoteSigner can call: both take one transaction
// arguments object ({from, to, gas, maxFeePerGas, maxPriorityFeePerGas,
// value, nonce, data, chainId}).
const (
	// MethodClefSignTransaction is Clef's external API method; its result is
	// {raw: <signed RLP>, tx: <transaction object>}.
	MethodClefSignTransaction = "account_signTransaction"
	// MethodEthSignTransaction is web3signer's (and geth's) method; its
	// result is the signed transaction's bytes (web3signer) or the same
	// object as Clef's (geth). Both are accepted.
	MethodEthSignTransaction = "eth_signTransaction"
)

// RemoteSigner asks a signer service over JSON-RPC to sign: Clef
// (account_signTransaction) or web3signer (eth_signTransaction). The key
// never enters this process; the service may apply its own rules (Clef's
// rule files) and may refuse. Each SignTx is one request; a retry asks
// again and, nothing having been sent, is harmless.
type RemoteSigner struct {
	rc     *rpc.Client
	addr   common.Address
	method string
	host   string // the endpoint without credentials, for errors
}

// DialRemoteSigner connects to the signer service at rawURL (http or
// https; credentials in the URL are sent as HTTP basic auth and never
// printed) signing for addr with method (MethodClefSignTransaction when
// empty). Nothing is requested until the first SignTx. Close releases it.
func DialRemoteSigner(ctx context.Context, rawURL string, addr common.Address, method string) (*RemoteSigner, error) {
	if method == "" {
		method = MethodClefSignTransaction
	}
	if method != MethodClefSignTransaction && method != MethodEthSignTransaction {
		return nil, fmt.Errorf("%w: unknown method %q", ErrSigner, method)
	}
	if addr == (common.Address{}) {
		return nil, fmt.Errorf("%w: no account address for the remote signer", ErrSigner)
	}
	rc, err := rpc.DialOptions(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: %w", ErrSigner, logging.RedactURL(rawURL), stripURL(err))
	}
	return &RemoteSigner{rc: rc, addr: addr, method: method, host: logging.RedactURL(rawURL)}, nil
}

// Close closes the connection.
func (s *RemoteSigner) Close() { s.rc.Close() }

// Address is the account the service signs for.
func (s *RemoteSigner) Address() common.Address { return s.addr }

// String names the service without credentials.
func (s *RemoteSigner) String() string {
	return fmt.Sprintf("remote signer %s at %s (%s)", s.addr.Hex(), s.host, s.method)
}

// SignTx asks the service to sign tx (EIP-1559 or legacy; no blobs) for
// chainID. The answer is decoded and returned as is; the Poster checks it
// (checkSigned). Errors wrap ErrSigner: transport failures (retry) and the
// service's refusals alike.
func (s *RemoteSigner) SignTx(ctx context.Context, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	args, err := s.sendTxArgs(tx, chainID)
	if err != nil {
		return nil, err
	}
	var res json.RawMessage
	if err := s.rc.CallContext(ctx, &res, s.method, args); err != nil {
		return nil, fmt.Errorf("%w: %s at %s (nonce %d): %w", ErrSigner, s.method, s.host, tx.Nonce(), stripURL(err))
	}
	raw, err := decodeSignResult(res)
	if err != nil {
		return nil, fmt.Errorf("%w: %s at %s: %w", ErrSigner, s.method, s.host, err)
	}
	signed := new(types.Transaction)
	if err := signed.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%w: %s at %s: decode the signed transaction: %w", ErrSigner, s.method, s.host, err)
	}
	return signed, nil
}

func (s *RemoteSigner) sendTxArgs(tx *types.Transaction, chainID *big.Int) (*apitypes.SendTxArgs, error) {
	data := hexutil.Bytes(tx.Data())
	args := &apitypes.SendTxArgs{
		From:  common.NewMixedcaseAddress(s.addr),
		Gas:   hexutil.Uint64(tx.Gas()),
		Value: hexutil.Big(*tx.Value()),
		Nonce: hexutil.Uint64(tx.Nonce()),
		Data:  &data,
	}
	if to := tx.To(); to != nil {
		m := common.NewMixedcaseAddress(*to)
		args.To = &m
	}
	switch tx.Type() {
	case types.DynamicFeeTxType:
		args.MaxFeePerGas = (*hexutil.Big)(tx.GasFeeCap())
		args.MaxPriorityFeePerGas = (*hexutil.Big)(tx.GasTipCap())
	case types.LegacyTxType:
		args.GasPrice = (*hexutil.Big)(tx.GasPrice())
	default:
		return nil, fmt.Errorf("%w: transaction type %d not supported by the remote signer", ErrSigner, tx.Type())
	}
	if chainID != nil && chainID.Sign() > 0 {
		args.ChainID = (*hexutil.Big)(chainID)
	}
	return args, nil
}

// decodeSignResult accepts Clef's (and geth's) {raw, tx} object and
// web3signer's bare hex string.
func decodeSignResult(res json.RawMessage) ([]byte, error) {
	var raw hexutil.Bytes
	if len(res) > 0 && res[0] == '"' {
		if err := json.Unmarshal(res, &raw); err != nil {
			return nil, fmt.Errorf("result is not hex: %w", err)
		}
		return raw, nil
	}
	var obj struct {
		Raw hexutil.Bytes `json:"raw"`
	}
	if err := json.Unmarshal(res, &obj); err != nil {
		return nil, fmt.Errorf("result is neither {raw, tx} nor a hex string: %w", err)
	}
	if len(obj.Raw) == 0 {
		return nil, errors.New("result has no raw transaction")
	}
	return obj.Raw, nil
}

// stripURL replaces the request URL net/http quotes in its errors (with
// the query, where a token may be) by its redacted form.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, logging.RedactURL(ue.URL), ue.Err)
	}
	return err
}
