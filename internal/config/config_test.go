package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const testKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

func baseEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"SEQ_ETH_RPC_URL":           "http://127.0.0.1:8545",
		"SEQ_CHAIN_ID":              "31337",
		"SEQ_APP_ADDRESS":           "0x1111111111111111111111111111111111111111",
		"SEQ_WALLET_PORTAL_ADDRESS": "0x00000000000000000000000000000000000000a1",
		"SEQ_WALLET_TOKEN_ADDRESS":  "0x00000000000000000000000000000000000000b2",
		"SEQ_WALLET_FEE_RECIPIENT":  "0x00000000000000000000000000000000000000c3",
	} {
		t.Setenv(k, v)
	}
}

func TestDefaults(t *testing.T) {
	baseEnv(t)
	c, err := Load(RoleServe)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:3000", c.HTTPAddr)
	require.Equal(t, "127.0.0.1:3001", c.InternalHTTPAddr)
	require.Equal(t, "127.0.0.1:7233", c.TemporalAddress)
	require.Equal(t, "default", c.TemporalNamespace)
	require.Equal(t, uint64(300), c.PreemptiveMarginBlocks)
	require.Equal(t, uint64(600), c.L1ReadStaleAfterBlocks)
	require.Equal(t, uint64(12), c.SecondsPerBlock)
	require.Equal(t, []int{-32005, -32012, -32600, -32602, -32616}, c.LongBlockRangeErrorCodes)
	require.Equal(t, uint64(5000), c.BatchSubmitterIdlePollIntervalMS)
	require.Equal(t, uint64(2), c.BatchSubmitterConfirmationDepth)
	require.Equal(t, uint64(7200), c.MaxBatchOpenSeconds)
	require.Equal(t, DevDatabaseURL, c.DatabaseURLOrDev())
	require.False(t, c.InputBoxAddress.Set)
}

func TestValidationNamesTheVariable(t *testing.T) {
	cases := []struct {
		role  Role
		env   map[string]string
		varIn string
	}{
		{RoleServe, map[string]string{"SEQ_ETH_RPC_URL": ""}, "SEQ_ETH_RPC_URL"},
		{RoleServe, map[string]string{"SEQ_ETH_RPC_URL": "ftp://x"}, "SEQ_ETH_RPC_URL"},
		{RoleServe, map[string]string{"SEQ_CHAIN_ID": "abc"}, "CHAIN_ID"},
		{RoleServe, map[string]string{"SEQ_CHAIN_ID": "0"}, "SEQ_CHAIN_ID"},
		{RoleServe, map[string]string{"SEQ_APP_ADDRESS": "0x1234"}, "APP_ADDRESS"},
		{RoleServe, map[string]string{"SEQ_APP_ADDRESS": "1111111111111111111111111111111111111111"}, "APP_ADDRESS"},
		{RoleServe, map[string]string{"SEQ_PREEMPTIVE_MARGIN_BLOCKS": "0"}, "SEQ_PREEMPTIVE_MARGIN_BLOCKS"},
		{RoleServe, map[string]string{"SEQ_PREEMPTIVE_MARGIN_BLOCKS": "1200"}, "SEQ_PREEMPTIVE_MARGIN_BLOCKS"},
		{RoleServe, map[string]string{"SEQ_L1_READ_STALE_AFTER_BLOCKS": "0"}, "SEQ_L1_READ_STALE_AFTER_BLOCKS"},
		{RoleServe, map[string]string{"SEQ_L1_READ_STALE_AFTER_BLOCKS": "900"}, "SEQ_L1_READ_STALE_AFTER_BLOCKS"},
		{RoleServe, map[string]string{"SEQ_DATABASE_URL": "mysql://x"}, "SEQ_DATABASE_URL"},
		{RoleServe, map[string]string{"SEQ_WALLET_TOKEN_ADDRESS": ""}, "SEQ_WALLET_TOKEN_ADDRESS"},
		{RoleServe, map[string]string{"SEQ_HTTP_ADDR": "localhost"}, "SEQ_HTTP_ADDR"},
		{RoleWorker, map[string]string{}, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY"},
		{RoleWorker, map[string]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": testKey, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE": "/k"}, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY"},
		{RoleWorker, map[string]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": "zz" + testKey[2:]}, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY"},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i, tc.varIn), func(t *testing.T) {
			baseEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := Load(tc.role)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.varIn)
			require.NotContains(t, err.Error(), testKey[2:])
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	baseEnv(t)
	t.Setenv("SEQ_BATCH_SUBMITTER_PRIVATE_KEY", testKey)
	t.Setenv("SEQ_DATABASE_URL", "postgres://u:hunter2@db/x")
	c, err := Load(RoleWorker)
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cfg", c, "key", c.BatchSubmitterPrivateKey)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), buf.String()} {
		require.NotContains(t, s, testKey)
		require.NotContains(t, s, "hunter2")
	}
	key, err := c.BatchSubmitterKey()
	require.NoError(t, err)
	require.Equal(t, testKey, key.Reveal())
}

func TestKeyFileFirstLine(t *testing.T) {
	baseEnv(t)
	path := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(path, []byte("0x"+testKey+"\nsecond line\n"), 0o600))
	t.Setenv("SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE", path)
	c, err := Load(RoleWorker)
	require.NoError(t, err)
	key, err := c.BatchSubmitterKey()
	require.NoError(t, err)
	require.Equal(t, "0x"+testKey, key.Reveal())

	require.NoError(t, os.WriteFile(path, []byte("not a key\n"+testKey), 0o600))
	_, err = c.BatchSubmitterKey()
	require.ErrorContains(t, err, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE")
}
