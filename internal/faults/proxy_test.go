package faults

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startEcho runs a line echo server until the test ends.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// roundTrip sends a line on c and reads it back.
func roundTrip(c net.Conn, r *bufio.Reader, msg string) error {
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(c, msg); err != nil {
		return err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != msg+"\n" {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	return nil
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// refusedQuickly reports whether a new connection through the proxy is
// closed (EOF or reset) without an answer, well before a timeout.
func refusedQuickly(t *testing.T, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return true
	}
	defer c.Close()
	start := time.Now()
	err = roundTrip(c, bufio.NewReader(c), "hello?")
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout()) && time.Since(start) < 4*time.Second
}

func TestProxyForwardsCutsAndRestores(t *testing.T) {
	p := StartProxy(t, startEcho(t))
	require.Equal(t, "http://"+p.Addr(), p.URL())

	c1, r1 := dial(t, p.Addr())
	require.NoError(t, roundTrip(c1, r1, "one"))
	require.NoError(t, roundTrip(c1, r1, "two"))
	require.Equal(t, int64(1), p.Accepted())
	require.Equal(t, 1, p.Live())

	p.Cut()
	require.True(t, p.IsCut())
	require.Error(t, roundTrip(c1, r1, "after cut"), "a live connection is closed by the cut")
	require.True(t, refusedQuickly(t, p.Addr()), "a new connection is refused while cut")
	require.True(t, refusedQuickly(t, p.Addr()))
	require.GreaterOrEqual(t, p.Refused(), int64(2))
	require.Equal(t, 0, p.Live())

	p.Restore()
	require.False(t, p.IsCut())
	c2, r2 := dial(t, p.Addr())
	require.NoError(t, roundTrip(c2, r2, "back"))
	require.Equal(t, int64(2), p.Accepted())
}

func TestProxyUnreachableTargetIsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	p := StartProxy(t, target)
	require.True(t, refusedQuickly(t, p.Addr()))
	require.Equal(t, int64(1), p.Refused())
}

func TestProxyConcurrentUse(t *testing.T) {
	p := StartProxy(t, startEcho(t))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
				if err != nil {
					continue
				}
				_ = roundTrip(c, bufio.NewReader(c), fmt.Sprintf("client %d msg %d", i, n))
				c.Close()
			}
		}(i)
	}
	for i := 0; i < 20; i++ {
		p.Cut()
		time.Sleep(5 * time.Millisecond)
		p.Restore()
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	// Whatever happened during the storm, the proxy works afterwards.
	c, r := dial(t, p.Addr())
	require.NoError(t, roundTrip(c, r, "still works"))
	p.Close()
	p.Close() // idempotent
	require.Error(t, roundTrip(c, r, "closed"))
}

// silent reports whether msg sent on c gets no answer, and no error but a
// timeout, within wait: the connection is open and black-holed.
func silent(t *testing.T, c net.Conn, r *bufio.Reader, wait time.Duration) bool {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(wait)))
	_, err := fmt.Fprintln(c, "anyone?")
	require.NoError(t, err, "writes still succeed")
	_, err = r.ReadString('\n')
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestProxyBlackHoleDropsWithoutClosing(t *testing.T) {
	p := StartProxy(t, startEcho(t))
	c1, r1 := dial(t, p.Addr())
	require.NoError(t, roundTrip(c1, r1, "one"))

	p.BlackHole()
	require.True(t, silent(t, c1, r1, 300*time.Millisecond), "a live connection hangs: no answer, no EOF")
	c2, r2 := dial(t, p.Addr())
	require.True(t, silent(t, c2, r2, 300*time.Millisecond), "a new connection is accepted and hangs")
	require.Equal(t, 2, p.Live(), "nothing was closed")
	require.False(t, p.IsCut())

	p.Restore()
	c3, r3 := dial(t, p.Addr())
	require.NoError(t, roundTrip(c3, r3, "back"))
}
