package modeltest

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

var (
	chainID      = uint64(31337)
	appAddr      = common.HexToAddress("0x1111111111111111111111111111111111111111")
	inputBoxAddr = common.HexToAddress("0x2222222222222222222222222222222222222222")
	portal       = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	token        = common.HexToAddress("0x00000000000000000000000000000000000000b2")
	feeRecipient = common.HexToAddress("0x00000000000000000000000000000000000000c3")
	domain       = protocol.NewDomain(chainID, appAddr)
	walletConfig = wallet.Config{Portal: portal, Token: token, FeeRecipient: feeRecipient}
	dangerConfig = hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: blockTime}
	dangerLine   = protocol.MaxWaitBlocks - dangerConfig.MarginBlocks

	submitterKey  = mustKey(100)
	submitterAddr = crypto.PubkeyToAddress(submitterKey.PublicKey)
	userKeys      = []*ecdsa.PrivateKey{mustKey(1), mustKey(2), mustKey(3), mustKey(4)}
)

func mustKey(i byte) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte{i}))
	if err != nil {
		panic(err)
	}
	return k
}

func userAddr(i int) common.Address { return crypto.PubkeyToAddress(userKeys[i].PublicKey) }

func newWallet() app.Application { return wallet.New(walletConfig) }

func depositPayload(user int, amount uint64) []byte {
	return wallet.EncodeDeposit(token, userAddr(user), uint256.NewInt(amount), nil)
}

func signedOp(user int, nonce uint32, amount uint64, to common.Address) hotpath.Op {
	data := (&wallet.Transfer{Amount: uint256.NewInt(amount), To: to}).Encode()
	uop := protocol.UserOp{Nonce: nonce, MaxFee: 2000, Data: data}
	digest := domain.Digest(uop)
	raw, err := crypto.Sign(digest[:], userKeys[user])
	if err != nil {
		panic(err)
	}
	sig, err := protocol.ParseSignature(raw)
	if err != nil {
		panic(err)
	}
	return hotpath.Op{Sender: userAddr(user), UserOp: uop, Signature: sig, ReceivedAt: time.Now()}
}

// batchLabel describes an addInput payload for the logs.
func batchLabel(payload []byte) string {
	b, err := protocol.DecodeBatch(payload)
	if err != nil {
		return "undecodable"
	}
	ops := 0
	first := uint64(0)
	for i, f := range b.Frames {
		ops += len(f.UserOps)
		if i == 0 {
			first = f.SafeBlock
		}
	}
	return fmt.Sprintf("#%d (%d frames, %d ops, first safe %d, %s)", b.Nonce, len(b.Frames), ops, first,
		crypto.Keccak256Hash(payload).String()[:10])
}

// vclock is the virtual wall clock of one world: the lane, the danger
// detector and the activities all read it. It moves only when the model
// publishes the simulated L1's time, so the lane's time-driven decisions
// (sealing by age, staleness, estimated danger) happen at known points.
//
// It also watches who asks the time, to follow the lane without racing it
// (the lane polls; a model that raced it would not replay): maintain reads
// the clock twice per pass, and the lane stamps a batch it opens with the
// clock (afterSeal, openTip) but keeps the database's creation time for a
// tip it reloads (rebuild): so the model knows when the open batch becomes
// old enough to be sealed by age.
type vclock struct {
	mu       sync.Mutex
	now      time.Time
	maintain atomic.Int64
	// tipCreated is the open batch's creation time as the lane sees it; nil
	// after a rebuild (the database's now(), which the clock is far from).
	tipCreated *time.Time
}

func (c *vclock) Now() time.Time {
	var pcs [4]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	f0, more := frames.Next()
	var f1 runtime.Frame
	if more {
		f1, _ = frames.Next()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	switch fn := f0.Function; {
	case strings.HasSuffix(fn, "hotpath.(*Lane).maintain"):
		c.maintain.Add(1)
	case strings.HasSuffix(fn, "hotpath.(*Lane).afterSeal"), strings.HasSuffix(fn, "hotpath.(*Lane).openTip"):
		c.tipCreated = &now
	case strings.HasSuffix(fn, "hotpath.(*Lane).setPolicy") && strings.HasSuffix(f1.Function, "hotpath.(*Lane).rebuild"):
		c.tipCreated = nil
	}
	return now
}

// tip returns the open batch's creation time as the lane sees it (ok false
// when the lane reloaded it from the database).
func (c *vclock) tip() (created time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tipCreated == nil {
		return time.Time{}, false
	}
	return *c.tipCreated, true
}

func (c *vclock) set(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Equal(c.now) {
		return false
	}
	c.now = t
	return true
}

func (c *vclock) get() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// ---- activities in Temporal's activity test environment ----

var discardTemporalLogger = tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))

// call runs an activity method in Temporal's activity test environment (a
// real activity context: heartbeats work) with a background context that
// ends after timeout (a worker that stops the attempt), and decodes its
// result into out.
func call(timeout time.Duration, fn any, out any, args ...any) error {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(discardTemporalLogger)
	env := s.NewTestActivityEnvironment()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	env.RegisterActivity(fn)
	val, err := env.ExecuteActivity(fn, args...)
	if err != nil {
		return err
	}
	if out != nil && val.HasValue() {
		return val.Get(out)
	}
	return nil
}

func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func nonRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// ---- the lane ----

type laneProc struct {
	lane   *hotpath.Lane
	cancel context.CancelFunc
	done   chan error
}

func (w *world) startLane() {
	lane := hotpath.New(hotpath.Config{
		DatabaseURL: w.url, ChainID: chainID, App: appAddr, BatchSubmitter: &submitterAddr,
		MaxBatchOpen: w.maxBatchOpen, Danger: dangerConfig, DangerInterval: 30 * time.Millisecond,
	}, hotpath.Deps{NewApp: newWallet, Pool: w.pool, Hub: feed.NewHub(0), Clock: w.clock.Now,
		Registerer: prometheus.NewRegistry()})
	ctx, cancel := context.WithCancel(context.Background())
	p := &laneProc{lane: lane, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- lane.Run(ctx) }()
	w.lp = p
}

func (w *world) stopLane() {
	if w.lp == nil {
		return
	}
	w.lp.cancel()
	select {
	case err := <-w.lp.done:
		if err != nil {
			w.failf("the lane stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		w.failf("the lane did not stop")
	}
	w.lp = nil
}

// lockHeld reports whether some session holds the lane's writer lock.
func (w *world) lockHeld() bool {
	var n int
	w.must(w.pool.QueryRow(w.ctx, `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()`).Scan(&n))
	return n > 0
}

// fingerprint changes whenever the lane writes.
func (w *world) fingerprint() string {
	var a, b, c, d int64
	w.must(w.pool.QueryRow(w.ctx, `SELECT (SELECT count(*) FROM frames), (SELECT count(*) FROM batches WHERE sealed_at IS NOT NULL),
		(SELECT count(*) FROM batches), (SELECT coalesce(max("offset"), 0) FROM sequenced_l2_txs)`).Scan(&a, &b, &c, &d))
	return fmt.Sprint(a, b, c, d)
}

// quiesce waits until the lane has reacted to everything: in recovery mode
// it has released the writer lock; otherwise it is the active writer with
// the current generation, its detector classifies what the model computes
// from the same view and clock, its intake matches, and its next
// maintenance pass has nothing to do (no frame to open, no batch old enough
// to seal). With -strict it also waits for a whole maintenance pass and
// checks that the pass indeed wrote nothing.
func (w *world) quiesce() {
	defer w.timed(&w.stats.quiesceNs)()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			w.failf("the lane did not settle: status %+v, danger %s, pending maintenance %s", w.lp.lane.Status(),
				w.lp.lane.Danger(), w.pendingMaintenance())
		}
		ok, fenced := w.laneMatches()
		if !ok {
			time.Sleep(time.Millisecond)
			continue
		}
		if fenced {
			return
		}
		if p := w.pendingMaintenance(); p != "" {
			time.Sleep(time.Millisecond)
			continue
		}
		if !*flagStrict {
			return
		}
		before := w.fingerprint()
		mark := w.clock.maintain.Load()
		for w.clock.maintain.Load() < mark+4 {
			if time.Now().After(deadline) {
				w.failf("the lane did not run its maintenance: status %+v", w.lp.lane.Status())
			}
			time.Sleep(2 * time.Millisecond)
		}
		if ok, _ := w.laneMatches(); ok && w.fingerprint() == before {
			return
		}
		w.failf("the model mispredicted the lane: its maintenance wrote after the model found nothing to do")
	}
}

// pendingMaintenance predicts what the lane's next maintenance pass does:
// open a frame (the safe head moved FrameClockInterval past the open
// frame) or seal the open batch by age. "" when nothing.
func (w *world) pendingMaintenance() string {
	var head, lastFrame *int64
	w.must(w.pool.QueryRow(w.ctx, `SELECT (SELECT block_number FROM l1_safe_head),
		(SELECT max(f.safe_block) FROM frames f JOIN batches b ON b.id = f.batch_id
		 WHERE b.sealed_at IS NULL AND b.invalidated_at IS NULL)`).Scan(&head, &lastFrame))
	if head == nil || lastFrame == nil {
		return ""
	}
	if *head >= *lastFrame+int64(protocol.FrameClockInterval) {
		return fmt.Sprintf("open a frame at %d (last at %d)", *head, *lastFrame)
	}
	created, ok := w.clock.tip()
	if (ok && w.clock.get().Sub(created) >= w.maxBatchOpen) || (!ok && w.clockAhead) {
		return "seal the open batch by age"
	}
	return ""
}

func (w *world) laneMatches() (ok, fenced bool) {
	if w.lp == nil {
		return true, true // no lane yet
	}
	v, err := store.ReadDangerView(w.ctx, w.pool)
	w.must(err)
	if v.Control.Divergence != "" {
		w.failf("canonical divergence recorded: %s", v.Control.Divergence)
	}
	st := w.lp.lane.Status()
	if !v.SafeHead.Known {
		return true, true // the lane waits for the first observation
	}
	if v.Control.Recovering() {
		return st.Mode == "recovering" && !st.IntakeOpen && !w.lockHeld(), true
	}
	if st.Role != hotpath.RoleActive || st.Mode != "normal" || st.Generation != v.Control.Generation {
		return false, false
	}
	want := hotpath.Classify(v, w.clock.get(), dangerConfig)
	if w.lp.lane.Danger() != want || st.IntakeOpen != (want == hotpath.DangerSafe) {
		return false, false
	}
	return true, false
}

func (w *world) must(err error) {
	if err != nil {
		w.failf("%v", err)
	}
}

// newActivities builds the worker's activities over the world's stores and
// the simulated L1.
func (w *world) newActivities(pool *pgxpool.Pool) *activities.Activities {
	return &activities.Activities{
		Pool: pool, Observer: store.NewObserver(pool), Submitter: store.NewSubmitter(pool),
		Maintenance: store.NewMaintenance(pool), Recovery: store.NewRecovery(pool),
		Reader: w.sim, Poster: w.sim, Flusher: w.sim, Chain: w.sim,
		App: appAddr, BatchSubmitter: submitterAddr,
		PollInterval: time.Millisecond, Now: w.clock.Now, Log: slog.New(slog.DiscardHandler), Danger: dangerConfig,
	}
}
