package config

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// testKey's address (anvil account 0).
const testKeyAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

func writeKeyFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "receipt.key")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestReceiptKeySources(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		enabled bool
	}{
		{"unset: receipts disabled", map[string]string{}, false},
		{"raw with 0x", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY": "0x" + testKey}, true},
		{"raw without 0x", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY": testKey}, true},
		{"file, first line", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY_FILE": writeKeyFile(t, "0x"+testKey+"\nignored\n")}, true},
		{"file with CRLF and no 0x", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY_FILE": writeKeyFile(t, testKey+"\r\n")}, true},
		{"submitter set to another address", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY": testKey,
			"SEQ_BATCH_SUBMITTER_ADDRESS": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			baseEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load(RoleServe)
			require.NoError(t, err)
			key, err := c.ReceiptKey()
			require.NoError(t, err)
			if !tc.enabled {
				require.Nil(t, key)
				return
			}
			require.NotNil(t, key)
			require.Equal(t, testKeyAddress, crypto.PubkeyToAddress(key.PublicKey).Hex())
		})
	}
}

func TestReceiptKeyValidation(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string // the whole error: it names the variable and never holds the key
	}{
		{"both set", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY": testKey, "SEQ_RECEIPT_PRIVATE_KEY_FILE": writeKeyFile(t, testKey)},
			"SEQ_RECEIPT_PRIVATE_KEY: set at most one of SEQ_RECEIPT_PRIVATE_KEY and SEQ_RECEIPT_PRIVATE_KEY_FILE"},
		{"bad raw key", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY": testKey[:62]},
			"SEQ_RECEIPT_PRIVATE_KEY: not a hex secp256k1 private key"},
		{"bad file key", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY_FILE": writeKeyFile(t, "zz"+testKey[2:])},
			"SEQ_RECEIPT_PRIVATE_KEY_FILE: not a hex secp256k1 private key"},
		{"empty file", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY_FILE": writeKeyFile(t, "\n"+testKey)},
			"SEQ_RECEIPT_PRIVATE_KEY_FILE: the file's first line is empty"},
		{"missing file", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY_FILE": "/nonexistent/receipt.key"},
			"SEQ_RECEIPT_PRIVATE_KEY_FILE: cannot read /nonexistent/receipt.key: no such file or directory"},
		{"the submitter's key", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY": testKey, "SEQ_BATCH_SUBMITTER_ADDRESS": testKeyAddress},
			"SEQ_RECEIPT_PRIVATE_KEY: the receipt key's address " + testKeyAddress + " is SEQ_BATCH_SUBMITTER_ADDRESS: use a dedicated key for receipts"},
		{"the submitter's key, from a file", map[string]string{"SEQ_RECEIPT_PRIVATE_KEY_FILE": writeKeyFile(t, testKey),
			"SEQ_BATCH_SUBMITTER_ADDRESS": testKeyAddress},
			"SEQ_RECEIPT_PRIVATE_KEY_FILE: the receipt key's address " + testKeyAddress + " is SEQ_BATCH_SUBMITTER_ADDRESS: use a dedicated key for receipts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			baseEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := Load(RoleServe)
			var ce *Error
			require.ErrorAs(t, err, &ce)
			require.EqualError(t, err, tc.want)
			require.NotContains(t, err.Error(), testKey[2:])
		})
	}
}

// TestReceiptKeyIgnoredByOtherRoles: only serve signs receipts, so a
// worker sharing serve's environment is not refused for serve's key.
func TestReceiptKeyIgnoredByOtherRoles(t *testing.T) {
	baseEnv(t)
	t.Setenv("SEQ_RECEIPT_PRIVATE_KEY", "not a key")
	t.Setenv("SEQ_BATCH_SUBMITTER_PRIVATE_KEY", testKey)
	_, err := Load(RoleWorker)
	require.NoError(t, err)
	_, err = Load(RoleMigrate)
	require.NoError(t, err)
}

// TestReceiptKeyNeverPrints: the raw key is a Secret, so printing the
// configuration (as a debug log might) shows it redacted.
func TestReceiptKeyNeverPrints(t *testing.T) {
	baseEnv(t)
	t.Setenv("SEQ_RECEIPT_PRIVATE_KEY", testKey)
	c, err := Load(RoleServe)
	require.NoError(t, err)
	printed := fmt.Sprintf("%v %+v %#v", c, c, c)
	require.NotContains(t, printed, testKey)
	require.Contains(t, printed, "[REDACTED]")
}
