// Command devpool deploys a Uniswap V3 WETH/dev-token pool on the `make dev`
// chain, so the fee oracle's uniswap-v3 mode can be tried there
// (docs/fee-oracle.md):
//
//	. .devstack/env && go run ./internal/uniswaptest/devpool
//
// It reads SEQ_ETH_RPC_URL and SEQ_WALLET_TOKEN_ADDRESS, deploys from
// anvil's first dev account (the dev token's holder) a pool at 1000 tokens
// per ETH with 10 WETH of liquidity, grows its observation history, makes
// one swap, and prints the DEV_ENV settings that point the oracle at it.
package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cartesi/sequencer/internal/devstack"
	"github.com/cartesi/sequencer/internal/uniswaptest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devpool:", err)
		os.Exit(1)
	}
}

func run() error {
	url, token := os.Getenv("SEQ_ETH_RPC_URL"), os.Getenv("SEQ_WALLET_TOKEN_ADDRESS")
	if url == "" || !common.IsHexAddress(token) {
		return fmt.Errorf("SEQ_ETH_RPC_URL and SEQ_WALLET_TOKEN_ADDRESS must be set: run `. .devstack/env` first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return err
	}
	defer client.Close()
	key := devstack.DevKey(0)
	weth := new(big.Int).Mul(big.NewInt(10), big.NewInt(1e18))
	d, err := uniswaptest.DeployWithToken(ctx, client, key, common.HexToAddress(token), big.NewInt(1000), weth)
	if err != nil {
		return err
	}
	if err := d.GrowObservations(ctx, 100); err != nil {
		return err
	}
	if err := d.Swap(ctx, d.WETH, big.NewInt(1e16)); err != nil {
		return err
	}
	fmt.Printf("pool %s (WETH %s, token %s) at 1000 tokens per ETH\n", d.Pool, d.WETH, d.Token)
	fmt.Printf("wait a minute (the TWAP needs 60 s of history), then:\n\n")
	fmt.Printf("make dev DEV_ENV='SEQ_FEE_ORACLE_MODE=uniswap-v3 SEQ_FEE_ORACLE_POOL=%s SEQ_FEE_ORACLE_WETH=%s SEQ_FEE_ORACLE_TWAP_SECONDS=60'\n",
		d.Pool.Hex(), d.WETH.Hex())
	return nil
}
