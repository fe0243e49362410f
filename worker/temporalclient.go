package worker

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Temporal connection settings. The SDK's environment configuration
// (go.temporal.io/sdk/contrib/envconfig, the same settings the temporal CLI
// reads) covers what Temporal Cloud and a self-hosted cluster with mTLS
// need: TLS (client certificate and key, server CA, server name), an API
// key, gRPC headers. The sequencer adds no variables of its own for them.

// DefaultTemporalAddress and DefaultTemporalNamespace apply when neither
// SEQ_TEMPORAL_* nor the SDK's configuration names an address or namespace.
const (
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
)

// TemporalOverrides are the sequencer's own SEQ_TEMPORAL_ADDRESS and
// SEQ_TEMPORAL_NAMESPACE, when set ("" = not set).
type TemporalOverrides struct {
	Address   string
	Namespace string
}

// ClientOptions resolves the Temporal connection, lowest precedence first:
//
//  1. the defaults 127.0.0.1:7233 and "default";
//  2. a profile of a TOML configuration file, read only when
//     TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE is set (the profile is
//     TEMPORAL_PROFILE or "default"; the file TEMPORAL_CONFIG_FILE or the
//     temporal CLI's ~/.config/temporalio/temporal.toml). A developer's
//     CLI profile is never picked up by accident: a service must be told;
//  3. the SDK's TEMPORAL_* variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
//     TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,
//     TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
//     TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*, ...);
//  4. SEQ_TEMPORAL_ADDRESS and SEQ_TEMPORAL_NAMESPACE (over), when set:
//     a deployment configured with them keeps working unchanged.
//
// An API key turns TLS on unless TEMPORAL_TLS=false says otherwise (the
// SDK's rule). env nil reads the process environment. The options carry no
// logger and no metrics handler: Dial adds them.
func ClientOptions(over TemporalOverrides, env envconfig.EnvLookup) (client.Options, error) {
	if env == nil {
		env = envconfig.EnvLookupOS
	}
	file, _ := env.LookupEnv("TEMPORAL_CONFIG_FILE")
	profile, _ := env.LookupEnv("TEMPORAL_PROFILE")
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{
		DisableFile: file == "" && profile == "",
		EnvLookup:   env,
	})
	if err != nil {
		return client.Options{}, fmt.Errorf("%w: %w", ErrTemporalConfig, err)
	}
	if over.Address != "" {
		opts.HostPort = over.Address
	}
	if over.Namespace != "" {
		opts.Namespace = over.Namespace
	}
	if opts.HostPort == "" {
		opts.HostPort = DefaultTemporalAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultTemporalNamespace
	}
	return opts, nil
}

// ErrTemporalConfig: the Temporal environment configuration (file or
// TEMPORAL_* variables) is unusable; a configuration error, not a
// transient one.
var ErrTemporalConfig = errors.New("the Temporal client configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, TEMPORAL_*) is invalid")
