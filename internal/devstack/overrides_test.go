package devstack

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "blanks only", in: " \t\n ", want: nil},
		{name: "two pairs", in: "SEQ_PREEMPTIVE_MARGIN_BLOCKS=1000  SEQ_ADMISSION_HARD_BLOCKS=50",
			want: []string{"SEQ_PREEMPTIVE_MARGIN_BLOCKS=1000", "SEQ_ADMISSION_HARD_BLOCKS=50"}},
		{name: "later wins", in: "SEQ_ADMISSION_HARD_BLOCKS=50 SEQ_SECONDS_PER_BLOCK=12 SEQ_ADMISSION_HARD_BLOCKS=70",
			want: []string{"SEQ_ADMISSION_HARD_BLOCKS=70", "SEQ_SECONDS_PER_BLOCK=12"}},
		{name: "empty value and = in value", in: "SEQ_ADMISSION_SOFT_BLOCKS= SEQ_DATABASE_URL=postgres://h/db?sslmode=disable",
			want: []string{"SEQ_ADMISSION_SOFT_BLOCKS=", "SEQ_DATABASE_URL=postgres://h/db?sslmode=disable"}},
		{name: "no =", in: "SEQ_ADMISSION_HARD_BLOCKS=50 SEQ_PREEMPTIVE_MARGIN_BLOCKS",
			wantErr: `DEV_ENV: "SEQ_PREEMPTIVE_MARGIN_BLOCKS" is not SEQ_NAME=value`},
		{name: "not SEQ_", in: "PREEMPTIVE_MARGIN_BLOCKS=1000",
			wantErr: `DEV_ENV: "PREEMPTIVE_MARGIN_BLOCKS=1000": the name must be SEQ_ followed by capitals, digits or _`},
		{name: "lower case", in: "seq_preemptive_margin_blocks=1000",
			wantErr: `the name must be SEQ_`},
		{name: "empty name", in: "=1", wantErr: `the name must be SEQ_`},
		{name: "embedded settings (fee oracle)", in: "SEQ_FEE_ORACLE_MODE=uniswap-v3 SEQ_FEE_ORACLE_TWAP_SECONDS=60",
			want: []string{"SEQ_FEE_ORACLE_MODE=uniswap-v3", "SEQ_FEE_ORACLE_TWAP_SECONDS=60"}},
		{name: "unknown setting", in: "SEQ_PREEMPTIVE_MARGIN=1000",
			wantErr: "DEV_ENV: SEQ_PREEMPTIVE_MARGIN is not a sequencer setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOverrides(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.NotContains(t, err.Error(), "\n", "one line")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestMergeEnv(t *testing.T) {
	base := []string{"SEQ_A=1", "SEQ_AB=2", "SEQ_C=3"}
	tests := []struct {
		name string
		over []string
		want []string
	}{
		{name: "none", over: nil, want: base},
		{name: "replace in place", over: []string{"SEQ_AB=20"}, want: []string{"SEQ_A=1", "SEQ_AB=20", "SEQ_C=3"}},
		{name: "prefix of another name", over: []string{"SEQ_A=10"}, want: []string{"SEQ_A=10", "SEQ_AB=2", "SEQ_C=3"}},
		{name: "append new", over: []string{"SEQ_D=4", "SEQ_C=30"}, want: []string{"SEQ_A=1", "SEQ_AB=2", "SEQ_C=30", "SEQ_D=4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, mergeEnv(base, tt.over))
			require.Equal(t, []string{"SEQ_A=1", "SEQ_AB=2", "SEQ_C=3"}, base, "base untouched")
		})
	}
}

func TestDescribeOverridesRedactsKeys(t *testing.T) {
	got := describeOverrides([]string{"SEQ_BATCH_SUBMITTER_PRIVATE_KEY=0xabc", "SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE=/k", "SEQ_X=1"})
	require.Equal(t, "SEQ_BATCH_SUBMITTER_PRIVATE_KEY=[REDACTED] SEQ_BATCH_SUBMITTER_PRIVATE_KEY_FILE=/k SEQ_X=1", got)
}

func TestShellQuote(t *testing.T) {
	require.Equal(t, `'a b'`, shellQuote("a b"))
	require.Equal(t, `'it'\''s'`, shellQuote("it's"))
}
