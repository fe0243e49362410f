package l1

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/cartesi/sequencer/l1/bindings"
)

// Fee estimation parameters (protocol: eth_feeHistory over 10 blocks, 20th
// percentile tip, max fee = 2·base + tip); the replacement rule is in replacement.go.
const (
	feeHistoryBlocks     = 10
	feeHistoryPercentile = 20
	// DefaultGasMarginPercent is added to eth_estimateGas's answer.
	DefaultGasMarginPercent = 25
	// SelfTransferGas is the gas limit of a 0-ETH self-transfer.
	SelfTransferGas = 21_000
)

// PosterConfig configures a Poster.
type PosterConfig struct {
	ChainID  uint64            // configured chain id (SEQ_CHAIN_ID)
	InputBox common.Address    // resolved InputBox address (see Reader.ResolveInputBox)
	App      common.Address    // application address (SEQ_APP_ADDRESS)
	Key      *ecdsa.PrivateKey // batch submitter key; never logged (or Signer)
	// Signer signs the transactions (signer.go); nil means a KeySigner of
	// Key. Exactly one of Key and Signer.
	Signer Signer
	// GasMarginPercent is added to estimated gas; 0 means
	// DefaultGasMarginPercent.
	GasMarginPercent uint64
}

// Fees are EIP-1559 fee caps, in wei per gas.
type Fees struct {
	TipCap *big.Int // max priority fee per gas
	FeeCap *big.Int // max fee per gas
}

// String formats the fees for logs.
func (f Fees) String() string { return fmt.Sprintf("tip %s fee %s", f.TipCap, f.FeeCap) }

// Poster builds, signs and sends the batch submitter's transactions:
// InputBox.addInput(app, batch) and the 0-ETH self-transfers of the recovery
// flush. It keeps no state besides its configuration, so every method is safe
// to retry and to call concurrently; what a retry does is said per method.
//
// Write-before-broadcast is the caller's job: before Send of a transaction at
// wallet nonce n, the caller must have durably raised wallet_nonce_watermark
// to at least n (recovery flushes every nonce up to the watermark, and only
// those). Building and signing write nothing and may happen before.
type Poster struct {
	rpc      *rpc.Client
	eth      *ethclient.Client
	chainID  uint64
	inputBox common.Address
	app      common.Address
	key      Signer
	from     common.Address
	margin   uint64
	addInput abi.Method
	signer   types.Signer
}

// NewPoster returns a Poster over rc (the caller keeps ownership of rc).
func NewPoster(rc *rpc.Client, cfg PosterConfig) (*Poster, error) {
	switch {
	case cfg.ChainID == 0:
		return nil, errors.New("l1: poster: chain id not configured")
	case (cfg.Key == nil) == (cfg.Signer == nil):
		return nil, errors.New("l1: poster: set exactly one of the submitter key and a signer")
	case cfg.InputBox == (common.Address{}):
		return nil, fmt.Errorf("l1: poster: %w", ErrNoInputBox)
	case cfg.App == (common.Address{}):
		return nil, errors.New("l1: poster: app address not configured")
	}
	box, err := bindings.InputBoxMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("l1: input box abi: %w", err)
	}
	margin := cfg.GasMarginPercent
	if margin == 0 {
		margin = DefaultGasMarginPercent
	}
	key := cfg.Signer
	if key == nil {
		key = NewKeySigner(cfg.Key)
	}
	return &Poster{
		rpc:      rc,
		eth:      ethclient.NewClient(rc),
		chainID:  cfg.ChainID,
		inputBox: cfg.InputBox,
		app:      cfg.App,
		key:      key,
		from:     key.Address(),
		margin:   margin,
		addInput: box.Methods["addInput"],
		signer:   types.LatestSignerForChainID(new(big.Int).SetUint64(cfg.ChainID)),
	}, nil
}

// Address is the submitter's address.
func (p *Poster) Address() common.Address { return p.from }

// CheckChainID verifies that the node serves the configured chain
// (ErrChainIDMismatch otherwise, terminal). Retry: asks again.
func (p *Poster) CheckChainID(ctx context.Context) error {
	return checkChainID(ctx, p.eth, p.chainID)
}

// Nonces returns the submitter account's transaction count at the latest,
// pending and safe blocks. Read-only; a retry reads again.
func (p *Poster) Nonces(ctx context.Context) (latest, pending, safe uint64, err error) {
	var n [3]hexutil.Uint64
	for i, tag := range []string{"latest", "pending", "safe"} {
		if err := p.rpc.CallContext(ctx, &n[i], "eth_getTransactionCount", p.from, tag); err != nil {
			return 0, 0, 0, transient("eth_getTransactionCount "+tag, err)
		}
	}
	return uint64(n[0]), uint64(n[1]), uint64(n[2]), nil
}

// SuggestFees estimates fees from eth_feeHistory over the last 10 blocks:
// the tip is the median of the blocks' 20th-percentile rewards (blocks
// without transactions ignored; eth_maxPriorityFeePerGas when no block had
// any), the fee cap 2·(next block's base fee) + tip. Read-only; a retry
// estimates again (and may answer differently).
func (p *Poster) SuggestFees(ctx context.Context) (Fees, error) {
	base, tip, err := estimateGasPrice(ctx, p.eth)
	if err != nil {
		return Fees{}, err
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(2)), tip)
	return Fees{TipCap: tip, FeeCap: feeCap}, nil
}

// estimateGasPrice is SuggestFees's estimate, shared with the fee oracle
// (feeoracle.go): the next block's base fee and the tip.
func estimateGasPrice(ctx context.Context, eth *ethclient.Client) (base, tip *big.Int, err error) {
	fh, err := eth.FeeHistory(ctx, feeHistoryBlocks, nil, []float64{feeHistoryPercentile})
	if err != nil {
		return nil, nil, transient("eth_feeHistory", err)
	}
	if len(fh.BaseFee) == 0 || fh.BaseFee[len(fh.BaseFee)-1] == nil {
		return nil, nil, transient("eth_feeHistory", errors.New("no base fee (pre-London chain?)"))
	}
	base = fh.BaseFee[len(fh.BaseFee)-1]
	var tips []*big.Int
	for i, r := range fh.Reward {
		if len(r) == 0 || r[0] == nil || (i < len(fh.GasUsedRatio) && fh.GasUsedRatio[i] == 0) {
			continue
		}
		tips = append(tips, r[0])
	}
	if len(tips) > 0 {
		slices.SortFunc(tips, func(a, b *big.Int) int { return a.Cmp(b) })
		tip = new(big.Int).Set(tips[len(tips)/2])
	} else {
		tip, err = eth.SuggestGasTipCap(ctx)
		if err != nil {
			return nil, nil, transient("eth_maxPriorityFeePerGas", err)
		}
	}
	return base, tip, nil
}

// AddInputData is the calldata of InputBox.addInput(app, payload).
func (p *Poster) AddInputData(payload []byte) ([]byte, error) {
	data, err := p.addInput.Inputs.Pack(p.app, payload)
	if err != nil {
		return nil, fmt.Errorf("l1: encode addInput: %w", err)
	}
	return append(slices.Clone(p.addInput.ID), data...), nil
}

// EstimateAddInputGas estimates the gas of addInput(app, payload) from the
// submitter, plus the safety margin. A call that would revert (e.g. a
// payload over the InputBox limit) is ErrReverted. Read-only.
func (p *Poster) EstimateAddInputGas(ctx context.Context, payload []byte) (uint64, error) {
	data, err := p.AddInputData(payload)
	if err != nil {
		return 0, err
	}
	gas, err := p.eth.EstimateGas(ctx, ethereum.CallMsg{From: p.from, To: &p.inputBox, Data: data})
	if err != nil {
		switch {
		case containsAny(err, "insufficient funds"):
			return 0, fmt.Errorf("estimate addInput gas: %w: %w", ErrInsufficientFunds, err)
		case isRevert(err):
			return 0, fmt.Errorf("estimate addInput gas: %w: %w", ErrReverted, err)
		}
		return 0, transient("eth_estimateGas addInput", err)
	}
	return gas + gas*p.margin/100, nil
}

// EstimateAddInputGasUpTo returns a gas limit (margin included) that
// covers addInput(app, payload) for every payload of at most size bytes: it
// estimates a synthetic payload of exactly size non-zero bytes. What the
// InputBox spends depends on the payload's length only (ABI copy, keccak and
// log data are priced per byte or word, the storage writes are fixed),
// except calldata, which costs most for non-zero bytes; so the synthetic
// payload is the worst case of its length. One estimate covers a whole
// submission round (the longest payload of the round), instead of one per
// transaction. A payload of size bytes over the InputBox limit is
// ErrReverted. Read-only.
func (p *Poster) EstimateAddInputGasUpTo(ctx context.Context, size int) (uint64, error) {
	return p.EstimateAddInputGas(ctx, bytes.Repeat([]byte{0xff}, size))
}

// SignAddInput signs the EIP-1559 transaction calling
// InputBox.addInput(app, payload) at nonce with the given fees and gas limit;
// no I/O but the signer's (none for a key, one request for a remote signer).
// Deterministic: the same arguments give the same transaction and hash.
func (p *Poster) SignAddInput(ctx context.Context, payload []byte, nonce uint64, fees Fees, gas uint64) (*types.Transaction, error) {
	data, err := p.AddInputData(payload)
	if err != nil {
		return nil, err
	}
	return p.sign(ctx, &p.inputBox, data, nonce, fees, gas)
}

// BuildAddInput checks the chain id, estimates the gas and signs the
// addInput(app, payload) transaction at nonce with fees. It sends nothing.
// A retry builds again; the gas estimate, hence the hash, may differ — to
// re-send the very same transaction, keep it (tx.MarshalBinary) or its gas
// limit (SignAddInput).
func (p *Poster) BuildAddInput(ctx context.Context, payload []byte, nonce uint64, fees Fees) (*types.Transaction, error) {
	if err := p.CheckChainID(ctx); err != nil {
		return nil, err
	}
	gas, err := p.EstimateAddInputGas(ctx, payload)
	if err != nil {
		return nil, err
	}
	return p.SignAddInput(ctx, payload, nonce, fees, gas)
}

// BuildSelfTransfer checks the chain id and signs a 0-ETH transfer from the
// submitter to itself at nonce (21,000 gas): the no-op that consumes a
// wallet nonce in the recovery flush. It sends nothing; for the same
// arguments it returns the same transaction.
func (p *Poster) BuildSelfTransfer(ctx context.Context, nonce uint64, fees Fees) (*types.Transaction, error) {
	if err := p.CheckChainID(ctx); err != nil {
		return nil, err
	}
	to := p.from
	return p.sign(ctx, &to, nil, nonce, fees, SelfTransferGas)
}

func (p *Poster) sign(ctx context.Context, to *common.Address, data []byte, nonce uint64, fees Fees, gas uint64) (*types.Transaction, error) {
	if fees.TipCap == nil || fees.FeeCap == nil || fees.TipCap.Sign() < 0 || fees.FeeCap.Cmp(fees.TipCap) < 0 {
		return nil, fmt.Errorf("l1: invalid fees (%s)", fees)
	}
	unsigned := types.NewTx(&types.DynamicFeeTx{
		ChainID:   new(big.Int).SetUint64(p.chainID),
		Nonce:     nonce,
		GasTipCap: new(big.Int).Set(fees.TipCap),
		GasFeeCap: new(big.Int).Set(fees.FeeCap),
		Gas:       gas,
		To:        to,
		Value:     new(big.Int),
		Data:      data,
	})
	tx, err := p.key.SignTx(ctx, unsigned, new(big.Int).SetUint64(p.chainID))
	if err != nil {
		return nil, fmt.Errorf("l1: sign transaction: %w", err)
	}
	if err := checkSigned(p.signer, unsigned, tx, p.from); err != nil {
		return nil, fmt.Errorf("l1: sign transaction: %w", err)
	}
	return tx, nil
}

// Send broadcasts a signed transaction (eth_sendRawTransaction). The caller
// must have raised the wallet-nonce watermark to the transaction's nonce
// before calling (write-before-broadcast).
//
// Errors: "already known", "replacement transaction underpriced" and "nonce
// too low" wrap ErrCheckReceipt — the transaction or another at its nonce is
// pending or mined; check receipts, never take a new nonce. Insufficient
// funds wraps ErrInsufficientFunds. Anything else wraps ErrTransient (the
// transaction may or may not have reached the node).
//
// Retry: re-sending the same transaction is harmless — the node answers
// "already known" (or "nonce too low" once it is mined), i.e. ErrCheckReceipt.
func (p *Poster) Send(ctx context.Context, tx *types.Transaction) error {
	err := p.eth.SendTransaction(ctx, tx)
	if err == nil {
		return nil
	}
	return classifySend(tx, err)
}

func classifySend(tx *types.Transaction, err error) error {
	what := fmt.Sprintf("send %s (nonce %d)", tx.Hash(), tx.Nonce())
	switch {
	case containsAny(err, "already known", "known transaction", "already imported", "alreadyknown",
		"replacement transaction underpriced", "replacement underpriced",
		"nonce too low", "nonce has already been used", "noncetoolow"):
		return fmt.Errorf("%s: %w: %w", what, ErrCheckReceipt, err)
	case containsAny(err, "insufficient funds", "insufficient balance"):
		return fmt.Errorf("%s: %w: %w", what, ErrInsufficientFunds, err)
	}
	return transient(what, err)
}

// Receipt returns the receipt of a mined transaction and its confirmations
// (latest block − receipt block + 1). A transaction not mined (or unknown)
// returns a nil receipt, 0 and no error. Read-only; a retry reads again.
// The receipt's Status tells whether addInput succeeded.
func (p *Poster) Receipt(ctx context.Context, hash common.Hash) (*types.Receipt, uint64, error) {
	rcpt, err := p.eth.TransactionReceipt(ctx, hash)
	if errors.Is(err, ethereum.NotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, transient("receipt "+hash.Hex(), err)
	}
	latest, err := p.eth.BlockNumber(ctx)
	if err != nil {
		return nil, 0, transient("eth_blockNumber", err)
	}
	block := rcpt.BlockNumber.Uint64()
	if latest < block {
		return rcpt, 0, nil
	}
	return rcpt, latest - block + 1, nil
}
