package config

// FeedSettings configure the public feed and history reads (issue 12).
// Embedded in Config: its variables carry the SEQ_ prefix like every other.
type FeedSettings struct{}

// validate checks the feed settings for role.
func (f FeedSettings) validate(role Role) error { return nil }
