package config

// FeeOracleSettings configure the fee-oracle workflow (issue 13). Embedded in
// Config: its variables carry the SEQ_ prefix like every other.
type FeeOracleSettings struct{}

// validate checks the fee oracle's settings for role.
func (f FeeOracleSettings) validate(role Role) error { return nil }
