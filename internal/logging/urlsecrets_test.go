package logging

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestURLSecretsKeepsSettings: connection settings in a URL's query are not
// secrets (filtering "disable" would blank the word in every log line), the
// password and a token are.
func TestURLSecretsKeepsSettings(t *testing.T) {
	got := URLSecrets("postgres://app:pw-1234@db:5432/seq?sslmode=disable&application_name=serve&token=abcd1234")
	require.Contains(t, got, "pw-1234")
	require.Contains(t, got, "abcd1234")
	require.NotContains(t, got, "disable")
	require.NotContains(t, got, "serve")
}
