// Package logging builds the processes' slog loggers (SEQ_LOG_FORMAT,
// SEQ_LOG_LEVEL) and keeps secrets out of what they print: RedactURL is the
// one way a URL is written to a log, and Redactor is a last line of defence
// on the process's output streams that blanks every configured secret a
// library might have put into an error message (a net/http error quotes the
// request URL with its query string, for instance).
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
)

// Format is the log line format.
type Format string

const (
	// FormatText is slog's key=value text, the default (what the
	// processes always printed).
	FormatText Format = "text"
	// FormatJSON is one JSON object per line, for log shippers.
	FormatJSON Format = "json"
)

// Options select the format and the lowest level printed. The zero value is
// text at info.
type Options struct {
	Format Format
	Level  slog.Level
}

// ParseFormat accepts "text" or "json" (case-insensitive; "" is text).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", FormatText:
		return FormatText, nil
	case FormatJSON:
		return FormatJSON, nil
	}
	return "", fmt.Errorf("must be text or json, got %q", s)
}

// ParseLevel accepts debug, info, warn (or warning) and error,
// case-insensitive; "" is info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("must be debug, info, warn or error, got %q", s)
}

// New returns a logger writing to w in the chosen format from the chosen
// level up.
func New(w io.Writer, o Options) *slog.Logger {
	ho := &slog.HandlerOptions{Level: o.Level}
	if o.Format == FormatJSON {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// RedactURL is how a URL may appear in a log or an error: scheme and host
// only, with the user info (a password), the query (API keys, tokens) and
// the fragment removed. The path is kept for PostgreSQL URLs (it is the
// database name) and replaced by "/…" for every other scheme, because node
// providers put the API key in the path (https://host/v3/<key>). A string
// that does not parse as a URL with a host is not echoed at all.
func RedactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		if raw == "" {
			return ""
		}
		return "[unparsable URL]"
	}
	s := u.Scheme + "://" + u.Host
	switch {
	case u.Scheme == "postgres" || u.Scheme == "postgresql":
		s += u.EscapedPath()
	case u.Path != "" && u.Path != "/":
		s += "/…"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		s += "?…"
	}
	return s
}
