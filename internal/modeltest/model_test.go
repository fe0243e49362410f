package modeltest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/workflows"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var (
	flagSeeds     = flag.Int("seeds", envInt("MODELTEST_SEEDS", 200), "number of random schedules (env MODELTEST_SEEDS)")
	flagSeed      = flag.Int64("seed", -1, "replay only this seed (verbose)")
	flagFirst     = flag.Int64("firstseed", envInt64("MODELTEST_FIRST_SEED", 1), "first seed of the run (env MODELTEST_FIRST_SEED)")
	flagSteps     = flag.Int("steps", envInt("MODELTEST_STEPS", 40), "adversarial steps per schedule (env MODELTEST_STEPS)")
	flagStrict    = flag.Bool("strict", false, "after every step also wait for a whole lane maintenance pass and check it wrote nothing (slow; checks the model of the lane)")
	flagFresh     = flag.Bool("fresh-submitter-in-recovery", true, "allow the submitter workflow to be restarted afresh (unpaused) while a recovery runs")
	flagKeepGoing = flag.Bool("keepgoing", false, "run every seed even after a failure")
	flagParallel  = flag.Int("par", envInt("MODELTEST_PARALLEL", 4), "schedules run at once (env MODELTEST_PARALLEL)")
)

// replayFlags are the flags that shape a schedule, when not at their
// defaults.
func replayFlags() string {
	out := ""
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "steps", "fresh-submitter-in-recovery", "strict":
			out += fmt.Sprintf(" -%s=%s", f.Name, f.Value)
		}
	})
	if *flagSteps != 40 && !strings.Contains(out, "-steps=") {
		out += fmt.Sprintf(" -steps=%d", *flagSteps) // from the environment
	}
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envInt64(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

type ack struct {
	user   int
	nonce  uint32
	offset uint64
}

// world is one schedule: a fresh database, a running lane, the worker's
// activities over a simulated L1, the workflows as step machines, and the
// adversary's random choices.
type world struct {
	t        *testing.T
	seed     int64
	rng      *rand.Rand
	ctx      context.Context
	url      string
	pool     *pgxpool.Pool
	sim      *simL1
	clock    *vclock
	acts     *activities.Activities
	lp       *laneProc
	sub      *submitterSM
	rec      *recoverySM
	acks     []ack
	schedule []string
	stepNo   int
	verbose  bool
	flushed  *uint64
	// clockFrozen stops publishing L1 time to the lane (settling).
	clockFrozen bool // the watermark the last completed flush covered

	maxBatchOpen time.Duration
	batchOps     int
	clockAhead   bool

	violationMu sync.Mutex
	violation   string

	stats *runStats
}

type runStats struct {
	seeds, steps, ops, acks, batchesSealed, batchesLanded, recoveries, cascades, flushes, zombiesLanded, stale atomic.Int64
	quiesceNs, checkNs, activityNs, setupNs, dbNs                                                              atomic.Int64
	lateAccepted, forcedDirects, laneRestarts                                                                  atomic.Int64
	// broadcasts of the submitter's rounds by kind (new, replace, reassign,
	// rebroadcast) and result: the schedules must exercise all of them.
	broadcasts sync.Map // "kind/result" → *atomic.Int64
}

func (s *runStats) broadcast(kind workflows.SendKind, result string) {
	c, _ := s.broadcasts.LoadOrStore(string(kind)+"/"+result, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

func (s *runStats) broadcastSummary() string {
	var parts []string
	s.broadcasts.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("%s %d", k, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func (w *world) failf(format string, args ...any) {
	w.t.Helper()
	msg := fmt.Sprintf(format, args...)
	var b strings.Builder
	fmt.Fprintf(&b, "MODEL VIOLATION (seed %d, step %d): %s\n", w.seed, w.stepNo, msg)
	fmt.Fprintf(&b, "replay: go test ./internal/modeltest -run 'TestModel' -seed=%d%s -v\n", w.seed, replayFlags())
	fmt.Fprintf(&b, "config: %d ops per batch, max batch open %s, clock ahead of the database %v\n", w.batchOps, w.maxBatchOpen, w.clockAhead)
	b.WriteString("schedule:\n")
	for _, s := range w.schedule {
		b.WriteString("  " + s + "\n")
	}
	w.t.Fatal(b.String())
}

// violate records a violation seen off the test goroutine (in the simulated
// node); the step reports it.
func (w *world) violate(format string, args ...any) {
	w.violationMu.Lock()
	defer w.violationMu.Unlock()
	if w.violation == "" {
		w.violation = fmt.Sprintf(format, args...)
	}
}

func (w *world) takeViolation() {
	w.violationMu.Lock()
	v := w.violation
	w.violationMu.Unlock()
	if v != "" {
		w.failf("%s", v)
	}
}

// activity runs one activity attempt; a fault armed for it fires inside
// (an unused one is dropped).
func (w *world) activity(timeout time.Duration, fn any, out any, args ...any) error {
	defer w.timed(&w.stats.activityNs)()
	err := call(timeout, fn, out, args...)
	w.sim.disarm()
	w.takeViolation()
	return err
}

// checkSend is write-before-broadcast: at the moment any transaction of the
// submitter reaches the node, the durable watermark covers its nonce.
func (w *world) checkSend(tx *types.Transaction) {
	var mark int64
	err := w.pool.QueryRow(context.Background(), `SELECT nonce FROM wallet_nonce_watermark`).Scan(&mark)
	switch {
	case err != nil:
		w.violate("broadcast of nonce %d with no readable watermark: %v", tx.Nonce(), err)
	case uint64(mark) < tx.Nonce():
		w.violate("broadcast of nonce %d while the watermark is %d (write-before-broadcast broken)", tx.Nonce(), mark)
	}
}

func (w *world) timed(c *atomic.Int64) func() {
	start := time.Now()
	return func() { c.Add(int64(time.Since(start))) }
}

func (w *world) logf(format string, args ...any) {
	s := fmt.Sprintf("%3d [L%d S%d] ", w.stepNo, w.sim.Latest(), w.sim.SafeBlock()) + fmt.Sprintf(format, args...)
	w.schedule = append(w.schedule, s)
	if w.verbose {
		w.t.Log(s)
	}
}

// publishTime moves the virtual wall clock to just after the latest block
// and lets the lane react.
func (w *world) publishTime() {
	if !w.clockFrozen && w.clock.set(time.Unix(int64(w.sim.TimeOf(w.sim.Latest())+5), 0)) {
		w.quiesce()
	}
}

func TestModel(t *testing.T) {
	seeds := make([]int64, 0, *flagSeeds)
	if *flagSeed >= 0 {
		seeds = append(seeds, *flagSeed)
	} else {
		for i := 0; i < *flagSeeds; i++ {
			seeds = append(seeds, *flagFirst+int64(i))
		}
	}
	stats := &runStats{}
	start := time.Now()
	work := make(chan int64)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < max(1, *flagParallel); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range work {
				if !t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runSeed(t, seed, stats) }) {
					failed.Store(true)
				}
			}
		}()
	}
	for _, s := range seeds {
		if failed.Load() && !*flagKeepGoing {
			break
		}
		work <- s
	}
	close(work)
	wg.Wait()
	el := time.Since(start)
	t.Logf("time: quiesce %s, checks %s, activities %s, setup %s (databases %s)", time.Duration(stats.quiesceNs.Load()),
		time.Duration(stats.checkNs.Load()), time.Duration(stats.activityNs.Load()), time.Duration(stats.setupNs.Load()),
		time.Duration(stats.dbNs.Load()))
	t.Logf("%d schedules, %d steps in %s (%.1f schedules/s, %.0f steps/s); ops acknowledged %d of %d, batches sealed %d, landed %d (stale %d, accepted late %d), zombies landed %d, forced direct inputs %d, recoveries %d (cascades %d, flushes %d), lane restarts %d",
		stats.seeds.Load(), stats.steps.Load(), el.Round(time.Millisecond), float64(stats.seeds.Load())/el.Seconds(),
		float64(stats.steps.Load())/el.Seconds(), stats.acks.Load(), stats.ops.Load(), stats.batchesSealed.Load(),
		stats.batchesLanded.Load(), stats.stale.Load(), stats.lateAccepted.Load(), stats.zombiesLanded.Load(),
		stats.forcedDirects.Load(), stats.recoveries.Load(), stats.cascades.Load(), stats.flushes.Load(), stats.laneRestarts.Load())
	t.Logf("submitter broadcasts (kind/result): %s", stats.broadcastSummary())
}

func runSeed(t *testing.T, seed int64, stats *runStats) {
	ctx := context.Background()
	setupStart := time.Now()
	url := pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	stats.dbNs.Add(int64(time.Since(setupStart)))
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 6
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	rng := rand.New(rand.NewSource(seed))
	w := &world{t: t, seed: seed, rng: rng, ctx: ctx, url: url, pool: pool, clock: &vclock{}, verbose: *flagSeed >= 0,
		sub: newSubmitterSM(), rec: &recoverySM{}, stats: stats}
	// Per-schedule configuration: batch size (by the fee policy), age limit,
	// and whether the virtual clock runs ahead of the database's now() (a
	// tip reloaded after a restart is then always old enough to seal, else
	// never by age).
	baseGas := []int{808, 898, 950}
	k := rng.Intn(len(baseGas))
	w.batchOps = k + 1
	w.maxBatchOpen = time.Duration(3+rng.Intn(10)) * blockTime * time.Second
	w.clockAhead = rng.Intn(2) == 0
	genesis := time.Now().Add(-365 * 24 * time.Hour)
	if w.clockAhead {
		genesis = time.Now().Add(365 * 24 * time.Hour)
	}
	if _, err := pool.Exec(ctx, `UPDATE batch_policy SET log_base_gas = $1`, baseGas[k]); err != nil {
		t.Fatal(err)
	}
	w.sim = newSimL1(chainID, appAddr, inputBoxAddr, submitterKey, uint64(genesis.Unix()))
	w.sim.onSend = w.checkSend
	w.clock.set(time.Unix(int64(w.sim.TimeOf(0)+5), 0))
	w.acts = w.newActivities(pool)

	// Genesis: every user deposits, a few blocks pass, the observer records
	// the first safe head and the lane opens the root batch.
	for u := range userKeys {
		w.sim.Deposit(portal, depositPayload(u, 1_000_000_000))
	}
	w.sim.Jump(6)
	w.logf("genesis: %d deposits, 6 blocks; %d ops per batch, max batch open %s, clock ahead %v", len(userKeys),
		w.batchOps, w.maxBatchOpen, w.clockAhead)
	w.logf("%s", w.observe())
	w.startLane()
	defer w.stopLane()
	w.quiesce()
	w.check()
	stats.setupNs.Add(int64(time.Since(setupStart)))

	for w.stepNo = 1; w.stepNo <= *flagSteps; w.stepNo++ {
		w.randomStep()
		w.check()
		stats.steps.Add(1)
	}
	w.stepNo = *flagSteps + 1
	w.settle()
	w.finalChecks()
	stats.seeds.Add(1)
}

// ---- the adversary ----

type action struct {
	name   string
	weight int
	run    func() string
}

func (w *world) randomStep() {
	var acts []action
	add := func(name string, weight int, run func() string) {
		if weight > 0 {
			acts = append(acts, action{name, weight, run})
		}
	}
	pool := w.sim.PoolNonces()
	zombies := w.sim.Zombies()
	add("op", 14, w.stepOp)
	add("deposit", 3, w.stepDeposit)
	add("mine", 12, w.stepMine)
	add("advance", 6, w.stepAdvance)
	add("jump", 2, w.stepJump)
	add("reorg", 2, func() string {
		d := w.sim.Reorg(uint64(1 + w.rng.Intn(4)))
		return fmt.Sprintf("L1: reorg of the last %d unsafe blocks (their transactions go back to the pool)", d)
	})
	if len(pool) > 0 {
		add("drop", 3, func() string {
			n := pool[w.rng.Intn(len(pool))]
			st := w.sim.Drop(n)
			return fmt.Sprintf("adversary: drop %s from the node's pool", st)
		})
	}
	if len(zombies) > 0 {
		add("reinject", 3, func() string {
			st := zombies[w.rng.Intn(len(zombies))]
			err := w.sim.Reinject(st)
			return fmt.Sprintf("adversary: re-inject %s: %v", st, err)
		})
	}
	add("observe", 12, func() string { return w.observe() })
	add("submitter", 16, w.submitterStep)
	if w.rec.active {
		add("recovery", 20, w.recoveryStep)
		add("restart-recovery", 2, func() string {
			w.startRecovery(w.rec.reason)
			return "worker: recovery workflow restarted from its first step"
		})
	}
	add("fault", 4, func() string {
		after, accept := w.rng.Intn(6), w.rng.Intn(2) == 0
		w.sim.arm(after, accept)
		return fmt.Sprintf("worker: the next activity dies at its L1 call #%d (a send is accepted first: %v)", after+1, accept)
	})
	freshOK := *flagFresh || !w.rec.active
	add("restart-submitter", map[bool]int{true: 2}[freshOK], func() string {
		w.restartSubmitter()
		return "worker: submitter workflow restarted from its first step"
	})
	add("restart-lane", 1, func() string {
		w.stopLane()
		w.startLane()
		w.quiesce()
		w.stats.laneRestarts.Add(1)
		return "sequencer: lane process restarted"
	})
	add("stall", 1, func() string {
		lag := uint64(2)
		if w.rng.Intn(2) == 0 {
			lag = uint64(3 + w.rng.Intn(40))
		}
		w.sim.SetSafeLag(lag)
		return fmt.Sprintf("adversary: safe head now trails latest by %d", lag)
	})
	add("tick", 2, func() string {
		w.publishTime()
		return "time passes for the sequencer (no observation)"
	})
	total := 0
	for _, a := range acts {
		total += a.weight
	}
	r := w.rng.Intn(total)
	for _, a := range acts {
		if r < a.weight {
			w.logf("%s", a.run())
			return
		}
		r -= a.weight
	}
}

func (w *world) stepOp() string {
	u := w.rng.Intn(len(userKeys))
	to := userAddr((u + 1 + w.rng.Intn(len(userKeys)-1)) % len(userKeys))
	next, err := w.lp.lane.NextNonce(userAddr(u))
	if errors.Is(err, hotpath.ErrUnavailable) {
		// Not the writer with intake open: no nonce to report (issue 9 item 3).
		return fmt.Sprintf("user %d: nonce unavailable", u)
	}
	w.must(err)
	nonce := next
	if w.rng.Intn(10) == 0 {
		nonce = next + 1 // a client out of date: refused
	}
	w.stats.ops.Add(1)
	ctx, cancel := context.WithTimeout(w.ctx, 20*time.Second)
	defer cancel()
	r, err := w.lp.lane.Submit(ctx, signedOp(u, nonce, uint64(1+w.rng.Intn(5)), to))
	desc := fmt.Sprintf("user %d: op nonce %d", u, nonce)
	var rejected *hotpath.RejectedError
	var backlog *hotpath.BacklogError
	switch {
	case err == nil:
		if r.Sender != userAddr(u) || r.Nonce != nonce {
			w.failf("receipt %+v for user %d nonce %d", r, u, nonce)
		}
		w.acks = append(w.acks, ack{user: u, nonce: nonce, offset: r.Offset})
		w.stats.acks.Add(1)
		return fmt.Sprintf("%s: acknowledged at offset %d (fee %d)", desc, r.Offset, r.Fee)
	case errors.Is(err, hotpath.ErrUnavailable):
		return desc + ": unavailable"
	case errors.As(err, &backlog):
		// Admission control sheds at the hard line (capacity.md §2): the
		// adversary's jumps make the queue delay huge. Shedding is a
		// refusal before anything is written, like unavailable.
		return desc + ": shed: " + err.Error()
	case errors.As(err, &rejected):
		if nonce == next {
			w.failf("%s refused although it is the lane's next nonce: %v", desc, err)
		}
		return desc + ": refused: " + err.Error()
	default:
		w.failf("%s: unexpected error %v", desc, err)
	}
	return ""
}

func (w *world) stepDeposit() string {
	u := w.rng.Intn(len(userKeys))
	amount := uint64(1_000 + w.rng.Intn(1_000_000))
	w.sim.Deposit(portal, depositPayload(u, amount))
	return fmt.Sprintf("L1: user %d deposits %d (next block)", u, amount)
}

// pick is the adversarial miner's choice at a nonce: usually the node's
// pooled transaction, sometimes another known one (an older replaced
// version, a dropped one: a zombie).
func (w *world) pick(zombieOdds int) func([]*simTx) *simTx {
	return func(cands []*simTx) *simTx {
		pooled := w.sim.pool[cands[0].tx.Nonce()]
		if pooled != nil && (len(cands) == 1 || w.rng.Intn(zombieOdds) != 0) {
			return pooled
		}
		if pooled == nil && w.rng.Intn(zombieOdds) != 0 {
			return nil // nothing pooled: a zombie lands only now and then
		}
		var others []*simTx
		for _, c := range cands {
			if c != pooled {
				others = append(others, c)
			}
		}
		w.stats.zombiesLanded.Add(1)
		return others[w.rng.Intn(len(others))]
	}
}

func (w *world) mined(included []*simTx) string {
	var parts []string
	for _, st := range included {
		parts = append(parts, st.String())
		if st.batch {
			w.stats.batchesLanded.Add(1)
		}
	}
	if len(parts) == 0 {
		return "nothing of ours"
	}
	return strings.Join(parts, "; ")
}

func (w *world) stepMine() string {
	max := w.rng.Intn(4)
	included := w.sim.Mine(max, w.rng.Intn(2) == 0, w.pick(6))
	return fmt.Sprintf("L1: mine 1 block (up to %d of ours): %s", max, w.mined(included))
}

func (w *world) stepAdvance() string {
	n := 2 + w.rng.Intn(12)
	var all []*simTx
	for i := 0; i < n; i++ {
		max := 0
		if w.rng.Intn(2) == 0 {
			max = 1
		}
		all = append(all, w.sim.Mine(max, true, w.pick(10))...)
	}
	return fmt.Sprintf("L1: advance %d blocks: %s", n, w.mined(all))
}

func (w *world) stepJump() string {
	n := 850 + w.rng.Intn(700)
	w.sim.Jump(n)
	return fmt.Sprintf("L1: jump %d empty blocks", n)
}

// observe is one round of the L1 observer workflow; observed danger starts
// the recovery (one at a time).
func (w *world) observe() string {
	w.publishTime()
	var r workflows.ObserveResult
	err := w.activity(2*time.Minute, w.acts.Observe, &r)
	w.quiesce()
	if err != nil {
		return w.activityFailed("observer", err)
	}
	desc := fmt.Sprintf("observer: safe block %d, %d inputs added, accepted %v (frontier %d)", r.SafeBlock, r.InputsAdded,
		r.Accepted, r.AcceptedCount)
	if r.ObservedDanger != "" {
		desc += ", observed danger " + r.ObservedDanger
		if !w.rec.active {
			w.startRecovery(r.ObservedDanger)
			w.stats.recoveries.Add(1)
			desc += ": recovery started"
		}
	}
	return desc
}
