package cli

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/store"
)

// newFeeOracle builds the fee oracle's activity dependencies from the
// SEQ_FEE_ORACLE_* settings (validated by config; docs/fee-oracle.md).
func newFeeOracle(rc *rpc.Client, cfg config.Config, pool *pgxpool.Pool) (*activities.FeeOracle, error) {
	f := cfg.FeeOracleSettings
	o := &activities.FeeOracle{
		Mode:              f.FeeOracleMode,
		Policy:            store.NewFeePolicy(pool),
		IntervalBlocks:    f.FeeOracleIntervalBlocks,
		MaxStep:           int(f.FeeOracleMaxStep),
		StaticLogGasPrice: f.FeeOracleLogGasPrice,
		MaxQuoteAge:       f.FeeOracleMaxQuoteAge(),
		// A few looks per block while a round waits for its interval.
		Poll: max(time.Duration(cfg.SecondsPerBlock)*time.Second/4, 250*time.Millisecond),
	}
	switch f.FeeOracleMode {
	case config.FeeOracleStatic:
		return o, nil
	case config.FeeOracleFixedPrice:
		price, _ := f.TokenPerETH() // validated
		o.Price = l1.FixedPrice{TokenPerETH: price}
	case config.FeeOracleUniswapV3:
		twap, err := l1.NewUniswapV3TWAP(rc, l1.UniswapV3Config{Pool: f.FeeOraclePool.Address, WETH: f.FeeOracleWETH.Address,
			FeeToken: cfg.WalletTokenAddress.Address, Window: uint32(f.FeeOracleTWAPSeconds)})
		if err != nil {
			return nil, err
		}
		o.Price = twap
	default:
		return nil, fmt.Errorf("SEQ_FEE_ORACLE_MODE: unknown mode %q", f.FeeOracleMode)
	}
	o.Gas = l1.NewGasSampler(rc)
	return o, nil
}
