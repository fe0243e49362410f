package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// txAnswer is a POST /tx response body, success or error.
type txAnswer struct {
	OK     bool   `json:"ok"`
	Sender string `json:"sender"`
	Nonce  uint32 `json:"nonce"`
	Offset uint64 `json:"offset"`
	Code   string `json:"code"`
}

// window is the measured part of the run, in ns since the epoch.
type window struct{ from, to int64 }

func (w window) contains(t int64) bool { return t >= w.from && t < w.to }

// seconds is the window's length.
func (w window) seconds() float64 { return time.Duration(w.to - w.from).Seconds() }

// acked is an acknowledged op: who sent it and where the server put it.
type acked struct {
	rec    *record
	offset uint64
}

// tally is the request-side outcome of a run.
type tally struct {
	acked          []acked
	accepted       int // 200s acknowledged inside the window
	ackLatency     []time.Duration
	nonOK          map[string]int
	transportError int
	echoMismatch   int // 200s whose sender/nonce differ from what was sent
}

// tallyRecords decodes the response bodies and classifies every request.
// Latency samples are taken from requests started inside w.
func tallyRecords(records []record, senders []common.Address, w window) tally {
	t := tally{nonOK: map[string]int{}}
	for i := range records {
		r := &records[i]
		if r.status == 0 {
			t.transportError++
			continue
		}
		var a txAnswer
		decodeErr := json.Unmarshal(r.body, &a)
		if r.status != 200 {
			code := a.Code
			if decodeErr != nil || code == "" {
				code = "undecodable"
			}
			t.nonOK[fmt.Sprintf("%d %s", r.status, code)]++
			continue
		}
		if decodeErr != nil || !a.OK || a.Offset == 0 {
			t.nonOK["200 undecodable"]++
			continue
		}
		if a.Nonce != r.nonce || !strings.EqualFold(a.Sender, senders[r.sender].Hex()) {
			t.echoMismatch++
		}
		t.acked = append(t.acked, acked{rec: r, offset: a.Offset})
		if w.contains(r.ack) {
			t.accepted++
		}
		if w.contains(r.start) {
			t.ackLatency = append(t.ackLatency, time.Duration(r.ack-r.start))
		}
	}
	return t
}

// offsets lists the acknowledged ops' feed offsets.
func (t *tally) offsets() []uint64 {
	out := make([]uint64, len(t.acked))
	for i, a := range t.acked {
		out[i] = a.offset
	}
	return out
}

// feedMatch is the feed-side outcome: every acknowledged op must be on the
// feed at its offset, as a user op with the same sender and nonce.
type feedMatch struct {
	missing, mismatched int
	latency             []time.Duration // submit → feed arrival, window starts only
}

// matchFeed checks the acknowledged ops against the feed entries.
func matchFeed(t *tally, entries map[uint64]feedEntry, senders []common.Address, w window) feedMatch {
	var m feedMatch
	for _, a := range t.acked {
		e, ok := entries[a.offset]
		switch {
		case !ok:
			m.missing++
		case e.Kind != "user_op" || e.Nonce != a.rec.nonce || !strings.EqualFold(e.Sender, senders[a.rec.sender].Hex()):
			m.mismatched++
		case w.contains(a.rec.start):
			m.latency = append(m.latency, time.Duration(e.at-a.rec.start))
		}
	}
	return m
}

// fill copies the tally and feed match into the report.
func (r *Report) fill(t tally, m feedMatch, w window) {
	r.DurationSeconds = w.seconds()
	r.Accepted = t.accepted
	if s := w.seconds(); s > 0 {
		r.AcceptedPerSec = float64(t.accepted) / s
	}
	r.Ack = summarize(t.ackLatency)
	r.Feed = summarize(m.latency)
	r.NonOK = t.nonOK
	r.TransportErrors = t.transportError
	r.Acked = len(t.acked)
	r.Missing = m.missing
	r.Mismatched = m.mismatched + t.echoMismatch
	r.Unmatched = r.Missing + r.Mismatched
}
