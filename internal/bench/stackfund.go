package bench

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/internal/devstack"
	"github.com/cartesi/sequencer/l1/bindings"
)

// Gas limits of the funding transactions. Fixed rather than estimated: a
// deposit cannot be estimated before its approval is mined, and all are sent
// at once. anvil packs blocks by gas used, so generous limits cost no room.
const (
	ethTransferGas   = 21_000
	tokenTransferGas = 100_000
	approveGas       = 100_000 // uses ~46k
	depositGas       = 200_000 // uses ~78k (~112k the first input of an InputBox)
	// rpcBatch is how many calls go in one JSON-RPC batch.
	rpcBatch = 200
	// waveGas bounds the gas limits of one wave of funding transactions:
	// well inside anvil's 30M block, with room for the batch submitter's.
	waveGas = 24_000_000
	// rebroadcastAfter is how long a wave may wait before its missing
	// transactions are broadcast again.
	rebroadcastAfter = 10 * time.Second
)

// senderETH is the gas money each new sender gets: an approval and a
// deposit at up to ~150 gwei, far above what anvil charges.
var senderETH = new(big.Int).Exp(big.NewInt(10), big.NewInt(17), nil) // 0.1 ETH

// funding funds new senders as users are funded: ETH and test tokens from a
// dev account on L1, then each sender approves the ERC20Portal and deposits
// through it; the sequencer credits the deposits once they are safe and
// drained. Nothing is written to the sequencer's database.
type funding struct {
	rpc    *rpc.Client
	db     *pgxpool.Pool
	target stackTarget
	// funders pay the senders' ETH and tokens (the dev funded accounts,
	// whose tokens are on L1).
	funders []*ecdsa.PrivateKey
	tokens  *big.Int // per sender, in token units (18 decimals)
	// mineSafe mines SafeDistance+1 blocks at once after the deposits (as
	// `make dev` does at start), so they are safe without waiting 32 block
	// times.
	mineSafe bool
	progress func(msg string, args ...any)
}

// run funds senders and returns once the sequencer has drained every
// deposit. Not idempotent: every call sends new transfers and deposits.
func (f *funding) run(ctx context.Context, senders []*stackSender) error {
	tokenABI, err := bindings.ERC20PresetFixedSupplyMetaData.GetAbi()
	if err != nil {
		return fmt.Errorf("token abi: %w", err)
	}
	portalABI, err := bindings.ERC20PortalMetaData.GetAbi()
	if err != nil {
		return fmt.Errorf("portal abi: %w", err)
	}
	signer := types.LatestSignerForChainID(new(big.Int).SetUint64(f.target.ChainID))
	tip, feeCap, err := f.fees(ctx)
	if err != nil {
		return err
	}
	// 1. ETH and tokens from the funders (sender i from funder i mod n),
	// each at its consecutive nonces.
	start := time.Now()
	var txs []*types.Transaction
	for fi, funder := range f.funders {
		var mine []*stackSender
		for i := fi; i < len(senders); i += len(f.funders) {
			mine = append(mine, senders[i])
		}
		if len(mine) == 0 {
			continue
		}
		if err := f.checkFunder(ctx, tokenABI, funder, len(mine)); err != nil {
			return err
		}
		var nonce hexutil.Uint64
		if err := f.rpc.CallContext(ctx, &nonce, "eth_getTransactionCount", crypto.PubkeyToAddress(funder.PublicKey), "pending"); err != nil {
			return fmt.Errorf("funder nonce: %w", err)
		}
		n := uint64(nonce)
		for _, s := range mine {
			data, err := tokenABI.Pack("transfer", s.addr, f.tokens)
			if err != nil {
				return fmt.Errorf("encode transfer: %w", err)
			}
			for _, tx := range []*types.DynamicFeeTx{
				{Nonce: n, To: &s.addr, Value: senderETH, Gas: ethTransferGas},
				{Nonce: n + 1, To: &f.target.Token, Data: data, Gas: tokenTransferGas},
			} {
				tx.ChainID, tx.GasTipCap, tx.GasFeeCap = new(big.Int).SetUint64(f.target.ChainID), tip, feeCap
				signed, err := types.SignNewTx(funder, signer, tx)
				if err != nil {
					return fmt.Errorf("sign funding: %w", err)
				}
				txs = append(txs, signed)
			}
			n += 2
		}
	}
	if err := f.sendAndWait(ctx, txs); err != nil {
		return fmt.Errorf("fund senders with ETH and tokens: %w", err)
	}
	f.progress("senders hold ETH and tokens", "senders", len(senders), "took", time.Since(start).Round(time.Millisecond))

	// 2. Each sender approves the portal and deposits (nonces 0 and 1).
	start = time.Now()
	txs = txs[:0]
	approve, err := tokenABI.Pack("approve", f.target.Portal, f.tokens)
	if err != nil {
		return fmt.Errorf("encode approve: %w", err)
	}
	deposit, err := portalABI.Pack("depositERC20Tokens", f.target.Token, f.target.App, f.tokens, []byte{})
	if err != nil {
		return fmt.Errorf("encode deposit: %w", err)
	}
	for _, s := range senders {
		for _, tx := range []*types.DynamicFeeTx{
			{Nonce: 0, To: &f.target.Token, Data: approve, Gas: approveGas},
			{Nonce: 1, To: &f.target.Portal, Data: deposit, Gas: depositGas},
		} {
			tx.ChainID, tx.GasTipCap, tx.GasFeeCap = new(big.Int).SetUint64(f.target.ChainID), tip, feeCap
			signed, err := types.SignNewTx(s.key, signer, tx)
			if err != nil {
				return fmt.Errorf("sign deposit: %w", err)
			}
			txs = append(txs, signed)
		}
	}
	if err := f.sendAndWait(ctx, txs); err != nil {
		return fmt.Errorf("deposit through the portal: %w", err)
	}
	f.progress("deposits mined", "deposits", len(senders), "took", time.Since(start).Round(time.Millisecond))
	last, err := f.lastInputIndex(ctx, txs)
	if err != nil {
		return err
	}

	// 3. The sequencer sees them once safe, then drains them.
	start = time.Now()
	if f.mineSafe {
		if err := f.rpc.CallContext(ctx, nil, "anvil_mine", hexutil.Uint64(devstack.SafeDistance+1)); err != nil {
			return fmt.Errorf("anvil_mine (use --mine-safe=false on a chain without it): %w", err)
		}
	}
	if err := f.awaitDrained(ctx, last); err != nil {
		return err
	}
	f.progress("deposits drained by the sequencer", "last_input_index", last, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// fees are a tip and a fee cap comfortably above the current base fee.
func (f *funding) fees(ctx context.Context) (tip, feeCap *big.Int, err error) {
	var head struct {
		BaseFee *hexutil.Big `json:"baseFeePerGas"`
	}
	if err := f.rpc.CallContext(ctx, &head, "eth_getBlockByNumber", "latest", false); err != nil {
		return nil, nil, fmt.Errorf("latest block: %w", err)
	}
	tip = big.NewInt(1_000_000_000) // 1 gwei
	base := big.NewInt(0)
	if head.BaseFee != nil {
		base = head.BaseFee.ToInt()
	}
	feeCap = new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(3)), tip)
	return tip, feeCap, nil
}

// checkFunder fails early, with the numbers, when the funder cannot pay.
func (f *funding) checkFunder(ctx context.Context, tokenABI *abi.ABI, funder *ecdsa.PrivateKey, senders int) error {
	addr := crypto.PubkeyToAddress(funder.PublicKey)
	var eth hexutil.Big
	if err := f.rpc.CallContext(ctx, &eth, "eth_getBalance", addr, "latest"); err != nil {
		return fmt.Errorf("funder balance: %w", err)
	}
	needETH := new(big.Int).Mul(senderETH, big.NewInt(int64(senders)+1))
	if eth.ToInt().Cmp(needETH) < 0 {
		return fmt.Errorf("funder %s holds %s wei, needs about %s for %d senders", addr, eth.ToInt(), needETH, senders)
	}
	data, err := tokenABI.Pack("balanceOf", addr)
	if err != nil {
		return err
	}
	var out hexutil.Bytes
	if err := f.rpc.CallContext(ctx, &out, "eth_call", map[string]any{"to": f.target.Token, "data": hexutil.Bytes(data)}, "latest"); err != nil {
		return fmt.Errorf("funder token balance: %w", err)
	}
	have := new(big.Int).SetBytes(out)
	need := new(big.Int).Mul(f.tokens, big.NewInt(int64(senders)))
	if have.Cmp(need) < 0 {
		return fmt.Errorf("funder %s holds %s token units, needs %s (%d senders × %s): lower --deposit", addr, have, need, senders, f.tokens)
	}
	return nil
}

// sendAndWait broadcasts txs in waves that fit one block, each in JSON-RPC
// batches and in order, waiting until a wave is mined (and succeeded)
// before the next. anvil (1.x) drops the transactions a full block leaves
// over instead of keeping them for the next block, so a wave's gas limits
// add up to at most waveGas; a transaction still missing after a while is
// broadcast again (the same signed bytes: at worst "already known").
func (f *funding) sendAndWait(ctx context.Context, txs []*types.Transaction) error {
	for lo := 0; lo < len(txs); {
		hi, gas := lo, uint64(0)
		for hi < len(txs) && (hi == lo || gas+txs[hi].Gas() <= waveGas) {
			gas += txs[hi].Gas()
			hi++
		}
		if err := f.broadcast(ctx, txs[lo:hi], false); err != nil {
			return err
		}
		if err := f.awaitWave(ctx, txs[lo:hi]); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// broadcast sends txs with eth_sendRawTransaction in batches, in order. A
// rebroadcast ignores per-transaction errors (the node knows it, or it was
// just mined).
func (f *funding) broadcast(ctx context.Context, txs []*types.Transaction, again bool) error {
	for lo := 0; lo < len(txs); lo += rpcBatch {
		hi := min(lo+rpcBatch, len(txs))
		batch := make([]rpc.BatchElem, 0, hi-lo)
		for _, tx := range txs[lo:hi] {
			raw, err := tx.MarshalBinary()
			if err != nil {
				return err
			}
			batch = append(batch, rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(raw)}, Result: new(common.Hash)})
		}
		if err := f.rpc.BatchCallContext(ctx, batch); err != nil {
			return fmt.Errorf("broadcast: %w", err)
		}
		for i, e := range batch {
			if e.Error != nil && !again {
				return fmt.Errorf("broadcast %s: %w", txs[lo+i].Hash(), e.Error)
			}
		}
	}
	return nil
}

// awaitWave waits until every tx of a wave is mined and succeeded,
// broadcasting the missing ones again every rebroadcastAfter.
func (f *funding) awaitWave(ctx context.Context, txs []*types.Transaction) error {
	byHash := make(map[common.Hash]*types.Transaction, len(txs))
	for _, tx := range txs {
		byHash[tx.Hash()] = tx
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, missing, err := awaitReceipts(ctx, f.rpc, txHashes(txs), rebroadcastAfter)
		if err != nil || len(missing) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d transactions not mined after 2 minutes (first %s)", len(missing), len(txs), missing[0])
		}
		again := make([]*types.Transaction, len(missing))
		for i, h := range missing {
			again[i] = byHash[h]
		}
		if err := f.broadcast(ctx, again, true); err != nil {
			return err
		}
	}
}

func txHashes(txs []*types.Transaction) []common.Hash {
	out := make([]common.Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.Hash()
	}
	return out
}

// awaitReceipts polls until every hash has a receipt or timeout passes; it
// returns the receipts and the hashes still missing, failing on a reverted
// transaction.
func awaitReceipts(ctx context.Context, rc *rpc.Client, hashes []common.Hash, timeout time.Duration) (map[common.Hash]*types.Receipt, []common.Hash, error) {
	got := make(map[common.Hash]*types.Receipt, len(hashes))
	missing := hashes
	deadline := time.Now().Add(timeout)
	for {
		more, err := fetchReceipts(ctx, rc, missing)
		if err != nil {
			return nil, nil, err
		}
		var still []common.Hash
		for _, h := range missing {
			r, ok := more[h]
			switch {
			case !ok:
				still = append(still, h)
			case r.Status != types.ReceiptStatusSuccessful:
				return nil, nil, fmt.Errorf("transaction %s reverted", h)
			default:
				got[h] = r
			}
		}
		missing = still
		if len(missing) == 0 || time.Now().After(deadline) {
			return got, missing, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// fetchReceipts reads the receipts of hashes in JSON-RPC batches; a
// transaction not mined yet is absent from the result.
func fetchReceipts(ctx context.Context, rc *rpc.Client, hashes []common.Hash) (map[common.Hash]*types.Receipt, error) {
	out := make(map[common.Hash]*types.Receipt, len(hashes))
	for lo := 0; lo < len(hashes); lo += rpcBatch {
		hi := min(lo+rpcBatch, len(hashes))
		batch := make([]rpc.BatchElem, hi-lo)
		rcpts := make([]*types.Receipt, hi-lo)
		for i, h := range hashes[lo:hi] {
			batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &rcpts[i]}
		}
		if err := rc.BatchCallContext(ctx, batch); err != nil {
			return nil, fmt.Errorf("receipts: %w", err)
		}
		for i, e := range batch {
			if e.Error != nil {
				return nil, fmt.Errorf("receipt %s: %w", hashes[lo+i], e.Error)
			}
			if rcpts[i] != nil {
				out[hashes[lo+i]] = rcpts[i]
			}
		}
	}
	return out, nil
}

// lastInputIndex is the highest InputBox index among the deposits in txs.
func (f *funding) lastInputIndex(ctx context.Context, txs []*types.Transaction) (uint64, error) {
	rcpts, err := fetchReceipts(ctx, f.rpc, txHashes(txs))
	if err != nil {
		return 0, err
	}
	ib, err := bindings.NewInputBoxFilterer(f.target.InputBox, nil)
	if err != nil {
		return 0, err
	}
	var last uint64
	found := false
	for _, r := range rcpts {
		for _, l := range r.Logs {
			if l.Address != f.target.InputBox {
				continue
			}
			ev, err := ib.ParseInputAdded(*l)
			if err != nil || ev.AppContract != f.target.App {
				continue
			}
			last, found = max(last, ev.Index.Uint64()), true
		}
	}
	if !found {
		return 0, errors.New("the deposits added no input to the application's InputBox")
	}
	return last, nil
}

// awaitDrained polls the database (read only) until the lane has sequenced
// the direct input at index last in a valid batch: inputs drain in index
// order, so every deposit before it is drained too.
func (f *funding) awaitDrained(ctx context.Context, last uint64) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var drained int64
		err := f.db.QueryRow(ctx, `SELECT coalesce(max(s.safe_input_index), -1) FROM sequenced_l2_txs s
			JOIN batches b ON b.id = s.batch_id
			WHERE s.safe_input_index IS NOT NULL AND b.invalidated_at IS NULL`).Scan(&drained)
		if err != nil {
			return fmt.Errorf("read drained inputs: %w", err)
		}
		if drained >= int64(last) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deposit input %d not drained after 5 minutes (drained up to %d): is the worker's observer running?", last, drained)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
