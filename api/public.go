package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/receipt"
	"github.com/cartesi/sequencer/protocol"
)

const pingDBTimeout = 2 * time.Second

func (s *Server) routesPublic(app *fiber.App) {
	app.Use(cors.New()) // any origin, the default methods and no credentials
	app.Post("/tx", s.postTx)
	app.Get("/fee", s.getFee)
	app.Get("/nonce", s.getNonce)
	app.Get("/domain", s.getDomain)
	app.Get("/receipt_key", s.getReceiptKey)
	app.Get("/ws/subscribe", s.wsPrecheck, s.wsHandler())
	app.Get("/history", s.getHistory)
	app.Get("/livez", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.getReadyz)
	app.Get("/healthz", s.getHealthz)
	app.Get("/openapi.yaml", getOpenAPI)
}

// TxResponse is the body of a successful POST /tx.
type TxResponse struct {
	OK     bool   `json:"ok"`
	Sender string `json:"sender"` // EIP-55
	Nonce  uint32 `json:"nonce"`
	Offset uint64 `json:"offset"`
	Fee    uint16 `json:"fee"`
	// Receipt is the signed soft confirmation (docs/receipts.md); absent
	// when receipts are disabled.
	Receipt *receipt.Receipt `json:"receipt,omitempty"`
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
		var backlog *hotpath.BacklogError
		if errors.As(err, &backlog) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(backlog.RetryAfter, 1)))
		}
		return s.submitError(op, err)
	}
	s.metrics.ackLatency.Observe(time.Since(start).Seconds())
	return c.JSON(TxResponse{OK: true, Sender: rcpt.Sender.Hex(), Nonce: rcpt.Nonce, Offset: rcpt.Offset, Fee: rcpt.Fee,
		Receipt: s.signReceipt(op, rcpt)})
}

// CodeReceiptsDisabled: GET /receipt_key when no receipt key is configured
// (404).
const CodeReceiptsDisabled = "RECEIPTS_DISABLED"

// signReceipt signs the soft confirmation of a committed op, or returns nil
// when receipts are disabled. The op is committed whatever happens here, so
// a signing failure (a bug: signing a well-formed message cannot fail) is
// logged and answered without a receipt rather than as an error the client
// would retry.
func (s *Server) signReceipt(op hotpath.Op, rcpt hotpath.Receipt) *receipt.Receipt {
	if s.deps.Receipts == nil {
		return nil
	}
	r, err := s.deps.Receipts.Sign(receipt.Confirmation{Sender: rcpt.Sender, Nonce: rcpt.Nonce,
		OpHash: s.deps.Domain.Digest(op.UserOp), Offset: rcpt.Offset, BatchNonce: rcpt.BatchNonce, Generation: rcpt.Generation})
	if err != nil {
		s.log.Error("sign receipt", "sender", rcpt.Sender, "offset", rcpt.Offset, "err", err)
		return nil
	}
	return &r
}

// ReceiptKeyResponse is the body of GET /receipt_key: the address that
// signs receipts.
type ReceiptKeyResponse struct {
	Address string `json:"address"` // EIP-55
}

func (s *Server) getReceiptKey(c *fiber.Ctx) error {
	if s.deps.Receipts == nil {
		return newError(fiber.StatusNotFound, CodeReceiptsDisabled, "receipts are disabled: this sequencer has no receipt key")
	}
	return c.JSON(ReceiptKeyResponse{Address: s.deps.Receipts.Address().Hex()})
}

// submitError classifies a lane error. Only known errors reach the client
// with their text.
func (s *Server) submitError(op hotpath.Op, err error) error {
	var (
		rej     *hotpath.RejectedError
		backlog *hotpath.BacklogError
	)
	switch {
	case errors.As(err, &backlog):
		// The lane checks the backlog after intake (503) and before
		// enqueueing (queue full): the op was never queued.
		return newError(fiber.StatusTooManyRequests, CodeL1Backlog, backlog.Error())
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

// FeeResponse is the body of GET /fee. Under admission fee steps
// recommended_fee is the fee a frame opened now gets (policy fee plus the
// step), so suggested_max_fee covers the step and a couple more.
type FeeResponse struct {
	Fee             uint16 `json:"fee"`
	RecommendedFee  uint16 `json:"recommended_fee"`
	SuggestedMaxFee uint16 `json:"suggested_max_fee"`
}

func (s *Server) getFee(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store") // a quote of this instant
	q, err := s.deps.Lane.Quote()
	if err != nil {
		return s.readError("fee", err)
	}
	return c.JSON(FeeResponse{Fee: q.Fee, RecommendedFee: q.RecommendedFee, SuggestedMaxFee: q.SuggestedMaxFee()})
}

// NonceResponse is the body of GET /nonce.
type NonceResponse struct {
	Sender    string `json:"sender"` // EIP-55
	NextNonce uint32 `json:"next_nonce"`
}

func (s *Server) getNonce(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store") // the lane's state of this instant
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
		return s.readError("next nonce of "+addr.Hex(), err)
	}
	return c.JSON(NonceResponse{Sender: addr.Hex(), NextNonce: n})
}

// readError classifies a lane read (/fee, /nonce): ErrUnavailable is 503
// UNAVAILABLE with the lane's reason (standby, starting, fenced, danger),
// anything else internal.
func (s *Server) readError(what string, err error) error {
	if errors.Is(err, hotpath.ErrUnavailable) {
		msg := err.Error()
		if reason := s.deps.Lane.Status().Reason; reason != "" {
			msg += ": " + reason
		}
		return newError(fiber.StatusServiceUnavailable, CodeUnavailable, msg)
	}
	return fmt.Errorf("%s: %w", what, err)
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

// AdmissionHealth is the admission part of GET /healthz (capacity.md §2).
type AdmissionHealth struct {
	State                     string  `json:"state"` // "normal", "fee_step" or "shedding"
	BacklogOps                uint64  `json:"backlog_ops"`
	PostingRateOpsPerBlock    float64 `json:"posting_rate_ops_per_block"`
	QueueDelayBlocks          float64 `json:"queue_delay_blocks"`
	FeeStep                   int     `json:"fee_step"` // extra fee exponent above the policy fee
	SoftBlocks                uint64  `json:"soft_blocks"`
	HardBlocks                uint64  `json:"hard_blocks"`
	OldestUnacceptedAgeBlocks uint64  `json:"oldest_unaccepted_age_blocks"`
	SealedWaitingBatches      uint64  `json:"sealed_waiting_batches"`
	LargeBatches              bool    `json:"large_batches"`
}

func admissionHealth(a hotpath.Admission) AdmissionHealth {
	state := string(a.State)
	if state == "" {
		state = string(hotpath.AdmissionNormal)
	}
	return AdmissionHealth{
		State: state, BacklogOps: a.BacklogOps, PostingRateOpsPerBlock: a.PostingRate, QueueDelayBlocks: a.QueueDelay,
		FeeStep: a.FeeStep, SoftBlocks: a.SoftBlocks, HardBlocks: a.HardBlocks, OldestUnacceptedAgeBlocks: a.OldestAgeBlocks,
		SealedWaitingBatches: a.SealedWaiting, LargeBatches: a.LargeBatches,
	}
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
	// Admission is the L1 queue as admission control sees it. Shedding
	// does not make the status degraded: reads and the feed keep working.
	Admission AdmissionHealth `json:"admission"`
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
		Subscribers: s.subscriberCount(),
		Admission:   admissionHealth(st.Admission),
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
