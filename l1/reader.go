package l1

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/cartesi/sequencer/l1/bindings"
)

// DefaultLongRangeErrorCodes are the JSON-RPC error codes with which
// providers refuse an eth_getLogs range as too long (or its answer as too
// big): the default of SEQ_LONG_BLOCK_RANGE_ERROR_CODES.
var DefaultLongRangeErrorCodes = []int{-32005, -32012, -32600, -32602, -32616}

// Dial connects to the L1 node's JSON-RPC endpoint (http(s) or ws(s)).
// Connecting is lazy for HTTP: errors surface on the first call.
func Dial(ctx context.Context, url string) (*rpc.Client, error) {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, transient("dial L1", err)
	}
	return rc, nil
}

// ReaderConfig configures a Reader.
type ReaderConfig struct {
	// ChainID is the configured chain id (SEQ_CHAIN_ID).
	ChainID uint64
	// InputBox is the InputBox address (SEQ_INPUT_BOX_ADDRESS); zero means
	// read it from the application contract (ResolveInputBox).
	InputBox common.Address
	// LongRangeErrorCodes are the JSON-RPC error codes on which an
	// eth_getLogs range is split in halves; nil means
	// DefaultLongRangeErrorCodes.
	LongRangeErrorCodes []int
}

// Head is an L1 block header, reduced to what the reader records.
type Head struct {
	Number    uint64
	Timestamp uint64 // seconds
	Hash      common.Hash
}

// Input is an application input as the InputBox recorded it: an InputAdded
// log whose input decoded as EvmAdvance.
type Input struct {
	Index          uint64         // the input's index in the application's input box
	ChainID        uint64         // EvmAdvance chainId (checked = the configured chain id)
	App            common.Address // EvmAdvance appContract (checked = the requested app)
	Sender         common.Address // EvmAdvance msgSender (e.g. the batch submitter or a portal)
	BlockNumber    uint64         // block of the addInput (checked = the log's block)
	BlockTimestamp uint64         // seconds
	PrevRandao     common.Hash    // uint256, big-endian
	Payload        []byte
	TxHash         common.Hash
	TxIndex        uint
	LogIndex       uint
}

// Reader reads the L1 safe head and an application's inputs. Safe for
// concurrent use. Every method is a pure read: a retry repeats the reads and
// changes nothing. Before its first read a Reader verifies the node's chain
// id once (ErrChainIDMismatch otherwise, on every call).
type Reader struct {
	rpc        *rpc.Client
	eth        *ethclient.Client
	chainID    uint64
	inputBox   common.Address
	codes      map[int]bool
	inputAdded abi.Event
	daInputBox abi.Method
	daEspresso abi.Method

	chainOK atomic.Bool
	mu      sync.Mutex
	boxes   map[common.Address]common.Address // app → resolved input box
}

// NewReader returns a Reader over rc (the caller keeps ownership of rc).
func NewReader(rc *rpc.Client, cfg ReaderConfig) (*Reader, error) {
	if cfg.ChainID == 0 {
		return nil, errors.New("l1: reader: chain id not configured")
	}
	codes := cfg.LongRangeErrorCodes
	if codes == nil {
		codes = DefaultLongRangeErrorCodes
	}
	r := &Reader{
		rpc:      rc,
		eth:      ethclient.NewClient(rc),
		chainID:  cfg.ChainID,
		inputBox: cfg.InputBox,
		codes:    make(map[int]bool, len(codes)),
		boxes:    make(map[common.Address]common.Address),
	}
	for _, c := range codes {
		r.codes[c] = true
	}
	box, err := bindings.InputBoxMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("l1: input box abi: %w", err)
	}
	da, err := bindings.DataAvailabilityMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("l1: data availability abi: %w", err)
	}
	r.inputAdded = box.Events["InputAdded"]
	r.daInputBox = da.Methods["InputBox"]
	r.daEspresso = da.Methods["InputBoxAndEspresso"]
	return r, nil
}

// CheckChainID verifies that the node's eth_chainId is the configured chain
// id. A mismatch is an error wrapping ErrChainIDMismatch (terminal); a node
// error wraps ErrTransient. Retry: asks the node again.
func (r *Reader) CheckChainID(ctx context.Context) error {
	if err := checkChainID(ctx, r.eth, r.chainID); err != nil {
		return err
	}
	r.chainOK.Store(true)
	return nil
}

func (r *Reader) ensureChainID(ctx context.Context) error {
	if r.chainOK.Load() {
		return nil
	}
	return r.CheckChainID(ctx)
}

func checkChainID(ctx context.Context, eth *ethclient.Client, want uint64) error {
	got, err := eth.ChainID(ctx)
	if err != nil {
		return transient("eth_chainId", err)
	}
	if !got.IsUint64() || got.Uint64() != want {
		return fmt.Errorf("%w: node serves chain %s, configured %d", ErrChainIDMismatch, got, want)
	}
	return nil
}

// SafeHead returns the header of the node's "safe" block (never "latest":
// reorgs above safe are invisible by design). ErrNoSafeBlock when the node
// has none yet.
func (r *Reader) SafeHead(ctx context.Context) (Head, error) {
	if err := r.ensureChainID(ctx); err != nil {
		return Head{}, err
	}
	h, err := r.eth.HeaderByNumber(ctx, big.NewInt(int64(rpc.SafeBlockNumber)))
	if errors.Is(err, ethereum.NotFound) {
		return Head{}, ErrNoSafeBlock
	}
	if err != nil {
		return Head{}, transient("safe block", err)
	}
	return Head{Number: h.Number.Uint64(), Timestamp: h.Time, Hash: h.Hash()}, nil
}

// ResolveInputBox returns the InputBox the application's inputs go to: the
// configured address if any; otherwise the one named by the application
// contract. Cartesi rollups v2 applications expose no input box getter, but
// getDataAvailability() returns an ABI-encoded DataAvailability call,
// InputBox(address) or InputBoxAndEspresso(address, …), whose first argument
// is the input box. An app without code, one that reverts, or another
// data-availability kind yields ErrNoInputBox (configure
// SEQ_INPUT_BOX_ADDRESS). The result is cached per app. Retry: reads again.
func (r *Reader) ResolveInputBox(ctx context.Context, app common.Address) (common.Address, error) {
	if r.inputBox != (common.Address{}) {
		return r.inputBox, nil
	}
	r.mu.Lock()
	box, ok := r.boxes[app]
	r.mu.Unlock()
	if ok {
		return box, nil
	}
	if err := r.ensureChainID(ctx); err != nil {
		return common.Address{}, err
	}
	caller, err := bindings.NewApplicationCaller(app, r.eth)
	if err != nil {
		return common.Address{}, fmt.Errorf("l1: bind application: %w", err)
	}
	da, err := caller.GetDataAvailability(&bind.CallOpts{Context: ctx})
	switch {
	case errors.Is(err, bind.ErrNoCode):
		return common.Address{}, fmt.Errorf("%w: application %s has no code", ErrNoInputBox, app)
	case err != nil && isRevert(err):
		return common.Address{}, fmt.Errorf("%w: application %s: getDataAvailability: %w", ErrNoInputBox, app, err)
	case err != nil:
		return common.Address{}, transient("getDataAvailability", err)
	}
	box, err = r.decodeDataAvailability(da)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: application %s: %w", ErrNoInputBox, app, err)
	}
	r.mu.Lock()
	r.boxes[app] = box
	r.mu.Unlock()
	return box, nil
}

func (r *Reader) decodeDataAvailability(da []byte) (common.Address, error) {
	if len(da) < 4 {
		return common.Address{}, fmt.Errorf("data availability %x too short", da)
	}
	for _, m := range []abi.Method{r.daInputBox, r.daEspresso} {
		if string(da[:4]) != string(m.ID) {
			continue
		}
		args, err := m.Inputs.Unpack(da[4:])
		if err != nil {
			return common.Address{}, fmt.Errorf("decode data availability %s: %w", m.Name, err)
		}
		box, ok := args[0].(common.Address)
		if !ok || box == (common.Address{}) {
			return common.Address{}, fmt.Errorf("data availability %s names no input box", m.Name)
		}
		return box, nil
	}
	return common.Address{}, fmt.Errorf("unknown data availability selector %x", da[:4])
}

// InputCount returns InputBox.getNumberOfInputs(app) at block atBlock.
// Retry: reads again.
func (r *Reader) InputCount(ctx context.Context, app common.Address, atBlock uint64) (uint64, error) {
	if err := r.ensureChainID(ctx); err != nil {
		return 0, err
	}
	box, err := r.ResolveInputBox(ctx, app)
	if err != nil {
		return 0, err
	}
	caller, err := bindings.NewInputBoxCaller(box, r.eth)
	if err != nil {
		return 0, fmt.Errorf("l1: bind input box: %w", err)
	}
	n, err := caller.GetNumberOfInputs(&bind.CallOpts{Context: ctx, BlockNumber: new(big.Int).SetUint64(atBlock)}, app)
	switch {
	case errors.Is(err, bind.ErrNoCode):
		return 0, fmt.Errorf("%w: no code at input box %s (block %d)", ErrNoInputBox, box, atBlock)
	case err != nil:
		return 0, transient(fmt.Sprintf("getNumberOfInputs at block %d", atBlock), err)
	case !n.IsUint64():
		return 0, fmt.Errorf("%w: input count %s", ErrInputMismatch, n)
	}
	return n.Uint64(), nil
}

// Inputs returns the application's inputs added in blocks [fromBlock,
// toBlock], which must be exactly wantCount inputs with indices firstIndex,
// firstIndex+1, … in (block, transaction index, log index) order. Anything
// else — a hole, a duplicate, a count other than wantCount — is an error
// wrapping ErrIncomplete and no input is returned (a lagging or truncating
// node is refused, never half-believed). wantCount = 0 returns nothing
// without scanning (the caller's "count unchanged" shortcut).
//
// Ranges the node refuses with one of the configured long-range error codes
// are split into [start, mid] and [mid+1, end], mid = start + (end−start)/2,
// recursively, depth first; a one-block range that is still refused is an
// error wrapping ErrTransient. Every input is decoded as EvmAdvance and must
// name the configured chain id, the app, the log's index and the log's
// block (ErrInputMismatch otherwise). Retry: scans again.
func (r *Reader) Inputs(ctx context.Context, app common.Address, fromBlock, toBlock, firstIndex, wantCount uint64) ([]Input, error) {
	if wantCount == 0 {
		return nil, nil
	}
	if fromBlock > toBlock {
		return nil, fmt.Errorf("%w: want %d inputs from the empty range [%d, %d]", ErrIncomplete, wantCount, fromBlock, toBlock)
	}
	if err := r.ensureChainID(ctx); err != nil {
		return nil, err
	}
	box, err := r.ResolveInputBox(ctx, app)
	if err != nil {
		return nil, err
	}
	logs, err := r.logs(ctx, box, app, fromBlock, toBlock)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(logs, func(a, b types.Log) int {
		switch {
		case a.BlockNumber != b.BlockNumber:
			return cmpUint(a.BlockNumber, b.BlockNumber)
		case a.TxIndex != b.TxIndex:
			return cmpUint(a.TxIndex, b.TxIndex)
		default:
			return cmpUint(a.Index, b.Index)
		}
	})
	out := make([]Input, 0, len(logs))
	for i, lg := range logs {
		in, err := r.decode(box, app, lg)
		if err != nil {
			return nil, err
		}
		if want := firstIndex + uint64(i); in.Index != want {
			return nil, fmt.Errorf("%w: input index %d where %d was expected (blocks [%d, %d])", ErrIncomplete, in.Index, want, fromBlock, toBlock)
		}
		out = append(out, in)
	}
	if uint64(len(out)) != wantCount {
		return nil, fmt.Errorf("%w: %d inputs in blocks [%d, %d], want %d from index %d", ErrIncomplete, len(out), fromBlock, toBlock, wantCount, firstIndex)
	}
	return out, nil
}

func cmpUint[T uint | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// logs fetches the app's InputAdded logs in [from, to], splitting the range
// on long-range errors.
func (r *Reader) logs(ctx context.Context, box, app common.Address, from, to uint64) ([]types.Log, error) {
	q := ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from),
		ToBlock:   new(big.Int).SetUint64(to),
		Addresses: []common.Address{box},
		Topics:    [][]common.Hash{{r.inputAdded.ID}, {common.BytesToHash(app.Bytes())}},
	}
	logs, err := r.eth.FilterLogs(ctx, q)
	if err == nil {
		return logs, nil
	}
	code, ok := rpcErrorCode(err)
	if !ok || !r.codes[code] {
		return nil, transient(fmt.Sprintf("eth_getLogs [%d, %d]", from, to), err)
	}
	if from == to {
		return nil, transient(fmt.Sprintf("eth_getLogs refused even for the single block %d", from), err)
	}
	mid := from + (to-from)/2
	left, err := r.logs(ctx, box, app, from, mid)
	if err != nil {
		return nil, err
	}
	right, err := r.logs(ctx, box, app, mid+1, to)
	if err != nil {
		return nil, err
	}
	return append(left, right...), nil
}

// decode checks one InputAdded log and decodes its input as EvmAdvance.
func (r *Reader) decode(box, app common.Address, lg types.Log) (Input, error) {
	bad := func(format string, args ...any) (Input, error) {
		return Input{}, fmt.Errorf("%w: log %d of tx %s (block %d): %s", ErrInputMismatch, lg.Index, lg.TxHash, lg.BlockNumber, fmt.Sprintf(format, args...))
	}
	if lg.Removed {
		return Input{}, fmt.Errorf("%w: removed log %d of tx %s", ErrIncomplete, lg.Index, lg.TxHash)
	}
	if lg.Address != box || len(lg.Topics) != 3 || lg.Topics[0] != r.inputAdded.ID || lg.Topics[1] != common.BytesToHash(app.Bytes()) {
		return bad("not an InputAdded log of app %s from input box %s", app, box)
	}
	topicIndex := new(big.Int).SetBytes(lg.Topics[2].Bytes())
	var input []byte
	if err := r.unpackEvent(lg.Data, &input); err != nil {
		return bad("%v", err)
	}
	in, err := DecodeEvmAdvance(input)
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case in.ChainID != r.chainID:
		return bad("EvmAdvance chain id %d, configured %d", in.ChainID, r.chainID)
	case in.App != app:
		return bad("EvmAdvance app %s, want %s", in.App, app)
	case !topicIndex.IsUint64() || in.Index != topicIndex.Uint64():
		return bad("EvmAdvance index %d, log topic index %s", in.Index, topicIndex)
	case in.BlockNumber != lg.BlockNumber:
		return bad("EvmAdvance block %d, log block %d", in.BlockNumber, lg.BlockNumber)
	}
	in.TxHash, in.TxIndex, in.LogIndex = lg.TxHash, lg.TxIndex, lg.Index
	return in, nil
}

var evmAdvance = func() abi.Method {
	inputs, err := bindings.InputsMetaData.GetAbi()
	if err != nil {
		panic(fmt.Sprintf("l1: generated Inputs ABI: %v", err))
	}
	return inputs.Methods["EvmAdvance"]
}()

// DecodeEvmAdvance decodes an InputBox input: the EvmAdvance selector and
// its ABI-encoded arguments. It fills every Input field but TxHash, TxIndex
// and LogIndex, and checks nothing against the chain (the Reader does).
// Numeric fields other than prevRandao must fit in 64 bits.
func DecodeEvmAdvance(input []byte) (Input, error) {
	if len(input) < 4 || string(input[:4]) != string(evmAdvance.ID) {
		return Input{}, errors.New("input is not an EvmAdvance")
	}
	args, err := evmAdvance.Inputs.Unpack(input[4:])
	if err != nil {
		return Input{}, fmt.Errorf("decode EvmAdvance: %w", err)
	}
	if len(args) != 8 {
		return Input{}, fmt.Errorf("EvmAdvance has %d fields", len(args))
	}
	chainID, _ := args[0].(*big.Int)
	appContract, _ := args[1].(common.Address)
	sender, _ := args[2].(common.Address)
	blockNumber, _ := args[3].(*big.Int)
	blockTimestamp, _ := args[4].(*big.Int)
	prevRandao, _ := args[5].(*big.Int)
	index, _ := args[6].(*big.Int)
	payload, _ := args[7].([]byte)
	for _, v := range []*big.Int{chainID, blockNumber, blockTimestamp, index} {
		if v == nil || !v.IsUint64() {
			return Input{}, errors.New("EvmAdvance field out of range")
		}
	}
	if prevRandao == nil {
		return Input{}, errors.New("EvmAdvance prevRandao missing")
	}
	if payload == nil {
		payload = []byte{}
	}
	return Input{
		Index:          index.Uint64(),
		ChainID:        chainID.Uint64(),
		App:            appContract,
		Sender:         sender,
		BlockNumber:    blockNumber.Uint64(),
		BlockTimestamp: blockTimestamp.Uint64(),
		PrevRandao:     common.BigToHash(prevRandao),
		Payload:        payload,
	}, nil
}

// EncodeEvmAdvance is the inverse of DecodeEvmAdvance: the input the
// InputBox records for in (TxHash, TxIndex and LogIndex are ignored).
func EncodeEvmAdvance(in Input) ([]byte, error) {
	payload := in.Payload
	if payload == nil {
		payload = []byte{}
	}
	args, err := evmAdvance.Inputs.Pack(
		new(big.Int).SetUint64(in.ChainID), in.App, in.Sender,
		new(big.Int).SetUint64(in.BlockNumber), new(big.Int).SetUint64(in.BlockTimestamp),
		new(big.Int).SetBytes(in.PrevRandao.Bytes()), new(big.Int).SetUint64(in.Index), payload)
	if err != nil {
		return nil, fmt.Errorf("encode EvmAdvance: %w", err)
	}
	return append(slices.Clone(evmAdvance.ID), args...), nil
}

// unpackEvent decodes InputAdded's non-indexed data (bytes input).
func (r *Reader) unpackEvent(data []byte, input *[]byte) error {
	vals, err := r.inputAdded.Inputs.NonIndexed().Unpack(data)
	if err != nil {
		return fmt.Errorf("decode InputAdded data: %w", err)
	}
	b, ok := vals[0].([]byte)
	if len(vals) != 1 || !ok {
		return errors.New("decode InputAdded data: not one bytes value")
	}
	*input = b
	return nil
}

// isRevert reports whether a call error is an EVM execution error (as
// opposed to a transport or node error).
func isRevert(err error) bool {
	if code, ok := rpcErrorCode(err); ok && code == 3 {
		return true
	}
	var de rpc.DataError
	if errors.As(err, &de) && de.ErrorData() != nil {
		return true
	}
	return containsAny(err, "execution reverted", "revert", "invalid opcode", "out of gas")
}
