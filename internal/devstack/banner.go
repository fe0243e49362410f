package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"

	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/workflows"
)

// EnvVars are the shell variables .devstack/env exports, in order: where
// the stack listens and what it deployed, for clients and for running
// `sequencer serve`/`worker` by hand against the same stack.
func (s *Stack) EnvVars() [][2]string {
	c := s.info.Chain
	keys := make([]string, len(c.Funded))
	for i, f := range c.Funded {
		keys[i] = f.Key
	}
	return [][2]string{
		{"SEQ_HTTP_URL", s.info.HTTPURL},
		{"SEQ_INTERNAL_URL", s.info.InternalURL},
		{"SEQ_FEED_URL", s.info.FeedURL},
		{"SEQ_WORKER_METRICS_URL", s.info.WorkerMetrics},
		{"SEQ_ETH_RPC_URL", s.info.EthRPCURL},
		{"SEQ_CHAIN_ID", fmt.Sprint(c.ChainID)},
		{"SEQ_APP_ADDRESS", c.App.Hex()},
		{"SEQ_INPUT_BOX_ADDRESS", c.InputBox.Hex()},
		{"SEQ_WALLET_PORTAL_ADDRESS", c.ERC20Portal.Hex()},
		{"SEQ_WALLET_TOKEN_ADDRESS", c.Token.Hex()},
		{"SEQ_WALLET_FEE_RECIPIENT", c.FeeRecipient.Hex()},
		{"SEQ_BATCH_SUBMITTER_ADDRESS", c.BatchSubmitter.Hex()},
		{"SEQ_DATABASE_URL", s.info.DatabaseURL},
		{"TEMPORAL_ADDRESS", s.info.TemporalAddress},
		{"TEMPORAL_UI_URL", s.info.TemporalUIURL},
		{"DEV_FUNDED_KEYS", strings.Join(keys, ",")},
		// Not DEV_ENV: a shell that sourced this file would otherwise pass
		// the overrides to the next `make dev` without anyone asking.
		{"DEV_STACK_OVERRIDES", describeOverrides(s.opts.ExtraEnv)},
	}
}

func (s *Stack) writeEnvFile() error {
	var b strings.Builder
	b.WriteString("# Written by `sequencer dev`: source it (. .devstack/env) to talk to the dev stack.\n")
	for _, kv := range s.EnvVars() {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return writeFileAtomic(s.path(envFile), []byte(b.String()), 0o644)
}

// shellQuote single-quotes v for a POSIX shell (an override's value may
// hold a quote).
func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

// ExampleTransfer is the user op data of a transfer of one token (10^18
// units) to account 3, the payload the banner's example signs.
func ExampleTransfer() []byte {
	one := uint256.MustFromBig(ether)
	return (&wallet.Transfer{Amount: one, To: DevAddress(FirstFundedAccount + 1)}).Encode()
}

// PrintBanner writes the URLs and a copy-paste example to w. It asks serve
// for the current fee and the example sender's next nonce.
func (s *Stack) PrintBanner(w io.Writer) {
	info := s.info
	rel := func(p string) string {
		if r, err := filepath.Rel(s.opts.Root, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return p
	}
	sender := info.Chain.Funded[0]
	maxFee := uint16(2000)
	var fee struct {
		SuggestedMaxFee uint16 `json:"suggested_max_fee"`
	}
	if getJSON(info.HTTPURL+"/fee", &fee) == nil && fee.SuggestedMaxFee > 0 {
		maxFee = fee.SuggestedMaxFee
	}
	var nonce struct {
		NextNonce uint32 `json:"next_nonce"`
	}
	_ = getJSON(info.HTTPURL+"/nonce?sender="+sender.Address.Hex(), &nonce)

	state := "new chain: contracts deployed, accounts 2-6 funded"
	if info.Resumed {
		state = "resumed the chain and database of the previous run"
	}
	envPath := rel(filepath.Join(info.Dir, envFile))
	if !strings.Contains(envPath, "/") {
		envPath = "./" + envPath
	}
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("Sequencer dev stack is up (%s).", state)
	p("")
	p("  API          %s   POST /tx, GET /fee, /nonce?sender=0x…, /domain, /healthz", info.HTTPURL)
	p("  feed         %s?from_offset=0", info.FeedURL)
	p("  operator     %s   /metrics, /finalized_state, /latest_snapshot", info.InternalURL)
	p("  worker       %s", info.WorkerMetrics)
	p("  Temporal UI  %s   workflows %s/{l1-observer,batch-submitter,snapshot-maintenance}", info.TemporalUIURL,
		workflows.NamesFor(workflows.Identity{ChainID: info.Chain.ChainID, App: info.Chain.App}).TaskQueue)
	p("  L1 (anvil)   %s   chain %d, app %s", info.EthRPCURL, info.Chain.ChainID, info.Chain.App.Hex())
	p("  Postgres     %s", info.DatabaseURL)
	p("  state, logs  %s, %s", rel(info.Dir), rel(filepath.Join(info.Dir, logsDir)))
	if len(s.opts.ExtraEnv) > 0 {
		p("  overrides    %s   (%s, over the dev defaults)", describeOverrides(s.opts.ExtraEnv), OverridesVar)
	}
	p("")
	p("Try it from another terminal in %s:", s.opts.Root)
	p("")
	p("  . %s", envPath)
	p("  echo %s > /tmp/dev-user.key   # account 2, %s", sender.Key, sender.Address.Hex())
	p("  bin/sequencer tx sign --key-file /tmp/dev-user.key --chain-id %d --app $SEQ_APP_ADDRESS \\", info.Chain.ChainID)
	p("      --nonce %d --max-fee %d --data %s \\", nonce.NextNonce, maxFee, hexutil.Encode(ExampleTransfer()))
	p("    | curl -s -X POST $SEQ_HTTP_URL/tx -H 'Content-Type: application/json' -d @-")
	p("  # the data transfers 1 token to account 3 (%s); the next nonce is", DevAddress(FirstFundedAccount+1).Hex())
	p("  # GET $SEQ_HTTP_URL/nonce?sender=%s, the fee GET $SEQ_HTTP_URL/fee", sender.Address.Hex())
	p("")
	p("  # follow the feed (every sequenced op and deposit, in execution order)")
	p("  %s", FeedTailCommand("$SEQ_FEED_URL?from_offset=0"))
	p("")
	p("  # steer the L1 side")
	p("  bin/sequencer submitter status   # pause, resume; recovery status, plan")
	p("")
	p("Ctrl-C stops everything; `make dev` again resumes the same data (`bin/sequencer dev --reset` starts over).")
	p("")
}

// FeedTailCommand is a shell command printing the feed at url (a shell word,
// e.g. "$SEQ_FEED_URL"): Node 20 has a WebSocket client behind a flag.
func FeedTailCommand(url string) string {
	return `node --no-warnings --experimental-websocket -e 'const ws = new WebSocket(process.argv[1]); ` +
		`ws.onmessage = (m) => console.log(m.data); ws.onclose = (e) => console.log("closed", e.code, e.reason)' "` + url + `"`
}

func getJSON(url string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
