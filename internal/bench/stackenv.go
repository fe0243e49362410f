package bench

import (
	"bufio"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/jackc/pgx/v5"
)

// stackTarget is the running dev stack the load mode drives, as
// .devstack/env describes it.
type stackTarget struct {
	HTTPURL        string
	EthRPCURL      string
	DatabaseURL    string
	ChainID        uint64
	App            common.Address
	InputBox       common.Address
	Portal         common.Address
	Token          common.Address
	BatchSubmitter common.Address
	FundedKeys     []*ecdsa.PrivateKey
	Overrides      string // DEV_STACK_OVERRIDES: the stack's DEV_ENV, if any
}

// readStackEnv parses the `export NAME='value'` lines `sequencer dev`
// writes and checks that every endpoint is on this machine.
func readStackEnv(path string) (stackTarget, error) {
	vars, err := parseEnvFile(path)
	if err != nil {
		return stackTarget{}, err
	}
	var t stackTarget
	var errs []error
	need := func(name string) string {
		v, ok := vars[name]
		if !ok || v == "" {
			errs = append(errs, fmt.Errorf("%s: %s missing", path, name))
		}
		return v
	}
	addr := func(name string) common.Address {
		v := need(name)
		if v != "" && !common.IsHexAddress(v) {
			errs = append(errs, fmt.Errorf("%s: %s=%q is not an address", path, name, v))
		}
		return common.HexToAddress(v)
	}
	t.HTTPURL = strings.TrimRight(need("SEQ_HTTP_URL"), "/")
	t.EthRPCURL = need("SEQ_ETH_RPC_URL")
	t.DatabaseURL = need("SEQ_DATABASE_URL")
	if v := need("SEQ_CHAIN_ID"); v != "" {
		if t.ChainID, err = strconv.ParseUint(v, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("%s: SEQ_CHAIN_ID: %w", path, err))
		}
	}
	t.App = addr("SEQ_APP_ADDRESS")
	t.InputBox = addr("SEQ_INPUT_BOX_ADDRESS")
	t.Portal = addr("SEQ_WALLET_PORTAL_ADDRESS")
	t.Token = addr("SEQ_WALLET_TOKEN_ADDRESS")
	t.BatchSubmitter = addr("SEQ_BATCH_SUBMITTER_ADDRESS")
	for _, k := range strings.Split(need("DEV_FUNDED_KEYS"), ",") {
		if k == "" {
			continue
		}
		key, err := crypto.HexToECDSA(strings.TrimPrefix(k, "0x"))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: DEV_FUNDED_KEYS: %w", path, err))
			continue
		}
		t.FundedKeys = append(t.FundedKeys, key)
	}
	t.Overrides = vars["DEV_STACK_OVERRIDES"]
	if err := errors.Join(errs...); err != nil {
		return t, err
	}
	return t, t.checkLoopback()
}

// checkLoopback refuses any endpoint off this machine: the load mode floods
// what it points at, and funds senders with the dev keys.
func (t stackTarget) checkLoopback() error {
	for name, raw := range map[string]string{"SEQ_HTTP_URL": t.HTTPURL, "SEQ_ETH_RPC_URL": t.EthRPCURL} {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("%s=%s is not a loopback address: the load mode only drives a local stack", name, raw)
		}
	}
	cfg, err := pgx.ParseConfig(t.DatabaseURL)
	if err != nil {
		return fmt.Errorf("SEQ_DATABASE_URL: %w", err)
	}
	if !isLoopbackHost(cfg.Host) && !strings.HasPrefix(cfg.Host, "/") { // a path is a local socket
		return fmt.Errorf("SEQ_DATABASE_URL host %s is not a loopback address: the load mode only drives a local stack", cfg.Host)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// parseEnvFile reads NAME=value lines, optionally prefixed with `export`,
// with values single-quoted the POSIX way ('it'\”s'), double-quoted
// without escapes, or bare. Comments and blank lines are skipped.
func parseEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("stack environment (is `make dev` running?): %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		name, raw, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: not NAME=value", path, line)
		}
		v, err := shellUnquote(raw)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", path, line, name, err)
		}
		vars[strings.TrimSpace(name)] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vars, nil
}

// shellUnquote undoes the quoting of one shell word made of '…' runs,
// "…" runs (no escapes inside) and bare characters with \ escapes.
func shellUnquote(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return "", errors.New("unterminated quote")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
