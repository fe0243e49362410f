package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/cartesi/sequencer/internal/logging"
)

// OperationsSettings configure logging and the batch submitter's signer
// (issue 11). Embedded in Config: its variables carry the SEQ_ prefix like
// every other.
type OperationsSettings struct {
	LogSettings

	// The batch submitter's key comes from exactly one source: the raw key
	// (SEQ_BATCH_SUBMITTER_PRIVATE_KEY[_FILE], for development), an
	// encrypted go-ethereum keystore file, or a remote signer (Clef,
	// web3signer) that holds it.
	BatchSubmitterKeystoreFile         string `envconfig:"BATCH_SUBMITTER_KEYSTORE_FILE"`
	BatchSubmitterKeystorePasswordFile string `envconfig:"BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE"`
	// BatchSubmitterRemoteSignerURL may carry credentials (user info, a
	// token in the query): a Secret.
	BatchSubmitterRemoteSignerURL Secret `envconfig:"BATCH_SUBMITTER_REMOTE_SIGNER_URL"`
	// BatchSubmitterRemoteSignerMethod is the JSON-RPC method asked to sign:
	// Clef's account_signTransaction (result {raw, tx}) or
	// eth_signTransaction (web3signer; result the raw transaction).
	BatchSubmitterRemoteSignerMethod string `envconfig:"BATCH_SUBMITTER_REMOTE_SIGNER_METHOD" default:"account_signTransaction"`
}

// LogSettings select the log format and level of every command.
type LogSettings struct {
	LogFormat string `envconfig:"LOG_FORMAT" default:"text"`
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`
}

// Options returns the settings parsed; an invalid value is an *Error naming
// the variable.
func (l LogSettings) Options() (logging.Options, error) {
	f, err := logging.ParseFormat(l.LogFormat)
	if err != nil {
		return logging.Options{}, bad("LOG_FORMAT", "%v", err)
	}
	lvl, err := logging.ParseLevel(l.LogLevel)
	if err != nil {
		return logging.Options{}, bad("LOG_LEVEL", "%v", err)
	}
	return logging.Options{Format: f, Level: lvl}, nil
}

// LoadLogSettings reads SEQ_LOG_FORMAT and SEQ_LOG_LEVEL alone: every
// command logs, including those that read no other configuration.
func LoadLogSettings() (logging.Options, error) {
	var l LogSettings
	if err := envconfig.Process(Prefix, &l); err != nil {
		return logging.Options{}, fmt.Errorf("read configuration: %w", err)
	}
	return l.Options()
}

// KeySource is where the batch submitter's key comes from.
type KeySource int

const (
	KeySourceNone     KeySource = iota
	KeySourceRaw                // SEQ_BATCH_SUBMITTER_PRIVATE_KEY or _FILE (development)
	KeySourceKeystore           // SEQ_BATCH_SUBMITTER_KEYSTORE_FILE + _PASSWORD_FILE
	KeySourceRemote             // SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL + SEQ_BATCH_SUBMITTER_ADDRESS
)

// Remote signer methods accepted in SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_METHOD.
const (
	RemoteSignerClef    = "account_signTransaction"
	RemoteSignerEthSign = "eth_signTransaction"
)

const keySourceVars = "SEQ_BATCH_SUBMITTER_PRIVATE_KEY, SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE, " +
	"SEQ_BATCH_SUBMITTER_KEYSTORE_FILE or SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL"

// KeySource returns the configured source of the submitter's key, or
// KeySourceNone unless exactly one is set (validateKeySource says why).
func (c Config) KeySource() KeySource {
	if set := c.keySources(); len(set) == 1 {
		return set[0]
	}
	return KeySourceNone
}

func (c Config) keySources() []KeySource {
	var set []KeySource
	for _, s := range []struct {
		on  bool
		src KeySource
	}{
		{c.BatchSubmitterPrivateKey != "", KeySourceRaw},
		{c.BatchSubmitterPrivateKeyFile != "", KeySourceRaw},
		{c.BatchSubmitterKeystoreFile != "", KeySourceKeystore},
		{c.BatchSubmitterRemoteSignerURL != "", KeySourceRemote},
	} {
		if s.on {
			set = append(set, s.src)
		}
	}
	return set
}

// validate checks the operational settings for role (the key source is
// checked by validateKeySource, which needs the rest of Config).
func (o OperationsSettings) validate(role Role) error {
	if _, err := o.Options(); err != nil {
		return err
	}
	return nil
}

// validateKeySource checks the worker's key source: exactly one, and
// complete. Errors name the variables, never their values.
func (c Config) validateKeySource() error {
	if n := len(c.keySources()); n != 1 {
		return bad("BATCH_SUBMITTER_PRIVATE_KEY", "set exactly one of %s (%d set)", keySourceVars, n)
	}
	if c.BatchSubmitterKeystorePasswordFile != "" && c.BatchSubmitterKeystoreFile == "" {
		return bad("BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE", "set only with SEQ_BATCH_SUBMITTER_KEYSTORE_FILE")
	}
	switch c.KeySource() {
	case KeySourceRaw:
		if c.BatchSubmitterPrivateKey != "" {
			if _, err := parseKey(c.BatchSubmitterPrivateKey.Reveal()); err != nil {
				return bad("BATCH_SUBMITTER_PRIVATE_KEY", "%v", err)
			}
		}
	case KeySourceKeystore:
		if c.BatchSubmitterKeystorePasswordFile == "" {
			return bad("BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE", "required with SEQ_BATCH_SUBMITTER_KEYSTORE_FILE (a file holding the keystore's passphrase)")
		}
	case KeySourceRemote:
		if err := checkURL(c.BatchSubmitterRemoteSignerURL.Reveal(), "http", "https"); err != nil {
			return bad("BATCH_SUBMITTER_REMOTE_SIGNER_URL", "%v", err)
		}
		if !c.BatchSubmitterAddress.Set {
			return bad("BATCH_SUBMITTER_ADDRESS", "required with SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL (the account the remote signer signs for)")
		}
		switch c.BatchSubmitterRemoteSignerMethod {
		case RemoteSignerClef, RemoteSignerEthSign:
		default:
			return bad("BATCH_SUBMITTER_REMOTE_SIGNER_METHOD", "must be %s (Clef) or %s (web3signer), got %q",
				RemoteSignerClef, RemoteSignerEthSign, c.BatchSubmitterRemoteSignerMethod)
		}
	}
	return nil
}

// ReadSecretFile returns the first line of a secret file (a passphrase),
// without its line ending, as geth reads --password files. Errors name the
// variable and the path, never the content.
func ReadSecretFile(varName, path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", bad(strings.TrimPrefix(varName, Prefix+"_"), "cannot read %s: %v", path, errors.Unwrap(err))
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return Secret(strings.TrimSuffix(line, "\r")), nil
}

// SecretValues lists, from the environment (lookup is os.LookupEnv), every
// configured value that must never print: the passwords, tokens and
// credential-bearing parts of the URLs (logging.URLSecrets), the raw key,
// and the Temporal client's API key, TLS key and codec credentials
// (TEMPORAL_* of the SDK's environment configuration). The processes hand
// them to a logging.Redactor on their output streams.
func SecretValues(lookup func(string) (string, bool)) []string {
	var out []string
	for _, name := range []string{"DATABASE_URL", "ETH_RPC_URL", "BATCH_SUBMITTER_REMOTE_SIGNER_URL"} {
		if v, ok := lookup(Prefix + "_" + name); ok {
			out = append(out, logging.URLSecrets(v)...)
		}
	}
	for _, name := range []string{"BATCH_SUBMITTER_PRIVATE_KEY", "RECEIPT_PRIVATE_KEY"} {
		if v, ok := lookup(Prefix + "_" + name); ok && v != "" {
			v = strings.TrimSpace(v)
			out = append(out, v, strings.TrimPrefix(v, "0x"))
		}
	}
	for _, name := range []string{"TEMPORAL_API_KEY", "TEMPORAL_TLS_CLIENT_KEY_DATA", "TEMPORAL_CODEC_AUTH"} {
		if v, ok := lookup(name); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}
