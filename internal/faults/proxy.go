// Package faults injects infrastructure faults into tests that run real
// processes. Proxy is a TCP proxy that can cut every connection between a
// client and a server and refuse new ones until it is restored: an L1
// provider outage, seen from the process that talks to it.
//
//	p := faults.StartProxy(t, "127.0.0.1:8545")
//	// point the client at p.URL() instead of http://127.0.0.1:8545
//	p.Cut()       // live connections close; new ones are accepted and closed at once
//	p.BlackHole() // nothing closes, nothing gets through: a dead host or a partition
//	p.Restore()   // new connections are proxied again
package faults

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialTimeout bounds the connection to the target.
const dialTimeout = 5 * time.Second

// Proxy forwards every TCP connection accepted on 127.0.0.1 to a target
// address. All methods are safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	cut    bool
	closed bool
	// blackHole drops every byte in both directions without closing
	// anything (checked per read, so it hits live connections at once).
	blackHole atomic.Bool
	conns     map[net.Conn]struct{} // both ends of every live proxied pair
	wg        sync.WaitGroup        // the accept loop and every pair's goroutines

	accepted atomic.Int64
	refused  atomic.Int64
}

// StartProxy listens on 127.0.0.1:0 and proxies to target (host:port). It
// fails the test if it cannot listen, and closes the proxy (listener and
// every connection) in t.Cleanup.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faults: listen: %v", err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's listening address, 127.0.0.1:<port>.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is http://<Addr()>, for an HTTP JSON-RPC client.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Cut closes every live connection and refuses new ones (each is accepted
// and closed at once, so a client sees EOF or a reset, not a hang) until
// Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.takeConnsLocked()
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// BlackHole silently drops every byte in both directions, on live
// connections and on new ones (accepted and held open), and closes nothing:
// neither side sees an error or a reset, as when a host dies or the network
// partitions. Only each side's own timeouts and keepalives can tell; note
// that TCP keepalives are answered by the proxy's own sockets, so only
// application-level silence (e.g. the server's idle_session_timeout) and
// deadlines see through it. Restore stops dropping; bytes dropped meanwhile
// are gone, so connections that lost some are best closed by their owners.
func (p *Proxy) BlackHole() { p.blackHole.Store(true) }

// Restore proxies new connections again (ends Cut and BlackHole).
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
	p.blackHole.Store(false)
}

// IsCut reports whether the proxy is cut.
func (p *Proxy) IsCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// Accepted counts the connections proxied so far; Refused those closed at
// once because the proxy was cut (or the target was unreachable).
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Refused counts the connections refused so far.
func (p *Proxy) Refused() int64 { return p.refused.Load() }

// Live is the number of live proxied connections.
func (p *Proxy) Live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns) / 2
}

// Close stops listening, closes every connection and waits for the proxy's
// goroutines. Idempotent.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	conns := p.takeConnsLocked()
	p.mu.Unlock()
	_ = p.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	p.wg.Wait()
}

// takeConnsLocked empties the live set and returns what it held.
func (p *Proxy) takeConnsLocked() []net.Conn {
	out := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
	}
	clear(p.conns)
	return out
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient accept error (e.g. too many open files): go on.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		refuse := p.cut || p.closed
		if !refuse {
			p.wg.Add(1)
		}
		p.mu.Unlock()
		if refuse {
			p.refused.Add(1)
			_ = client.Close()
			continue
		}
		go p.serve(client)
	}
}

// serve connects client to the target and copies both ways until either
// side ends or the proxy cuts the pair.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		p.refused.Add(1)
		_ = client.Close()
		return
	}
	// Register the pair unless a Cut or Close happened while dialing.
	p.mu.Lock()
	if p.cut || p.closed {
		p.mu.Unlock()
		p.refused.Add(1)
		_ = client.Close()
		_ = server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	p.accepted.Add(1)

	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, blackHoleReader{src, &p.blackHole})
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	// One direction ended: end the pair (tests need no half-close).
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
	_ = client.Close()
	_ = server.Close()
	<-done
}

// blackHoleReader reads from r and, while on is set, discards what it read
// (reporting zero bytes without error, so the copy goes on reading: the
// sender's writes keep succeeding and the receiver gets nothing).
type blackHoleReader struct {
	r  io.Reader
	on *atomic.Bool
}

func (b blackHoleReader) Read(p []byte) (int, error) {
	for {
		n, err := b.r.Read(p)
		if err != nil || !b.on.Load() {
			return n, err
		}
	}
}
