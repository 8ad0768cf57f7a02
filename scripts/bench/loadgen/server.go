package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Timings of a server process.
const (
	startTimeout = 15 * time.Second
	// stopTimeout is longer than the servers' own grace period (5 s).
	stopTimeout = 10 * time.Second
	keepLines   = 40
	// clockTicks is the unit of /proc/PID/stat's CPU times (USER_HZ,
	// 100 on every Linux the generator runs on).
	clockTicks = 100
)

// ready matches the start-up line of every stage, ChatProto's ("Server
// started on 0.0.0.0:PORT") and ClassChat's ("... server started on
// 127.0.0.1:PORT").
var ready = regexp.MustCompile(`[Ss]erver started on [0-9.]+:(\d+)$`)

// slowLine is what a hub logs when it cuts a slow consumer off.
const slowLine = "slow consumer"

// Server is a server binary running in a process of its own.
type Server struct {
	Addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu    sync.Mutex
	tail  []string      // its last lines of output
	cuts  int           // slow consumers it has cut off
	cutCh chan struct{} // receives at every cut-off, if there is room

	memLines chan string // its memory lines (memory.go)
}

// StartServer runs the stage's binary from dir on port 0 and waits for
// its start-up line. scratch holds the files the server keeps
// (certificates, databases); extra arguments go before the port.
func StartServer(ctx context.Context, st Stage, dir, scratch string, extra ...string) (*Server, error) {
	bin := filepath.Join(dir, st.Binary)
	if st.self {
		var err error
		if bin, err = selfBinary(); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w: %s (make build, or make %s)", ErrNoBinary, bin, bin)
	}
	cmd := exec.Command(bin, append(extra, st.args(scratch)...)...)
	cmd.Dir = scratch
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	w.Close()
	s := &Server{cmd: cmd, done: make(chan struct{}), cutCh: make(chan struct{}, 1), memLines: make(chan string, 1)}
	port := make(chan string, 1)
	go s.drain(r, port)
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p := <-port:
		s.Addr = "127.0.0.1:" + p
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%w: %s exited (%v): %s", ErrServerStart, st.Binary, s.err, s.Tail())
	case <-timer.C:
	case <-ctx.Done():
	}
	s.Stop()
	return nil, fmt.Errorf("%w: no start-up line from %s in %s: %s", ErrServerStart, st.Binary, startTimeout, s.Tail())
}

// drain reads the server's output to the end, so that its logging never
// blocks: it keeps the last lines, counts the slow consumers cut off, and
// sends the port of the start-up line.
func (s *Server) drain(r *os.File, port chan<- string) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	started := false
	for sc.Scan() {
		line := sc.Text()
		if !started {
			if m := ready.FindStringSubmatch(line); m != nil {
				started = true
				port <- m[1]
			}
		}
		s.mu.Lock()
		if len(s.tail) == keepLines {
			s.tail = append(s.tail[:0], s.tail[1:]...)
		}
		s.tail = append(s.tail, line)
		if strings.Contains(line, slowLine) {
			s.cuts++
			select {
			case s.cutCh <- struct{}{}:
			default:
			}
		}
		s.mu.Unlock()
		s.noteMemory(line)
	}
}

// Tail returns the server's last lines of output.
func (s *Server) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// SlowCuts returns how many slow consumers the server has logged cutting
// off.
func (s *Server) SlowCuts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cuts
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop asks the server to shut down (SIGTERM), and kills it if it has not
// exited in time.
func (s *Server) Stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-s.done:
		return s.err
	case <-timer.C:
		s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("%w: killed after %s", ErrServerStop, stopTimeout)
	}
}

// RSS returns the server's resident memory in bytes, from
// /proc/PID/status.
func (s *Server) RSS() (int64, error) { return rss(s.Pid()) }

// CPU returns the CPU time the server has used, user and system.
func (s *Server) CPU() (time.Duration, error) { return procCPU(s.Pid()) }

func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(rest)) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU returns the CPU time the whole machine has spent busy
// (steal included: time another guest of the host took) and, of it, in
// software interrupts: loopback TCP does much of its work there, charged
// to neither process. From /proc/stat.
func machineCPU() (busy, softirq time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	// user nice system idle iowait irq softirq steal
	var ticks [8]int64
	for i := range ticks {
		ticks[i], _ = strconv.ParseInt(f[1+i], 10, 64)
	}
	all := ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
	return time.Duration(all) * time.Second / clockTicks, time.Duration(ticks[6]) * time.Second / clockTicks
}
