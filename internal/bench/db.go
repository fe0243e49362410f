package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/internal/pgcluster"
	"github.com/cartesi/sequencer/migrations"
)

// benchDatabase is the database created on the throwaway cluster.
const benchDatabase = "bench"

// durableSettings override pgcluster's test-tuned defaults (fsync off,
// synchronous_commit off) so every commit the bench measures is an honest,
// durable commit. shared_buffers is PostgreSQL's own default.
func durableSettings() map[string]string {
	return map[string]string{
		"fsync":              "on",
		"synchronous_commit": "on",
		"full_page_writes":   "on",
		"shared_buffers":     "128MB",
	}
}

// database is the database under test and, when the bench started it, the
// cluster serving it.
type database struct {
	url     string
	cluster *pgcluster.Cluster // nil with --database-url
	pool    *pgxpool.Pool
}

// openDatabase starts a throwaway cluster (or uses url when given), creates
// and migrates the bench database and connects a small pool.
func openDatabase(ctx context.Context, url string, log *slog.Logger) (*database, error) {
	db := &database{url: url}
	if url == "" {
		if err := db.startCluster(ctx, log); err != nil {
			return nil, errors.Join(err, db.close(context.WithoutCancel(ctx)))
		}
	}
	if err := migrations.ApplyURL(ctx, db.url); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate: %w", err), db.close(context.WithoutCancel(ctx)))
	}
	pool, err := pgxpool.New(ctx, db.url)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("connect: %w", err), db.close(context.WithoutCancel(ctx)))
	}
	db.pool = pool
	if err := db.requireEmpty(ctx); err != nil {
		return nil, errors.Join(err, db.close(context.WithoutCancel(ctx)))
	}
	return db, nil
}

// startCluster runs a throwaway PostgreSQL with durable settings and
// creates the bench database on it.
func (db *database) startCluster(ctx context.Context, log *slog.Logger) error {
	c, err := pgcluster.NewTemp(ctx, pgcluster.Options{Logger: log, Settings: durableSettings()})
	if err != nil {
		return fmt.Errorf("postgres cluster: %w", err)
	}
	db.cluster = c
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+benchDatabase); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	db.url = c.URL(benchDatabase)
	log.Info("postgres started", "dir", c.Dir(), "port", c.Port(), "settings", durableSettings())
	return nil
}

// requireEmpty refuses a database that already holds sequencer data: the
// bench funds senders from nonce 0 and must own the whole history.
func (db *database) requireEmpty(ctx context.Context) error {
	var inputs, ops int64
	err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM safe_inputs), (SELECT count(*) FROM sequenced_l2_txs)`).
		Scan(&inputs, &ops)
	if err != nil {
		return fmt.Errorf("inspect database: %w", err)
	}
	if inputs != 0 || ops != 0 {
		return fmt.Errorf("database is not empty (%d safe inputs, %d sequenced txs): the bench needs a fresh database", inputs, ops)
	}
	return nil
}

// info reads the durability settings the server actually runs with.
func (db *database) info(ctx context.Context) (PGInfo, error) {
	info := PGInfo{Throwaway: db.cluster != nil}
	for name, dst := range map[string]*string{
		"fsync": &info.Fsync, "synchronous_commit": &info.SynchronousCommit, "full_page_writes": &info.FullPageWrites,
	} {
		if err := db.pool.QueryRow(ctx, "SHOW "+name).Scan(dst); err != nil {
			return info, fmt.Errorf("show %s: %w", name, err)
		}
	}
	return info, nil
}

// depositAmount funds each sender far beyond what a run can spend: fees
// are at most fee_to_linear(max_fee) ≈ 5.6e6 units per op.
var depositAmount = uint256.MustFromBig(new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil))

// fund writes, as the L1 reader would, one deposit per sender and then
// layout.pending deposits to fresh accounts, on the blocks layout assigns,
// with COPY (copyChunk rows a statement); then the safe head at the block
// after the last deposit (timestamp now) and the batch submitter. Nothing
// is drained yet: serve drains it all when it starts.
func (db *database) fund(ctx context.Context, senders []common.Address, layout depositLayout) error {
	w, err := l1rows.New(ctx, db.pool)
	if err != nil {
		return err
	}
	inputs := make([]l1rows.Input, 0, min(copyChunk, layout.total()))
	for lo := 0; lo < layout.total(); lo += copyChunk {
		inputs = inputs[:0]
		for i := lo; i < min(lo+copyChunk, layout.total()); i++ {
			to, amount := pendingDepositor(i-layout.senders), pendingAmount
			if i < layout.senders {
				to, amount = senders[i], depositAmount
			}
			inputs = append(inputs, l1rows.Input{Sender: world.portal, Block: layout.block(i),
				Payload: wallet.EncodeDeposit(world.token, to, amount, nil)})
		}
		if _, err := w.Copy(ctx, inputs); err != nil {
			return fmt.Errorf("write deposits: %w", err)
		}
	}
	now := time.Now()
	if err := w.SetSafeHead(ctx, layout.safeHead(), now, now); err != nil {
		return err
	}
	if err := w.SetBatchSubmitter(ctx, world.submitter); err != nil {
		return fmt.Errorf("set batch submitter: %w", err)
	}
	return nil
}

// head is the newest feed offset (0 when the feed is empty).
func (db *database) head(ctx context.Context) (uint64, error) {
	var head int64
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(max("offset"), 0) FROM sequenced_l2_txs`).Scan(&head); err != nil {
		return 0, fmt.Errorf("read feed head: %w", err)
	}
	return uint64(head), nil
}

// close disconnects and destroys the throwaway cluster, if any.
func (db *database) close(ctx context.Context) error {
	if db.pool != nil {
		db.pool.Close()
	}
	if db.cluster == nil {
		return nil
	}
	if err := db.cluster.Destroy(ctx); err != nil {
		return fmt.Errorf("destroy postgres cluster: %w", err)
	}
	return nil
}

// settle runs VACUUM (ANALYZE) and a CHECKPOINT: after a bulk load of
// deposits and their drain, autovacuum and the checkpointer would otherwise
// compete with the measured load. CHECKPOINT needs a superuser (or
// pg_checkpoint): the throwaway cluster has one.
func (db *database) settle(ctx context.Context) error {
	if _, err := db.pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if _, err := db.pool.Exec(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
