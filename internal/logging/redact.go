package logging

import (
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces a secret in everything a Secrets writer writes.
const Redacted = "[REDACTED]"

// MinSecretLen is the shortest value Secrets blanks: shorter ones (a
// 3-character password) would blank ordinary words of every log line.
// RedactURL still removes them from every URL the code logs.
const MinSecretLen = 4

// Secrets is the set of values a process must never print. Its Writer
// wraps the process's stdout and stderr, so that a secret quoted by a
// library's error message (net/http quotes the request URL, query
// included) never reaches a log. Safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	values []string // longest first, so a secret containing another goes whole
}

// NewSecrets returns a set holding values (see Add).
func NewSecrets(values ...string) *Secrets {
	s := &Secrets{}
	s.Add(values...)
	return s
}

// Add registers more values, e.g. a passphrase read from a file after
// start. Values shorter than MinSecretLen and duplicates are ignored. A nil
// set ignores them (a command run without Run's filter, in a test).
func (s *Secrets) Add(values ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= MinSecretLen && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Redact returns text with every secret replaced by [REDACTED].
func (s *Secrets) Redact(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// Writer returns w behind a filter that redacts each Write. Replacement is
// per Write call: slog writes a record, and the CLI an error line, in one
// call. The filter is safe for concurrent use if w is.
func (s *Secrets) Writer(w io.Writer) io.Writer { return redactingWriter{s: s, w: w} }

type redactingWriter struct {
	s *Secrets
	w io.Writer
}

// Write writes p redacted and reports len(p) on success, whatever the
// length written, as callers expect of a filter.
func (r redactingWriter) Write(p []byte) (int, error) {
	out := r.s.Redact(string(p))
	if len(out) == len(p) && out == string(p) {
		return r.w.Write(p)
	}
	if _, err := io.WriteString(r.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// URLSecrets lists what in a configured URL must never print: the whole
// URL, the password (as written and decoded), the query and each of its
// values, the fragment and — except for PostgreSQL URLs, whose path is a
// database name — the path and its longer segments (a provider's API key in
// https://host/v3/<key>). A value that does not parse is a secret whole.
func URLSecrets(raw string) []string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if pw, ok := u.User.Password(); ok {
		out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		if _, rawPW, ok := strings.Cut(u.User.String(), ":"); ok {
			out = append(out, rawPW)
		}
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if isPublicQueryKey(k) {
				// Settings, not credentials: filtering "disable" would
				// blank that word everywhere in the output.
				continue
			}
			out = append(out, v)
			if dec, err := url.QueryUnescape(v); err == nil {
				out = append(out, dec)
			}
		}
	}
	if u.Fragment != "" {
		out = append(out, u.Fragment, u.EscapedFragment())
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Path != "" && u.Path != "/" {
		out = append(out, u.Path, u.EscapedPath())
		for _, seg := range strings.Split(u.Path, "/") {
			if len(seg) >= 8 {
				out = append(out, seg)
			}
		}
	}
	return out
}

// isPublicQueryKey reports connection settings that carry no credential:
// their values are common words (sslmode=disable) that the filter must not
// blank everywhere in the output.
func isPublicQueryKey(k string) bool {
	switch strings.ToLower(k) {
	case "sslmode", "application_name", "connect_timeout", "target_session_attrs", "pool_max_conns",
		"pool_min_conns", "timezone", "search_path", "statement_cache_capacity", "default_query_exec_mode":
		return true
	}
	return false
}
