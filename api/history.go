package api

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/cartesi/sequencer/store"
)

// GET /history page sizes.
const (
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 1000
)

// parseResumeQuery reads from_offset (absent = 0; 400 BAD_REQUEST when not
// an unsigned integer, as the feed always answered) and generation (absent
// = a resume without one; 400 INVALID_REQUEST when not one).
func parseResumeQuery(c *fiber.Ctx) (store.ResumeQuery, error) {
	var q store.ResumeQuery
	if raw := c.Query("from_offset"); raw != "" {
		v, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return q, badRequest("from_offset must be an unsigned 64-bit integer")
		}
		q.From = v
	}
	if raw, ok := c.Queries()["generation"]; ok {
		v, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return q, newError(fiber.StatusBadRequest, CodeInvalidRequest, "generation must be an unsigned 64-bit integer")
		}
		q.Generation, q.HasGeneration = v, true
	}
	return q, nil
}

func ptr(v uint64) *uint64 { return &v }

// resumeRefusal is the refusal of a resume with a generation, or nil when
// it is honoured; in order: a generation this history has not reached (400
// INVALID_REQUEST), from_offset above every offset ever assigned (409
// AHEAD_OF_HEAD), and an entry at or below from_offset revoked by a
// recovery after the client's generation (409 STALE_GENERATION: the client
// drops what it holds above last_valid_offset and resumes from there with
// the current generation). An older generation alone is no refusal.
//
// A resume without a generation (GET /history only: the feed keeps its
// older rule, checkResume) is refused AHEAD_OF_HEAD the same way, and 409
// HISTORY_REWOUND when from_offset itself was invalidated.
func resumeRefusal(q store.ResumeQuery, st store.ResumeState) *apiError {
	if q.HasGeneration && q.Generation > st.Generation {
		e := newError(fiber.StatusBadRequest, CodeInvalidRequest,
			fmt.Sprintf("generation %d is above the current generation %d", q.Generation, st.Generation))
		e.detail.Generation = ptr(st.Generation)
		return e
	}
	if q.From > st.LastAssigned {
		e := newError(fiber.StatusConflict, CodeAheadOfHead,
			fmt.Sprintf("from_offset %d is above the last offset this sequencer assigned (%d)", q.From, st.LastAssigned))
		e.detail.Head = ptr(st.LastAssigned)
		return e
	}
	switch {
	case q.HasGeneration && st.Revoked:
		e := newError(fiber.StatusConflict, CodeStaleGeneration, fmt.Sprintf(
			"a recovery after generation %d revoked entries at or below offset %d; resume from last_valid_offset=%d with generation=%d",
			q.Generation, q.From, st.LastValidOffset, st.Generation))
		e.detail.LastValidOffset, e.detail.Generation = ptr(st.LastValidOffset), ptr(st.Generation)
		return e
	case !q.HasGeneration && st.FromInvalidated:
		return newError(fiber.StatusConflict, CodeHistoryRewound,
			fmt.Sprintf("history rewound: offset %d was invalidated by a recovery; last_valid_offset=%d", q.From, st.LastValidBefore))
	}
	return nil
}

// getHistory serves GET /history?from_offset=&limit=&generation=: one page
// of the valid replay order after from_offset, the feed's entry objects, and
// the feed's refusals (resumeRefusal), decided in the same database snapshot
// as the page. It reads the database only, so a standby serves it too. At
// most Config.HistoryMaxConcurrent reads run at once; the next is 429
// OVERLOADED with Retry-After: 1.
func (s *Server) getHistory(c *fiber.Ctx) error {
	q, err := parseResumeQuery(c)
	if err != nil {
		return err
	}
	limit := DefaultHistoryLimit
	if raw := c.Query("limit"); raw != "" {
		v, err := strconv.Atoi(raw)
		if err != nil || v < 1 || v > MaxHistoryLimit {
			return newError(fiber.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("limit must be an integer in 1..%d", MaxHistoryLimit))
		}
		limit = v
	}
	select {
	case s.history <- struct{}{}:
		defer func() { <-s.history }()
	default:
		c.Set(fiber.HeaderRetryAfter, "1")
		return newError(fiber.StatusTooManyRequests, CodeOverloaded,
			fmt.Sprintf("too many history reads in flight (max %d)", s.cfg.HistoryMaxConcurrent))
	}
	st, entries, err := s.deps.Feed.Page(c.UserContext(), q, limit, func(st store.ResumeState) error {
		if refusal := resumeRefusal(q, st); refusal != nil {
			return refusal
		}
		return nil
	})
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return fmt.Errorf("read history after %d: %w", q.From, err)
	}
	next := q.From
	b := make([]byte, 0, 64+len(entries)*256)
	b = append(b, `{"entries":[`...)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEntryJSON(b, e)
		next = e.Offset
	}
	b = append(b, `],"next_offset":`...)
	b = strconv.AppendUint(b, next, 10)
	b = append(b, `,"head":`...)
	b = strconv.AppendUint(b, st.Head, 10)
	b = append(b, `,"generation":`...)
	b = strconv.AppendUint(b, st.Generation, 10)
	b = append(b, '}')
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
