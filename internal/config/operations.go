package config

// OperationsSettings configure logging and the batch submitter's signer
// (issue 11). Embedded in Config: its variables carry the SEQ_ prefix like
// every other.
type OperationsSettings struct{}

// validate checks the operational settings for role.
func (o OperationsSettings) validate(role Role) error { return nil }
