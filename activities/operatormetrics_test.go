package activities

import (
	"context"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/workflows"
)

// TestWalletGaugesFollowSpend: once batch transactions are included on a
// real chain, the fees counter holds exactly what their receipts say they
// cost (gas used × effective gas price), the balance gauge the wallet's
// balance at the latest block, and the runway the balance over the last
// hour's spend rate.
func TestWalletGaugesFollowSpend(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	eth := ethclient.NewClient(a.RPC())
	acts.Wallet = eth
	sealBatches(t, pool, 2)

	p := plan(t, acts, nil, 16, 0)
	require.Len(t, p.Sends, 2)
	window, _ := send(t, acts, p)
	// Both mined before the plan that sees them: a plan that saw only the
	// first would count its fee, and the workflow would hand the next plan a
	// window without it — here the same window goes back, so waiting with
	// plans would count the first transaction twice.
	require.Eventually(t, func() bool {
		for _, e := range window {
			if _, err := eth.TransactionReceipt(ctx, common.HexToHash(e.TxHash)); err != nil {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
	p = plan(t, acts, window, 16, 0)
	require.Len(t, p.Included, 2)

	wantFees := new(big.Int)
	for _, e := range p.Included {
		rcpt, err := eth.TransactionReceipt(ctx, common.HexToHash(e.TxHash))
		require.NoError(t, err)
		require.Positive(t, rcpt.EffectiveGasPrice.Sign())
		wantFees.Add(wantFees, new(big.Int).Mul(new(big.Int).SetUint64(rcpt.GasUsed), rcpt.EffectiveGasPrice))
	}
	fees, _ := new(big.Float).SetInt(wantFees).Float64()
	require.Equal(t, fees, value(t, acts.Metrics.feesPaid))

	balance, err := eth.BalanceAt(ctx, acts.BatchSubmitter, nil)
	require.NoError(t, err)
	bal, _ := new(big.Float).SetInt(balance).Float64()
	require.Equal(t, bal, value(t, acts.Metrics.walletBalance))
	require.InEpsilon(t, bal/(fees/runwayWindow.Seconds()), value(t, acts.Metrics.walletRunway), 1e-9)

	// No plan, no new spend: an idle plan reads the balance again and the
	// runway stays finite while the hour's spend is in the window.
	idle := plan(t, acts, nil, 16, 0)
	require.Empty(t, idle.Sends)
	require.False(t, math.IsInf(value(t, acts.Metrics.walletRunway), 1))
}

// TestSpendWindow: the runway's rate is the last hour's spend over the
// whole hour (an early inclusion after a start is not extrapolated), what
// is older falls out, and no spend means an unbounded runway.
func TestSpendWindow(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	cases := []struct {
		name     string
		spends   map[time.Duration]float64 // at t0+offset
		at       time.Duration
		wantRate float64
	}{
		{"nothing spent", nil, time.Minute, 0},
		{"one spend, a minute after a start", map[time.Duration]float64{0: 3600}, time.Minute, 1},
		{"two spends in the hour", map[time.Duration]float64{0: 3600, 30 * time.Minute: 7200}, 59 * time.Minute, 3},
		{"the older one left the window", map[time.Duration]float64{0: 3600, 30 * time.Minute: 7200}, 61 * time.Minute, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w spendWindow
			for off, wei := range c.spends {
				w.add(t0.Add(off), wei)
			}
			rate := w.perSecond(t0.Add(c.at))
			require.InDelta(t, c.wantRate, rate, 1e-9)
			if c.wantRate == 0 {
				require.True(t, math.IsInf(runway(1e18, rate), 1))
			} else {
				require.InDelta(t, 1e18/c.wantRate, runway(1e18, rate), 1e-3)
			}
		})
	}
}

// TestControlGauges: each observation publishes whether a recovery holds
// the batch tree and whether divergence was recorded, from the control row
// (the observer refuses to go on after divergence, but the gauge is set
// first, so the alert fires).
func TestControlGauges(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, _ := setup(t)
	cases := []struct {
		name           string
		sql            string
		wantRecovering float64
		wantDiverged   float64
		wantErr        bool
	}{
		{"normal", `UPDATE control SET mode = 'normal'`, 0, 0, false},
		{"recovering", `UPDATE control SET mode = 'recovering'`, 1, 0, false},
		{"diverged", `UPDATE control SET mode = 'normal', divergence = 'batch 0 is not ours'`, 0, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := pool.Exec(ctx, c.sql)
			require.NoError(t, err)
			_, err = call[workflows.ObserveResult](t, acts.Observe)
			if c.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, c.wantRecovering, value(t, acts.Metrics.recovering))
			require.Equal(t, c.wantDiverged, value(t, acts.Metrics.divergence))
		})
	}
}

// TestOperatorGaugesStartUnknown: before the first balance read or danger
// computation the gauges alerts compare against thresholds are NaN, not 0
// (which would page as an empty wallet or a batch at the danger line).
func TestOperatorGaugesStartUnknown(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	for name, g := range map[string]prometheus.Gauge{"balance": m.walletBalance, "runway": m.walletRunway,
		"backlog age": m.backlogAge, "blocks until danger": m.blocksUntilDanger} {
		require.True(t, math.IsNaN(value(t, g)), name)
	}
	m.dangerMargin(12, 888)
	require.Equal(t, 12.0, value(t, m.backlogAge))
	require.Equal(t, 888.0, value(t, m.blocksUntilDanger))
}
