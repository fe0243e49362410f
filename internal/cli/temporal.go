package cli

import (
	"os"

	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/worker"
)

// temporalConnection is the Temporal connection of every command that dials
// Temporal (worker, recovery, submitter): the SDK's environment
// configuration (worker.ClientOptions: TEMPORAL_CONFIG_FILE/TEMPORAL_PROFILE,
// TEMPORAL_* for TLS and API keys) with SEQ_TEMPORAL_ADDRESS and
// SEQ_TEMPORAL_NAMESPACE over it when they are set in the environment.
// Their defaults (127.0.0.1:7233, "default") apply only when neither names
// one, which is why set-ness is read here rather than from cfg, where the
// default is indistinguishable from a set value. A bad Temporal
// configuration is a usage error (exit 2).
func temporalConnection(cfg config.Config) (worker.Config, error) {
	var over worker.TemporalOverrides
	if _, ok := os.LookupEnv(config.Prefix + "_TEMPORAL_ADDRESS"); ok {
		over.Address = cfg.TemporalAddress
	}
	if _, ok := os.LookupEnv(config.Prefix + "_TEMPORAL_NAMESPACE"); ok {
		over.Namespace = cfg.TemporalNamespace
	}
	opts, err := worker.ClientOptions(over, nil)
	if err != nil {
		return worker.Config{}, withExit(ExitUsage, err)
	}
	return worker.Config{TemporalAddress: opts.HostPort, Namespace: opts.Namespace, Connection: opts}, nil
}
