package api

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// Error codes of the public API (service.md §3), with their HTTP status.
const (
	CodeBadRequest        = "BAD_REQUEST"        // 400
	CodeInvalidSignature  = "INVALID_SIGNATURE"  // 400
	CodeNotFound          = "NOT_FOUND"          // 404 (unknown route or missing resource)
	CodeMethodNotAllowed  = "METHOD_NOT_ALLOWED" // 405
	CodeHistoryRewound    = "HISTORY_REWOUND"    // 409
	CodePayloadTooLarge   = "PAYLOAD_TOO_LARGE"  // 413
	CodeExecutionRejected = "EXECUTION_REJECTED" // 422
	CodeOverloaded        = "OVERLOADED"         // 429
	CodeL1Backlog         = "L1_BACKLOG"         // 429 (admission control: the L1 queue delay is at the hard line)
	CodeInternalError     = "INTERNAL_ERROR"     // 500
	CodeUnavailable       = "UNAVAILABLE"        // 503

	// Resumable history (ws.go, history.go, docs/history.md).
	CodeInvalidRequest     = "INVALID_REQUEST"     // 400 (generation or limit)
	CodeStaleGeneration    = "STALE_GENERATION"    // 409 + last_valid_offset, generation
	CodeAheadOfHead        = "AHEAD_OF_HEAD"       // 409 + head
	CodeHistoryUnavailable = "HISTORY_UNAVAILABLE" // 410 + head
)

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	OK      bool   `json:"ok"` // always false
	Code    string `json:"code"`
	Message string `json:"message"`
	// Set only by the history refusals (STALE_GENERATION, AHEAD_OF_HEAD,
	// HISTORY_UNAVAILABLE).
	LastValidOffset *uint64 `json:"last_valid_offset,omitempty"`
	Generation      *uint64 `json:"generation,omitempty"`
	Head            *uint64 `json:"head,omitempty"`
}

// apiError is an error response a handler returns; the app's error handler
// writes it.
type apiError struct {
	status  int
	code    string
	message string
	detail  ErrorBody // the history refusals' extra fields
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func badRequest(msg string) *apiError { return newError(fiber.StatusBadRequest, CodeBadRequest, msg) }

func invalidSignature(msg string) *apiError {
	return newError(fiber.StatusBadRequest, CodeInvalidSignature, msg)
}

// errorHandler returns the fiber error handler that turns every handler error
// (and fasthttp's own, such as a body over BodyLimit) into the JSON error
// shape. Unknown errors are logged and answered 500 without their text.
// count says whether the rejection counter sees them (public app only).
func (s *Server) errorHandler(count bool) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		ae := s.classify(c, err)
		if count {
			s.metrics.rejections.WithLabelValues(ae.code).Inc()
		}
		return c.Status(ae.status).JSON(ErrorBody{OK: false, Code: ae.code, Message: ae.message,
			LastValidOffset: ae.detail.LastValidOffset, Generation: ae.detail.Generation, Head: ae.detail.Head})
	}
}

func (s *Server) classify(c *fiber.Ctx, err error) *apiError {
	var ae *apiError
	var fe *fiber.Error
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			ae = newError(fe.Code, CodePayloadTooLarge, fmt.Sprintf("request body too large: max %d bytes", MaxBodyBytes))
		case fiber.StatusNotFound:
			ae = newError(fe.Code, CodeNotFound, fe.Message)
		case fiber.StatusMethodNotAllowed:
			ae = newError(fe.Code, CodeMethodNotAllowed, fe.Message)
		case fiber.StatusServiceUnavailable:
			ae = newError(fe.Code, CodeUnavailable, fe.Message)
		case fiber.StatusTooManyRequests:
			ae = newError(fe.Code, CodeOverloaded, fe.Message)
		default:
			if fe.Code >= 500 {
				s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "status", fe.Code, "err", fe.Message)
				ae = newError(fiber.StatusInternalServerError, CodeInternalError, "internal error")
			} else {
				ae = newError(fe.Code, CodeBadRequest, fe.Message)
			}
		}
	default:
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		ae = newError(fiber.StatusInternalServerError, CodeInternalError, "internal error")
	}
	return ae
}
