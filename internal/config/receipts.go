package config

import (
	"crypto/ecdsa"
	"errors"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// ReceiptSettings configure the key that signs soft confirmations (issue
// 12, docs/receipts.md). Embedded in Config: its variables carry the SEQ_
// prefix like every other.
//
// The key comes from the raw variable or the first line of a file, like the
// submitter's raw key, and is optional: without one serve warns at start,
// POST /tx answers without a receipt and GET /receipt_key is 404
// RECEIPTS_DISABLED. It must not be the batch submitter's key: receipts are
// signed on the API's hot path, in the serve process, which should never
// hold a key that moves funds on L1.
type ReceiptSettings struct {
	ReceiptPrivateKey     Secret `envconfig:"RECEIPT_PRIVATE_KEY"`
	ReceiptPrivateKeyFile string `envconfig:"RECEIPT_PRIVATE_KEY_FILE"`
}

// validate checks the receipt settings for role. Only serve signs receipts;
// the other roles ignore them. submitter is SEQ_BATCH_SUBMITTER_ADDRESS
// (unset: nothing to compare with). The file is read here so a missing or
// bad file fails the start (exit 2), not the first POST /tx.
func (r ReceiptSettings) validate(role Role, submitter Address) error {
	if role != RoleServe {
		return nil
	}
	if r.ReceiptPrivateKey != "" && r.ReceiptPrivateKeyFile != "" {
		return bad("RECEIPT_PRIVATE_KEY", "set at most one of SEQ_RECEIPT_PRIVATE_KEY and SEQ_RECEIPT_PRIVATE_KEY_FILE")
	}
	key, err := r.ReceiptKey()
	if err != nil || key == nil {
		return err
	}
	if addr := crypto.PubkeyToAddress(key.PublicKey); submitter.Set && addr == submitter.Address {
		return bad(r.receiptVar(), "the receipt key's address %s is SEQ_BATCH_SUBMITTER_ADDRESS: use a dedicated key for receipts", addr.Hex())
	}
	return nil
}

// ReceiptKey returns the receipt key from the variable or the first line
// of the file, or nil when neither is set (receipts disabled). Errors name
// the variable, never the key.
func (r ReceiptSettings) ReceiptKey() (*ecdsa.PrivateKey, error) {
	raw := r.ReceiptPrivateKey.Reveal()
	if r.ReceiptPrivateKeyFile != "" {
		b, err := os.ReadFile(r.ReceiptPrivateKeyFile)
		if err != nil {
			return nil, bad("RECEIPT_PRIVATE_KEY_FILE", "cannot read %s: %v", r.ReceiptPrivateKeyFile, errors.Unwrap(err))
		}
		raw, _, _ = strings.Cut(string(b), "\n")
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if r.ReceiptPrivateKeyFile != "" {
			return nil, bad("RECEIPT_PRIVATE_KEY_FILE", "the file's first line is empty")
		}
		return nil, nil
	}
	k, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimPrefix(raw, "0x"), "0X"))
	if err != nil {
		return nil, bad(r.receiptVar(), "not a hex secp256k1 private key")
	}
	return k, nil
}

func (r ReceiptSettings) receiptVar() string {
	if r.ReceiptPrivateKeyFile != "" {
		return "RECEIPT_PRIVATE_KEY_FILE"
	}
	return "RECEIPT_PRIVATE_KEY"
}
