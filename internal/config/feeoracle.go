package config

import (
	"math"
	"math/big"
	"time"

	"github.com/cartesi/sequencer/protocol"
)

// Fee oracle modes (SEQ_FEE_ORACLE_MODE; workflows.FeeMode* spell them the
// same).
const (
	FeeOracleStatic     = "static"
	FeeOracleFixedPrice = "fixed-price"
	FeeOracleUniswapV3  = "uniswap-v3"
)

// FeeOracleSettings configure the fee-oracle workflow (docs/fee-oracle.md).
// Embedded in Config: its variables carry the SEQ_ prefix like every other.
//
// The default mode is static with log_gas_price 0, what a deployment did
// before the oracle existed: the sampling modes need a price that has no
// sensible default (a token-per-ETH figure, or a pool), so following L1
// is opted into, never guessed.
type FeeOracleSettings struct {
	FeeOracleMode string `envconfig:"FEE_ORACLE_MODE" default:"static"`
	// FeeOracleIntervalBlocks is how many L1 blocks apart samples are.
	FeeOracleIntervalBlocks uint64 `envconfig:"FEE_ORACLE_INTERVAL_BLOCKS" default:"10"`
	// FeeOracleMaxStep bounds one update's change of log_gas_price.
	FeeOracleMaxStep uint64 `envconfig:"FEE_ORACLE_MAX_STEP" default:"100"`
	// FeeOracleLogGasPrice is the static mode's value.
	FeeOracleLogGasPrice int `envconfig:"FEE_ORACLE_LOG_GAS_PRICE" default:"0"`
	// FeeOracleTokenPerETH is the fixed-price mode's price: the fee token's
	// smallest units per ETH, a decimal integer.
	FeeOracleTokenPerETH string `envconfig:"FEE_ORACLE_TOKEN_PER_ETH"`
	// The uniswap-v3 mode's pool, the pool's WETH side and TWAP window.
	FeeOraclePool        Address `envconfig:"FEE_ORACLE_POOL"`
	FeeOracleWETH        Address `envconfig:"FEE_ORACLE_WETH"`
	FeeOracleTWAPSeconds uint64  `envconfig:"FEE_ORACLE_TWAP_SECONDS" default:"1800"`
	// FeeOracleMaxQuoteAgeSeconds: a pool whose newest observation (its
	// last swap or liquidity change) is older than this is a stale quote;
	// 0 turns the check off.
	FeeOracleMaxQuoteAgeSeconds uint64 `envconfig:"FEE_ORACLE_MAX_QUOTE_AGE_SECONDS" default:"86400"`
}

// validate checks the fee oracle's settings. Only the worker runs the
// oracle; serve and migrate ignore them.
func (f FeeOracleSettings) validate(role Role) error {
	if role != RoleWorker {
		return nil
	}
	switch f.FeeOracleMode {
	case FeeOracleStatic, FeeOracleFixedPrice, FeeOracleUniswapV3:
	default:
		return bad("FEE_ORACLE_MODE", "must be %s, %s or %s, got %q", FeeOracleStatic, FeeOracleFixedPrice, FeeOracleUniswapV3, f.FeeOracleMode)
	}
	if f.FeeOracleLogGasPrice < -protocol.MaxFeeExponent || f.FeeOracleLogGasPrice > protocol.MaxFeeExponent {
		return bad("FEE_ORACLE_LOG_GAS_PRICE", "must be in %d..%d, got %d", -protocol.MaxFeeExponent, protocol.MaxFeeExponent, f.FeeOracleLogGasPrice)
	}
	if f.FeeOracleMode == FeeOracleStatic {
		return nil
	}
	if f.FeeOracleIntervalBlocks == 0 {
		return bad("FEE_ORACLE_INTERVAL_BLOCKS", "must be positive")
	}
	if f.FeeOracleMaxStep == 0 || f.FeeOracleMaxStep > protocol.MaxFeeExponent {
		return bad("FEE_ORACLE_MAX_STEP", "must be in 1..%d, got %d", protocol.MaxFeeExponent, f.FeeOracleMaxStep)
	}
	switch f.FeeOracleMode {
	case FeeOracleFixedPrice:
		if f.FeeOracleTokenPerETH == "" {
			return bad("FEE_ORACLE_TOKEN_PER_ETH", "required by the fixed-price mode (the fee token's smallest units per ETH)")
		}
		if _, ok := f.TokenPerETH(); !ok {
			return bad("FEE_ORACLE_TOKEN_PER_ETH", "must be a positive decimal integer (smallest units per ETH), got %q", f.FeeOracleTokenPerETH)
		}
	case FeeOracleUniswapV3:
		if !f.FeeOraclePool.Set {
			return bad("FEE_ORACLE_POOL", "required by the uniswap-v3 mode (a WETH/fee-token Uniswap V3 pool)")
		}
		if !f.FeeOracleWETH.Set {
			return bad("FEE_ORACLE_WETH", "required by the uniswap-v3 mode (the pool's WETH side; mainnet 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2)")
		}
		if f.FeeOracleTWAPSeconds == 0 || f.FeeOracleTWAPSeconds > math.MaxUint32 {
			return bad("FEE_ORACLE_TWAP_SECONDS", "must be in 1..%d, got %d", uint64(math.MaxUint32), f.FeeOracleTWAPSeconds)
		}
	}
	return nil
}

// TokenPerETH parses SEQ_FEE_ORACLE_TOKEN_PER_ETH; ok is false unless it
// is a positive decimal integer.
func (f FeeOracleSettings) TokenPerETH() (*big.Int, bool) {
	v, ok := new(big.Int).SetString(f.FeeOracleTokenPerETH, 10)
	if !ok || v.Sign() <= 0 {
		return nil, false
	}
	return v, true
}

// FeeOracleMaxQuoteAge is SEQ_FEE_ORACLE_MAX_QUOTE_AGE_SECONDS as a
// duration (0: no staleness check).
func (f FeeOracleSettings) FeeOracleMaxQuoteAge() time.Duration {
	return time.Duration(f.FeeOracleMaxQuoteAgeSeconds) * time.Second
}
