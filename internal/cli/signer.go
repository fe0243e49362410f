package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/l1"
)

// newSubmitterSigner builds the batch submitter's signer from the one key
// source the configuration names (validated by config): the raw key
// (development), a go-ethereum keystore file and its passphrase file, or a
// remote signer. Secrets read from files join the output filter before
// anything could print them. A source that cannot be used is a
// configuration error (exit 2). close releases a remote signer's
// connection.
func newSubmitterSigner(ctx context.Context, cfg config.Config, stdio Stdio) (signer l1.Signer, close func(), err error) {
	close = func() {}
	switch cfg.KeySource() {
	case config.KeySourceRaw:
		secret, err := cfg.BatchSubmitterKey()
		if err != nil {
			return nil, close, withExit(ExitUsage, err)
		}
		stdio.secrets.Add(secret.Reveal(), strings.TrimPrefix(secret.Reveal(), "0x"))
		key, err := crypto.HexToECDSA(strings.TrimPrefix(secret.Reveal(), "0x"))
		if err != nil {
			return nil, close, withExit(ExitUsage, fmt.Errorf("SEQ_BATCH_SUBMITTER_PRIVATE_KEY: not a hex secp256k1 private key"))
		}
		signer = l1.NewKeySigner(key)
	case config.KeySourceKeystore:
		pass, err := config.ReadSecretFile("SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE", cfg.BatchSubmitterKeystorePasswordFile)
		if err != nil {
			return nil, close, withExit(ExitUsage, err)
		}
		stdio.secrets.Add(pass.Reveal())
		ks, err := l1.NewKeystoreSigner(cfg.BatchSubmitterKeystoreFile, pass.Reveal())
		if err != nil {
			return nil, close, withExit(ExitUsage, fmt.Errorf("SEQ_BATCH_SUBMITTER_KEYSTORE_FILE: %w", err))
		}
		signer = ks
	case config.KeySourceRemote:
		rs, err := l1.DialRemoteSigner(ctx, cfg.BatchSubmitterRemoteSignerURL.Reveal(), cfg.BatchSubmitterAddress.Address,
			cfg.BatchSubmitterRemoteSignerMethod)
		if err != nil {
			return nil, close, withExit(ExitUsage, fmt.Errorf("SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL: %w", err))
		}
		return rs, rs.Close, nil
	default:
		return nil, close, withExit(ExitUsage, fmt.Errorf("no batch submitter key source configured"))
	}
	if cfg.BatchSubmitterAddress.Set && cfg.BatchSubmitterAddress.Address != signer.Address() {
		return nil, close, withExit(ExitUsage, fmt.Errorf("SEQ_BATCH_SUBMITTER_ADDRESS %s is not the key's address %s",
			cfg.BatchSubmitterAddress.Address, signer.Address()))
	}
	return signer, close, nil
}
