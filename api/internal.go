package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/pprof"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Headers of the snapshot routes.
const (
	HeaderInclusionBlock = "X-Inclusion-Block"
	HeaderL2TxIndex      = "X-L2-Tx-Index"
)

func (s *Server) routesInternal(app *fiber.App) {
	app.Get("/finalized_state/inclusion_block", s.getFinalizedInclusionBlock)
	app.Get("/finalized_state", s.getFinalizedState)
	app.Get("/latest_snapshot", s.getLatestSnapshot)
	if s.deps.Gatherer != nil {
		app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{})))
	}
	// Go profiling for operators (go tool pprof http://<internal>/debug/pprof/profile):
	// the internal listener is operator-only by network isolation.
	app.Use(pprof.New())
}

// InclusionBlockResponse is the body of GET /finalized_state/inclusion_block.
type InclusionBlockResponse struct {
	InclusionBlock uint64 `json:"inclusion_block"`
	L2TxIndex      uint64 `json:"l2_tx_index"`
}

func (s *Server) getFinalizedInclusionBlock(c *fiber.Ctx) error {
	snap, ok, err := s.deps.Snapshots.FinalizedSnapshotInfo(c.UserContext())
	if err != nil {
		return fmt.Errorf("read finalized snapshot info: %w", err)
	}
	if !ok {
		return newError(fiber.StatusNotFound, CodeNotFound, "no finalized snapshot yet")
	}
	return c.JSON(InclusionBlockResponse{InclusionBlock: snap.InclusionBlock, L2TxIndex: snap.L2TxIndex})
}

func finalizedETag(block uint64) string { return `"block-` + strconv.FormatUint(block, 10) + `"` }

// getFinalizedState sends the finalized snapshot's bytes. A matching
// If-None-Match is answered 304 from the metadata alone; otherwise the bytes
// and their headers come from one consistent read.
func (s *Server) getFinalizedState(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		info, ok, err := s.deps.Snapshots.FinalizedSnapshotInfo(ctx)
		if err != nil {
			return fmt.Errorf("read finalized snapshot info: %w", err)
		}
		if ok && etagMatches(inm, finalizedETag(info.InclusionBlock)) {
			c.Set(fiber.HeaderETag, finalizedETag(info.InclusionBlock))
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	snap, ok, err := s.deps.Snapshots.FinalizedSnapshot(ctx)
	if err != nil {
		return fmt.Errorf("read finalized snapshot: %w", err)
	}
	if !ok {
		return newError(fiber.StatusNotFound, CodeNotFound, "no finalized snapshot yet")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	c.Set(HeaderInclusionBlock, strconv.FormatUint(snap.InclusionBlock, 10))
	c.Set(HeaderL2TxIndex, strconv.FormatUint(snap.L2TxIndex, 10))
	c.Set(fiber.HeaderETag, finalizedETag(snap.InclusionBlock))
	return c.Send(snap.State)
}

// etagMatches applies If-None-Match's weak comparison: any listed tag (with
// or without W/) equal to etag, or "*".
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

func (s *Server) getLatestSnapshot(c *fiber.Ctx) error {
	snap, ok, err := s.deps.Snapshots.LatestSnapshot(c.UserContext())
	if err != nil {
		return fmt.Errorf("read latest snapshot: %w", err)
	}
	if !ok {
		return newError(fiber.StatusNotFound, CodeNotFound, "no snapshot yet")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	c.Set(HeaderL2TxIndex, strconv.FormatUint(snap.L2TxIndex, 10))
	return c.Send(snap.State)
}
