// Package config reads the sequencer's configuration from the environment
// (prefix SEQ_, service.md §2) with envconfig, applies defaults and validates
// it. A bad value is an *Error naming the variable: the binary prints it on
// one line and exits 2. The batch submitter's private key is a Secret: it
// never prints.
package config

import (
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/kelseyhightower/envconfig"

	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/protocol"
)

// Prefix is the environment variables' prefix.
const Prefix = "SEQ"

// Role selects which variables are required: the worker needs the batch
// submitter's key, serve needs the wallet's settings.
type Role int

const (
	RoleServe Role = iota + 1
	RoleWorker
	RoleMigrate
)

// Secret is a string that never prints: fmt, slog and %v all see
// "[REDACTED]". Read the value with Reveal.
type Secret string

func (s Secret) String() string               { return redacted(s) }
func (s Secret) GoString() string             { return redacted(s) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted(s)), nil }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

func redacted(s Secret) string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

// Address is an Ethereum address parsed strictly (0x + 40 hex digits).
type Address struct {
	common.Address
	Set bool
}

// Decode implements envconfig.Decoder.
func (a *Address) Decode(value string) error {
	if value == "" {
		*a = Address{}
		return nil
	}
	if !strings.HasPrefix(value, "0x") || !common.IsHexAddress(value) {
		return errors.New("not a 0x-prefixed 20-byte hex address")
	}
	*a = Address{Address: common.HexToAddress(value), Set: true}
	return nil
}

// Ptr returns the address or nil when unset.
func (a Address) Ptr() *common.Address {
	if !a.Set {
		return nil
	}
	addr := a.Address
	return &addr
}

// Config is every setting of both processes.
type Config struct {
	EthRPCURL                    string  `envconfig:"ETH_RPC_URL"`
	ChainID                      uint64  `envconfig:"CHAIN_ID"`
	AppAddress                   Address `envconfig:"APP_ADDRESS"`
	BatchSubmitterPrivateKey     Secret  `envconfig:"BATCH_SUBMITTER_PRIVATE_KEY"`
	BatchSubmitterPrivateKeyFile string  `envconfig:"BATCH_SUBMITTER_PRIVATE_KEY_FILE"`

	HTTPAddr         string `envconfig:"HTTP_ADDR" default:"127.0.0.1:3000"`
	InternalHTTPAddr string `envconfig:"INTERNAL_HTTP_ADDR" default:"127.0.0.1:3001"`
	// WorkerMetricsAddr is where the worker serves /metrics (an addition to
	// the spec's list: the worker has no other HTTP listener).
	WorkerMetricsAddr string `envconfig:"WORKER_METRICS_ADDR" default:"127.0.0.1:3002"`
	DatabaseURL       Secret `envconfig:"DATABASE_URL"` // may embed a password
	TemporalAddress   string `envconfig:"TEMPORAL_ADDRESS" default:"127.0.0.1:7233"`
	TemporalNamespace string `envconfig:"TEMPORAL_NAMESPACE" default:"default"`

	InputBoxAddress       Address `envconfig:"INPUT_BOX_ADDRESS"`
	BatchSubmitterAddress Address `envconfig:"BATCH_SUBMITTER_ADDRESS"`

	PreemptiveMarginBlocks           uint64 `envconfig:"PREEMPTIVE_MARGIN_BLOCKS" default:"300"`
	L1ReadStaleAfterBlocks           uint64 `envconfig:"L1_READ_STALE_AFTER_BLOCKS" default:"600"`
	SecondsPerBlock                  uint64 `envconfig:"SECONDS_PER_BLOCK" default:"12"`
	LongBlockRangeErrorCodes         []int  `envconfig:"LONG_BLOCK_RANGE_ERROR_CODES" default:"-32005,-32012,-32600,-32602,-32616"`
	BatchSubmitterIdlePollIntervalMS uint64 `envconfig:"BATCH_SUBMITTER_IDLE_POLL_INTERVAL_MS" default:"5000"`
	BatchSubmitterConfirmationDepth  uint64 `envconfig:"BATCH_SUBMITTER_CONFIRMATION_DEPTH" default:"2"`
	MaxBatchOpenSeconds              uint64 `envconfig:"MAX_BATCH_OPEN_SECONDS" default:"7200"`

	// Posting pipeline (capacity.md §1).
	BatchSubmitterMaxInFlight       uint64 `envconfig:"BATCH_SUBMITTER_MAX_IN_FLIGHT" default:"16"`
	BatchSubmitterResendAfterBlocks uint64 `envconfig:"BATCH_SUBMITTER_RESEND_AFTER_BLOCKS" default:"3"`
	L1MaxFeePerGasGwei              uint64 `envconfig:"L1_MAX_FEE_PER_GAS_GWEI" default:"500"`
	MaxBatchBytes                   uint64 `envconfig:"MAX_BATCH_BYTES" default:"64000"`

	// Admission lines in blocks of queue delay (capacity.md §2); 0 means
	// the default share of the danger line (40% and 60%).
	AdmissionSoftBlocks uint64 `envconfig:"ADMISSION_SOFT_BLOCKS"`
	AdmissionHardBlocks uint64 `envconfig:"ADMISSION_HARD_BLOCKS"`

	WalletPortalAddress Address `envconfig:"WALLET_PORTAL_ADDRESS"`
	WalletTokenAddress  Address `envconfig:"WALLET_TOKEN_ADDRESS"`
	WalletFeeRecipient  Address `envconfig:"WALLET_FEE_RECIPIENT"`

	FeeOracleSettings  // SEQ_FEE_ORACLE_* (internal/config/feeoracle.go)
	OperationsSettings // logging and signer (internal/config/operations.go)
	FeedSettings       // SEQ_FEED_*, SEQ_HISTORY_* (internal/config/feed.go)
	ReceiptSettings    // SEQ_RECEIPT_* (internal/config/receipts.go)
}

// Error is a configuration error naming the variable at fault.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return Prefix + "_" + e.Var + ": " + e.Msg }

func bad(v, format string, args ...any) error {
	return &Error{Var: v, Msg: fmt.Sprintf(format, args...)}
}

// Load reads the process environment, applies defaults and validates for
// role.
func Load(role Role) (Config, error) {
	var c Config
	if err := envconfig.Process(Prefix, &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			// Only non-secret fields can fail to parse (secrets are strings),
			// so echoing the value is safe.
			return c, bad(strings.TrimPrefix(pe.KeyName, Prefix+"_"), "cannot parse %q: %v", pe.Value, pe.Err)
		}
		return c, fmt.Errorf("read configuration: %w", err)
	}
	return c, c.Validate(role)
}

// Validate checks the settings role needs and every value's range.
func (c Config) Validate(role Role) error {
	if role == RoleMigrate {
		return nil
	}
	if c.EthRPCURL == "" {
		return bad("ETH_RPC_URL", "required")
	}
	if err := checkURL(c.EthRPCURL, "http", "https", "ws", "wss"); err != nil {
		return bad("ETH_RPC_URL", "%v", err)
	}
	if c.ChainID == 0 {
		return bad("CHAIN_ID", "required (a positive integer)")
	}
	if !c.AppAddress.Set {
		return bad("APP_ADDRESS", "required")
	}
	if c.PreemptiveMarginBlocks == 0 || c.PreemptiveMarginBlocks >= protocol.MaxWaitBlocks {
		return bad("PREEMPTIVE_MARGIN_BLOCKS", "must be in 1..%d, got %d", protocol.MaxWaitBlocks-1, c.PreemptiveMarginBlocks)
	}
	if limit := protocol.MaxWaitBlocks - c.PreemptiveMarginBlocks; c.L1ReadStaleAfterBlocks < 1 || c.L1ReadStaleAfterBlocks >= limit {
		return bad("L1_READ_STALE_AFTER_BLOCKS", "must be in 1..%d (below %d − margin), got %d",
			limit-1, protocol.MaxWaitBlocks, c.L1ReadStaleAfterBlocks)
	}
	if c.SecondsPerBlock == 0 {
		return bad("SECONDS_PER_BLOCK", "must be positive")
	}
	if c.MaxBatchOpenSeconds == 0 {
		return bad("MAX_BATCH_OPEN_SECONDS", "must be positive")
	}
	if c.BatchSubmitterMaxInFlight == 0 || c.BatchSubmitterMaxInFlight > 256 {
		return bad("BATCH_SUBMITTER_MAX_IN_FLIGHT", "must be in 1..256, got %d", c.BatchSubmitterMaxInFlight)
	}
	if c.BatchSubmitterResendAfterBlocks == 0 {
		return bad("BATCH_SUBMITTER_RESEND_AFTER_BLOCKS", "must be positive")
	}
	if c.L1MaxFeePerGasGwei == 0 {
		return bad("L1_MAX_FEE_PER_GAS_GWEI", "must be positive")
	}
	if c.MaxBatchBytes < MinBatchBytes || c.MaxBatchBytes > MaxBatchBytesLimit {
		return bad("MAX_BATCH_BYTES", "must be in %d..%d, got %d", MinBatchBytes, MaxBatchBytesLimit, c.MaxBatchBytes)
	}
	if soft, hard := c.AdmissionLines(); soft == 0 || soft >= hard || hard >= c.DangerLine() {
		return bad("ADMISSION_SOFT_BLOCKS", "need 0 < soft (%d) < hard (%d) < the danger line %d (%d − margin); check SEQ_ADMISSION_HARD_BLOCKS too",
			soft, hard, c.DangerLine(), protocol.MaxWaitBlocks)
	}
	if c.BatchSubmitterIdlePollIntervalMS == 0 {
		return bad("BATCH_SUBMITTER_IDLE_POLL_INTERVAL_MS", "must be positive")
	}
	if c.DatabaseURL != "" {
		if err := checkURL(c.DatabaseURL.Reveal(), "postgres", "postgresql"); err != nil {
			return bad("DATABASE_URL", "%v", err)
		}
	}
	for name, addr := range map[string]string{"HTTP_ADDR": c.HTTPAddr, "INTERNAL_HTTP_ADDR": c.InternalHTTPAddr,
		"WORKER_METRICS_ADDR": c.WorkerMetricsAddr} {
		if _, port, ok := strings.Cut(addr, ":"); !ok || port == "" {
			return bad(name, "must be host:port, got %q", addr)
		}
	}
	if err := c.FeeOracleSettings.validate(role); err != nil {
		return err
	}
	if err := c.OperationsSettings.validate(role); err != nil {
		return err
	}
	if err := c.FeedSettings.validate(role); err != nil {
		return err
	}
	if err := c.ReceiptSettings.validate(role, c.BatchSubmitterAddress); err != nil {
		return err
	}
	switch role {
	case RoleServe:
		if !c.WalletPortalAddress.Set {
			return bad("WALLET_PORTAL_ADDRESS", "required by serve (the wallet's ERC-20 portal)")
		}
		if !c.WalletTokenAddress.Set {
			return bad("WALLET_TOKEN_ADDRESS", "required by serve (the wallet's token)")
		}
		if !c.WalletFeeRecipient.Set {
			return bad("WALLET_FEE_RECIPIENT", "required by serve (credited with every fee)")
		}
	case RoleWorker:
		if err := c.validateKeySource(); err != nil { // operations.go
			return err
		}
	}
	return nil
}

func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL") // the URL itself may hold a password: do not echo it
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("scheme must be one of %s, got %q", strings.Join(schemes, ", "), u.Scheme)
}

// BatchSubmitterKey returns the submitter's key from the variable or the first
// line of the file. Errors never contain the key.
func (c Config) BatchSubmitterKey() (Secret, error) {
	if c.BatchSubmitterPrivateKey != "" {
		return c.BatchSubmitterPrivateKey, nil
	}
	b, err := os.ReadFile(c.BatchSubmitterPrivateKeyFile)
	if err != nil {
		return "", bad("BATCH_SUBMITTER_PRIVATE_KEY_FILE", "cannot read %s: %v", c.BatchSubmitterPrivateKeyFile, errors.Unwrap(err))
	}
	line, _, _ := strings.Cut(string(b), "\n")
	key := strings.TrimSpace(line)
	if _, err := parseKey(key); err != nil {
		return "", bad("BATCH_SUBMITTER_PRIVATE_KEY_FILE", "%v", err)
	}
	return Secret(key), nil
}

func parseKey(s string) (common.Address, error) {
	k, err := crypto.HexToECDSA(strings.TrimPrefix(s, "0x"))
	if err != nil {
		return common.Address{}, errors.New("not a hex secp256k1 private key")
	}
	return crypto.PubkeyToAddress(k.PublicKey), nil
}

// Bounds of SEQ_MAX_BATCH_BYTES: a batch must hold at least one op of the
// largest payload, and the InputBox must accept it. capacity.md suggests
// 120,000 bytes, but the InputBox of @cartesi/rollups 2.x refuses inputs
// over 65,536 bytes (EvmAdvance envelope included): a batch sealed larger
// could never be posted and would go stale. The default, 64,000, keeps a
// margin under that limit (docs/protocol-decisions.md).
const (
	MinBatchBytes      = 8 * 1024
	MaxBatchBytesLimit = l1.MaxBatchPayload
)

// DangerLine is MAX_WAIT_BLOCKS − SEQ_PREEMPTIVE_MARGIN_BLOCKS: the batch
// age, in blocks, at which the danger detector closes intake.
func (c Config) DangerLine() uint64 {
	if c.PreemptiveMarginBlocks >= protocol.MaxWaitBlocks {
		return 0
	}
	return protocol.MaxWaitBlocks - c.PreemptiveMarginBlocks
}

// AdmissionLines returns the soft and hard admission lines in blocks of
// queue delay: the configured values, or 40% and 60% of the danger line.
func (c Config) AdmissionLines() (soft, hard uint64) {
	soft, hard = c.AdmissionSoftBlocks, c.AdmissionHardBlocks
	if soft == 0 {
		soft = c.DangerLine() * 40 / 100
	}
	if hard == 0 {
		hard = c.DangerLine() * 60 / 100
	}
	return soft, hard
}

// L1MaxFeePerGasWei is SEQ_L1_MAX_FEE_PER_GAS_GWEI in wei.
func (c Config) L1MaxFeePerGasWei() *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(c.L1MaxFeePerGasGwei), big.NewInt(1_000_000_000))
}

// MaxBatchOpen is MAX_BATCH_OPEN_SECONDS as a duration.
func (c Config) MaxBatchOpen() time.Duration {
	return time.Duration(c.MaxBatchOpenSeconds) * time.Second
}

// DevDatabaseURL is the database `make dev` manages (a cluster under
// .devstack/pg listening on this port), used when SEQ_DATABASE_URL is unset.
const DevDatabaseURL = "postgres://postgres@127.0.0.1:55432/sequencer?sslmode=disable"

// DatabaseURLOrDev returns SEQ_DATABASE_URL or, when unset, the dev database.
func (c Config) DatabaseURLOrDev() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL.Reveal()
	}
	return DevDatabaseURL
}
