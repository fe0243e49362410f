package config

// ReceiptSettings configure the key that signs soft confirmations (issue
// 12). Embedded in Config: its variables carry the SEQ_ prefix like every
// other.
type ReceiptSettings struct{}

// validate checks the receipt settings for role.
func (r ReceiptSettings) validate(role Role) error { return nil }
