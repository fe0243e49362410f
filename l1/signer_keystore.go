package l1

import (
	"errors"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/accounts/keystore"
)

// ErrKeystore: the keystore file cannot be read or decrypted (wrong
// passphrase, not a keystore). A configuration error: the worker refuses to
// start.
var ErrKeystore = errors.New("l1: keystore")

// NewKeystoreSigner decrypts a go-ethereum keystore file (the "Web3 Secret
// Storage" JSON that geth account new, clef and cast wallet write) with
// passphrase and returns a KeySigner for the key. The decrypted key stays
// in memory only. Errors name the file, never the passphrase.
func NewKeystoreSigner(path, passphrase string) (*KeySigner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeystore, err)
	}
	k, err := keystore.DecryptKey(b, passphrase)
	if err != nil {
		// keystore.ErrDecrypt says "could not decrypt key with given
		// password": never the password itself.
		return nil, fmt.Errorf("%w: %s: %w", ErrKeystore, path, err)
	}
	return NewKeySigner(k.PrivateKey), nil
}
