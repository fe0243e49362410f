package modeltest

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/l1/bindings"
	"github.com/cartesi/sequencer/protocol/scheduler"
)

// simL1 is an in-process L1: a chain of blocks, the batch submitter's
// account nonce, one node's mempool (by nonce, replacement by a ≥10% fee
// bump) and the InputBox of one application. It implements the activities'
// narrow interfaces (Reader, Poster, SelfTransferBuilder, Chain). The
// adversary drives it directly: it mines blocks with whatever known
// transaction it likes at the account's next nonce (the node's pending one,
// an older replaced one, a dropped one), drops pending transactions, re-injects
// them, delays everything, and jumps far ahead. Safe is latest − safeLag.
//
// Every transaction ever sent is remembered (known): a miner elsewhere may
// still hold it, so it can land later as a zombie.
type simL1 struct {
	mu sync.Mutex

	chainID  uint64
	app      common.Address
	inputBox common.Address
	key      *ecdsa.PrivateKey
	from     common.Address
	signer   types.Signer
	poster   *l1.Poster
	addInput abi.Method

	genesisTime uint64
	blocks      []simBlock // blocks[n] is block n; blocks[0] is genesis
	safe        uint64
	safeLag     uint64
	inputs      []simInput // the app's InputBox, in order
	pool        map[uint64]*simTx
	known       []*simTx // every distinct transaction ever sent, in order
	knownByHash map[common.Hash]*simTx
	deposits    []simInput // direct inputs waiting for the next block

	// Fault injection, armed per step: the call after `faultAfter` more sim
	// calls fails (a provider error or a worker killed mid-activity). For
	// Send, faultAccept makes the node accept the transaction before the
	// error (a lost reply).
	faultArmed  bool
	faultAfter  int
	faultAccept bool
	faulted     bool
	// noncesBudget, when ≥ 0, lets that many Nonces calls through, then
	// fails: it stops a polling activity (FlushMempool) after one round.
	noncesBudget int

	// onSend is called before the node looks at a sent transaction.
	onSend func(tx *types.Transaction)
}

type simBlock struct {
	number uint64
	time   uint64
	nonce  uint64 // the submitter's account nonce after this block
	txs    []*simTx
}

type simInput struct {
	scheduler.Input
	Time   uint64
	TxHash common.Hash
}

type simTx struct {
	tx      *types.Transaction
	payload []byte // the addInput payload; nil for a self-transfer
	batch   bool
	mined   uint64 // block that included it, 0 when not mined
}

func (t *simTx) String() string {
	kind := "self-transfer"
	if t.batch {
		kind = fmt.Sprintf("batch %s", batchLabel(t.payload))
	}
	return fmt.Sprintf("tx %s nonce %d %s (tip %s, cap %s)", t.tx.Hash().String()[:10], t.tx.Nonce(), kind,
		t.tx.GasTipCap(), t.tx.GasFeeCap())
}

const blockTime = 12

var errSimFault = errors.New("simulated fault: provider error / worker killed mid-activity")

func newSimL1(chainID uint64, app, inputBox common.Address, key *ecdsa.PrivateKey, genesisTime uint64) *simL1 {
	box, err := bindings.InputBoxMetaData.GetAbi()
	if err != nil {
		panic(err)
	}
	poster, err := l1.NewPoster(nil, l1.PosterConfig{ChainID: chainID, InputBox: inputBox, App: app, Key: key})
	if err != nil {
		panic(err)
	}
	s := &simL1{
		chainID: chainID, app: app, inputBox: inputBox, key: key, from: crypto.PubkeyToAddress(key.PublicKey),
		signer: types.LatestSignerForChainID(new(big.Int).SetUint64(chainID)), poster: poster,
		addInput: box.Methods["addInput"], genesisTime: genesisTime, safeLag: 2,
		pool: map[uint64]*simTx{}, knownByHash: map[common.Hash]*simTx{}, noncesBudget: -1,
	}
	s.blocks = []simBlock{{number: 0, time: genesisTime}}
	return s
}

func (s *simL1) latest() uint64 { return uint64(len(s.blocks) - 1) }

// Latest is the latest block number.
func (s *simL1) Latest() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest()
}

// SafeBlock is the safe block number.
func (s *simL1) SafeBlock() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.safe
}

// TimeOf is the timestamp of block n.
func (s *simL1) TimeOf(n uint64) uint64 { return s.genesisTime + n*blockTime }

// fault is called at the entry of every interface method (with s.mu held).
func (s *simL1) fault(op string) error {
	if !s.faultArmed {
		return nil
	}
	if s.faultAfter > 0 {
		s.faultAfter--
		return nil
	}
	s.faultArmed, s.faulted = false, true
	return fmt.Errorf("%s: %w: %w", op, l1.ErrTransient, errSimFault)
}

// arm makes the call after `after` more calls fail.
func (s *simL1) arm(after int, accept bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultArmed, s.faultAfter, s.faultAccept, s.faulted = true, after, accept, false
}

// disarm clears an unused fault and reports whether one fired.
func (s *simL1) disarm() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fired := s.faulted
	s.faultArmed, s.faulted, s.noncesBudget = false, false, -1
	return fired
}

func (s *simL1) setNoncesBudget(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noncesBudget = n
}

// ---- Reader ----

func (s *simL1) SafeHead(ctx context.Context) (l1.Head, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("safe head"); err != nil {
		return l1.Head{}, err
	}
	b := s.blocks[s.safe]
	return l1.Head{Number: b.number, Timestamp: b.time, Hash: blockHash(b.number)}, nil
}

func blockHash(n uint64) common.Hash { return crypto.Keccak256Hash(new(big.Int).SetUint64(n).Bytes()) }

func (s *simL1) InputCount(ctx context.Context, app common.Address, block uint64) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("getNumberOfInputs"); err != nil {
		return 0, err
	}
	if app != s.app {
		return 0, nil
	}
	if block > s.latest() {
		return 0, fmt.Errorf("getNumberOfInputs at block %d: %w: header not found", block, l1.ErrTransient)
	}
	return uint64(sort.Search(len(s.inputs), func(i int) bool { return s.inputs[i].InclusionBlock > block })), nil
}

func (s *simL1) Inputs(ctx context.Context, app common.Address, fromBlock, toBlock, firstIndex, wantCount uint64) ([]l1.Input, error) {
	if wantCount == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("eth_getLogs"); err != nil {
		return nil, err
	}
	if fromBlock > toBlock {
		return nil, fmt.Errorf("%w: want %d inputs from the empty range [%d, %d]", l1.ErrIncomplete, wantCount, fromBlock, toBlock)
	}
	var out []l1.Input
	for _, in := range s.inputs {
		if app != s.app || in.InclusionBlock < fromBlock || in.InclusionBlock > toBlock {
			continue
		}
		if want := firstIndex + uint64(len(out)); in.Index != want {
			return nil, fmt.Errorf("%w: input index %d where %d was expected", l1.ErrIncomplete, in.Index, want)
		}
		out = append(out, l1.Input{Index: in.Index, ChainID: s.chainID, App: s.app, Sender: in.Sender,
			BlockNumber: in.InclusionBlock, BlockTimestamp: in.Time, Payload: slices.Clone(in.Payload), TxHash: in.TxHash})
	}
	if uint64(len(out)) != wantCount {
		return nil, fmt.Errorf("%w: %d inputs in blocks [%d, %d], want %d from index %d", l1.ErrIncomplete, len(out),
			fromBlock, toBlock, wantCount, firstIndex)
	}
	return out, nil
}

// ---- Chain ----

func (s *simL1) BlockNumber(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("eth_blockNumber"); err != nil {
		return 0, err
	}
	return s.latest(), nil
}

func (s *simL1) NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("eth_getTransactionCount"); err != nil {
		return 0, err
	}
	if account != s.from {
		return 0, nil
	}
	n := s.latest()
	if block != nil {
		if !block.IsUint64() || block.Uint64() > n {
			return 0, fmt.Errorf("eth_getTransactionCount at %s: %w: header not found", block, l1.ErrTransient)
		}
		n = block.Uint64()
	}
	return s.blocks[n].nonce, nil
}

// ---- Poster ----

func (s *simL1) pendingNonce() uint64 {
	n := s.blocks[s.latest()].nonce
	for s.pool[n] != nil {
		n++
	}
	return n
}

func (s *simL1) Nonces(ctx context.Context) (latest, pending, safe uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noncesBudget == 0 {
		return 0, 0, 0, fmt.Errorf("eth_getTransactionCount: %w: activity interrupted (heartbeat timeout)", l1.ErrTransient)
	}
	if s.noncesBudget > 0 {
		s.noncesBudget--
	}
	if err := s.fault("eth_getTransactionCount"); err != nil {
		return 0, 0, 0, err
	}
	return s.blocks[s.latest()].nonce, s.pendingNonce(), s.blocks[s.safe].nonce, nil
}

// SuggestFees varies with the block so that re-sends see fresh estimates.
func (s *simL1) SuggestFees(ctx context.Context) (l1.Fees, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("eth_feeHistory"); err != nil {
		return l1.Fees{}, err
	}
	base := big.NewInt(int64(1_000_000_000 + (s.latest()%7)*150_000_000))
	tip := big.NewInt(int64(100_000_000 + (s.latest()%5)*30_000_000))
	return l1.Fees{TipCap: tip, FeeCap: new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(2)), tip)}, nil
}

func (s *simL1) BuildAddInput(ctx context.Context, payload []byte, nonce uint64, fees l1.Fees) (*types.Transaction, error) {
	s.mu.Lock()
	if err := s.fault("eth_estimateGas"); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	return s.poster.SignAddInput(ctx, payload, nonce, fees, 100_000+16*uint64(len(payload)))
}

func (s *simL1) CheckChainID(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault("eth_chainId")
}

// EstimateAddInputGasUpTo: a length-only formula (the simulated InputBox
// charges nothing else).
func (s *simL1) EstimateAddInputGasUpTo(ctx context.Context, size int) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("eth_estimateGas"); err != nil {
		return 0, err
	}
	return 100_000 + 16*uint64(size), nil
}

func (s *simL1) SignAddInput(ctx context.Context, payload []byte, nonce uint64, fees l1.Fees, gas uint64) (*types.Transaction, error) {
	return s.poster.SignAddInput(ctx, payload, nonce, fees, gas)
}

// Receipt reports a mined transaction (gas used: its limit).
func (s *simL1) Receipt(ctx context.Context, hash common.Hash) (*types.Receipt, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("eth_getTransactionReceipt"); err != nil {
		return nil, 0, err
	}
	st := s.knownByHash[hash]
	if st == nil || st.mined == 0 {
		return nil, 0, nil
	}
	return &types.Receipt{Status: types.ReceiptStatusSuccessful, GasUsed: st.tx.Gas(), TxHash: hash,
		BlockNumber: new(big.Int).SetUint64(st.mined)}, s.latest() - st.mined + 1, nil
}

func (s *simL1) BuildSelfTransfer(ctx context.Context, nonce uint64, fees l1.Fees) (*types.Transaction, error) {
	s.mu.Lock()
	if err := s.fault("eth_chainId"); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	to := s.from
	return types.SignNewTx(s.key, s.signer, &types.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(s.chainID), Nonce: nonce, GasTipCap: new(big.Int).Set(fees.TipCap),
		GasFeeCap: new(big.Int).Set(fees.FeeCap), Gas: l1.SelfTransferGas, To: &to, Value: new(big.Int),
	})
}

// Send is eth_sendRawTransaction with geth's pool rules, answering with the
// errors the real Poster maps (ErrCheckReceipt for "already known",
// "replacement transaction underpriced" and "nonce too low").
func (s *simL1) Send(ctx context.Context, tx *types.Transaction) error {
	if s.onSend != nil {
		s.onSend(tx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	accept := false
	err := s.fault("eth_sendRawTransaction")
	if err != nil {
		if !s.faultAccept {
			return err
		}
		accept = true
	}
	st, derr := s.decode(tx)
	if derr != nil {
		return derr
	}
	if res := s.submit(st); res != nil && !accept {
		return res
	}
	return err
}

// decode checks a transaction is the submitter's, signed for this chain,
// and extracts the addInput payload.
func (s *simL1) decode(tx *types.Transaction) (*simTx, error) {
	if known := s.knownByHash[tx.Hash()]; known != nil {
		return known, nil
	}
	from, err := types.Sender(s.signer, tx)
	if err != nil || from != s.from {
		return nil, fmt.Errorf("sim: transaction not signed by the submitter (%v)", err)
	}
	st := &simTx{tx: tx}
	switch {
	case tx.To() != nil && *tx.To() == s.inputBox:
		data := tx.Data()
		if len(data) < 4 || !slices.Equal(data[:4], s.addInput.ID) {
			return nil, errors.New("sim: call to the InputBox is not addInput")
		}
		args, err := s.addInput.Inputs.Unpack(data[4:])
		if err != nil {
			return nil, fmt.Errorf("sim: decode addInput: %w", err)
		}
		if app := args[0].(common.Address); app != s.app {
			return nil, fmt.Errorf("sim: addInput for app %s", app)
		}
		st.payload, st.batch = args[1].([]byte), true
	case tx.To() != nil && *tx.To() == s.from && len(tx.Data()) == 0 && tx.Value().Sign() == 0:
	default:
		return nil, errors.New("sim: unexpected transaction from the submitter")
	}
	s.knownByHash[tx.Hash()] = st
	s.known = append(s.known, st)
	return st, nil
}

// submit puts a transaction in the node's pool; nil when accepted.
func (s *simL1) submit(st *simTx) error {
	n := st.tx.Nonce()
	if n < s.blocks[s.latest()].nonce {
		return fmt.Errorf("%w: nonce too low: next nonce %d, tx nonce %d", l1.ErrCheckReceipt, s.blocks[s.latest()].nonce, n)
	}
	cur := s.pool[n]
	switch {
	case cur == nil:
	case cur.tx.Hash() == st.tx.Hash():
		return fmt.Errorf("%w: already known", l1.ErrCheckReceipt)
	case !bumped(cur.tx, st.tx):
		return fmt.Errorf("%w: replacement transaction underpriced", l1.ErrCheckReceipt)
	}
	s.pool[n] = st
	return nil
}

// bumped is geth's replacement rule: both caps at least 10% higher.
func bumped(old, repl *types.Transaction) bool {
	ok := func(o, n *big.Int) bool {
		min := new(big.Int).Mul(o, big.NewInt(110))
		return new(big.Int).Mul(n, big.NewInt(100)).Cmp(min) >= 0
	}
	return ok(old.GasTipCap(), repl.GasTipCap()) && ok(old.GasFeeCap(), repl.GasFeeCap())
}

// ---- the adversary's controls ----

// Deposit queues a direct input from sender for the next block.
func (s *simL1) Deposit(sender common.Address, payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deposits = append(s.deposits, simInput{Input: scheduler.Input{Sender: sender, Payload: payload}})
}

// Mine appends one block. It includes up to maxTxs submitter transactions,
// each at the account's next nonce; pick chooses among the known candidates
// at that nonce (nil: the node's pooled one). Queued deposits go in before
// (depositsFirst) or after the submitter's transactions. It returns what it
// included.
func (s *simL1) Mine(maxTxs int, depositsFirst bool, pick func(cands []*simTx) *simTx) []*simTx {
	s.mu.Lock()
	defer s.mu.Unlock()
	num := s.latest() + 1
	b := simBlock{number: num, time: s.TimeOf(num), nonce: s.blocks[num-1].nonce}
	addDeposits := func() {
		for _, d := range s.deposits {
			d.InclusionBlock, d.Time, d.Index = num, b.time, uint64(len(s.inputs))
			d.TxHash = crypto.Keccak256Hash([]byte(fmt.Sprintf("deposit %d", d.Index)))
			s.inputs = append(s.inputs, d)
		}
		s.deposits = nil
	}
	if depositsFirst {
		addDeposits()
	}
	var included []*simTx
	for len(included) < maxTxs {
		cands := s.candidates(b.nonce)
		if len(cands) == 0 {
			break
		}
		var st *simTx
		if pick != nil {
			st = pick(cands)
		}
		if st == nil {
			st = s.pool[b.nonce]
		}
		if st == nil {
			break
		}
		st.mined = num
		b.txs = append(b.txs, st)
		b.nonce++
		included = append(included, st)
		if st.batch {
			s.inputs = append(s.inputs, simInput{Input: scheduler.Input{Sender: s.from, Payload: slices.Clone(st.payload),
				InclusionBlock: num, Index: uint64(len(s.inputs))}, Time: b.time, TxHash: st.tx.Hash()})
		}
	}
	if !depositsFirst {
		addDeposits()
	}
	s.blocks = append(s.blocks, b)
	for n := range s.pool {
		if n < b.nonce {
			delete(s.pool, n)
		}
	}
	if num >= s.safeLag && num-s.safeLag > s.safe {
		s.safe = num - s.safeLag
	}
	return included
}

// candidates are the known transactions at nonce n, the pooled one first.
func (s *simL1) candidates(n uint64) []*simTx {
	var out []*simTx
	if p := s.pool[n]; p != nil {
		out = append(out, p)
	}
	for _, k := range s.known {
		if k.tx.Nonce() == n && k != s.pool[n] {
			out = append(out, k)
		}
	}
	return out
}

// Jump appends n empty blocks (deposits go into the first).
func (s *simL1) Jump(n int) {
	for i := 0; i < n; i++ {
		s.Mine(0, true, nil)
	}
}

// Reorg drops the last depth blocks (never the safe one): their
// transactions go back to the node's pool, their deposits wait for the next
// block, their inputs leave the InputBox. It returns the depth applied.
func (s *simL1) Reorg(depth uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	depth = min(depth, s.latest()-s.safe)
	keep := s.latest() - depth
	var requeue []simInput
	for _, b := range s.blocks[keep+1:] {
		for _, st := range b.txs {
			st.mined = 0
			s.pool[st.tx.Nonce()] = st
		}
	}
	n := 0
	for _, in := range s.inputs {
		if in.InclusionBlock <= keep {
			s.inputs[n] = in
			n++
		} else if in.Sender != s.from {
			requeue = append(requeue, simInput{Input: scheduler.Input{Sender: in.Sender, Payload: in.Payload}})
		}
	}
	s.inputs = s.inputs[:n]
	s.deposits = append(requeue, s.deposits...)
	s.blocks = s.blocks[:keep+1]
	return depth
}

// Drop removes the pooled transaction at nonce n (a node restart, eviction);
// it stays known, so it may come back.
func (s *simL1) Drop(n uint64) *simTx {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.pool[n]
	delete(s.pool, n)
	return st
}

// Reinject offers a known transaction to the node again (a peer gossips it).
func (s *simL1) Reinject(st *simTx) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.submit(st)
}

// SetSafeLag changes how far safe trails latest (finality stalls); safe
// never goes back.
func (s *simL1) SetSafeLag(lag uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.safeLag = lag
	if l := s.latest(); l >= lag && l-lag > s.safe {
		s.safe = l - lag
	}
}

// PoolNonces lists the nonces with a pooled transaction, ascending.
func (s *simL1) PoolNonces() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]uint64, 0, len(s.pool))
	for n := range s.pool {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Zombies lists known transactions not pooled and not mined whose nonce is
// not consumed yet.
func (s *simL1) Zombies() []*simTx {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.blocks[s.latest()].nonce
	var out []*simTx
	for _, k := range s.known {
		if k.mined == 0 && k.tx.Nonce() >= next && s.pool[k.tx.Nonce()] != k {
			out = append(out, k)
		}
	}
	return out
}

// AccountNonce returns the submitter's nonce at latest and at safe.
func (s *simL1) AccountNonce() (latest, safe uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[s.latest()].nonce, s.blocks[s.safe].nonce
}

// InputsUpTo returns a copy of the inputs included in blocks ≤ block.
func (s *simL1) InputsUpTo(block uint64) []simInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []simInput
	for _, in := range s.inputs {
		if in.InclusionBlock <= block {
			out = append(out, in)
		}
	}
	return out
}
