package metricsreg_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/metricsreg"
	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/worker"
)

// TestDeployReferencesExportedMetrics: every metric the alert rules
// (deploy/prometheus/alerts.yml) and the Grafana dashboard
// (deploy/grafana/sequencer.json) query is one the processes export, so a
// renamed or removed series fails here instead of leaving a silent alert or
// an empty panel. The exported names come from the real constructors, as
// the processes call them: serve's registry (metricsreg.New, the lane's and
// the API's collectors), the worker's (metricsreg.New, the activities'
// metrics, the Temporal SDK handler); the SDK's series are named by the
// SDK itself, so their names are read from the SDK version in go.mod
// (its metrics constants) with the handler's suffixes (_total for
// counters, _seconds for timers); `up` is Prometheus's own.
func TestDeployReferencesExportedMetrics(t *testing.T) {
	root, err := modroot.Find()
	require.NoError(t, err)
	exported := exportedNames(t)

	refs := map[string][]string{} // metric → where
	for _, r := range alertExprs(t, filepath.Join(root, "deploy/prometheus/alerts.yml")) {
		names := metricNames(r.expr)
		require.NotEmpty(t, names, "alert %s queries no metric: %s", r.where, r.expr)
		for _, n := range names {
			refs[n] = append(refs[n], r.where)
		}
	}
	panels := dashboardExprs(t, filepath.Join(root, "deploy/grafana/sequencer.json"))
	require.NotEmpty(t, panels)
	for _, r := range panels {
		names := metricNames(r.expr)
		require.NotEmpty(t, names, "panel %s queries no metric: %s", r.where, r.expr)
		for _, n := range names {
			refs[n] = append(refs[n], r.where)
		}
	}
	var missing []string
	for name, where := range refs {
		if !exported.has(name) {
			missing = append(missing, fmt.Sprintf("%s (in %s)", name, strings.Join(where, ", ")))
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "queried but not exported by serve or the worker")
}

// TestEveryAlertHasAUnitTest: each rule of alerts.yml fires in at least one
// test of alerts_test.yml (promtool test rules runs them in `make lint`).
func TestEveryAlertHasAUnitTest(t *testing.T) {
	root, err := modroot.Find()
	require.NoError(t, err)
	var rules []string
	for _, r := range alertExprs(t, filepath.Join(root, "deploy/prometheus/alerts.yml")) {
		rules = append(rules, r.where)
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				AlertName string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join(root, "deploy/prometheus/alerts_test.yml"), &tests)
	fired := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, c := range tc.AlertRuleTest {
			if len(c.ExpAlerts) > 0 {
				fired[c.AlertName] = true
			}
		}
	}
	for _, r := range rules {
		require.True(t, fired[r], "no unit test makes %s fire", r)
	}
}

// names is the set of exported metric names.
type names map[string]bool

// has reports whether a queried name is exported, directly or as a
// histogram's or summary's _bucket, _sum or _count series.
func (n names) has(name string) bool {
	if n[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && n[base] {
			return true
		}
	}
	return false
}

func exportedNames(t *testing.T) names {
	t.Helper()
	out := names{"up": true}

	// serve: as runServe builds it.
	serveReg := metricsreg.New()
	rec := &describing{Registerer: serveReg, names: out}
	hotpath.New(hotpath.Config{}, hotpath.Deps{NewApp: func() app.Application { return wallet.New(wallet.Config{}) },
		Registerer: rec})
	api.New(api.Config{}, api.Deps{Registerer: rec, Gatherer: serveReg})
	gatherNames(t, serveReg, out)

	// worker: as runWorker builds it.
	workerReg := metricsreg.New()
	rec = &describing{Registerer: workerReg, names: out}
	activities.NewMetrics(rec)
	worker.NewMetricsHandler(rec)
	gatherNames(t, workerReg, out)
	for _, base := range sdkMetricNames(t) {
		out[base], out[base+"_total"], out[base+"_seconds"] = true, true, true
	}
	return out
}

func gatherNames(t *testing.T, g prometheus.Gatherer, out names) {
	t.Helper()
	fs, err := g.Gather()
	require.NoError(t, err)
	for _, f := range fs {
		out[f.GetName()] = true
	}
}

// describing registers on a real registry and records the names every
// collector describes (vectors without children gather nothing, but they
// describe themselves).
type describing struct {
	prometheus.Registerer
	names names
}

var fqNameRe = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describing) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if m := fqNameRe.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return d.Registerer.Register(c)
}

func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := d.Register(c); err != nil {
			panic(err)
		}
	}
}

// sdkMetricNames reads the metric names of the Temporal SDK version the
// module uses from its source (internal/common/metrics/constants.go): the
// constants starting with "temporal_".
func sdkMetricNames(t *testing.T) []string {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	require.NoError(t, err, "go list the Temporal SDK's module directory")
	path := filepath.Join(strings.TrimSpace(string(dir)), "internal", "common", "metrics", "constants.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	require.NoError(t, err)
	consts := map[string]string{}
	var eval func(e ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		case *ast.BinaryExpr:
			l, ok1 := eval(e.X)
			r, ok2 := eval(e.Y)
			return l + r, ok1 && ok2 && e.Op == token.ADD
		case *ast.ParenExpr:
			return eval(e.X)
		}
		return "", false
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i < len(vs.Values) {
					if s, ok := eval(vs.Values[i]); ok {
						consts[name.Name] = s
					}
				}
			}
		}
	}
	var out []string
	for _, v := range consts {
		if strings.HasPrefix(v, "temporal_") && len(v) > len("temporal_") {
			out = append(out, v)
		}
	}
	require.NotEmpty(t, out, "no metric names found in %s", path)
	return out
}

type queryRef struct{ where, expr string }

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), path)
}

func alertExprs(t *testing.T, path string) []queryRef {
	t.Helper()
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, path, &file)
	var out []queryRef
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert, "only alerting rules are expected in %s (a recording rule's name is not exported by the processes)", path)
			out = append(out, queryRef{where: r.Alert, expr: r.Expr})
		}
	}
	require.NotEmpty(t, out)
	return out
}

// dashboardExprs returns every panel target's expr (rows' nested panels
// too).
func dashboardExprs(t *testing.T, path string) []queryRef {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	type panel struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels []json.RawMessage `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &dash), path)
	var out []queryRef
	var walk func(raw []json.RawMessage)
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p panel
			require.NoError(t, json.Unmarshal(r, &p))
			if p.Type != "row" {
				require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				require.NotEmpty(t, tg.Expr, "panel %q has an empty query", p.Title)
				out = append(out, queryRef{where: "panel " + strconv.Quote(p.Title), expr: tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return out
}

var (
	stringRe   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	matcherRe  = regexp.MustCompile(`\{[^{}]*\}`)
	rangeRe    = regexp.MustCompile(`\[[^\]]*\]`)
	groupingRe = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	numberRe   = regexp.MustCompile(`(^|[^a-zA-Z0-9_:])(?:\d+\.?\d*(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+)`)
	identRe    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
	keywords   = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true}
)

// metricNames returns the metric names a PromQL expression selects: what
// is left once strings, label matchers, ranges, grouping clauses and
// numbers are taken out, less function and aggregation names (followed by
// "(") and keywords. Grafana's $__rate_interval sits in a range.
func metricNames(expr string) []string {
	e := stringRe.ReplaceAllString(expr, `""`)
	e = matcherRe.ReplaceAllString(e, " ")
	e = rangeRe.ReplaceAllString(e, " ")
	e = groupingRe.ReplaceAllString(e, " ")
	e = numberRe.ReplaceAllString(e, "${1} ")
	seen := map[string]bool{}
	var out []string
	for _, m := range identRe.FindAllStringSubmatch(e, -1) {
		name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[0]), "("))
		if m[1] != "" || keywords[strings.ToLower(name)] || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out
}

// TestMetricNames: the PromQL scan finds the selected metrics and nothing
// else.
func TestMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`max(sequencer_divergence_detected) == 1 or max(sequencer_danger_state{state="divergence"}) == 1`,
			[]string{"sequencer_divergence_detected", "sequencer_danger_state"}},
		{`histogram_quantile(0.99, sum by (le, workflow_type) (rate(temporal_x_seconds_bucket[$__rate_interval])))`,
			[]string{"temporal_x_seconds_bucket"}},
		{`sum(rate(a_total[5m])) * 3600 / 1e18 > 3 * 86400`, []string{"a_total"}},
		{`x > 0 and on() max(changes(y[30m])) == 0`, []string{"x", "y"}},
		{`sum(up{job="sequencer-worker"}) == 0 or absent(up{job="sequencer-worker"})`, []string{"up"}},
		{`time() - max(ts)`, []string{"ts"}},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			require.Equal(t, c.want, metricNames(c.expr))
		})
	}
}
