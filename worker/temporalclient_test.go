package worker

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// envMap is an environment for ClientOptions (the SDK's envconfig reads
// it through its EnvLookup interface).
type envMap map[string]string

func (e envMap) LookupEnv(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Environ() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// TestClientOptions: the precedence of the Temporal settings (defaults <
// profile file < TEMPORAL_* < SEQ_TEMPORAL_*), the file only read when
// asked for, and the SDK's TLS, API key and header settings carried into
// the client options; a bad configuration is ErrTemporalConfig.
func TestClientOptions(t *testing.T) {
	// A developer's temporal CLI profile in the default place must not be
	// picked up unless TEMPORAL_PROFILE asks for a profile.
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	require.NoError(t, os.MkdirAll(filepath.Join(home, "temporalio"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, "temporalio", "temporal.toml"), []byte(`
[profile.default]
address = "cloud.example:7233"
namespace = "from-home"
[profile.staging]
address = "staging.example:7233"
namespace = "staging-ns"
`), 0o600))
	file := writeFile(t, "temporal.toml", `
[profile.default]
address = "file-default:7233"
namespace = "file-ns"
[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "prod.acct"
api_key = "file-key"
[profile.prod.tls]
server_name = "prod.tmprl.cloud"
`)
	cases := []struct {
		name      string
		env       envMap
		over      TemporalOverrides
		address   string
		namespace string
		creds     bool // API key credentials
		tls       bool // TLS on
		noTLS     bool // TLS explicitly disabled
		headers   bool
	}{
		{name: "nothing set: the defaults", env: envMap{}, address: "127.0.0.1:7233", namespace: "default"},
		{name: "the home profile is ignored without TEMPORAL_PROFILE", env: envMap{}, address: "127.0.0.1:7233", namespace: "default"},
		{name: "TEMPORAL_PROFILE reads the temporal CLI's file", env: envMap{"TEMPORAL_PROFILE": "staging"},
			address: "staging.example:7233", namespace: "staging-ns"},
		{name: "TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE", env: envMap{"TEMPORAL_ADDRESS": "env:7233", "TEMPORAL_NAMESPACE": "env-ns"},
			address: "env:7233", namespace: "env-ns"},
		{name: "SEQ_TEMPORAL_* win over TEMPORAL_*", env: envMap{"TEMPORAL_ADDRESS": "env:7233", "TEMPORAL_NAMESPACE": "env-ns"},
			over: TemporalOverrides{Address: "seq:7233", Namespace: "seq-ns"}, address: "seq:7233", namespace: "seq-ns"},
		{name: "file, default profile", env: envMap{"TEMPORAL_CONFIG_FILE": file}, address: "file-default:7233", namespace: "file-ns"},
		{name: "file, named profile with API key and TLS", env: envMap{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"},
			address: "prod.tmprl.cloud:7233", namespace: "prod.acct", creds: true, tls: true},
		{name: "TEMPORAL_* over the file", env: envMap{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_NAMESPACE": "env-ns"},
			address: "file-default:7233", namespace: "env-ns"},
		{name: "an API key turns TLS on", env: envMap{"TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233", "TEMPORAL_API_KEY": "k"},
			address: "ns.acct.tmprl.cloud:7233", namespace: "default", creds: true, tls: true},
		{name: "unless TEMPORAL_TLS=false", env: envMap{"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"},
			address: "127.0.0.1:7233", namespace: "default", creds: true, noTLS: true},
		{name: "gRPC headers", env: envMap{"TEMPORAL_GRPC_META_X_TENANT": "a"}, address: "127.0.0.1:7233", namespace: "default", headers: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts, err := ClientOptions(c.over, c.env)
			require.NoError(t, err)
			require.Equal(t, c.address, opts.HostPort)
			require.Equal(t, c.namespace, opts.Namespace)
			require.Equal(t, c.creds, opts.Credentials != nil)
			require.Equal(t, c.tls, opts.ConnectionOptions.TLS != nil)
			require.Equal(t, c.noTLS, opts.ConnectionOptions.TLSDisabled)
			require.Equal(t, c.headers, opts.HeadersProvider != nil)
			if c.tls && c.env["TEMPORAL_PROFILE"] == "prod" {
				require.Equal(t, "prod.tmprl.cloud", opts.ConnectionOptions.TLS.ServerName)
			}
		})
	}

	bad := []struct {
		name string
		env  envMap
	}{
		{"unparsable file", envMap{"TEMPORAL_CONFIG_FILE": writeFile(t, "bad.toml", "[profile.default\naddress=")}},
		{"unknown profile", envMap{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "nope"}},
		{"missing CA file", envMap{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": filepath.Join(t.TempDir(), "missing.pem")}},
		{"client cert without key", envMap{"TEMPORAL_TLS_CLIENT_CERT_PATH": file}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ClientOptions(TemporalOverrides{}, c.env)
			require.ErrorIs(t, err, ErrTemporalConfig)
		})
	}
}

// TestTemporalConnectionFromEnvConfig: against a real Temporal dev server,
// a profile file (no TLS) named by TEMPORAL_CONFIG_FILE decides where Dial
// connects and in which namespace the client works; and an API key from
// TEMPORAL_API_KEY reaches the server as the bearer token on every call.
func TestTemporalConnectionFromEnvConfig(t *testing.T) {
	ctx := context.Background()
	s := devServer(t, "profiled")
	file := writeFile(t, "temporal.toml", `
[profile.default]
address = "`+s.FrontendHostPort()+`"
namespace = "profiled"
`)
	opts, err := ClientOptions(TemporalOverrides{}, envMap{"TEMPORAL_CONFIG_FILE": file})
	require.NoError(t, err)
	c, err := Dial(ctx, Config{TemporalAddress: opts.HostPort, Namespace: opts.Namespace, Connection: opts}, quiet)
	require.NoError(t, err)
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "envconfig-probe", TaskQueue: "nobody"}, "Probe")
	require.NoError(t, err)
	_, err = dial(t, s, "profiled").DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err, "the workflow is in the profile's namespace")
	_, err = dial(t, s, "default").DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "and not in the default one")

	// The API key: TLS off (the dev server speaks plain gRPC), the header
	// seen on the wire by an interceptor behind the SDK's.
	opts, err = ClientOptions(TemporalOverrides{}, envMap{"TEMPORAL_ADDRESS": s.FrontendHostPort(),
		"TEMPORAL_API_KEY": "test-api-key", "TEMPORAL_TLS": "false"})
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []string
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions, grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, o ...grpc.CallOption) error {
			md, _ := metadata.FromOutgoingContext(ctx)
			mu.Lock()
			seen = append(seen, md.Get("authorization")...)
			mu.Unlock()
			return invoker(ctx, method, req, reply, cc, o...)
		}))
	c, err = Dial(ctx, Config{TemporalAddress: opts.HostPort, Namespace: opts.Namespace, Connection: opts}, quiet)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.DescribeWorkflowExecution(ctx, "no-such-workflow", "")
	require.ErrorAs(t, err, &notFound, "the call reached the server")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seen)
	for _, v := range seen {
		require.Equal(t, "Bearer test-api-key", v)
	}
}
