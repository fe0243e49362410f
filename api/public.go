package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/protocol"
)

const pingDBTimeout = 2 * time.Second

func (s *Server) routesPublic(app *fiber.App) {
	app.Use(cors.New()) // any origin, the default methods and no credentials
	app.Post("/tx", s.postTx)
	app.Get("/fee", s.getFee)
	app.Get("/nonce", s.getNonce)
	app.Get("/domain", s.getDomain)
	app.Get("/ws/subscribe", s.wsPrecheck, s.wsHandler())
	app.Get("/livez", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.getReadyz)
	app.Get("/healthz", s.getHealthz)
}

// TxResponse is the body of a successful POST /tx.
type TxResponse struct {
	OK     bool   `json:"ok"`
	Sender string `json:"sender"` // EIP-55
	Nonce  uint32 `json:"nonce"`
	Offset uint64 `json:"offset"`
	Fee    uint16 `json:"fee"`
}

// postTx verifies a signed user op in the handler (fiber runs handlers
// concurrently, so recoveries run in parallel) and hands it to the lane,
// answering only after the lane's durable commit.
func (s *Server) postTx(c *fiber.Ctx) error {
	start := time.Now()
	op, err := parseTx(c.Body(), string(c.Request().Header.ContentType()), s.deps.Lane.MaxPayloadSize(), s.deps.Domain)
	if err != nil {
		return err
	}
	op.ReceivedAt = start
	rcpt, err := s.deps.Lane.Submit(c.UserContext(), op)
	if err != nil {
		return s.submitError(op, err)
	}
	s.metrics.ackLatency.Observe(time.Since(start).Seconds())
	return c.JSON(TxResponse{OK: true, Sender: rcpt.Sender.Hex(), Nonce: rcpt.Nonce, Offset: rcpt.Offset, Fee: rcpt.Fee})
}

// submitError classifies a lane error. Only known errors reach the client
// with their text.
func (s *Server) submitError(op hotpath.Op, err error) error {
	var rej *hotpath.RejectedError
	switch {
	case errors.Is(err, hotpath.ErrQueueFull):
		return newError(fiber.StatusTooManyRequests, CodeOverloaded, "queue full")
	case errors.Is(err, hotpath.ErrUnavailable):
		msg := err.Error()
		if reason := s.deps.Lane.Status().Reason; reason != "" && !strings.Contains(msg, reason) {
			msg += ": " + reason
		}
		return newError(fiber.StatusServiceUnavailable, CodeUnavailable, msg)
	case errors.As(err, &rej):
		return newError(fiber.StatusUnprocessableEntity, CodeExecutionRejected, rej.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return newError(fiber.StatusServiceUnavailable, CodeUnavailable, "sequencer unavailable")
	default:
		s.log.Error("submit failed", "sender", op.Sender, "nonce", op.UserOp.Nonce, "err", err)
		return newError(fiber.StatusInternalServerError, CodeInternalError, "internal error")
	}
}

// FeeResponse is the body of GET /fee.
type FeeResponse struct {
	Fee             uint16 `json:"fee"`
	RecommendedFee  uint16 `json:"recommended_fee"`
	SuggestedMaxFee uint16 `json:"suggested_max_fee"`
}

func (s *Server) getFee(c *fiber.Ctx) error {
	q := s.deps.Lane.Quote()
	return c.JSON(FeeResponse{Fee: q.Fee, RecommendedFee: q.RecommendedFee, SuggestedMaxFee: q.SuggestedMaxFee()})
}

// NonceResponse is the body of GET /nonce.
type NonceResponse struct {
	Sender    string `json:"sender"` // EIP-55
	NextNonce uint32 `json:"next_nonce"`
}

func (s *Server) getNonce(c *fiber.Ctx) error {
	raw := c.Query("sender")
	if raw == "" {
		return badRequest("missing query parameter sender")
	}
	addr, err := parseAddress(raw)
	if err != nil {
		return badRequest("invalid sender: " + err.Error())
	}
	n, err := s.deps.Lane.NextNonce(addr)
	if err != nil {
		if errors.Is(err, hotpath.ErrUnavailable) {
			return newError(fiber.StatusServiceUnavailable, CodeUnavailable, err.Error())
		}
		return fmt.Errorf("next nonce of %s: %w", addr, err)
	}
	return c.JSON(NonceResponse{Sender: addr.Hex(), NextNonce: n})
}

// DomainResponse is the body of GET /domain: the EIP-712 domain clients sign
// in.
type DomainResponse struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	ChainID           uint64 `json:"chainId"`
	VerifyingContract string `json:"verifyingContract"` // EIP-55
}

func (s *Server) getDomain(c *fiber.Ctx) error {
	d := s.deps.Domain
	return c.JSON(DomainResponse{
		Name:              protocol.DomainName,
		Version:           protocol.DomainVersion,
		ChainID:           d.ChainID(),
		VerifyingContract: d.VerifyingContract().Hex(),
	})
}

func (s *Server) getReadyz(c *fiber.Ctx) error {
	st := s.deps.Lane.Status()
	if st.Role == hotpath.RoleActive && st.IntakeOpen {
		return c.JSON(fiber.Map{"status": "ready"})
	}
	reason := st.Reason
	if reason == "" {
		reason = "lane " + string(st.Role)
	}
	return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "not ready", "reason": reason})
}

// LaneHealth is the lane part of GET /healthz.
type LaneHealth struct {
	Role       string `json:"role"`
	IntakeOpen bool   `json:"intake_open"`
	Mode       string `json:"mode"`
	Generation uint64 `json:"generation"`
	QueueDepth int    `json:"queue_depth"`
	Head       uint64 `json:"head"`
	Reason     string `json:"reason,omitempty"`
}

// HealthResponse is the body of GET /healthz.
type HealthResponse struct {
	// Status is "standby" (another process holds the writer lock),
	// "recovering" (recovery mode), "degraded" (intake closed or database
	// unreachable) or "ok".
	Status   string     `json:"status"`
	Lane     LaneHealth `json:"lane"`
	Database string     `json:"database"` // "ok", "unreachable" or "unknown"
	Danger   string     `json:"danger"`
	// Subscribers is the number of feed subscribers.
	Subscribers int64 `json:"subscribers"`
}

// getHealthz always answers 200: it describes; /readyz decides.
func (s *Server) getHealthz(c *fiber.Ctx) error {
	st := s.deps.Lane.Status()
	db := "unknown"
	if s.deps.DB != nil {
		ctx, cancel := context.WithTimeout(c.UserContext(), pingDBTimeout)
		err := s.deps.DB.Ping(ctx)
		cancel()
		if err != nil {
			s.log.Warn("health: database ping failed", "err", err)
			db = "unreachable"
		} else {
			db = "ok"
		}
	}
	status := "ok"
	switch {
	case st.Role == hotpath.RoleStandby:
		status = "standby"
	case st.Mode == "recovering":
		status = "recovering"
	case !st.IntakeOpen || db == "unreachable" || st.Role != hotpath.RoleActive:
		status = "degraded"
	}
	return c.JSON(HealthResponse{
		Status: status,
		Lane: LaneHealth{
			Role: string(st.Role), IntakeOpen: st.IntakeOpen, Mode: st.Mode, Generation: st.Generation,
			QueueDepth: st.QueueDepth, Head: st.Head, Reason: st.Reason,
		},
		Database:    db,
		Danger:      st.Danger,
		Subscribers: s.subscribers.Load(),
	})
}

// parseAddress accepts exactly "0x" and 40 hex digits, in any case (the
// EIP-55 checksum is not enforced: the recovered address is compared
// instead).
func parseAddress(s string) (common.Address, error) {
	if len(s) != 42 {
		return common.Address{}, fmt.Errorf("want 0x and 40 hex digits, got %d characters", len(s))
	}
	b, err := decodeHex(s)
	if err != nil {
		return common.Address{}, err
	}
	return common.BytesToAddress(b), nil
}
