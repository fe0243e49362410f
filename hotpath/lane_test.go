package hotpath_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/protocol/scheduler"
	"github.com/cartesi/sequencer/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var (
	chainID      = uint64(31337)
	appAddr      = common.HexToAddress("0x1111111111111111111111111111111111111111")
	submitter    = common.HexToAddress("0x5e00000000000000000000000000000000000001")
	portal       = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	token        = common.HexToAddress("0x00000000000000000000000000000000000000b2")
	feeRecipient = common.HexToAddress("0x00000000000000000000000000000000000000c3")
	domain       = protocol.NewDomain(chainID, appAddr)
	walletConfig = wallet.Config{Portal: portal, Token: token, FeeRecipient: feeRecipient}
)

func newWallet() app.Application { return wallet.New(walletConfig) }

// laneEnv is a migrated database, an L1 row writer and a running lane.
type laneEnv struct {
	t     *testing.T
	url   string
	pool  *pgxpool.Pool
	l1    *l1rows.Writer
	hub   *feed.Hub
	lane  *hotpath.Lane
	stop  context.CancelFunc
	done  chan error
	block uint64
	keys  []*ecdsa.PrivateKey
	// admission and reg are what every (re)started lane gets.
	admission hotpath.AdmissionConfig
	reg       *prometheus.Registry
	// laneURL is the lane session's database (url unless set: e.g. through
	// a fault proxy); sessionTimeout its hotpath.Config.SessionTimeout.
	laneURL        string
	sessionTimeout time.Duration
	// maxDrain and checkpoint are every (re)started lane's
	// hotpath.Config.MaxDrainPerFrame and Checkpoint.
	maxDrain   int
	checkpoint hotpath.CheckpointConfig
}

type envOptions struct {
	url          string
	maxBatchOpen time.Duration
	setup        func(ctx context.Context, pool *pgxpool.Pool)
	admission    hotpath.AdmissionConfig
	// laneURL replaces url for the lane's own session only (the pool, and
	// so the danger detector, stays on url).
	laneURL        func(url string) string
	sessionTimeout time.Duration
	maxDrain       int
	checkpoint     hotpath.CheckpointConfig
}

func newEnv(t *testing.T, opts envOptions) *laneEnv {
	t.Helper()
	ctx := context.Background()
	url := opts.url
	if url == "" {
		url = pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	}
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	if opts.setup != nil {
		opts.setup(ctx, pool)
	}
	l1, err := l1rows.New(ctx, pool)
	require.NoError(t, err)
	e := &laneEnv{t: t, url: url, pool: pool, l1: l1, admission: opts.admission, laneURL: url, sessionTimeout: opts.sessionTimeout,
		maxDrain: opts.maxDrain, checkpoint: opts.checkpoint}
	if opts.laneURL != nil {
		e.laneURL = opts.laneURL(url)
	}
	for i := 0; i < 8; i++ {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte{byte(i + 1)}))
		require.NoError(t, err)
		e.keys = append(e.keys, k)
	}
	e.startLane(opts.maxBatchOpen)
	return e
}

func (e *laneEnv) startLane(maxBatchOpen time.Duration) {
	e.t.Helper()
	e.hub = feed.NewHub(0)
	e.reg = prometheus.NewRegistry()
	e.lane = hotpath.New(hotpath.Config{
		DatabaseURL: e.laneURL, ChainID: chainID, App: appAddr, MaxBatchOpen: maxBatchOpen,
		Danger:           hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12},
		DangerInterval:   50 * time.Millisecond,
		Admission:        e.admission,
		SessionTimeout:   e.sessionTimeout,
		MaxDrainPerFrame: e.maxDrain,
		Checkpoint:       e.checkpoint,
	}, hotpath.Deps{NewApp: newWallet, Pool: e.pool, Hub: e.hub, Registerer: e.reg})
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	e.done = make(chan error, 1)
	go func(l *hotpath.Lane) { e.done <- l.Run(ctx) }(e.lane)
	e.t.Cleanup(e.stopLane)
}

func (e *laneEnv) stopLane() {
	if e.stop == nil {
		return
	}
	e.stop()
	select {
	case err := <-e.done:
		require.NoError(e.t, err)
	case <-time.After(15 * time.Second):
		e.t.Fatal("lane did not stop")
	}
	e.stop = nil
}

func (e *laneEnv) addr(i int) common.Address { return crypto.PubkeyToAddress(e.keys[i].PublicKey) }

// advance moves the L1 safe head to block (timestamped now).
func (e *laneEnv) advance(block uint64) {
	e.t.Helper()
	e.block = block
	require.NoError(e.t, e.l1.SetSafeHead(context.Background(), block, time.Now(), time.Now()))
}

func (e *laneEnv) deposit(user int, amount uint64, block uint64) {
	e.t.Helper()
	_, err := e.l1.Append(context.Background(), l1rows.Input{Sender: portal,
		Payload: wallet.EncodeDeposit(token, e.addr(user), uint256.NewInt(amount), nil), Block: block})
	require.NoError(e.t, err)
}

func (e *laneEnv) waitIntake(open bool) {
	e.t.Helper()
	require.Eventually(e.t, func() bool { return e.lane.Status().IntakeOpen == open }, 10*time.Second, 10*time.Millisecond,
		"intake open=%v; status %+v", open, e.lane.Status())
}

func (e *laneEnv) op(user int, nonce uint32, amount uint64, to common.Address) hotpath.Op {
	data := (&wallet.Transfer{Amount: uint256.NewInt(amount), To: to}).Encode()
	uop := protocol.UserOp{Nonce: nonce, MaxFee: 2000, Data: data}
	digest := domain.Digest(uop)
	raw, err := crypto.Sign(digest[:], e.keys[user])
	require.NoError(e.t, err)
	sig, err := protocol.ParseSignature(raw)
	require.NoError(e.t, err)
	return hotpath.Op{Sender: e.addr(user), UserOp: uop, Signature: sig, ReceivedAt: time.Now()}
}

// quote is the lane's fee quote; the lane must be the active writer.
func (e *laneEnv) quote() hotpath.FeeQuote {
	e.t.Helper()
	q, err := e.lane.Quote()
	require.NoError(e.t, err)
	return q
}

func (e *laneEnv) submit(op hotpath.Op) (hotpath.Receipt, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return e.lane.Submit(ctx, op)
}

// smallBatches makes batches close after 3 ops (fee_to_linear(760) = 370
// worst-case bytes; a wallet op counts 124).
func smallBatches(ctx context.Context, pool *pgxpool.Pool) {
	if _, err := pool.Exec(ctx, `UPDATE batch_policy SET log_base_gas = 950`); err != nil {
		panic(err)
	}
}

func TestLaneWaitsForSafeHeadThenOpensRootBatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	require.ErrorIs(t, submitErr(e.submit(e.op(0, 0, 1, e.addr(1)))), hotpath.ErrUnavailable)
	require.Eventually(t, func() bool {
		st := e.lane.Status()
		return st.Role == hotpath.RoleStarting && st.Reason == "waiting for the worker to record an L1 safe head"
	}, 5*time.Second, 10*time.Millisecond)

	e.deposit(0, 1_000_000, 3)
	e.deposit(1, 5, 9) // beyond the first frame's safe block: waits for a later frame
	e.advance(4)
	require.NoError(t, e.l1.SetBatchSubmitter(context.Background(), submitter))
	e.waitIntake(true)
	require.Equal(t, hotpath.RoleActive, e.lane.Status().Role)

	r, err := e.submit(e.op(0, 0, 1000, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint64(2), r.Offset, "offset 1 is the drained deposit")
	require.Equal(t, uint16(1356), r.Fee)
	require.Equal(t, e.addr(0), r.Sender)

	var batches, frames int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM batches`).Scan(&batches))
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM frames WHERE safe_block = 4`).Scan(&frames))
	require.Equal(t, 1, batches)
	require.Equal(t, 1, frames)

	// Rejections are answered at once and never stored.
	_, err = e.submit(e.op(0, 0, 1, e.addr(1)))
	var rejected *hotpath.RejectedError
	require.True(t, errors.As(err, &rejected), "%v", err)
	require.EqualError(t, err, "bad nonce: expected 1, got 0")
	_, err = e.submit(e.op(2, 0, 1, e.addr(1)))
	require.EqualError(t, err, "insufficient balance for fee: required 38276, available 0")
	var ops int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM user_ops`).Scan(&ops))
	require.Equal(t, 1, ops)

	n, err := e.lane.NextNonce(e.addr(0))
	require.NoError(t, err)
	require.Equal(t, uint32(1), n)
}

func submitErr(_ hotpath.Receipt, err error) error { return err }

// TestLaneOrderMatchesScheduler drives user ops and deposits through the
// lane across frame rotations and batch closes, then folds the sealed
// batches, interleaved with the safe inputs in an L1 order that lands each
// batch in time, with the reference scheduler: the executed order must equal
// the feed and the final state must equal the lane's.
func TestLaneOrderMatchesScheduler(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour})
	for u := 0; u < 4; u++ {
		e.deposit(u, 10_000_000, 1)
	}
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)

	nonces := make([]uint32, 4)
	block := uint64(5)
	for round := 0; round < 12; round++ {
		// A few concurrent transfers from different senders.
		var wg sync.WaitGroup
		for u := 0; u < 4; u++ {
			if (round+u)%3 == 0 {
				continue
			}
			wg.Add(1)
			op := e.op(u, nonces[u], uint64(round+1), e.addr((u+1)%4))
			nonces[u]++
			go func() {
				defer wg.Done()
				_, err := e.submit(op)
				require.NoError(t, err)
			}()
		}
		wg.Wait()
		// A deposit now and then, and the safe head moves (sometimes by less
		// than the frame interval).
		if round%2 == 0 {
			e.deposit(round%4, 777, block+1)
		}
		block += uint64(3 + round%4)
		e.advance(block)
		time.Sleep(120 * time.Millisecond) // let the lane see the head (frames rotate on its poll)
	}
	waitAllSealed(t, e)
	fr := store.NewFeedReader(e.pool)

	inputs, sealed := l1Stream(t, e)
	require.Greater(t, sealed, 5, "the test must cross several batch closes")
	w := wallet.New(walletConfig)
	results, executed := scheduler.New(w, domain, submitter).Fold(inputs)
	for _, r := range results {
		if r.Input.Sender == submitter {
			require.Equal(t, scheduler.Accepted, r.Outcome, "%v", r.Err)
			require.Empty(t, r.Skipped)
		}
	}

	entries, err := fr.Entries(ctx, 0, 100000)
	require.NoError(t, err)
	require.Equal(t, describeFeed(entries), describeExecuted(executed))
	var frames int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM frames`).Scan(&frames))
	require.Greater(t, frames, sealed+5, "the test must cross several frame rotations")

	// Final state: the scheduler's wallet equals the lane's, as rebuilt by a
	// fresh lane from snapshot + replay.
	e.startLane(time.Hour)
	e.waitIntake(true)
	require.Equal(t, w.Snapshot(), e.lane.StateSnapshot())
}

// l1Stream is the L1 input stream that lands every valid sealed batch in
// time: the safe inputs at their blocks, each sealed batch included one
// block after its last frame's safe block (after that block's inputs). It
// returns the stream and the number of batches in it.
func l1Stream(t *testing.T, e *laneEnv) ([]scheduler.Input, int) {
	t.Helper()
	ctx := context.Background()
	type l1input struct {
		in    scheduler.Input
		order int
	}
	var stream []l1input
	rows, err := e.pool.Query(ctx, `SELECT input_index, sender, payload, block_number FROM safe_inputs ORDER BY input_index`)
	require.NoError(t, err)
	for rows.Next() {
		var idx, blk int64
		var sender, payload []byte
		require.NoError(t, rows.Scan(&idx, &sender, &payload, &blk))
		stream = append(stream, l1input{in: scheduler.Input{Sender: common.BytesToAddress(sender), Payload: payload, InclusionBlock: uint64(blk)}, order: 0})
	}
	require.NoError(t, rows.Err())
	rows, err = e.pool.Query(ctx, `SELECT b.payload, (SELECT max(safe_block) FROM frames f WHERE f.batch_id = b.id)
		FROM batches b WHERE b.sealed_at IS NOT NULL AND b.invalidated_at IS NULL ORDER BY b.nonce`)
	require.NoError(t, err)
	sealed := 0
	for rows.Next() {
		var payload []byte
		var lastSafe int64
		require.NoError(t, rows.Scan(&payload, &lastSafe))
		stream = append(stream, l1input{in: scheduler.Input{Sender: submitter, Payload: payload, InclusionBlock: uint64(lastSafe) + 1}, order: 1})
		sealed++
	}
	require.NoError(t, rows.Err())
	sort.SliceStable(stream, func(i, j int) bool {
		if stream[i].in.InclusionBlock != stream[j].in.InclusionBlock {
			return stream[i].in.InclusionBlock < stream[j].in.InclusionBlock
		}
		return stream[i].order < stream[j].order
	})
	inputs := make([]scheduler.Input, len(stream))
	for i, s := range stream {
		inputs[i] = s.in
		inputs[i].Index = uint64(i)
	}
	return inputs, sealed
}

func describeFeed(entries []feed.Entry) []string {
	out := make([]string, len(entries))
	for i, en := range entries {
		if en.Kind == feed.KindUserOp {
			out[i] = fmt.Sprintf("op %s/%d batch %d fee %d safe %d", en.Sender, en.Nonce, en.BatchNonce, en.Fee, en.SafeBlock)
		} else {
			out[i] = fmt.Sprintf("direct %s block %d batch %d", en.Sender, en.BlockNumber, en.BatchNonce)
		}
	}
	return out
}

func describeExecuted(ex []scheduler.Executed) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		if e.Kind == scheduler.ExecUserOp {
			out[i] = fmt.Sprintf("op %s/%d batch %d fee %d safe %d", e.Sender, e.Op.Nonce, e.BatchNonce, e.FeePrice, e.SafeBlock)
		} else {
			out[i] = fmt.Sprintf("direct %s block %d batch %d", e.Input.Sender, e.Input.InclusionBlock, e.BatchNonce)
		}
	}
	return out
}
