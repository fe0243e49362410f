package devstack

import (
	"crypto/ecdsa"

	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Mnemonic is anvil's default mnemonic; its first ten accounts are
// prefunded with 10,000 ETH each on every dev chain.
const Mnemonic = "test test test test test test test test test test test junk"

// Roles of anvil's default accounts in the dev stack.
const (
	DeployerAccount       = 0 // deploys the contracts and holds the token supply
	BatchSubmitterAccount = 1 // the worker's batch submitter
	FirstFundedAccount    = 2 // 2..6 get test tokens deposited into the app
	FundedAccounts        = 5
	FeeRecipientAccount   = 7 // credited with every fee (SEQ_WALLET_FEE_RECIPIENT)
	ReceiptAccount        = 8 // serve's receipt key (SEQ_RECEIPT_PRIVATE_KEY); holds no funds it uses
)

// DevKey returns anvil default account i's private key. It panics on a bad
// index.
func DevKey(i int) *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA(devchain.DevKeys[i])
	if err != nil {
		panic(err) // constants
	}
	return k
}

// DevKeyHex returns anvil default account i's private key as 0x hex.
func DevKeyHex(i int) string { return "0x" + devchain.DevKeys[i] }

// DevAddress returns anvil default account i's address.
func DevAddress(i int) common.Address { return crypto.PubkeyToAddress(DevKey(i).PublicKey) }
