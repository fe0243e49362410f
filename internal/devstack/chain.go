package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cartesi/sequencer/internal/devchain"
)

// DevChain describes the dev deployment: the contracts DeployChain creates
// on a chain where the deployer (anvil account 0) has not sent anything
// yet, which are always at the same addresses, and the accounts' roles.
func DevChain() Chain {
	addrs := devchain.ExpectedAddresses(DevAddress(DeployerAccount), 0)
	c := Chain{
		ChainID:        ChainID,
		InputBox:       addrs.InputBox,
		ERC20Portal:    addrs.ERC20Portal,
		Token:          addrs.Token,
		App:            addrs.App,
		Deployer:       DevAddress(DeployerAccount),
		BatchSubmitter: DevAddress(BatchSubmitterAccount),
		FeeRecipient:   DevAddress(FeeRecipientAccount),
	}
	for i := FirstFundedAccount; i < FirstFundedAccount+FundedAccounts; i++ {
		c.Funded = append(c.Funded, FundedAccount{Address: DevAddress(i), Key: DevKeyHex(i)})
	}
	return c
}

// DeployChain deploys the contracts from anvil account 0 (InputBox, test
// token, ERC20Portal, application: see devchain.Deploy), gives each funded
// account FundAmount test tokens and deposits DepositAmount of them into the
// application through the portal. The chain must be fresh (account 0 has
// sent nothing), so the addresses are DevChain's.
func DeployChain(ctx context.Context, ec *ethclient.Client, log *slog.Logger) (Chain, error) {
	chain := DevChain()
	nonce, err := ec.PendingNonceAt(ctx, chain.Deployer)
	if err != nil {
		return Chain{}, fmt.Errorf("deployer nonce: %w", err)
	}
	if nonce != 0 {
		return Chain{}, fmt.Errorf("the deployer %s has already sent %d transactions: the dev contracts would not land at their usual addresses", chain.Deployer, nonce)
	}
	deployer := DevKey(DeployerAccount)
	addrs, err := devchain.Deploy(ctx, ec, deployer)
	if err != nil {
		return Chain{}, err
	}
	if addrs != chain.addresses() {
		return Chain{}, fmt.Errorf("contracts deployed at %+v, expected %+v", addrs, chain.addresses())
	}
	log.Info("contracts deployed", "input_box", addrs.InputBox, "erc20_portal", addrs.ERC20Portal,
		"token", addrs.Token, "app", addrs.App)
	to := make([]common.Address, len(chain.Funded))
	for i, f := range chain.Funded {
		to[i] = f.Address
	}
	if err := devchain.FundTokens(ctx, ec, deployer, addrs, FundAmount, to...); err != nil {
		return Chain{}, err
	}
	var wg sync.WaitGroup
	errs := make([]error, FundedAccounts)
	for j := range FundedAccounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[j] = devchain.Deposit(ctx, ec, DevKey(FirstFundedAccount+j), addrs, DepositAmount)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Chain{}, err
	}
	log.Info("test accounts funded", "accounts", len(to), "deposited_each", new(big.Int).Div(DepositAmount, ether).String()+" tokens")
	chain.DeployedAt = time.Now().UTC()
	return chain, nil
}

// EnsureChain is DeployChain made idempotent for a chain the stack does not
// own (`sequencer dev deploy`, docker-compose): when DevChain's contracts are
// already there it changes nothing and reports deployed = false.
func EnsureChain(ctx context.Context, ec *ethclient.Client, log *slog.Logger) (chain Chain, deployed bool, err error) {
	chain = DevChain()
	ok, err := devchain.Deployed(ctx, ec, chain.addresses())
	if err != nil {
		return Chain{}, false, err
	}
	if ok {
		log.Info("dev contracts already deployed", "app", chain.App)
		return chain, false, nil
	}
	chain, err = DeployChain(ctx, ec, log)
	return chain, err == nil, err
}
