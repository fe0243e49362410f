package devstack_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/internal/devstack"
)

// TestComposeMatchesDevChain keeps docker-compose.yml honest without Docker:
// every SEQ_* variable it sets exists, the addresses are those `sequencer
// dev deploy` produces, and serve's and worker's settings validate.
func TestComposeMatchesDevChain(t *testing.T) {
	root, err := devstack.ModuleRoot()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	require.NoError(t, err)

	known := map[string]bool{}
	ct := reflect.TypeOf(config.Config{})
	for i := range ct.NumField() {
		known[config.Prefix+"_"+ct.Field(i).Tag.Get("envconfig")] = true
	}
	env := map[string]string{}
	re := regexp.MustCompile(`(?m)^\s+(SEQ_[A-Z0-9_]+):\s*"?([^"\s#]*)"?`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		require.True(t, known[m[1]], "docker-compose.yml sets %s, which the configuration does not read", m[1])
		v := m[2]
		if strings.HasPrefix(v, "${") { // ${VAR:-default}
			_, v, _ = strings.Cut(strings.TrimSuffix(v, "}"), ":-")
		}
		env[m[1]] = v
	}

	chain := devstack.DevChain()
	for name, want := range map[string]string{
		"SEQ_APP_ADDRESS":                 chain.App.Hex(),
		"SEQ_INPUT_BOX_ADDRESS":           chain.InputBox.Hex(),
		"SEQ_WALLET_PORTAL_ADDRESS":       chain.ERC20Portal.Hex(),
		"SEQ_WALLET_TOKEN_ADDRESS":        chain.Token.Hex(),
		"SEQ_WALLET_FEE_RECIPIENT":        chain.FeeRecipient.Hex(),
		"SEQ_BATCH_SUBMITTER_ADDRESS":     chain.BatchSubmitter.Hex(),
		"SEQ_CHAIN_ID":                    "31337",
		"SEQ_BATCH_SUBMITTER_PRIVATE_KEY": devstack.DevKeyHex(devstack.BatchSubmitterAccount),
	} {
		require.Equal(t, want, env[name], name)
	}

	for k, v := range env {
		t.Setenv(k, v)
	}
	_, err = config.Load(config.RoleWorker)
	require.NoError(t, err)
	_, err = config.Load(config.RoleServe)
	require.NoError(t, err)
}
