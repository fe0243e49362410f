// Package activities holds the worker's Temporal activities: thin methods on
// one dependency struct (the stores, the L1 reader and poster, the chain
// client), read-only after construction. Temporal retries activities, so
// each one is idempotent and says in its doc comment what a retry does.
// Errors are classified once, here: configuration, identity and divergence
// errors become non-retryable application errors; everything else is
// retried by the workflow's retry policy.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/protocol/scheduler"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// Reader is the part of the L1 reader the activities use.
type Reader interface {
	SafeHead(ctx context.Context) (l1.Head, error)
	InputCount(ctx context.Context, app common.Address, block uint64) (uint64, error)
	Inputs(ctx context.Context, app common.Address, fromBlock, toBlock, firstIndex, wantCount uint64) ([]l1.Input, error)
}

// Poster is the part of the L1 poster the activities use.
type Poster interface {
	Nonces(ctx context.Context) (latest, pending, safe uint64, err error)
	SuggestFees(ctx context.Context) (l1.Fees, error)
	BuildAddInput(ctx context.Context, payload []byte, nonce uint64, fees l1.Fees) (*types.Transaction, error)
	Send(ctx context.Context, tx *types.Transaction) error
}

// Chain is the plain chain queries the activities make.
type Chain interface {
	BlockNumber(ctx context.Context) (uint64, error)
	NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error)
}

// Activities is the worker's dependency struct. Fields are set once at
// construction and never written afterwards, so the methods are safe for
// concurrent use.
type Activities struct {
	Pool           *pgxpool.Pool // for the danger view
	Observer       *store.Observer
	Submitter      *store.Submitter
	Maintenance    *store.Maintenance
	Recovery       RecoveryStore
	Reader         Reader
	Poster         Poster
	Flusher        SelfTransferBuilder
	Chain          Chain
	App            common.Address
	BatchSubmitter common.Address
	// FirstBlock is where the first observation starts scanning logs (the
	// InputBox deployment block, or 0).
	FirstBlock uint64
	// MaxBatchesPerRound bounds how many batches one submission round sends.
	MaxBatchesPerRound int
	// PollInterval is how often AwaitInclusion looks at the chain.
	PollInterval time.Duration
	Now          func() time.Time
	Log          *slog.Logger
	Metrics      *Metrics // nil: no metrics
	// Danger holds the detector's thresholds: Observe reports observed
	// danger with the same rules as the lane, and recovery uses the line.
	Danger hotpath.DangerConfig
}

// classify turns errors that retrying cannot fix into non-retryable
// application errors with a type the workflows and the UI understand.
func classify(err error) error {
	if err == nil {
		return nil
	}
	nonRetryable := func(typ string) error {
		return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
	}
	switch {
	case errors.Is(err, store.ErrDivergence):
		return nonRetryable(workflows.ErrTypeDivergence)
	case errors.Is(err, l1.ErrChainIDMismatch):
		return nonRetryable(workflows.ErrTypeChainIDMismatch)
	case errors.Is(err, l1.ErrInputMismatch), errors.Is(err, store.ErrIdentityMismatch):
		return nonRetryable(workflows.ErrTypeIdentityMismatch)
	case !l1.Retryable(err):
		return nonRetryable(workflows.ErrTypeConfiguration)
	}
	return err
}

// Observe reads the L1 safe head and every new input of the app up to it and
// records them, with the accepted-batch frontier, in one database
// transaction. A retry re-reads L1 and re-records: inputs already stored are
// skipped by index, so it is idempotent. Divergence is recorded and returned
// as a non-retryable error.
func (a *Activities) Observe(ctx context.Context) (res workflows.ObserveResult, err error) {
	defer func() { a.Metrics.failed(workflows.ActivityObserve, err) }()
	return a.observe(ctx)
}

func (a *Activities) observe(ctx context.Context) (workflows.ObserveResult, error) {
	st, err := a.Observer.State(ctx)
	if err != nil {
		return workflows.ObserveResult{}, err
	}
	if st.Control.Divergence != "" {
		return workflows.ObserveResult{}, classify(fmt.Errorf("%w: %s", store.ErrDivergence, st.Control.Divergence))
	}
	head, err := a.Reader.SafeHead(ctx)
	if err != nil {
		return workflows.ObserveResult{}, classify(err)
	}
	res := workflows.ObserveResult{SafeBlock: head.Number, AcceptedCount: st.AcceptedCount}
	if st.SafeHead.Known && head.Number < st.SafeHead.Block {
		return res, fmt.Errorf("the node's safe block %d is behind the stored %d: waiting for it", head.Number, st.SafeHead.Block)
	}
	if st.SafeHead.Known && head.Number == st.SafeHead.Block {
		d, err := a.observedDanger(ctx)
		res.ObservedDanger = d
		return res, err
	}
	count, err := a.Reader.InputCount(ctx, a.App, head.Number)
	if err != nil {
		return res, classify(err)
	}
	if count < st.NextInputIndex {
		return res, fmt.Errorf("the node reports %d inputs at safe block %d, fewer than the %d stored", count, head.Number, st.NextInputIndex)
	}
	var inputs []l1.Input
	if count > st.NextInputIndex { // else the shortcut: no log scan
		from := a.FirstBlock
		if st.SafeHead.Known {
			from = st.SafeHead.Block + 1
		}
		inputs, err = a.Reader.Inputs(ctx, a.App, from, head.Number, st.NextInputIndex, count-st.NextInputIndex)
		if err != nil {
			return res, classify(err)
		}
	}
	obs := store.Observation{SafeBlock: head.Number, SafeTimestamp: head.Timestamp, Submitter: a.BatchSubmitter, Now: a.Now()}
	for _, in := range inputs {
		obs.Inputs = append(obs.Inputs, store.ObservedInput{Index: in.Index, Sender: in.Sender, Payload: in.Payload,
			BlockNumber: in.BlockNumber, BlockTimestamp: in.BlockTimestamp, TxHash: in.TxHash})
	}
	rec, err := a.Observer.Record(ctx, obs)
	if err != nil {
		if errors.Is(err, store.ErrDivergence) {
			a.Log.Error("CANONICAL DIVERGENCE: L1 accepted a batch that is not ours; the observer stops", "detail", rec.Divergence)
		}
		return res, classify(err)
	}
	res.Advanced, res.InputsAdded, res.Accepted, res.AcceptedCount = rec.Advanced, rec.InputsAdded, rec.Accepted, rec.AcceptedCount
	a.Metrics.observed(head.Number, head.Timestamp, rec.AcceptedCount, rec.InputsAdded)
	if d, err := a.observedDanger(ctx); err != nil {
		return res, err
	} else if d != "" {
		res.ObservedDanger = d
	}
	if len(rec.Accepted) > 0 {
		a.Log.Info("batches accepted by the rollup", "nonces", rec.Accepted, "safe_block", head.Number)
	}
	return res, nil
}

// PlanSubmission derives, from the database and L1 alone, the batches still
// to post: the first batch nonce the rollup needs is the accepted frontier
// advanced over our own batches that already landed above the stored safe
// block; every valid sealed batch from there on is assigned a wallet nonce,
// consecutively from the account's current transaction count. Read-only: a
// retry just plans again.
func (a *Activities) PlanSubmission(ctx context.Context) (workflows.Plan, error) {
	var plan workflows.Plan
	frontier, safeBlock, err := a.Submitter.Frontier(ctx)
	if err != nil {
		return plan, err
	}
	st, err := a.Observer.State(ctx)
	if err != nil {
		return plan, err
	}
	if st.Control.Recovering() {
		// Nothing is sent while a recovery holds the fence (the broadcast
		// claim would refuse it anyway).
		plan.FirstNeeded = frontier
		return plan, nil
	}
	latest, err := a.Chain.BlockNumber(ctx)
	if err != nil {
		return plan, classify(err)
	}
	next := frontier
	if latest > safeBlock {
		count, err := a.Reader.InputCount(ctx, a.App, latest)
		if err != nil {
			return plan, classify(err)
		}
		if count > st.NextInputIndex {
			landed, err := a.Reader.Inputs(ctx, a.App, safeBlock+1, latest, st.NextInputIndex, count-st.NextInputIndex)
			if err != nil {
				return plan, classify(err)
			}
			for _, in := range landed {
				if in.Sender != a.BatchSubmitter {
					continue
				}
				if _, outcome, _ := scheduler.CheckBatch(in.Payload, in.BlockNumber, next); outcome.ConsumesNonce() {
					next++
				}
			}
		}
	}
	plan.FirstNeeded = next
	limit := a.MaxBatchesPerRound
	if limit <= 0 {
		limit = 16
	}
	pending, err := a.Submitter.SealedFrom(ctx, next, limit)
	if err != nil {
		return plan, err
	}
	if len(pending) == 0 {
		return plan, nil
	}
	walletNonce, _, _, err := a.Poster.Nonces(ctx)
	if err != nil {
		return plan, classify(err)
	}
	for i, b := range pending {
		if b.Nonce != next+uint64(i) {
			return plan, fmt.Errorf("sealed batches are not contiguous: expected nonce %d, found %d", next+uint64(i), b.Nonce)
		}
		plan.Batches = append(plan.Batches, workflows.PlannedBatch{BatchNonce: b.Nonce, WalletNonce: walletNonce + uint64(i), Hash: b.Hash.Hex()})
	}
	return plan, nil
}

// SendBatch broadcasts one planned batch: it raises the durable wallet-nonce
// watermark to the batch's wallet nonce first (write-before-broadcast, in the
// transaction that checks the batch is still valid), then sends InputBox.addInput at that nonce with fresh fees (bumped over the
// previous broadcast's when there was one). A retry does the same again:
// the watermark is monotonic, and a re-broadcast at the same nonce is
// answered "already known" or replaces the earlier one; it never moves to
// another nonce. If the batch was invalidated since planning, nothing is
// sent (Skipped).
func (a *Activities) SendBatch(ctx context.Context, req workflows.SendRequest) (res workflows.SendResult, err error) {
	defer func() { a.Metrics.failed(workflows.ActivitySendBatch, err) }()
	return a.sendBatch(ctx, req)
}

func (a *Activities) sendBatch(ctx context.Context, req workflows.SendRequest) (workflows.SendResult, error) {
	fees, err := a.Poster.SuggestFees(ctx)
	if err != nil {
		return workflows.SendResult{}, classify(err)
	}
	if req.Previous != nil {
		prev, err := feesFromWire(*req.Previous)
		if err != nil {
			return workflows.SendResult{}, classify(err)
		}
		fees = l1.Bump(prev, fees)
	}
	// Write-before-broadcast, atomically with the check that the batch is
	// still the valid one (a recovery cascade serialises against it).
	batch, ok, err := a.Submitter.ClaimForBroadcast(ctx, req.Batch.BatchNonce, common.HexToHash(req.Batch.Hash), req.Batch.WalletNonce)
	if err != nil {
		return workflows.SendResult{}, err
	}
	if !ok {
		a.Metrics.broadcast("skipped")
		return workflows.SendResult{Skipped: true}, nil
	}
	tx, err := a.Poster.BuildAddInput(ctx, batch.Payload, req.Batch.WalletNonce, fees)
	if err != nil {
		return workflows.SendResult{}, classify(err)
	}
	res := workflows.SendResult{TxHash: tx.Hash().Hex(), Fees: feesToWire(fees)}
	activity.RecordHeartbeat(ctx, res.TxHash)
	err = a.Poster.Send(ctx, tx)
	switch {
	case err == nil:
		a.Metrics.broadcast("sent")
		a.Log.Info("batch broadcast", "batch_nonce", req.Batch.BatchNonce, "wallet_nonce", req.Batch.WalletNonce,
			"tx", res.TxHash, "fee_cap", fees.FeeCap, "tip_cap", fees.TipCap)
	case errors.Is(err, l1.ErrCheckReceipt):
		res.AlreadyKnown = true
		a.Metrics.broadcast("already_known")
		a.Log.Info("wallet nonce already in use; checking inclusion instead", "batch_nonce", req.Batch.BatchNonce,
			"wallet_nonce", req.Batch.WalletNonce, "err", err)
	case errors.Is(err, l1.ErrInsufficientFunds):
		a.Log.Error("the batch submitter account cannot pay for its transaction: fund it", "address", a.BatchSubmitter, "err", err)
		return workflows.SendResult{}, err
	default:
		return workflows.SendResult{}, classify(err)
	}
	return res, nil
}

// AwaitInclusion waits until the wallet nonce has been consumed on L1 with
// the required confirmations (the account's transaction count at block
// latest − confirmations + 1 exceeds it), or until the timeout. It
// heartbeats; a retry just waits again.
func (a *Activities) AwaitInclusion(ctx context.Context, req workflows.AwaitRequest) (workflows.AwaitResult, error) {
	poll := a.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	deadline := time.NewTimer(req.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		latest, err := a.Chain.BlockNumber(ctx)
		if err != nil {
			return workflows.AwaitResult{}, classify(err)
		}
		if confirmations := max(req.Confirmations, 1); latest+1 >= confirmations {
			at := new(big.Int).SetUint64(latest + 1 - confirmations)
			n, err := a.Chain.NonceAt(ctx, a.BatchSubmitter, at)
			if err != nil {
				return workflows.AwaitResult{}, classify(err)
			}
			if n > req.WalletNonce {
				return workflows.AwaitResult{Included: true}, nil
			}
		}
		activity.RecordHeartbeat(ctx, latest)
		select {
		case <-ctx.Done():
			return workflows.AwaitResult{}, ctx.Err()
		case <-deadline.C:
			a.Metrics.awaitTimeout()
			return workflows.AwaitResult{Included: false}, nil
		case <-tick.C:
		}
	}
}

// PromoteSnapshots makes the newest accepted batch's snapshot the finalized
// one and collects the others. One transaction, monotonic: a retry is a
// no-op or finishes the same pass.
func (a *Activities) PromoteSnapshots(ctx context.Context) (workflows.PromotionResult, error) {
	r, err := a.Maintenance.PromoteAndCollect(ctx)
	if err != nil {
		return workflows.PromotionResult{}, err
	}
	if r.Promoted {
		a.Log.Info("finalized snapshot promoted", "batch_nonce", *r.FinalizedNonce, "collected", r.Deleted)
	}
	return workflows.PromotionResult{FinalizedNonce: r.FinalizedNonce, Promoted: r.Promoted, Deleted: r.Deleted}, nil
}

func feesToWire(f l1.Fees) workflows.Fees {
	return workflows.Fees{TipCap: f.TipCap.String(), FeeCap: f.FeeCap.String()}
}

func feesFromWire(f workflows.Fees) (l1.Fees, error) {
	tip, ok1 := new(big.Int).SetString(f.TipCap, 10)
	feeCap, ok2 := new(big.Int).SetString(f.FeeCap, 10)
	if !ok1 || !ok2 {
		return l1.Fees{}, fmt.Errorf("bad fees in workflow state: %+v", f)
	}
	return l1.Fees{TipCap: tip, FeeCap: feeCap}, nil
}

// observedDanger classifies the database's view with the lane's rules and
// returns the danger when it is an observed one (closed batch or tip in
// danger: the only kinds that authorise a recovery), else "".
func (a *Activities) observedDanger(ctx context.Context) (string, error) {
	if a.Pool == nil {
		return "", nil
	}
	v, err := store.ReadDangerView(ctx, a.Pool)
	if err != nil {
		return "", err
	}
	if d := hotpath.Classify(v, a.Now(), a.Danger); d.Observed() {
		return string(d), nil
	}
	return "", nil
}
