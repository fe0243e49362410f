package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/internal/logging"
	"github.com/cartesi/sequencer/internal/metricsreg"
	"github.com/cartesi/sequencer/internal/receipt"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// exitError carries a process exit code chosen where the error is classified.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func withExit(code int, err error) error { return exitError{code: code, err: err} }

const startTimeout = 15 * time.Second

// newLogger is the process logger: structured text (or JSON, at the level
// SEQ_LOG_FORMAT and SEQ_LOG_LEVEL chose; Run reads them) on stderr.
func newLogger(stdio Stdio, component string) *slog.Logger {
	return logging.New(stdio.Err, stdio.log).With("process", component)
}

// loadConfig reads the environment for role; a bad value is exit 2.
func loadConfig(role config.Role) (config.Config, error) {
	cfg, err := config.Load(role)
	if err != nil {
		return cfg, withExit(ExitUsage, err)
	}
	return cfg, nil
}

// openDatabase connects a pool and migrates; an unreachable database at
// start is a transient refusal (exit 20).
func openDatabase(ctx context.Context, url string, log *slog.Logger) (*pgxpool.Pool, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, withExit(ExitUsage, errors.New("SEQ_DATABASE_URL: cannot parse the connection string"))
	}
	pcfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, withExit(ExitTransient, fmt.Errorf("database: %w", err))
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, withExit(ExitTransient, fmt.Errorf("database unreachable: %w", err))
	}
	defer conn.Release()
	applied, err := migrations.Apply(ctx, conn.Conn())
	if err != nil {
		pool.Close()
		return nil, withExit(ExitTransient, fmt.Errorf("migrate: %w", err))
	}
	if len(applied) > 0 {
		log.Info("applied migrations", "versions", applied)
	}
	return pool, nil
}

// runServe: sequencer serve — the public API, the feed, the internal routes
// and the inclusion lane. Shutdown is two-phase: the lane drains (intake
// closes, queued ops commit and are answered), then HTTP stops.
func runServe(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("serve", stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(config.RoleServe)
	if err != nil {
		return err
	}
	log := newLogger(stdio, "serve")
	pool, err := openDatabase(ctx, cfg.DatabaseURLOrDev(), log)
	if err != nil {
		return err
	}
	defer pool.Close()

	receipts, err := newReceiptSigner(cfg, log)
	if err != nil {
		return err
	}
	reg := metricsreg.New() // Go, process, sequencer_build_info
	walletCfg := wallet.Config{Portal: cfg.WalletPortalAddress.Address, Token: cfg.WalletTokenAddress.Address,
		FeeRecipient: cfg.WalletFeeRecipient.Address}
	hub := feed.NewHub(0)
	soft, hard := cfg.AdmissionLines()
	lane := hotpath.New(hotpath.Config{
		DatabaseURL:    cfg.DatabaseURLOrDev(),
		ChainID:        cfg.ChainID,
		App:            cfg.AppAddress.Address,
		BatchSubmitter: cfg.BatchSubmitterAddress.Ptr(),
		MaxBatchOpen:   cfg.MaxBatchOpen(),
		Danger: hotpath.DangerConfig{MarginBlocks: cfg.PreemptiveMarginBlocks, ReadStaleBlocks: cfg.L1ReadStaleAfterBlocks,
			SecondsPerBlock: cfg.SecondsPerBlock},
		Admission: hotpath.AdmissionConfig{SoftBlocks: soft, HardBlocks: hard, MaxBatchBytes: int(cfg.MaxBatchBytes),
			MaxInFlight: cfg.BatchSubmitterMaxInFlight, ResendAfterBlocks: cfg.BatchSubmitterResendAfterBlocks,
			SecondsPerBlock: cfg.SecondsPerBlock},
	}, hotpath.Deps{
		NewApp:     func() app.Application { return wallet.New(walletCfg) },
		Pool:       pool,
		Hub:        hub,
		Logger:     log,
		Registerer: reg,
	})
	server := api.New(api.Config{PublicAddr: cfg.HTTPAddr, InternalAddr: cfg.InternalHTTPAddr,
		MaxSubscribers: cfg.FeedMaxSubscribers, MaxSubscribersPerIP: cfg.FeedMaxSubscribersPerIP,
		DisableCompression: !cfg.FeedCompression, HistoryMaxConcurrent: cfg.HistoryMaxConcurrent}, api.Deps{
		Lane:       lane,
		Feed:       store.NewFeedReader(pool),
		Snapshots:  store.NewSnapshotReader(pool),
		Hub:        hub,
		Domain:     protocol.NewDomain(cfg.ChainID, cfg.AppAddress.Address),
		DB:         pool,
		Log:        log,
		Registerer: reg,
		Gatherer:   reg,
		Receipts:   receipts,
	})
	if err := server.Listen(); err != nil {
		return withExit(ExitUsage, err)
	}
	log.Info("serving", "public", server.PublicAddr().String(), "internal", server.InternalAddr().String(),
		"chain_id", cfg.ChainID, "app", cfg.AppAddress.Address, "database", logging.RedactURL(cfg.DatabaseURLOrDev()),
		"admission_soft_blocks", soft, "admission_hard_blocks", hard,
		"max_batch_bytes", cfg.MaxBatchBytes)

	laneCtx, stopLane := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLane()
	laneDone := make(chan error, 1)
	go func() { laneDone <- lane.Run(laneCtx) }()
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	httpDone := make(chan error, 1)
	go func() { httpDone <- server.Run(httpCtx) }()

	var laneErr, httpErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining the lane")
		stopLane()
		laneErr = <-laneDone
	case laneErr = <-laneDone:
	case httpErr = <-httpDone:
		stopLane()
		laneErr = <-laneDone
	}
	log.Info("shutting down: http")
	stopHTTP()
	if httpErr == nil {
		httpErr = <-httpDone
	}
	switch {
	case hotpath.IsTerminal(laneErr):
		return withExit(ExitTerminal, laneErr)
	case laneErr != nil:
		return laneErr
	case httpErr != nil:
		return httpErr
	}
	log.Info("stopped cleanly")
	return nil
}

// newReceiptSigner builds the soft-confirmation signer from
// SEQ_RECEIPT_PRIVATE_KEY[_FILE], or returns nil (receipts disabled, with a
// warning) when neither is set. A bad key is exit 2. The result is an
// interface so that "disabled" is a nil interface, not a nil *Signer.
func newReceiptSigner(cfg config.Config, log *slog.Logger) (api.ReceiptSigner, error) {
	key, err := cfg.ReceiptKey()
	if err != nil {
		return nil, withExit(ExitUsage, err)
	}
	if key == nil {
		// Not "disabled": the log redactor hides "disable" when the database
		// URL says sslmode=disable.
		log.Warn("no receipt key: POST /tx answers without a signed receipt (set SEQ_RECEIPT_PRIVATE_KEY or SEQ_RECEIPT_PRIVATE_KEY_FILE)")
		return nil, nil
	}
	signer, err := receipt.NewSigner(key, cfg.ChainID, cfg.AppAddress.Address)
	if err != nil {
		return nil, withExit(ExitUsage, err)
	}
	log.Info("signing receipts", "receipt_key", signer.Address())
	return signer, nil
}

// runMigrate: sequencer migrate — apply the schema and exit.
func runMigrate(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("migrate", stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(config.RoleMigrate)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg.DatabaseURLOrDev(), newLogger(stdio, "migrate"))
	if err != nil {
		return err
	}
	pool.Close()
	_, err = fmt.Fprintln(stdio.Out, "database schema is up to date")
	return err
}
