package bench

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Admission is the "admission" object of GET /healthz (capacity.md §2).
type Admission struct {
	State              string  `json:"state"` // normal, fee_step or shedding
	BacklogOps         int64   `json:"backlog_ops"`
	PostingRate        float64 `json:"posting_rate_ops_per_block"`
	QueueDelayBlocks   float64 `json:"queue_delay_blocks"`
	FeeStep            int64   `json:"fee_step"`
	SoftBlocks         int64   `json:"soft_blocks"`
	HardBlocks         int64   `json:"hard_blocks"`
	OldestUnacceptedAt int64   `json:"oldest_unaccepted_age_blocks"`
}

// feeWatch reads GET /fee and GET /healthz about every second: signers use
// the fresh suggested max fee, and the report learns when the fee first
// rose and how far the queue delay went. Safe for concurrent use.
type feeWatch struct {
	baseURL string
	client  *http.Client

	suggested atomic.Uint32 // suggested_max_fee; 0 until the first read

	mu        sync.Mutex
	fee       uint16 // fee exponent of the current frame
	feeKnown  bool
	baseline  uint16 // fee at the load's start
	maxFee    uint16
	admission *Admission // latest, nil when /healthz has none
	maxDelay  float64
	// feeRoseAt is when the fee first rose above the baseline (or the
	// admission fee step first went above 0), since the load's start.
	feeRoseAt time.Duration
	start     time.Time
}

func newFeeWatch(baseURL string, client *http.Client) *feeWatch {
	return &feeWatch{baseURL: baseURL, client: client}
}

// suggestedMaxFee is the max_fee new ops are signed with.
func (w *feeWatch) suggestedMaxFee() uint16 { return uint16(w.suggested.Load()) }

// refresh reads both routes once; a failed read keeps the previous values.
func (w *feeWatch) refresh(ctx context.Context) error {
	var fee struct {
		Fee             uint16 `json:"fee"`
		SuggestedMaxFee uint16 `json:"suggested_max_fee"`
	}
	ferr := getJSONWith(ctx, w.client, w.baseURL+"/fee", &fee)
	var health struct {
		Admission *Admission `json:"admission"`
	}
	herr := getJSONWith(ctx, w.client, w.baseURL+"/healthz", &health)
	w.mu.Lock()
	defer w.mu.Unlock()
	since := time.Since(w.start)
	if ferr == nil {
		w.suggested.Store(uint32(fee.SuggestedMaxFee))
		w.fee, w.feeKnown = fee.Fee, true
		if !w.start.IsZero() {
			w.maxFee = max(w.maxFee, fee.Fee)
			if fee.Fee > w.baseline && w.feeRoseAt == 0 {
				w.feeRoseAt = max(since, 1)
			}
		}
	}
	if herr == nil {
		w.admission = health.Admission
		if a := health.Admission; a != nil && !w.start.IsZero() {
			w.maxDelay = max(w.maxDelay, a.QueueDelayBlocks)
			if a.FeeStep > 0 && w.feeRoseAt == 0 {
				w.feeRoseAt = max(since, 1)
			}
		}
	}
	return ferr
}

// begin marks the load's start: the current fee is the baseline.
func (w *feeWatch) begin(start time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.start, w.baseline, w.maxFee = start, w.fee, w.fee
}

// loop refreshes every second until ctx ends.
func (w *feeWatch) loop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = w.refresh(ctx)
		}
	}
}

// feeState is what the report reads.
type feeState struct {
	Fee       uint16
	FeeKnown  bool
	Baseline  uint16
	MaxFee    uint16
	Admission *Admission
	MaxDelay  float64
	FeeRoseAt time.Duration
}

func (w *feeWatch) state() feeState {
	w.mu.Lock()
	defer w.mu.Unlock()
	var a *Admission
	if w.admission != nil {
		c := *w.admission
		a = &c
	}
	return feeState{Fee: w.fee, FeeKnown: w.feeKnown, Baseline: w.baseline, MaxFee: w.maxFee, Admission: a,
		MaxDelay: w.maxDelay, FeeRoseAt: w.feeRoseAt}
}
