package hotpath

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/store"
)

// The checkpointer keeps snapshots off the lane's critical path
// (capacity.md §3, docs/service.md "State at batch boundaries").
//
// Sealing a batch records only its state boundary (the last replay offset
// the state includes); the application's whole state is never encoded or
// written in a lane commit. Every boundary's snapshot stays obtainable, byte
// for byte: the newest stored snapshot at or below it, plus the valid replay
// rows up to it, folded by the application (StateAt). The checkpointer, a
// goroutine of the process that holds the writer lock, materializes that at
// two kinds of boundaries:
//   - the newest batch the rollup accepted, so promotion can make it the
//     finalized snapshot (/finalized_state);
//   - the newest valid sealed batch, so a restart and /latest_snapshot have
//     a recent state and the replay after it stays short.
//
// It keeps its own replica of the application (fed the same rows the lane
// committed, so its bytes are the lane's bytes) and moves it forward; it
// restores from the database only when it must go back or a recovery moved
// the valid history. Each checkpoint costs what the state costs, so it runs
// at most once per Gap, and at least CostFactor times its own last duration
// apart: a large state gets fewer checkpoints, never a slower lane.

// CheckpointConfig tunes the checkpointer; zero values take the defaults.
type CheckpointConfig struct {
	// Poll is how often it looks for work (default 500 ms).
	Poll time.Duration
	// Gap is the least time between two checkpoints of the newest sealed
	// batch (default 1 s). The newest accepted batch is materialized as
	// soon as the checkpointer is free, subject to CostFactor.
	Gap time.Duration
	// CostFactor spaces checkpoints at least this many times the last one's
	// duration apart (default 20: at most ~5% of one core).
	CostFactor int
	// Disabled turns it off (tests that need the database untouched).
	Disabled bool
}

func (c CheckpointConfig) withDefaults() CheckpointConfig {
	if c.Poll <= 0 {
		c.Poll = 500 * time.Millisecond
	}
	if c.Gap <= 0 {
		c.Gap = time.Second
	}
	if c.CostFactor <= 0 {
		c.CostFactor = 20
	}
	return c
}

// replayPage is how many replay rows one read fetches.
const replayPage = 2000

// Replica is an application moved forward through the valid replay rows:
// the state at some boundary. Not safe for concurrent use.
type Replica struct {
	newApp func() app.Application
	app    app.Application
	offset uint64 // the last replay offset applied
	ok     bool   // app and offset describe a state of the current history
	// pace, when set, is called after each page of replay with the time
	// the page took; it may sleep to bound the replica's share of the
	// machine (the checkpointer's first replica may replay millions of
	// rows while the lane serves). It returns ctx's error if ctx ended.
	pace func(ctx context.Context, work time.Duration) error
	// paused is the time pace slept, in total: the checkpointer spaces
	// checkpoints by their work, not their pauses.
	paused time.Duration
}

// NewReplica returns a replica that starts from the database on first use.
func NewReplica(newApp func() app.Application) *Replica { return &Replica{newApp: newApp} }

// Reset forgets the replica's state: the next StateAt restores from the
// database.
func (r *Replica) Reset() { r.ok, r.app, r.offset = false, nil, 0 }

// StateAt returns the canonical snapshot of the state at b: the replica is
// moved to b.StateOffset — from where it is if that lies below, else from
// the newest stored snapshot at or below it (genesis when none) — through
// the valid replay rows, and encoded. It returns how many rows it applied.
// A replay row past b, or an offset that cannot be reached, is an error (the
// history moved: Reset and retry).
func (r *Replica) StateAt(ctx context.Context, cs *store.CheckpointStore, b store.Boundary) ([]byte, int, error) {
	if !r.ok || r.offset > b.StateOffset {
		state, offset, err := cs.Base(ctx, b.StateOffset)
		if err != nil {
			return nil, 0, err
		}
		fresh := r.newApp()
		if state != nil {
			if err := fresh.Restore(state); err != nil {
				return nil, 0, fmt.Errorf("restore checkpoint base at offset %d: %w", offset, err)
			}
		}
		r.app, r.offset, r.ok = fresh, offset, true
	}
	applied := 0
	for r.offset < b.StateOffset {
		start := time.Now()
		rows, err := cs.ReplayRows(ctx, r.offset, b.StateOffset, replayPage)
		if err != nil {
			r.Reset()
			return nil, applied, err
		}
		if len(rows) == 0 {
			// The boundary names offsets the valid history no longer has
			// (or the batch ends on an invalidated offset: its state is the
			// one after the last valid row, which we hold).
			break
		}
		for _, row := range rows {
			replayRow(r.app, row)
		}
		applied += len(rows)
		r.offset = rows[len(rows)-1].Offset
		if r.pace != nil && r.offset < b.StateOffset {
			paused := time.Now()
			if err := r.pace(ctx, paused.Sub(start)); err != nil {
				return nil, applied, err
			}
			r.paused += time.Since(paused)
		}
	}
	r.offset = b.StateOffset
	return r.app.Snapshot(), applied, nil
}

// runCheckpointer materializes checkpoints until ctx ends, while this
// process is the active writer (a standby's passes would only duplicate
// the writer's).
func (l *Lane) runCheckpointer(ctx context.Context) {
	cfg := l.cfg.Checkpoint.withDefaults()
	if cfg.Disabled || l.deps.Pool == nil {
		return
	}
	cs := store.NewCheckpointStore(l.deps.Pool)
	// One replica per kind of target: each kind only moves forward (the
	// accepted frontier and the newest sealed batch only advance, but for
	// a recovery), so neither ever restores from the database to go back.
	accepted, newest := NewReplica(l.deps.NewApp), NewReplica(l.deps.NewApp)
	// A long replay (the first checkpoint after a million deposits) runs at
	// about 1/CostFactor duty, like the checkpoints themselves.
	pace := func(ctx context.Context, work time.Duration) error {
		if !sleepCtx(ctx, time.Duration(cfg.CostFactor-1)*work) {
			return ctx.Err()
		}
		return nil
	}
	accepted.pace, newest.pace = pace, pace
	var (
		generation uint64
		nextAt     time.Time
		log        = l.log.With("component", "checkpointer")
	)
	t := time.NewTicker(cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.Status().Role != RoleActive || time.Now().Before(nextAt) {
			continue
		}
		plan, err := cs.Plan(ctx)
		if err != nil {
			l.checkpointFailed(ctx, log, err)
			continue
		}
		if plan.Recovering || plan.Generation != generation {
			accepted.Reset()
			newest.Reset()
			generation = plan.Generation
			if plan.Recovering {
				continue
			}
		}
		start := time.Now()
		accepted.paused, newest.paused = 0, 0
		did := false
		for _, target := range []struct {
			b       *store.Boundary
			replica *Replica
		}{{plan.Accepted, accepted}, {plan.Newest, newest}} {
			if target.b == nil || (target.replica == newest && plan.Accepted != nil && plan.Accepted.BatchID == target.b.BatchID) {
				continue
			}
			if err := l.checkpoint(ctx, cs, target.replica, *target.b, plan.Generation, log); err != nil {
				target.replica.Reset()
				l.checkpointFailed(ctx, log, err)
				break
			}
			did = true
		}
		if did {
			work := time.Since(start) - accepted.paused - newest.paused
			nextAt = time.Now().Add(max(cfg.Gap, time.Duration(cfg.CostFactor)*work))
		}
	}
}

// checkpoint moves replica to b and stores its state as b's snapshot.
func (l *Lane) checkpoint(ctx context.Context, cs *store.CheckpointStore, replica *Replica, b store.Boundary, generation uint64, log *slog.Logger) error {
	start := time.Now()
	state, applied, err := replica.StateAt(ctx, cs, b)
	if err != nil {
		return err
	}
	inserted, pruned, err := cs.Insert(ctx, b, state, generation)
	if err != nil {
		return err
	}
	if !inserted {
		return nil
	}
	d := time.Since(start)
	l.state.checkpoints.Inc()
	l.state.checkpointDur.Observe(d.Seconds())
	l.state.checkpointLen.Set(float64(len(state)))
	l.state.checkpointLag.Set(float64(applied))
	log.Info("checkpoint stored", "batch_nonce", b.Nonce, "state_offset", b.StateOffset, "bytes", len(state),
		"replayed", applied, "pruned", pruned, "took", d.Round(time.Millisecond))
	return nil
}

func (l *Lane) checkpointFailed(ctx context.Context, log *slog.Logger, err error) {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return
	}
	l.state.checkpointErr.Inc()
	log.Warn("checkpoint failed; retrying on the next pass", "err", err)
}
