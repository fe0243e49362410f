// Package activities holds the worker's Temporal activities: thin methods on
// one dependency struct (the stores, the L1 reader and poster, the chain
// client), read-only after construction. Temporal retries activities, so
// each one is idempotent and says in its doc comment what a retry does.
// Errors are classified once, here: configuration, identity and divergence
// errors become non-retryable application errors; everything else is
// retried by the workflow's retry policy.
package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sync/atomic"
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
	CheckChainID(ctx context.Context) error
	EstimateAddInputGasUpTo(ctx context.Context, size int) (uint64, error)
	SignAddInput(ctx context.Context, payload []byte, nonce uint64, fees l1.Fees, gas uint64) (*types.Transaction, error)
	Send(ctx context.Context, tx *types.Transaction) error
	Receipt(ctx context.Context, hash common.Hash) (*types.Receipt, uint64, error)
}

// WalletBalance reads the batch submitter's balance for the wallet gauges
// (ethclient.Client implements it).
type WalletBalance interface {
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
}

// Chain is the plain chain queries the activities make.
type Chain interface {
	BlockNumber(ctx context.Context) (uint64, error)
	NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error)
}

// Activities is the worker's dependency struct. Fields are set once at
// construction and never written afterwards (identityChecked, a cache, is
// atomic), so the methods are safe for concurrent use.
type Activities struct {
	Pool           *pgxpool.Pool // for the danger view and the identity check
	Observer       *store.Observer
	Submitter      *store.Submitter
	Maintenance    *store.Maintenance
	Recovery       RecoveryStore
	Reader         Reader
	Poster         Poster
	Flusher        SelfTransferBuilder
	Chain          Chain
	ChainID        uint64
	App            common.Address
	BatchSubmitter common.Address
	// identityChecked caches CheckIdentity's success: the recorded
	// identity never changes.
	identityChecked atomic.Bool
	// FirstBlock is where the first observation starts scanning logs (the
	// InputBox deployment block, or 0).
	FirstBlock uint64
	// MaxFeePerGas caps every fee the recovery flush pays
	// (SEQ_L1_MAX_FEE_PER_GAS_GWEI); nil means no cap.
	MaxFeePerGas *big.Int
	// ResendAfterBlocks is how many blocks a flush self-transfer may stay
	// pending before it is bumped (SEQ_BATCH_SUBMITTER_RESEND_AFTER_BLOCKS;
	// 0 → 3).
	ResendAfterBlocks uint64
	// PollInterval is how often the recovery's flush looks at the chain.
	PollInterval time.Duration
	// SubmitPoll is how often PlanSubmissionRound looks at the chain and
	// the database while it waits for work (0: 250 ms). It bounds how late
	// the window refills after an inclusion; each look is one
	// eth_blockNumber and one database query unless something changed.
	SubmitPoll time.Duration
	Now        func() time.Time
	Log        *slog.Logger
	Metrics    *Metrics // nil: no metrics
	// Wallet, when set, feeds sequencer_submitter_wallet_balance_wei and
	// the runway gauge (one balance read per returned plan).
	Wallet WalletBalance
	// Danger holds the detector's thresholds: Observe reports observed
	// danger with the same rules as the lane, and recovery uses the line.
	Danger hotpath.DangerConfig
	// FeeOracle is the fee oracle's part (feeoracle.go); nil: its
	// activity fails non-retryably.
	FeeOracle *FeeOracle
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

// CheckIdentity fails with a non-retryable IdentityMismatch error unless
// the database's control row records this worker's identity (ChainID, App
// and, where recorded, BatchSubmitter). The worker runs it before every
// activity (an activity interceptor): a task that reached the wrong worker,
// or a worker pointed at another deployment's database, must not touch
// that database. One read until the first success, then nothing (cached);
// a failed read is returned as it is, and retried.
func (a *Activities) CheckIdentity(ctx context.Context) error {
	if a.identityChecked.Load() {
		return nil
	}
	submitter := a.BatchSubmitter
	if err := store.CheckIdentity(ctx, a.Pool, a.ChainID, a.App, &submitter); err != nil {
		return classify(err)
	}
	a.identityChecked.Store(true)
	return nil
}

// Observe reads the L1 safe head and every new input of the app up to it and
// records them, with the accepted-batch frontier, in one database
// transaction. A retry re-reads L1 and re-records: inputs already stored are
// compared, not written again, so it is idempotent. Each round that the safe
// head advances also re-reads the last stored input's block and compares it
// (a reorg below the safe block). Divergence is recorded and returned as a
// non-retryable error.
func (a *Activities) Observe(ctx context.Context) (res workflows.ObserveResult, err error) {
	defer func() { a.Metrics.failed(workflows.ActivityObserve, err) }()
	return a.observe(ctx)
}

func (a *Activities) observe(ctx context.Context) (workflows.ObserveResult, error) {
	st, err := a.Observer.State(ctx)
	if err != nil {
		return workflows.ObserveResult{}, err
	}
	a.Metrics.control(st.Control.Recovering(), st.Control.Divergence != "")
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
	if st.NextInputIndex > 0 {
		// Re-read the last stored block's inputs for Record to compare: a
		// reorg below the safe block becomes divergence, not history we
		// build on (store.ObserverState.LastInputBlock says why this block).
		again, err := a.Reader.Inputs(ctx, a.App, st.LastInputBlock, st.LastInputBlock, st.LastBlockFirstIndex, st.NextInputIndex-st.LastBlockFirstIndex)
		if err != nil {
			return res, classify(err)
		}
		inputs = append(again, inputs...)
	}
	obs := store.Observation{SafeBlock: head.Number, SafeTimestamp: head.Timestamp, Submitter: a.BatchSubmitter, Now: a.Now()}
	for _, in := range inputs {
		obs.Inputs = append(obs.Inputs, store.ObservedInput{Index: in.Index, Sender: in.Sender, Payload: in.Payload,
			BlockNumber: in.BlockNumber, BlockTimestamp: in.BlockTimestamp, TxHash: in.TxHash})
	}
	rec, err := a.Observer.Record(ctx, obs)
	if err != nil {
		if errors.Is(err, store.ErrDivergence) {
			a.Log.Error("CANONICAL DIVERGENCE: L1 accepted a batch that is not ours, or rewrote a stored safe input; the observer stops", "detail", rec.Divergence)
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

// PlanSubmissionRound waits until the submitter has something to do and
// returns what, from one consistent view pinned at one L1 block B (the
// latest when it looks): the account's transaction count at B (NonceAt B)
// and our own inputs landed up to B (the stored accepted frontier advanced
// over the batches we posted in (stored safe block, B]). A batch mined
// while planning is therefore counted on both sides or on neither, and
// wallet nonce N+i (N the count at B) is due to carry batch F+i (F the
// first batch nonce the rollup still needs at B). Against the window the
// workflow tracks it finds: entries included (wallet nonce < N); entries
// whose replacement is due (not included ResendAfterBlocks after their
// broadcast: same nonce, same batch, fees per l1.ReplacementFees with the
// cap; an entry at the cap is not bumped: it is rebroadcast at the same
// fees, in case the node lost it, and waited for); entries whose slot must
// carry another batch now (a recovery replaced it, or a slot was consumed
// by something else: reassigned, with bumped fees); and, while the window
// has room, the next sealed batches at the next wallet nonces, with the
// fresh fee estimate (fetched once per plan) capped.
//
// It returns as soon as something was included or is to be sent, or after
// req.Wait with an empty plan; it polls the chain and the database every
// SubmitPoll and re-plans only when the latest block or the database view
// changed. It heartbeats every poll. Read-only apart from metrics: a retry
// plans again (an included batch's gas may then be counted twice in
// sequencer_submitter_l1_gas_used_total if the first attempt's result was
// lost).
func (a *Activities) PlanSubmissionRound(ctx context.Context, req workflows.PlanRequest) (plan workflows.Plan, err error) {
	defer func() { a.Metrics.failed(workflows.ActivityPlanRound, err) }()
	maxFee, err := parseWei(req.MaxFeePerGas)
	if err != nil {
		return plan, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeConfiguration, err)
	}
	poll := a.SubmitPoll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	if len(req.InFlight) == 0 && req.IdlePoll > poll {
		// Nothing in flight: only new sealed batches matter. Capped so the
		// activity heartbeats well within its heartbeat timeout.
		poll = min(req.IdlePoll, maxIdlePoll)
	}
	deadline := time.Now().Add(req.Wait)
	type key struct {
		block uint64
		view  store.SubmitterView
	}
	var seen key
	looked := false
	plan = workflows.Plan{Window: req.InFlight}
	for {
		latest, err := a.Chain.BlockNumber(ctx)
		if err != nil {
			return plan, classify(err)
		}
		view, err := a.Submitter.View(ctx)
		if err != nil {
			return plan, err
		}
		k := key{block: latest, view: view}
		// A node behind the stored safe head cannot give a consistent view
		// (our inputs up to the safe block are already counted): wait.
		if (!looked || k != seen) && latest >= view.SafeBlock {
			p, err := a.planAt(ctx, req, latest, view, maxFee)
			if err != nil {
				return plan, err
			}
			plan, seen, looked = p, k, true
			if len(plan.Included) > 0 || len(plan.Sends) > 0 {
				a.recordPlan(ctx, plan)
				return plan, nil
			}
		}
		activity.RecordHeartbeat(ctx, latest)
		if !time.Now().Before(deadline) {
			a.recordPlan(ctx, plan)
			return plan, nil
		}
		select {
		case <-ctx.Done():
			return plan, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// reverted reports whether e's transaction is mined at or below block b
// and failed. Any read error or a missing receipt (another version of the
// slot's transaction was mined, or none yet) answers false: the caller then
// waits rather than re-posting.
func (a *Activities) reverted(ctx context.Context, e workflows.InFlight, b uint64) bool {
	rcpt, _, err := a.Poster.Receipt(ctx, common.HexToHash(e.TxHash))
	return err == nil && rcpt != nil && rcpt.Status == types.ReceiptStatusFailed && rcpt.BlockNumber != nil &&
		rcpt.BlockNumber.Uint64() <= b
}

// maxIdlePoll bounds the plan's idle poll: it heartbeats once per poll,
// and the workflow's heartbeat timeout is 10 s.
const maxIdlePoll = 4 * time.Second

// planAt derives the plan at block b (see PlanSubmissionRound).
func (a *Activities) planAt(ctx context.Context, req workflows.PlanRequest, b uint64, view store.SubmitterView, maxFee *big.Int) (workflows.Plan, error) {
	plan := workflows.Plan{Block: b, FirstNeeded: view.Accepted}
	window := slices.Clone(req.InFlight)
	slices.SortFunc(window, func(x, y workflows.InFlight) int { return cmp.Compare(x.WalletNonce, y.WalletNonce) })
	if view.Recovering {
		// Nothing is sent while a recovery holds the fence (the claim
		// would refuse it anyway).
		plan.Fenced, plan.Window = true, window
		return plan, nil
	}
	at := new(big.Int).SetUint64(b)
	n, err := a.Chain.NonceAt(ctx, a.BatchSubmitter, at)
	if err != nil {
		return plan, classify(err)
	}
	first := view.Accepted
	if b > view.SafeBlock {
		count, err := a.Reader.InputCount(ctx, a.App, b)
		if err != nil {
			return plan, classify(err)
		}
		if count > view.NextInputIndex {
			landed, err := a.Reader.Inputs(ctx, a.App, view.SafeBlock+1, b, view.NextInputIndex, count-view.NextInputIndex)
			if err != nil {
				return plan, classify(err)
			}
			for _, in := range landed {
				if in.Sender != a.BatchSubmitter {
					continue
				}
				if _, outcome, _ := scheduler.CheckBatch(in.Payload, in.BlockNumber, first); outcome.ConsumesNonce() {
					first++
				}
			}
		}
	}
	plan.AccountNonce, plan.FirstNeeded = n, first

	size := max(req.MaxInFlight, 1)
	// Read twice the window: the consistency check below looks at the
	// batches our included entries carry, which may lie past the window.
	infos, err := a.Submitter.SealedInfoFrom(ctx, first, 2*size)
	if err != nil {
		return plan, err
	}
	// The view must be one: a node can answer the account's nonce at the
	// tip from a block it is still mining while its logs and calls at that
	// number do not show that block yet (anvil did, under load: 14 batches
	// posted twice). Then an entry of ours counts as included (its wallet
	// nonce is below n) while the batch it carries, still valid with the
	// same hash, does not count as landed (its nonce is ≥ first). Acting
	// on that view would assign the batch a second wallet nonce. Plan
	// nothing and look again at the next block or change. (A batch that
	// landed stale also looks like this: nothing after it could be
	// accepted anyway, and the recovery that follows invalidates it.)
	valid := make(map[uint64]string, len(infos))
	for _, info := range infos {
		valid[info.Nonce] = info.Hash.Hex()
	}
	for _, e := range window {
		minedNotLanded := e.WalletNonce < n && e.BatchNonce >= first && valid[e.BatchNonce] == e.Hash
		// The reverse split (the input is there, the nonce does not count
		// the transaction yet: a reorg of b between the reads, or a load
		// balancer's backends at different heights) would make the plan
		// shift every pending slot to the next batch and replace live
		// transactions out of order.
		landedNotMined := e.WalletNonce >= n && e.BatchNonce < first
		if minedNotLanded && a.reverted(ctx, e, b) {
			// Mined, but it reverted: no input will ever come. The entry
			// counts as included below and its batch is due again at the
			// next wallet nonce.
			a.Log.Error("a batch transaction reverted on L1; the batch is posted again", "batch_nonce", e.BatchNonce,
				"wallet_nonce", e.WalletNonce, "tx", e.TxHash)
			continue
		}
		if minedNotLanded || landedNotMined {
			a.Log.Warn("inconsistent L1 view: the account's nonce and our inputs at one block disagree; planning again",
				"block", b, "account_nonce", n, "first_needed", first, "batch_nonce", e.BatchNonce, "wallet_nonce", e.WalletNonce)
			a.Metrics.inconsistentView()
			plan.Window = window
			return plan, nil
		}
	}
	if len(infos) > size {
		infos = infos[:size]
	}
	// Wallet nonce n+i is due to carry batch first+i.
	due := map[uint64]store.BatchInfo{}
	for i, info := range infos {
		if info.Nonce != first+uint64(i) {
			return plan, fmt.Errorf("sealed batches are not contiguous: expected nonce %d, found %d", first+uint64(i), info.Nonce)
		}
		due[n+uint64(i)] = info
	}

	var fresh *l1.Fees
	freshFees := func() (l1.Fees, error) {
		if fresh == nil {
			f, err := a.Poster.SuggestFees(ctx)
			if err != nil {
				return l1.Fees{}, classify(err)
			}
			fresh = &f
		}
		return *fresh, nil
	}
	// replacement returns the fees to re-send over prev with, or ok false
	// when prev is at the cap (no estimate needed to know: a fresh estimate
	// only raises what the cap then limits).
	replacement := func(prevWire workflows.Fees) (fees l1.Fees, capped, ok bool, err error) {
		prev, err := feesFromWire(prevWire)
		if err != nil {
			return fees, false, false, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeConfiguration, err)
		}
		if _, _, ok := l1.ReplacementFees(&prev, l1.Fees{}, maxFee); !ok {
			return fees, true, false, nil
		}
		f, err := freshFees()
		if err != nil {
			return fees, false, false, err
		}
		fees, capped, ok = l1.ReplacementFees(&prev, f, maxFee)
		return fees, capped, ok, nil
	}
	send := func(kind workflows.SendKind, info store.BatchInfo, walletNonce uint64, fees l1.Fees, capped bool) {
		plan.Sends = append(plan.Sends, workflows.PlannedSend{Kind: kind, BatchNonce: info.Nonce, Hash: info.Hash.Hex(),
			WalletNonce: walletNonce, Fees: feesToWire(fees), Capped: capped, Size: info.Size, Ops: info.Ops})
	}

	tracked := map[uint64]bool{}
	for _, e := range window {
		if e.WalletNonce < n {
			plan.Included = append(plan.Included, e)
			continue
		}
		tracked[e.WalletNonce] = true
		info, isDue := due[e.WalletNonce]
		same := isDue && info.Nonce == e.BatchNonce && info.Hash.Hex() == e.Hash
		var kind workflows.SendKind
		switch {
		case same && b >= e.SentBlock+req.ResendAfterBlocks:
			kind = workflows.SendReplace
		case isDue && !same:
			kind = workflows.SendReassign
		default:
			// Waiting: not due for replacement yet, or no batch is due at
			// this slot now (it is kept: its fees matter if one becomes due).
			plan.Window = append(plan.Window, e)
			continue
		}
		fees, capped, ok, err := replacement(e.Fees)
		if err != nil {
			return plan, err
		}
		switch {
		case ok:
			send(kind, info, e.WalletNonce, fees, capped)
		case kind == workflows.SendReplace:
			// At the cap: no bump is possible. Keep waiting (alert), and
			// broadcast the same transaction again in case the node lost
			// it; one that holds it answers "known".
			e.Capped = true
			prev, _ := feesFromWire(e.Fees) // parsed by replacement already
			send(workflows.SendRebroadcast, info, e.WalletNonce, prev, true)
		default:
			// A reassignment needs a bump to displace the slot's
			// transaction, and none exists under the cap: wait (alert).
			e.Capped = true
		}
		plan.Window = append(plan.Window, e)
	}
	for i := 0; i < size; i++ {
		w := n + uint64(i)
		info, isDue := due[w]
		if !isDue {
			break
		}
		if tracked[w] {
			continue
		}
		f, err := freshFees()
		if err != nil {
			return plan, err
		}
		fees, capped, _ := l1.ReplacementFees(nil, f, maxFee)
		send(workflows.SendNew, info, w, fees, capped)
	}
	if len(plan.Sends) > 0 {
		size := 0
		for _, s := range plan.Sends {
			size = max(size, s.Size)
		}
		if plan.GasLimit, err = a.Poster.EstimateAddInputGasUpTo(ctx, size); err != nil {
			return plan, classify(err)
		}
	}
	return plan, nil
}

// recordPlan updates the submitter's gauges and, for the entries the plan
// found included, the gas and ops counters. Best effort: a receipt that
// cannot be read is not counted (nor is an entry whose slot another
// transaction consumed).
func (a *Activities) recordPlan(ctx context.Context, plan workflows.Plan) {
	if a.Metrics == nil {
		return
	}
	capped := false
	for _, e := range plan.Window {
		capped = capped || e.Capped
	}
	newSends := 0
	for _, s := range plan.Sends {
		capped = capped || s.Capped
		if s.Kind == workflows.SendNew {
			newSends++
		}
	}
	a.Metrics.window(len(plan.Window)+newSends, capped)
	for _, e := range plan.Included {
		rcpt, _, err := a.Poster.Receipt(ctx, common.HexToHash(e.TxHash))
		if err != nil || rcpt == nil {
			continue
		}
		a.Metrics.posted(rcpt.GasUsed, e.Ops)
		a.Metrics.feePaid(rcpt.GasUsed, rcpt.EffectiveGasPrice, a.Now())
	}
	if a.Wallet != nil {
		if balance, err := a.Wallet.BalanceAt(ctx, a.BatchSubmitter, nil); err == nil {
			a.Metrics.wallet(balance, a.Now())
		}
	}
}

// SendSubmissionRound claims and broadcasts one round. First, in one
// database transaction (store.Submitter.ClaimRound), it checks that no
// recovery holds the fence and that every batch is still the valid sealed
// one with its hash, and raises the wallet-nonce watermark to the highest
// wallet nonce granted: write-before-broadcast for the whole round. Then,
// in wallet-nonce order, it signs each transaction with the plan's fees and
// the plan's gas limit (one for the round, covering its longest payload: see
// l1.Poster.EstimateAddInputGasUpTo) and broadcasts it, heartbeating. A
// refused claim is skipped, and so is every new slot above it (a recovery
// invalidates a suffix: no transaction is left waiting behind a hole).
//
// Retry: the same request claims the same batches at the same wallet nonces
// and rebuilds the same transactions (same fees, same gas), which the node
// answers "already known" or, once mined, "nonce too low" (both: known). It
// never moves a batch to another nonce.
func (a *Activities) SendSubmissionRound(ctx context.Context, req workflows.SendRoundRequest) (res workflows.SendRoundResult, err error) {
	defer func() { a.Metrics.failed(workflows.ActivitySendRound, err) }()
	res.Outcomes = make([]workflows.SendOutcome, len(req.Sends))
	order := make([]int, len(req.Sends))
	claims := make([]store.Claim, len(req.Sends))
	for i, s := range req.Sends {
		order[i] = i
		claims[i] = store.Claim{Nonce: s.BatchNonce, Hash: common.HexToHash(s.Hash), WalletNonce: s.WalletNonce}
		res.Outcomes[i].Result = workflows.SendSkipped
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(req.Sends[x].WalletNonce, req.Sends[y].WalletNonce) })
	batches, err := a.Submitter.ClaimRound(ctx, claims)
	if err != nil {
		return res, err
	}
	granted := 0
	for i, b := range batches {
		if b == nil {
			continue
		}
		granted++
		if len(b.Payload) > req.Sends[i].Size {
			// The plan sized the gas for what it saw; a claimed batch is the
			// same bytes (hash checked), so this cannot happen unless the
			// request was forged.
			return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("batch %d is %d bytes, planned for %d",
				b.Nonce, len(b.Payload), req.Sends[i].Size), workflows.ErrTypeConfiguration, nil)
		}
	}
	if granted == 0 {
		a.Metrics.broadcast("skipped")
		a.Log.Info("submission round refused by the claim (recovery fence or batches replaced)", "sends", len(req.Sends))
		return res, nil
	}
	if err := a.Poster.CheckChainID(ctx); err != nil {
		return res, classify(err)
	}
	gas := req.GasLimit
	holeAt := false
	for _, i := range order {
		s := req.Sends[i]
		b := batches[i]
		if b == nil || (holeAt && s.Kind == workflows.SendNew) {
			holeAt = holeAt || b == nil
			a.Metrics.broadcast("skipped")
			a.Metrics.inFlightSkipped(s.Kind == workflows.SendNew)
			continue
		}
		fees, err := feesFromWire(s.Fees)
		if err != nil {
			return res, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeConfiguration, err)
		}
		tx, err := a.Poster.SignAddInput(ctx, b.Payload, s.WalletNonce, fees, gas)
		if err != nil {
			return res, classify(err)
		}
		res.Outcomes[i].TxHash = tx.Hash().Hex()
		activity.RecordHeartbeat(ctx, s.WalletNonce)
		switch err := a.Poster.Send(ctx, tx); {
		case err == nil:
			res.Outcomes[i].Result = workflows.SendSent
			a.Metrics.broadcast("sent")
			a.Log.Info("batch broadcast", "kind", s.Kind, "batch_nonce", s.BatchNonce, "wallet_nonce", s.WalletNonce,
				"tx", res.Outcomes[i].TxHash, "fee_cap", fees.FeeCap, "tip_cap", fees.TipCap)
			if s.Kind == workflows.SendReplace || s.Kind == workflows.SendReassign {
				a.Metrics.replaced()
			}
		case errors.Is(err, l1.ErrCheckReceipt):
			res.Outcomes[i].Result = workflows.SendKnown
			a.Metrics.broadcast("already_known")
			a.Log.Debug("wallet nonce already in use; the window tracks it", "batch_nonce", s.BatchNonce,
				"wallet_nonce", s.WalletNonce, "err", err)
		case errors.Is(err, l1.ErrInsufficientFunds):
			a.Log.Error("the batch submitter account cannot pay for its transaction: fund it", "address", a.BatchSubmitter, "err", err)
			return res, err
		default:
			return res, classify(err)
		}
	}
	return res, nil
}

// parseWei parses a decimal wei amount; "" is nil (no cap).
func parseWei(s string) (*big.Int, error) {
	if s == "" {
		return nil, nil
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() <= 0 {
		return nil, fmt.Errorf("bad max fee per gas %q: want a positive decimal wei amount", s)
	}
	return v, nil
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
	now := a.Now()
	if age, until, ok := hotpath.DangerMargin(v, now, a.Danger); ok {
		a.Metrics.dangerMargin(age, until)
	}
	if d := hotpath.Classify(v, now, a.Danger); d.Observed() {
		return string(d), nil
	}
	return "", nil
}
