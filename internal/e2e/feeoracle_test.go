package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/workflows"
)

// TestFeeOracleFollowsL1BaseFee runs `sequencer worker` with the fee oracle
// in fixed-price mode and `sequencer serve`, mines blocks at a base fee the
// test sets (anvil_setNextBlockBaseFeePerGas before each block), and
// watches GET /fee: recommended_fee climbs from the policy default to
// follow the L1 gas price, and rises again when the base fee is raised.
// The fee-oracle workflow's status query shows the sample behind it.
func TestFeeOracleFollowsL1BaseFee(t *testing.T) {
	w := newChainWorld(t, 1)
	w.stopMine() // blocks come from the loop below, at the base fee it sets
	var baseFee atomic.Pointer[big.Int]
	baseFee.Store(big.NewInt(1e9))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = w.anvil.RPC().CallContext(ctx, nil, "anvil_setNextBlockBaseFeePerGas", (*hexutil.Big)(baseFee.Load()))
				_ = w.anvil.Mine(ctx, 1)
			}
		}
	}()
	w.startWorker("SEQ_FEE_ORACLE_MODE=fixed-price",
		"SEQ_FEE_ORACLE_TOKEN_PER_ETH=1000000000000000000000", // 1000 tokens (18 decimals) per ETH
		"SEQ_FEE_ORACLE_INTERVAL_BLOCKS=5", "SEQ_FEE_ORACLE_MAX_STEP=100")
	serve := w.startServe()
	serve.waitReady()

	fee := func() int {
		code, body := serve.get("/fee")
		if code != http.StatusOK {
			return -1
		}
		var f struct {
			RecommendedFee int `json:"recommended_fee"`
		}
		require.NoError(t, json.Unmarshal(body, &f))
		return f.RecommendedFee
	}
	const policyDefault = 1356 // log_gas_price 0 (protocol.md §5)
	// At ~2 gwei (base + tip) and 1000 tokens per ETH a gas costs 2·10^12
	// units: log_gas_price ≈ 3640, reached in steps of 100.
	var settled int
	require.Eventually(t, func() bool {
		f := fee()
		if f > policyDefault+3400 && f == settled {
			return true // the same value twice, an interval apart: converged
		}
		settled = f
		return false
	}, 3*time.Minute, 2*time.Second, "recommended_fee never settled above the default; last %d", settled)

	// The oracle goes on writing as the base fee drifts block to block, and
	// the lane reads the policy every 10 s: compare its status with the
	// stored value (not with /fee), between two writes.
	c := w.temporal.client(t)
	pool := w.pool(t)
	var st workflows.FeeOracleStatus
	require.Eventually(t, func() bool {
		qctx, qcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer qcancel()
		v, err := c.QueryWorkflow(qctx, w.names().FeeOracle, "", workflows.QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&st))
		stored := count(t, pool, `SELECT log_gas_price FROM batch_policy`)
		return st.Last != nil && st.Last.After == stored
	}, time.Minute, time.Second, "the workflow's last write is the stored log_gas_price")
	require.Equal(t, workflows.FeeModeFixedPrice, st.Mode)
	require.InDelta(t, settled-policyDefault, st.Last.After, 100, "/fee shows the oracle's value, within one step of drift")
	require.Equal(t, "fixed", st.Last.QuoteSource)

	// Fifty times the base fee: about 500 exponents more, five steps.
	baseFee.Store(big.NewInt(50e9))
	require.Eventually(t, func() bool { return fee() >= settled+400 }, 3*time.Minute, time.Second,
		"recommended_fee did not follow the raised base fee; still %d", fee())
}
