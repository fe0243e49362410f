package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ActivityFeeOracleRound is the fee oracle's one activity.
const ActivityFeeOracleRound = "FeeOracleRound"

// Fee oracle modes (SEQ_FEE_ORACLE_MODE, docs/fee-oracle.md).
const (
	FeeModeStatic     = "static"      // write SEQ_FEE_ORACLE_LOG_GAS_PRICE once, no sampling
	FeeModeFixedPrice = "fixed-price" // L1 gas × a configured token-per-ETH price
	FeeModeUniswapV3  = "uniswap-v3"  // L1 gas × a Uniswap V3 WETH/token TWAP
)

// FeeOracleInput configures the fee oracle workflow. The oracle's settings
// (mode, interval, price source, clamp) are the worker's configuration,
// read by the activity each round: a restarted worker's new settings apply
// at the next round, with no need to restart the workflow.
type FeeOracleInput struct {
	// Wait bounds how long one round waits for the interval's blocks
	// before returning empty (the workflow loops); 0: one minute.
	Wait time.Duration
	// RoundsPerRun bounds the history: after this many rounds the workflow
	// continues as new (0: 500).
	RoundsPerRun int
	// Carried across Continue-As-New.
	AfterBlock uint64
	Status     *FeeOracleStatus
}

// FeeOracleRequest asks for one round: wait until the latest block is at
// least AfterBlock + the configured interval (at most Wait), then sample.
type FeeOracleRequest struct {
	AfterBlock uint64 // the previous sample's block; 0: sample at once
	Wait       time.Duration
}

// FeeOracleResult is one round.
type FeeOracleResult struct {
	Mode string
	// Sampled is false when the interval's blocks did not come within
	// Wait: nothing was read or written.
	Sampled bool
	// Done: static mode wrote its value; the workflow completes.
	Done  bool
	Block uint64 // the latest block when sampled
	// The L1 sample, wei per gas, decimal.
	BaseFee   string
	Tip       string
	WeiPerGas string
	// The quote: the fee token's smallest units per ETH (decimal, 12
	// significant digits) and where it came from.
	TokenPerETH string
	QuoteSource string
	// Target is the exponent the sample asks for,
	// fee_from_linear_ceil(ceil(wei per gas × token per wei)); Before and
	// After the stored log_gas_price around the clamped write.
	Target  int
	Before  int
	After   int
	Clamped bool
	// Problem is set when the quote was stale or failed: nothing was
	// written, the last value stays (sequencer_fee_oracle_quote_failures_total).
	Problem string
}

// FeeOracleStatus is the fee oracle's `status` query answer.
type FeeOracleStatus struct {
	Mode    string
	Rounds  int // rounds in this run
	Samples int // rounds that sampled, across runs
	// Last is the last round that sampled (its quote, target and write).
	Last       *FeeOracleResult
	LastSample time.Time // workflow time of Last
	// LastWrite is the workflow time log_gas_price last changed.
	LastWrite time.Time
	LastError string // the last round's failure ("" once a round succeeds)
}

func (in FeeOracleInput) withDefaults() FeeOracleInput {
	if in.Wait <= 0 {
		in.Wait = time.Minute
	}
	if in.RoundsPerRun <= 0 {
		in.RoundsPerRun = 500
	}
	return in
}

// feeOracleErrorPause is how long the workflow waits after a round that
// failed for good (a configuration error) before trying again.
const feeOracleErrorPause = time.Minute

// FeeOracle keeps batch_policy.log_gas_price following the L1 gas price:
// each round one activity waits for the configured interval of blocks,
// samples the L1 fee and the price of ETH in the fee token, and moves
// log_gas_price toward fee_from_linear_ceil(ceil(wei per gas × token per
// wei)) by at most the configured step. A stale or failing quote writes
// nothing (the last value stays). In static mode the first round writes
// the configured value and the workflow completes. It never fails on an
// activity error: it records it in its status and tries again, since
// stopping would freeze the fee where it stands.
func FeeOracle(ctx workflow.Context, in FeeOracleInput) (FeeOracleStatus, error) {
	in = in.withDefaults()
	status := FeeOracleStatus{}
	if in.Status != nil {
		status = *in.Status
	}
	status.Rounds = 0
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (FeeOracleStatus, error) { return status, nil }); err != nil {
		return status, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: in.Wait + time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        5,
			NonRetryableErrorTypes: []string{ErrTypeConfiguration, ErrTypeIdentityMismatch},
		},
		Summary: "sample the L1 fee and the token price; step log_gas_price",
	})
	// A run ends when the server suggests Continue-As-New (its history is
	// getting long), or at the round cap as a backstop. No version guard:
	// this workflow shipped with the rule (docs/worker.md, versioning policy).
	for status.Rounds < in.RoundsPerRun && (status.Rounds == 0 || !workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
		status.Rounds++
		var r FeeOracleResult
		err := workflow.ExecuteActivity(actx, ActivityFeeOracleRound, FeeOracleRequest{AfterBlock: in.AfterBlock, Wait: in.Wait}).Get(ctx, &r)
		if err != nil {
			status.LastError = err.Error()
			var canceled *temporal.CanceledError
			if errors.As(err, &canceled) {
				return status, err
			}
			workflow.GetLogger(ctx).Warn("fee oracle round failed; the fee stays where it is", "error", err)
			if err := workflow.Sleep(ctx, feeOracleErrorPause); err != nil {
				return status, err
			}
			continue
		}
		status.LastError = ""
		status.Mode = r.Mode
		if !r.Sampled {
			continue
		}
		now := workflow.Now(ctx)
		status.Samples++
		status.Last, status.LastSample = &r, now
		if r.After != r.Before {
			status.LastWrite = now
		}
		in.AfterBlock = r.Block
		if r.Done {
			return status, nil
		}
	}
	in.Status = &status
	return status, workflow.NewContinueAsNewError(ctx, FeeOracle, in)
}
