package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// requestTimeout bounds one POST /tx.
const requestTimeout = 10 * time.Second

// Client names accepted by Options.Client.
const (
	ClientNetHTTP  = "nethttp"
	ClientFastHTTP = "fasthttp"
)

// poster sends one POST /tx and returns the status and response body
// (status 0 with an error on a transport failure).
type poster interface {
	post(body []byte) (int, []byte, error)
	close()
}

// newPoster returns the named HTTP client, sized for concurrency
// keep-alive connections to addr.
func newPoster(kind, addr string, concurrency int) (poster, error) {
	url := "http://" + addr + "/tx"
	switch kind {
	case ClientNetHTTP:
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * concurrency,
			MaxIdleConnsPerHost: 2 * concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
		return &netPoster{client: &http.Client{Transport: tr, Timeout: requestTimeout}, url: url}, nil
	case ClientFastHTTP:
		hc := &fasthttp.HostClient{
			Addr:                          addr,
			MaxConns:                      2 * concurrency,
			ReadTimeout:                   requestTimeout,
			WriteTimeout:                  requestTimeout,
			MaxIdleConnDuration:           90 * time.Second,
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
		}
		return &fastPoster{client: hc, url: url}, nil
	}
	return nil, fmt.Errorf("unknown client %q (want %s or %s)", kind, ClientNetHTTP, ClientFastHTTP)
}

// netPoster uses net/http with a keep-alive pool.
type netPoster struct {
	client *http.Client
	url    string
}

func (p *netPoster) post(body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

func (p *netPoster) close() { p.client.CloseIdleConnections() }

// fastPoster uses fasthttp's HostClient.
type fastPoster struct {
	client *fasthttp.HostClient
	url    string
}

func (p *fastPoster) post(body []byte) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(p.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.SetBodyRaw(body)
	if err := p.client.DoTimeout(req, resp, requestTimeout); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), bytes.Clone(resp.Body()), nil
}

func (p *fastPoster) close() { p.client.CloseIdleConnections() }

// record is one POST /tx as observed by the client. Times are ns since the
// run's epoch; status 0 is a transport error. The body is decoded after the
// load.
type record struct {
	start, ack int64
	sender     int32
	nonce      uint32
	status     int32
	body       []byte
}

// loadPlan is what the workers run.
type loadPlan struct {
	senders     []*sender
	concurrency int
	epoch       time.Time
	end         time.Duration // warm-up + duration, from epoch
}

// loadResult is what the workers observed.
type loadResult struct {
	records   []record
	stopped   time.Duration // when the last worker stopped sending, from epoch
	exhausted bool          // some sender ran out of pre-signed ops
	abandoned int           // senders dropped after a failed op
}

// runLoad runs plan.concurrency workers until plan.end or ctx ends. Worker
// w owns senders w, w+C, w+2C, … and sends their ops round-robin, each
// sender's in nonce order with never two in flight.
func runLoad(ctx context.Context, p poster, plan loadPlan) loadResult {
	workers := make([]*worker, plan.concurrency)
	var wg sync.WaitGroup
	for w := range workers {
		workers[w] = &worker{p: p, plan: &plan}
		for s := w; s < len(plan.senders); s += plan.concurrency {
			workers[w].owned = append(workers[w].owned, int32(s))
		}
		wg.Go(func() { workers[w].run(ctx) })
	}
	wg.Wait()
	var res loadResult
	res.stopped = time.Since(plan.epoch)
	for _, w := range workers {
		res.records = append(res.records, w.records...)
		res.exhausted = res.exhausted || w.exhausted
		res.abandoned += w.abandoned
	}
	return res
}

// worker is one closed-loop client.
type worker struct {
	p         poster
	plan      *loadPlan
	owned     []int32 // sender indexes still in play
	records   []record
	exhausted bool
	abandoned int
}

// run sends until the deadline, the context ends, or no sender is left.
func (w *worker) run(ctx context.Context) {
	next := make(map[int32]uint32, len(w.owned))
	deadline := w.plan.epoch.Add(w.plan.end)
	for len(w.owned) > 0 {
		for i := 0; i < len(w.owned); {
			if ctx.Err() != nil || !time.Now().Before(deadline) {
				return
			}
			s := w.owned[i]
			bodies := w.plan.senders[s].bodies
			if int(next[s]) >= len(bodies) {
				w.exhausted = true
				w.drop(i)
				continue
			}
			switch status := w.send(s, next[s], bodies[next[s]]); status {
			case http.StatusOK:
				next[s]++
				i++
			case http.StatusTooManyRequests:
				time.Sleep(time.Millisecond) // retry the same op: nothing was stored
				i++
			default:
				// Unknown outcome or a rejected nonce: later nonces of this
				// sender would all fail.
				w.abandoned++
				w.drop(i)
			}
		}
	}
}

// send posts one op and records it.
func (w *worker) send(s int32, nonce uint32, body []byte) int32 {
	start := time.Since(w.plan.epoch)
	status, resp, err := w.p.post(body)
	ack := time.Since(w.plan.epoch)
	if err != nil {
		status, resp = 0, []byte(err.Error())
	}
	w.records = append(w.records, record{start: int64(start), ack: int64(ack), sender: s, nonce: nonce,
		status: int32(status), body: resp})
	return int32(status)
}

// drop removes owned[i], keeping the round-robin order.
func (w *worker) drop(i int) { w.owned = append(w.owned[:i], w.owned[i+1:]...) }
