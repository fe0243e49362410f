package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/logging"
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

// TestKeySourceValidation: the worker needs exactly one source of the batch
// submitter's key, complete; each refusal names the variable to fix and
// never echoes a secret (the key, the remote signer's token).
func TestKeySourceValidation(t *testing.T) {
	const token = "signer-token-123"
	remoteURL := "http://u:" + token + "@127.0.0.1:8550/?token=" + token
	for _, c := range []struct {
		name  string
		env   map[string]string
		want  KeySource
		varIn string // "" means valid
	}{
		{"raw key", map[string]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": testKey}, KeySourceRaw, ""},
		{"key file", map[string]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE": "/k"}, KeySourceRaw, ""},
		{"keystore", map[string]string{"SEQ_BATCH_SUBMITTER_KEYSTORE_FILE": "/ks.json",
			"SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE": "/pw"}, KeySourceKeystore, ""},
		{"remote", map[string]string{"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL": remoteURL,
			"SEQ_BATCH_SUBMITTER_ADDRESS": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, KeySourceRemote, ""},
		{"remote, web3signer method", map[string]string{"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL": remoteURL,
			"SEQ_BATCH_SUBMITTER_ADDRESS":              "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
			"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_METHOD": "eth_signTransaction"}, KeySourceRemote, ""},
		{"none", map[string]string{}, KeySourceNone, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY"},
		{"key and keystore", map[string]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": testKey,
			"SEQ_BATCH_SUBMITTER_KEYSTORE_FILE": "/ks.json", "SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE": "/pw"},
			KeySourceNone, "SEQ_BATCH_SUBMITTER_KEYSTORE_FILE"},
		{"keystore and remote", map[string]string{"SEQ_BATCH_SUBMITTER_KEYSTORE_FILE": "/ks.json",
			"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL": remoteURL}, KeySourceNone, "SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL"},
		{"keystore without passphrase file", map[string]string{"SEQ_BATCH_SUBMITTER_KEYSTORE_FILE": "/ks.json"},
			KeySourceKeystore, "SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE"},
		{"passphrase file alone", map[string]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": testKey,
			"SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE": "/pw"}, KeySourceRaw, "SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE"},
		{"remote without address", map[string]string{"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL": remoteURL},
			KeySourceRemote, "SEQ_BATCH_SUBMITTER_ADDRESS"},
		{"remote, not http", map[string]string{"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL": "ipc:///" + token,
			"SEQ_BATCH_SUBMITTER_ADDRESS": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, KeySourceRemote,
			"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL"},
		{"remote, unknown method", map[string]string{"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL": remoteURL,
			"SEQ_BATCH_SUBMITTER_ADDRESS":              "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
			"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_METHOD": "personal_sign"}, KeySourceRemote,
			"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_METHOD"},
	} {
		t.Run(c.name, func(t *testing.T) {
			baseEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(RoleWorker)
			require.Equal(t, c.want, cfg.KeySource())
			if c.varIn == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), c.varIn)
			require.NotContains(t, err.Error(), testKey[2:])
			require.NotContains(t, err.Error(), token)
			require.NotContains(t, fmt.Sprintf("%v %+v", cfg, cfg), token)
		})
	}
}

// TestLogSettings: SEQ_LOG_FORMAT and SEQ_LOG_LEVEL default to text and
// info, parse case-insensitively, and a bad value names its variable (for
// every role: serve and worker validate them with the rest).
func TestLogSettings(t *testing.T) {
	for _, c := range []struct {
		format, level string
		want          logging.Options
		varIn         string
	}{
		{"", "", logging.Options{Format: logging.FormatText, Level: slog.LevelInfo}, ""},
		{"json", "debug", logging.Options{Format: logging.FormatJSON, Level: slog.LevelDebug}, ""},
		{"TEXT", "Warn", logging.Options{Format: logging.FormatText, Level: slog.LevelWarn}, ""},
		{"yaml", "", logging.Options{}, "SEQ_LOG_FORMAT"},
		{"json", "trace", logging.Options{}, "SEQ_LOG_LEVEL"},
	} {
		t.Run(c.format+"/"+c.level, func(t *testing.T) {
			baseEnv(t)
			if c.format != "" {
				t.Setenv("SEQ_LOG_FORMAT", c.format)
			}
			if c.level != "" {
				t.Setenv("SEQ_LOG_LEVEL", c.level)
			}
			got, err := LoadLogSettings()
			_, loadErr := Load(RoleServe)
			if c.varIn != "" {
				require.ErrorContains(t, err, c.varIn)
				require.ErrorContains(t, loadErr, c.varIn)
				return
			}
			require.NoError(t, err)
			require.NoError(t, loadErr)
			require.Equal(t, c.want, got)
		})
	}
}

// TestSecretValues: what the processes blank from their output, read from
// the environment: URL credentials and tokens, the raw key with and
// without 0x, Temporal's API key; not the non-secret parts.
func TestSecretValues(t *testing.T) {
	env := map[string]string{
		"SEQ_DATABASE_URL":                "postgres://app:db-pass-1@db:5432/sequencer",
		"SEQ_ETH_RPC_URL":                 "https://node.example/v3/path-token-0123?apikey=query-token-1",
		"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": "0x" + testKey,
		"TEMPORAL_API_KEY":                "temporal-key-1",
	}
	got := SecretValues(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	for _, want := range []string{"db-pass-1", "path-token-0123", "query-token-1", "0x" + testKey, testKey, "temporal-key-1"} {
		require.Contains(t, got, want)
	}
	for _, not := range []string{"sequencer", "app", "node.example"} {
		require.NotContains(t, got, not)
	}
}

// TestFeeOracleSettings: the default is static with log_gas_price 0; each
// sampling mode requires its price source, and bad values name their
// variable. Only the worker checks them.
func TestFeeOracleSettings(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		varIn string // "" = valid
	}{
		{"default static", nil, ""},
		{"unknown mode", map[string]string{"SEQ_FEE_ORACLE_MODE": "chainlink"}, "SEQ_FEE_ORACLE_MODE"},
		{"static out of range", map[string]string{"SEQ_FEE_ORACLE_LOG_GAS_PRICE": "20000"}, "SEQ_FEE_ORACLE_LOG_GAS_PRICE"},
		{"static negative", map[string]string{"SEQ_FEE_ORACLE_LOG_GAS_PRICE": "-300"}, ""},
		{"fixed without price", map[string]string{"SEQ_FEE_ORACLE_MODE": "fixed-price"}, "SEQ_FEE_ORACLE_TOKEN_PER_ETH"},
		{"fixed bad price", map[string]string{"SEQ_FEE_ORACLE_MODE": "fixed-price", "SEQ_FEE_ORACLE_TOKEN_PER_ETH": "1.5e21"}, "SEQ_FEE_ORACLE_TOKEN_PER_ETH"},
		{"fixed zero price", map[string]string{"SEQ_FEE_ORACLE_MODE": "fixed-price", "SEQ_FEE_ORACLE_TOKEN_PER_ETH": "0"}, "SEQ_FEE_ORACLE_TOKEN_PER_ETH"},
		{"fixed", map[string]string{"SEQ_FEE_ORACLE_MODE": "fixed-price", "SEQ_FEE_ORACLE_TOKEN_PER_ETH": "3000000000000000000000000"}, ""},
		{"zero interval", map[string]string{"SEQ_FEE_ORACLE_MODE": "fixed-price", "SEQ_FEE_ORACLE_TOKEN_PER_ETH": "1",
			"SEQ_FEE_ORACLE_INTERVAL_BLOCKS": "0"}, "SEQ_FEE_ORACLE_INTERVAL_BLOCKS"},
		{"zero step", map[string]string{"SEQ_FEE_ORACLE_MODE": "fixed-price", "SEQ_FEE_ORACLE_TOKEN_PER_ETH": "1",
			"SEQ_FEE_ORACLE_MAX_STEP": "0"}, "SEQ_FEE_ORACLE_MAX_STEP"},
		{"uniswap without pool", map[string]string{"SEQ_FEE_ORACLE_MODE": "uniswap-v3"}, "SEQ_FEE_ORACLE_POOL"},
		{"uniswap without WETH", map[string]string{"SEQ_FEE_ORACLE_MODE": "uniswap-v3",
			"SEQ_FEE_ORACLE_POOL": "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"}, "SEQ_FEE_ORACLE_WETH"},
		{"uniswap zero window", map[string]string{"SEQ_FEE_ORACLE_MODE": "uniswap-v3",
			"SEQ_FEE_ORACLE_POOL": "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
			"SEQ_FEE_ORACLE_WETH": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "SEQ_FEE_ORACLE_TWAP_SECONDS": "0"}, "SEQ_FEE_ORACLE_TWAP_SECONDS"},
		{"uniswap", map[string]string{"SEQ_FEE_ORACLE_MODE": "uniswap-v3",
			"SEQ_FEE_ORACLE_POOL": "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
			"SEQ_FEE_ORACLE_WETH": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			baseEnv(t)
			t.Setenv("SEQ_BATCH_SUBMITTER_PRIVATE_KEY", testKey)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(RoleWorker)
			if c.varIn != "" {
				require.ErrorContains(t, err, c.varIn)
				_, serveErr := Load(RoleServe)
				require.NoError(t, serveErr, "serve ignores the oracle's settings")
				return
			}
			require.NoError(t, err)
			if c.env == nil {
				require.Equal(t, FeeOracleStatic, cfg.FeeOracleMode)
				require.Equal(t, 0, cfg.FeeOracleLogGasPrice)
				require.Equal(t, uint64(10), cfg.FeeOracleIntervalBlocks)
				require.Equal(t, uint64(100), cfg.FeeOracleMaxStep)
				require.Equal(t, uint64(1800), cfg.FeeOracleTWAPSeconds)
			}
		})
	}
}
