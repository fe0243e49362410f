package devstack

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/cartesi/sequencer/internal/config"
)

// OverridesVar is the variable `make dev` and `sequencer dev` read the
// configuration overrides from.
const OverridesVar = "DEV_ENV"

// overrideName is the shape of a variable name the sequencer reads.
var overrideName = regexp.MustCompile(`^SEQ_[A-Z0-9_]+$`)

// ParseOverrides parses DEV_ENV: space-separated SEQ_NAME=value pairs for
// serve and worker, applied over the dev defaults (Options.ExtraEnv). A name
// repeated keeps its last value. Every name must be one the configuration
// reads: a typo would otherwise be ignored silently by both processes and
// the rehearsal would test the defaults. Values cannot contain spaces. The
// error is one line naming the bad pair.
func ParseOverrides(s string) ([]string, error) {
	known := knownVariables()
	var out []string
	for _, pair := range strings.Fields(s) {
		name, _, ok := strings.Cut(pair, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: %q is not SEQ_NAME=value", OverridesVar, pair)
		case !overrideName.MatchString(name):
			return nil, fmt.Errorf("%s: %q: the name must be SEQ_ followed by capitals, digits or _", OverridesVar, pair)
		case !known[name]:
			return nil, fmt.Errorf("%s: %s is not a sequencer setting (see docs/operations.md, Configuration)", OverridesVar, name)
		}
		out = mergeEnv(out, []string{pair})
	}
	return out, nil
}

// knownVariables are the SEQ_* names config.Config reads.
func knownVariables() map[string]bool {
	known := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(ct reflect.Type) {
		for i := range ct.NumField() {
			f := ct.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct { // embedded settings (FeeOracleSettings, ...)
				walk(f.Type)
			} else if tag := f.Tag.Get("envconfig"); tag != "" {
				known[config.Prefix+"_"+tag] = true
			}
		}
	}
	walk(reflect.TypeOf(config.Config{}))
	return known
}

// mergeEnv returns base with every NAME=value of over applied: a name base
// already has gets the new value in place, a new name is appended. Neither
// slice is modified. The children never see a name twice, so which value
// they read does not depend on exec's duplicate handling.
func mergeEnv(base, over []string) []string {
	out := slices.Clone(base)
	for _, kv := range over {
		name, _, _ := strings.Cut(kv, "=")
		i := slices.IndexFunc(out, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

// describeOverrides prints overrides for the banner and the log, secrets
// redacted.
func describeOverrides(env []string) string {
	parts := make([]string, len(env))
	for i, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.Contains(name, "PRIVATE_KEY") && !strings.HasSuffix(name, "_FILE") {
			kv = name + "=[REDACTED]"
		}
		parts[i] = kv
	}
	return strings.Join(parts, " ")
}
