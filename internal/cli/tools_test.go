package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The protocol.md §7 vectors, through the command-line tools.
const (
	vecKey       = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	vecApp       = "0x1111111111111111111111111111111111111111"
	vecData      = "0x0100002876e1158d0500000000000000000000000000000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
	vecSignature = "0xef29aedda0fb659be8b707b1f59c0b5f1cee2149b2519be2a97646ff6339e5df537ca1b8560c83ec5d267e9eb1129790aff726c013c6b94e5f6555240dcb5c6e1b"
	vecSigner    = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

func keyFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestTxSignVector(t *testing.T) {
	code, out, errOut := run(t, "", "tx", "sign", "--key-file", keyFile(t, vecKey+"\nignored second line\n"),
		"--chain-id", "31337", "--app", vecApp, "--nonce", "0", "--max-fee", "2000", "--data", vecData)
	require.Equal(t, 0, code, errOut)
	require.JSONEq(t, `{"message":{"nonce":0,"max_fee":2000,"data":"`+vecData+`"},"signature":"`+vecSignature+`","sender":"`+vecSigner+`"}`, out)
}

func TestTxSignErrors(t *testing.T) {
	good := keyFile(t, strings.TrimPrefix(vecKey, "0x"))
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing key file flag", []string{"--chain-id", "1", "--app", vecApp}, ExitUsage, "--key-file is required"},
		{"bad app", []string{"--key-file", good, "--chain-id", "1", "--app", "0x12"}, ExitUsage, "--app"},
		{"nonce out of range", []string{"--key-file", good, "--chain-id", "1", "--app", vecApp, "--nonce", "4294967296"}, ExitUsage, "--nonce"},
		{"max fee out of range", []string{"--key-file", good, "--chain-id", "1", "--app", vecApp, "--max-fee", "65536"}, ExitUsage, "--max-fee"},
		{"bad data", []string{"--key-file", good, "--chain-id", "1", "--app", vecApp, "--data", "0xzz"}, ExitUsage, "--data"},
		{"unreadable key", []string{"--key-file", keyFile(t, "not a key"), "--chain-id", "1", "--app", vecApp}, ExitFailure, "does not hold a hex secp256k1 private key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"tx", "sign"}, tc.args...)...)
			require.Equal(t, tc.code, code)
			require.Empty(t, out)
			require.Contains(t, errOut, tc.msg)
			require.NotContains(t, errOut, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
		})
	}
}

func TestBatchDecodeVectors(t *testing.T) {
	// r = 0 makes the signature unrecoverable (the §7 vector's 0xee… bytes
	// happen to be a valid curve point and recover some address).
	sig := strings.Repeat("00", 64) + "1b"
	data := strings.TrimPrefix(vecData, "0x")
	cases := []struct {
		name string
		hex  string
		want string
	}{
		{"empty", "00000000000000000c000000", `{"nonce":0,"frames":[]}`},
		{"one frame", "0x05000000000000000c000000040000000e00000064000000000000004c05\n",
			`{"nonce":5,"frames":[{"safe_block":100,"fee_price":1356,"user_ops":[]}]}`},
		{"op with unrecoverable signature",
			"07000000000000000c000000080000009e0000000e0000007b000000000000004c050400000000000000d0070e00000043000000" +
				data + sig + "0e00000080000000000000004c05",
			`{"nonce":7,"frames":[{"safe_block":123,"fee_price":1356,"user_ops":[{"nonce":0,"max_fee":2000,"data":"0x` + data +
				`","signature":"0x` + sig + `","sender":null}]},{"safe_block":128,"fee_price":1356,"user_ops":[]}]}`},
		{"op with the vector signature",
			"07000000000000000c000000080000009e0000000e0000007b000000000000004c050400000000000000d0070e00000043000000" +
				data + strings.TrimPrefix(vecSignature, "0x") + "0e00000080000000000000004c05",
			`{"nonce":7,"frames":[{"safe_block":123,"fee_price":1356,"user_ops":[{"nonce":0,"max_fee":2000,"data":"0x` + data +
				`","signature":"` + vecSignature + `","sender":"` + vecSigner + `"}]},{"safe_block":128,"fee_price":1356,"user_ops":[]}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.hex, "batch", "decode", "--chain-id", "31337", "--app", vecApp)
			require.Equal(t, 0, code, errOut)
			require.JSONEq(t, tc.want, out)
			require.True(t, json.Valid([]byte(out)))
		})
	}
}

func TestBatchDecodeRejectsInvalidBytes(t *testing.T) {
	cases := map[string]string{
		"not hex":          "zz",
		"too short":        "0000000000000000",
		"bad first offset": "00000000000000000d000000",
		"frame truncated":  "05000000000000000c000000040000000e00000064000000000000004c",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, in, "batch", "decode", "--chain-id", "31337", "--app", vecApp)
			require.NotEqual(t, 0, code)
			require.Empty(t, out)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		})
	}
}

func TestFeeLinear(t *testing.T) {
	vectors := map[string]string{
		"0": "1", "90": "2", "100": "2", "256": "7", "296": "10", "1000": "2397",
		"1060": "3824", "1213": "12578", "1356": "38276", "1409": "57816",
	}
	for n, want := range vectors {
		code, out, errOut := run(t, "", "fee", "linear", n)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, want+"\n", out, "fee linear %s", n)
	}
	for _, bad := range [][]string{{}, {"17102"}, {"-1"}, {"65536"}, {"x"}, {"1", "2"}} {
		code, _, errOut := run(t, "", append([]string{"fee", "linear"}, bad...)...)
		require.Equal(t, ExitUsage, code, "args %v", bad)
		require.NotEmpty(t, errOut)
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errOut := run(t, "", "frobnicate")
	require.Equal(t, ExitUsage, code)
	require.Contains(t, errOut, "unknown command")
	code, out, _ := run(t, "", "help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "tx sign")
}
