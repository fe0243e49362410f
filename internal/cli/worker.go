package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/internal/logging"
	"github.com/cartesi/sequencer/internal/metricsreg"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/worker"
	"github.com/cartesi/sequencer/workflows"
)

// runWorker: sequencer worker — the Temporal worker that observes L1, posts
// batches and maintains snapshots.
func runWorker(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("worker", stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(config.RoleWorker)
	if err != nil {
		return err
	}
	signer, closeSigner, err := newSubmitterSigner(ctx, cfg, stdio) // signer.go
	if err != nil {
		return err
	}
	defer closeSigner()
	submitter := signer.Address()
	log := newLogger(stdio, "worker").With("batch_submitter", submitter)

	pool, err := openDatabase(ctx, cfg.DatabaseURLOrDev(), log)
	if err != nil {
		return err
	}
	defer pool.Close()

	// L1: the chain id first, before anything is read or written.
	dctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	rc, err := l1.Dial(dctx, cfg.EthRPCURL)
	if err != nil {
		return withExit(ExitTransient, err)
	}
	defer rc.Close()
	reader, err := l1.NewReader(rc, l1.ReaderConfig{ChainID: cfg.ChainID, InputBox: cfg.InputBoxAddress.Address,
		LongRangeErrorCodes: cfg.LongBlockRangeErrorCodes})
	if err != nil {
		return withExit(ExitUsage, err)
	}
	if err := reader.CheckChainID(dctx); err != nil {
		if errors.Is(err, l1.ErrChainIDMismatch) {
			return withExit(ExitTerminal, err)
		}
		return withExit(ExitTransient, fmt.Errorf("L1 unreachable at start: %w", err))
	}
	if _, err := store.RecordIdentity(dctx, pool, cfg.ChainID, cfg.AppAddress.Address, &submitter); err != nil {
		if errors.Is(err, store.ErrIdentityMismatch) {
			return withExit(ExitTerminal, err)
		}
		return withExit(ExitTransient, err)
	}
	inputBox := cfg.InputBoxAddress.Address
	if !cfg.InputBoxAddress.Set {
		if inputBox, err = reader.ResolveInputBox(dctx, cfg.AppAddress.Address); err != nil {
			return withExit(ExitUsage, err)
		}
	}
	poster, err := l1.NewPoster(rc, l1.PosterConfig{ChainID: cfg.ChainID, InputBox: inputBox, App: cfg.AppAddress.Address, Signer: signer})
	if err != nil {
		return withExit(ExitUsage, err)
	}

	// The registry first: the Temporal client reports the SDK's metrics
	// into it (worker.NewMetricsHandler) next to the worker's own.
	reg := metricsreg.New()
	tconn, err := temporalConnection(cfg)
	if err != nil {
		return err
	}
	wcfg := worker.Config{
		TemporalAddress:            tconn.TemporalAddress,
		Namespace:                  tconn.Namespace,
		Connection:                 tconn.Connection,
		Metrics:                    worker.NewMetricsHandler(reg),
		Identity:                   workflows.Identity{ChainID: cfg.ChainID, App: cfg.AppAddress.Address},
		ObserverPoll:               2 * time.Second,
		SubmitterIdlePoll:          time.Duration(cfg.BatchSubmitterIdlePollIntervalMS) * time.Millisecond,
		SubmitterMaxInFlight:       int(cfg.BatchSubmitterMaxInFlight),
		SubmitterResendAfterBlocks: cfg.BatchSubmitterResendAfterBlocks,
		SubmitterMaxFeePerGas:      cfg.L1MaxFeePerGasWei(),
		SnapshotInterval:           time.Minute,
	}
	tc, err := worker.Dial(dctx, wcfg, log)
	if err != nil {
		return withExit(ExitTransient, err)
	}
	defer tc.Close()

	metricsSrv, err := serveMetrics(cfg.WorkerMetricsAddr, reg)
	if err != nil {
		return withExit(ExitUsage, err)
	}
	defer metricsSrv.Close()

	feeOracle, err := newFeeOracle(rc, cfg, pool) // feeoracle.go
	if err != nil {
		return withExit(ExitUsage, err)
	}
	acts := &activities.Activities{
		Observer:       store.NewObserver(pool),
		Submitter:      store.NewSubmitter(pool),
		Maintenance:    store.NewMaintenance(pool),
		Recovery:       store.NewRecovery(pool),
		Pool:           pool,
		Flusher:        poster,
		Reader:         reader,
		Poster:         poster,
		Chain:          ethclient.NewClient(rc),
		ChainID:        cfg.ChainID,
		App:            cfg.AppAddress.Address,
		BatchSubmitter: submitter,
		PollInterval:   time.Second,
		// The recovery flush follows the submitter's replacement rule.
		MaxFeePerGas:      cfg.L1MaxFeePerGasWei(),
		ResendAfterBlocks: cfg.BatchSubmitterResendAfterBlocks,
		// The window refills when the lowest in-flight transaction is
		// included: look a few times per block (one eth_blockNumber and
		// one small query per look; a full plan only when either changed).
		SubmitPoll: 250 * time.Millisecond,
		Now:        time.Now,
		Log:        log,
		Metrics:    activities.NewMetrics(reg),
		FeeOracle:  feeOracle,
		Wallet:     ethclient.NewClient(rc), // balance and runway gauges
		Danger: hotpath.DangerConfig{MarginBlocks: cfg.PreemptiveMarginBlocks, ReadStaleBlocks: cfg.L1ReadStaleAfterBlocks,
			SecondsPerBlock: cfg.SecondsPerBlock},
	}
	log.Info("worker starting", "chain_id", cfg.ChainID, "app", cfg.AppAddress.Address, "input_box", inputBox,
		"signer", fmt.Sprint(signer), "l1", logging.RedactURL(cfg.EthRPCURL), "database", logging.RedactURL(cfg.DatabaseURLOrDev()),
		"temporal", wcfg.TemporalAddress, "namespace", wcfg.Namespace, "task_queue", workflows.NamesFor(wcfg.Identity).TaskQueue, "metrics", cfg.WorkerMetricsAddr)
	if err := worker.Run(ctx, tc, wcfg, acts, log); err != nil {
		if errors.Is(err, worker.ErrSearchAttributes) {
			return withExit(ExitTerminal, err) // an operator must create them
		}
		return err
	}
	return nil
}

// serveMetrics serves reg's /metrics on addr until the returned server is
// closed.
func serveMetrics(addr string, reg *prometheus.Registry) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("SEQ_WORKER_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}
