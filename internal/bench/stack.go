package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/protocol"
)

// StackOptions configure RunStack, the end-to-end load mode (`sequencer
// bench stack`): it drives a running dev stack, L1 included, instead of a
// serve of its own.
type StackOptions struct {
	// EnvFile is the stack's .devstack/env (URLs, chain, funded keys).
	EnvFile string
	// Rate is the offered load in ops/s (open loop).
	Rate float64
	// Duration is how long ops are offered.
	Duration time.Duration
	// Senders is how many fresh accounts are funded through the portal.
	Senders int
	// Concurrency bounds the requests in flight; a due op that finds no
	// free slot is counted client-dropped. Default: Senders.
	Concurrency int
	// Interval is the period of the progress lines; default 10 s.
	Interval time.Duration
	// BlockTime, when set, changes anvil's block time after the funding,
	// before the load (evm_setIntervalMining, whole seconds). It stays
	// changed afterwards.
	BlockTime time.Duration
	// Settle keeps sampling L1 for this long after the load stops (the
	// backlog draining), reported apart from the load window.
	Settle time.Duration
	// DepositTokens is what each sender deposits, in whole test tokens;
	// default 10 (an op's fee is far below a token even after many fee
	// steps).
	DepositTokens int64
	// SkipMineSafe waits for the deposits to become safe on their own (32
	// block times) instead of mining past the safe distance at once.
	SkipMineSafe bool
	// Command is the command line, printed with the figures.
	Command string
	// Out receives the progress lines; nil discards them.
	Out io.Writer
	// Logger receives setup progress; nil discards it.
	Logger *slog.Logger
}

// Defaults of StackOptions.
const (
	DefaultStackRate     = 200
	DefaultStackDuration = time.Minute
	DefaultStackSenders  = 200
	DefaultStackInterval = 10 * time.Second
	DefaultDepositTokens = 10
)

func (o StackOptions) withDefaults() (StackOptions, error) {
	if o.Rate == 0 {
		o.Rate = DefaultStackRate
	}
	if o.Duration == 0 {
		o.Duration = DefaultStackDuration
	}
	if o.Senders == 0 {
		o.Senders = DefaultStackSenders
	}
	if o.Concurrency == 0 {
		o.Concurrency = o.Senders
	}
	if o.Interval == 0 {
		o.Interval = DefaultStackInterval
	}
	if o.DepositTokens == 0 {
		o.DepositTokens = DefaultDepositTokens
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.EnvFile == "":
		return o, errors.New("no stack environment file")
	case o.Rate < 0 || o.Rate > 1e6:
		return o, fmt.Errorf("rate must be in (0, 1e6] ops/s, got %g", o.Rate)
	case o.Duration < 0 || o.Settle < 0 || o.Interval < 0:
		return o, errors.New("duration, settle and interval must not be negative")
	case o.Senders < 1 || o.Senders > 100_000:
		return o, fmt.Errorf("senders must be in [1, 100000], got %d", o.Senders)
	case o.Concurrency < 1:
		return o, fmt.Errorf("concurrency must be positive, got %d", o.Concurrency)
	case o.BlockTime < 0 || o.BlockTime%time.Second != 0:
		return o, fmt.Errorf("block time must be whole seconds, got %s", o.BlockTime)
	case o.DepositTokens < 0:
		return o, errors.New("deposit must not be negative")
	}
	return o, nil
}

// RunStack funds fresh senders through the ERC-20 portal, then offers
// POST /tx at o.Rate for o.Duration and prints a progress line every
// o.Interval and the report at the end. It writes nothing to the stack's
// database (its connection is read only). An interrupted run returns the
// report so far with the context's error.
func RunStack(ctx context.Context, o StackOptions) (*StackReport, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	target, err := readStackEnv(o.EnvFile)
	if err != nil {
		return nil, err
	}
	if len(target.FundedKeys) == 0 {
		return nil, fmt.Errorf("%s lists no funded key (DEV_FUNDED_KEYS)", o.EnvFile)
	}
	db, err := openReadOnly(ctx, target.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rc, err := rpc.DialContext(ctx, target.EthRPCURL)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target.EthRPCURL, err)
	}
	defer rc.Close()
	var chainID hexutil.Uint64
	if err := rc.CallContext(ctx, &chainID, "eth_chainId"); err != nil {
		return nil, fmt.Errorf("L1 at %s (is the stack running?): %w", target.EthRPCURL, err)
	}
	if uint64(chainID) != target.ChainID {
		return nil, fmt.Errorf("L1 chain id %d, the stack's is %d", chainID, target.ChainID)
	}

	load := newOpenLoad(target.HTTPURL, protocol.NewDomain(target.ChainID, target.App), o.Rate, o.Concurrency, nil)
	fees := newFeeWatch(target.HTTPURL, &http.Client{Timeout: 2 * time.Second})
	load.fees = fees
	if err := fees.refresh(ctx); err != nil {
		return nil, fmt.Errorf("GET %s/fee (is the stack running?): %w", target.HTTPURL, err)
	}

	senders, err := newStackSenders(o.Senders)
	if err != nil {
		return nil, err
	}
	o.Logger.Info("funding senders through the ERC-20 portal", "senders", o.Senders, "deposit_tokens", o.DepositTokens)
	fundStart := time.Now()
	f := &funding{rpc: rc, db: db, target: target, funders: target.FundedKeys,
		tokens: new(big.Int).Mul(big.NewInt(o.DepositTokens), ether), mineSafe: !o.SkipMineSafe,
		progress: func(msg string, args ...any) { o.Logger.Info(msg, args...) }}
	if err := f.run(ctx, senders); err != nil {
		return nil, err
	}
	// After the funding, which needs a few blocks and should not wait 12 s
	// for each.
	if o.BlockTime > 0 {
		secs := int64(o.BlockTime / time.Second)
		if err := rc.CallContext(ctx, nil, "evm_setIntervalMining", secs); err != nil {
			return nil, fmt.Errorf("set anvil's block time: %w", err)
		}
		o.Logger.Info("anvil block time changed (it stays so after the run)", "seconds", secs)
	}
	rep := &StackReport{Rate: o.Rate, Senders: o.Senders, Concurrency: o.Concurrency, Overrides: target.Overrides,
		Command: o.Command, FundSeconds: time.Since(fundStart).Seconds()}
	if o.BlockTime > 0 {
		rep.BlockTimeSet = o.BlockTime.String()
	}
	return rep, runLoadAndSample(ctx, o, load, fees, &chainWatch{db: db, rpc: rc, submitter: target.BatchSubmitter,
		inputBox: target.InputBox, app: target.App, signer: types.LatestSignerForChainID(new(big.Int).SetUint64(target.ChainID))}, senders, rep)
}

var ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// openReadOnly connects a small pool whose sessions refuse writes: the load
// mode observes the sequencer's database, it never changes it.
func openReadOnly(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = "sequencer bench stack"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to the database (is the stack running?): %w", err)
	}
	return pool, nil
}

// runLoadAndSample runs the load in the background and samples every
// o.Interval until it ends, then for o.Settle more.
func runLoadAndSample(ctx context.Context, o StackOptions, load *openLoad, fees *feeWatch, chain *chainWatch,
	senders []*stackSender, rep *StackReport) error {
	level0, err := chain.baseline(ctx)
	if err != nil {
		return err
	}
	_ = fees.refresh(ctx)
	start := time.Now()
	fees.begin(start)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go fees.loop(wctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		load.run(ctx, senders, start, o.Duration)
	}()
	fmt.Fprintf(o.Out, "offering %.0f ops/s for %s from %d senders (at most %d requests in flight); a line every %s\n",
		o.Rate, o.Duration, o.Senders, o.Concurrency, o.Interval)

	s := &sampler{chain: chain, load: load, fees: fees, start: start, prevAt: start, prevBlock: level0.Block,
		level0: level0, out: o.Out}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	var errs []error
	loading := true
	var loadEnd time.Time
	for loading {
		select {
		case <-tick.C:
			if err := s.take(ctx, "load", &rep.Intervals); err != nil {
				errs = append(errs, err)
			}
		case <-done:
			loading = false
			loadEnd = time.Now()
			if err := s.take(ctx, "load", &rep.Intervals); err != nil {
				errs = append(errs, err)
			}
		}
	}
	rep.Total = sumIntervals(rep.Intervals)
	st := fees.state()
	rep.fillFees(st, load)
	rep.DurationSeconds = loadEnd.Sub(start).Seconds()
	if rep.Total.Blocks > 0 {
		rep.SecondsPerBlock = rep.Total.Seconds / float64(rep.Total.Blocks)
	}
	rep.InvalidatedDuringRun = rep.Total.Invalidated - level0.Invalidated
	rep.RecoveriesDuringRun = rep.Total.Generation - level0.Generation
	rep.OtherAnswers = load.otherAnswers()
	rep.BadRetryAfter = load.snapshot().badRetryAfter

	if o.Settle > 0 && ctx.Err() == nil {
		fmt.Fprintf(o.Out, "load stopped; watching L1 for %s more\n", o.Settle)
		end := time.After(o.Settle)
	settle:
		for {
			select {
			case <-ctx.Done():
				break settle
			case <-tick.C:
				if err := s.take(ctx, "settle", &rep.Settle); err != nil {
					errs = append(errs, err)
				}
			case <-end:
				if err := s.take(ctx, "settle", &rep.Settle); err != nil {
					errs = append(errs, err)
				}
				break settle
			}
		}
		if n := len(rep.Settle); n > 0 {
			last := rep.Settle[n-1]
			rep.InvalidatedDuringRun = last.Invalidated - level0.Invalidated
			rep.RecoveriesDuringRun = last.Generation - level0.Generation
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("interrupted: %w", err))
	}
	return errors.Join(errs...)
}

// sampler turns counter snapshots and chain samples into intervals.
type sampler struct {
	chain     *chainWatch
	load      *openLoad
	fees      *feeWatch
	start     time.Time
	prevAt    time.Time
	prev      counts
	prevBlock uint64
	level0    chainSample
	out       io.Writer
}

// take records the interval since the previous call and prints its line. A
// failed chain read is returned but the line is still printed.
func (s *sampler) take(ctx context.Context, phase string, into *[]StackInterval) error {
	now := time.Now()
	if now.Sub(s.prevAt) < 100*time.Millisecond {
		return nil // the load ended (or the settling) right on a tick: nothing new to say
	}
	c := s.load.snapshot()
	cs, err := s.chain.sample(context.WithoutCancel(ctx))
	if err != nil {
		err = fmt.Errorf("sample L1: %w", err)
	}
	iv := newInterval(phase, s.prevAt.Sub(s.start), now.Sub(s.start), c.sub(s.prev), cs, s.prevBlock, s.fees.state())
	s.prev, s.prevAt = c, now
	if cs.Block > 0 {
		s.prevBlock = cs.Block
	}
	*into = append(*into, iv)
	fmt.Fprintln(s.out, iv.Line())
	return err
}
