package cli

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/protocol"
)

// runTxSign: sequencer tx sign --key-file F --chain-id N --app 0x… --nonce N
// --max-fee N --data 0x…
func runTxSign(_ context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("tx sign", stdio)
	keyFile := fs.String("key-file", "", "file whose first line is the hex private key (required)")
	chainID := fs.Uint64("chain-id", 0, "L1 chain id of the EIP-712 domain (required)")
	appAddr := fs.String("app", "", "application contract address, the domain's verifyingContract (required)")
	nonce := fs.Uint64("nonce", 0, "user op nonce (uint32)")
	maxFee := fs.Uint64("max-fee", 0, "largest fee exponent the op accepts (uint16)")
	data := fs.String("data", "0x", "user op data as 0x hex")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *keyFile == "" {
		return usagef("--key-file is required")
	}
	if *chainID == 0 {
		return usagef("--chain-id is required and must be positive")
	}
	app, err := parseAddress("--app", *appAddr)
	if err != nil {
		return err
	}
	if *nonce > math.MaxUint32 {
		return usagef("--nonce %d out of range for uint32", *nonce)
	}
	if *maxFee > math.MaxUint16 {
		return usagef("--max-fee %d out of range for uint16", *maxFee)
	}
	payload, err := hexutil.Decode(*data)
	if err != nil {
		return usagef("--data: %v", err)
	}
	key, err := readKeyFile(*keyFile)
	if err != nil {
		return err
	}
	op := protocol.UserOp{Nonce: uint32(*nonce), MaxFee: uint16(*maxFee), Data: payload}
	req, err := wire.SignTx(protocol.NewDomain(*chainID, app), key, op)
	if err != nil {
		return err
	}
	return writeJSON(stdio.Out, req)
}

// runBatchDecode: sequencer batch decode --chain-id N --app 0x… < hex
func runBatchDecode(_ context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("batch decode", stdio)
	chainID := fs.Uint64("chain-id", 0, "L1 chain id, to recover op senders (required)")
	appAddr := fs.String("app", "", "application contract address (required)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *chainID == 0 {
		return usagef("--chain-id is required and must be positive")
	}
	app, err := parseAddress("--app", *appAddr)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(stdio.In, 64<<20))
	if err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	text = strings.TrimPrefix(strings.TrimPrefix(text, "0x"), "0X")
	payload, err := hex.DecodeString(text)
	if err != nil {
		return fmt.Errorf("stdin is not hex: %w", err)
	}
	batch, err := protocol.DecodeBatch(payload)
	if err != nil {
		return fmt.Errorf("invalid batch: %w", err)
	}
	return writeJSON(stdio.Out, wire.NewBatchView(protocol.NewDomain(*chainID, app), batch))
}

// runFeeLinear: sequencer fee linear N
func runFeeLinear(_ context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("fee linear", stdio)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one fee exponent, e.g. `sequencer fee linear 1356`")
	}
	n, err := strconv.ParseUint(fs.Arg(0), 10, 16)
	if err != nil {
		return usagef("fee exponent %q is not a uint16", fs.Arg(0))
	}
	v, err := protocol.FeeToLinear(uint16(n))
	if err != nil {
		return usageError{err}
	}
	_, err = fmt.Fprintln(stdio.Out, v.Dec())
	return err
}

func parseAddress(flagName, s string) (common.Address, error) {
	if !common.IsHexAddress(s) || !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return common.Address{}, usagef("%s %q is not a 0x-prefixed 20-byte address", flagName, s)
	}
	return common.HexToAddress(s), nil
}

// readKeyFile reads a hex private key from the first line of path. The key
// never appears in errors.
func readKeyFile(path string) (*ecdsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	line = strings.TrimPrefix(strings.TrimSpace(line), "0x")
	key, err := crypto.HexToECDSA(line)
	if err != nil {
		return nil, fmt.Errorf("key file %s does not hold a hex secp256k1 private key on its first line", path)
	}
	return key, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}
