package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/protocol"
)

// ceilingWindow is how long each ceiling is measured.
const ceilingWindow = 2 * time.Second

// scratchTable receives the commit-ceiling rows; it is dropped afterwards.
const scratchTable = "bench_commit_scratch"

// measureCeilings measures signature recoveries per second on all cores and
// one client's commit rate for 1-row and 64-row transactions.
func measureCeilings(ctx context.Context, url string, s *sender) (Ceilings, error) {
	c := Ceilings{Cores: runtime.NumCPU()}
	var err error
	if c.RecoveriesPerSec, err = recoveriesPerSec(ctx, s); err != nil {
		return c, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return c, fmt.Errorf("connect for commit ceiling: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `CREATE TABLE `+scratchTable+` (id bigserial PRIMARY KEY, n bigint NOT NULL, payload bytea NOT NULL)`); err != nil {
		return c, fmt.Errorf("create scratch table: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+scratchTable) //nolint:errcheck // best effort
	if c.OneRowCommitsPerSec, err = commitsPerSec(ctx, conn, 1); err != nil {
		return c, err
	}
	if c.SixtyFourRowsPerSec, err = commitsPerSec(ctx, conn, 64); err != nil {
		return c, err
	}
	c.SixtyFourRowsRowsSec = 64 * c.SixtyFourRowsPerSec
	return c, nil
}

// recoveriesPerSec runs protocol.Domain.RecoverSender over pre-made
// signatures on NumCPU goroutines for ceilingWindow.
func recoveriesPerSec(ctx context.Context, s *sender) (float64, error) {
	type signed struct {
		op  protocol.UserOp
		sig []byte
	}
	ops := make([]signed, 256)
	for i := range ops {
		op := protocol.UserOp{Nonce: uint32(i), MaxFee: maxFee, Data: make([]byte, 52)}
		req, err := wire.SignTx(world.domain, s.key, op)
		if err != nil {
			return 0, err
		}
		ops[i] = signed{op: op, sig: req.Signature}
	}
	var total atomic.Int64
	var failed atomic.Bool
	ctx, cancel := context.WithTimeout(ctx, ceilingWindow)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			n := int64(0)
			for i := 0; ctx.Err() == nil; i++ {
				o := ops[i%len(ops)]
				addr, _, err := world.domain.RecoverSender(o.op, o.sig)
				if err != nil || addr != s.addr {
					failed.Store(true)
				}
				n++
			}
			total.Add(n)
		})
	}
	wg.Wait()
	if failed.Load() {
		return 0, fmt.Errorf("signature recovery ceiling: a recovery failed or disagreed")
	}
	return float64(total.Load()) / time.Since(start).Seconds(), nil
}

// commitsPerSec commits transactions of rows rows (one multi-row INSERT of
// ~120-byte payloads each, the size of a stored user op) back to back for
// ceilingWindow.
func commitsPerSec(ctx context.Context, conn *pgx.Conn, rows int) (float64, error) {
	ns := make([]int64, rows)
	payloads := make([][]byte, rows)
	for i := range payloads {
		payloads[i] = make([]byte, 120)
	}
	insert := `INSERT INTO ` + scratchTable + ` (n, payload) SELECT * FROM unnest($1::bigint[], $2::bytea[])`
	deadline := time.Now().Add(ceilingWindow)
	start := time.Now()
	commits := 0
	for time.Now().Before(deadline) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return 0, fmt.Errorf("commit ceiling: begin: %w", err)
		}
		if _, err := tx.Exec(ctx, insert, ns, payloads); err != nil {
			_ = tx.Rollback(ctx)
			return 0, fmt.Errorf("commit ceiling: insert: %w", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, fmt.Errorf("commit ceiling: commit: %w", err)
		}
		commits++
	}
	return float64(commits) / time.Since(start).Seconds(), nil
}
