package config

// FeedSettings configure the public feed and history reads (issue 12).
// Embedded in Config: its variables carry the SEQ_ prefix like every other.
// See docs/history.md.
type FeedSettings struct {
	// FeedCompression negotiates permessage-deflate (RFC 7692, no context
	// takeover) with feed clients that offer it; clients that do not offer
	// it get plain frames either way.
	FeedCompression bool `envconfig:"FEED_COMPRESSION" default:"true"`
	// FeedMaxSubscribers is the most feed subscribers served at once; the
	// next one gets 429 OVERLOADED before the upgrade.
	FeedMaxSubscribers int `envconfig:"FEED_MAX_SUBSCRIBERS" default:"64"`
	// FeedMaxSubscribersPerIP is the most feed subscribers from one client
	// IP address (as the server sees it: behind a proxy, the proxy's).
	FeedMaxSubscribersPerIP int `envconfig:"FEED_MAX_SUBSCRIBERS_PER_IP" default:"4"`
	// HistoryMaxConcurrent is the most GET /history reads in flight; the
	// next one gets 429 OVERLOADED with Retry-After: 1.
	HistoryMaxConcurrent int `envconfig:"HISTORY_MAX_CONCURRENT" default:"16"`
}

// Upper bounds of the feed settings: each subscriber and each history read
// holds a goroutine and, while it reads, a database connection.
const (
	MaxFeedSubscribersLimit   = 10_000
	MaxHistoryConcurrentLimit = 1024
)

// validate checks the feed settings for role.
func (f FeedSettings) validate(role Role) error {
	if role != RoleServe {
		return nil
	}
	if f.FeedMaxSubscribers < 1 || f.FeedMaxSubscribers > MaxFeedSubscribersLimit {
		return bad("FEED_MAX_SUBSCRIBERS", "must be in 1..%d, got %d", MaxFeedSubscribersLimit, f.FeedMaxSubscribers)
	}
	if f.FeedMaxSubscribersPerIP < 1 || f.FeedMaxSubscribersPerIP > f.FeedMaxSubscribers {
		return bad("FEED_MAX_SUBSCRIBERS_PER_IP", "must be in 1..SEQ_FEED_MAX_SUBSCRIBERS (%d), got %d",
			f.FeedMaxSubscribers, f.FeedMaxSubscribersPerIP)
	}
	if f.HistoryMaxConcurrent < 1 || f.HistoryMaxConcurrent > MaxHistoryConcurrentLimit {
		return bad("HISTORY_MAX_CONCURRENT", "must be in 1..%d, got %d", MaxHistoryConcurrentLimit, f.HistoryMaxConcurrent)
	}
	return nil
}
