package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/internal/tlsca"
)

// backend is one fake the CLI can run. Each lives in its own file and
// registers its flags; up starts the selected ones in order.
type backend interface {
	name() string
	flags(fs *flag.FlagSet)
	start(ctx context.Context, c *common) (*running, error)
}

// backends lists every backend in start order.
var backends []backend

func register(b backend) { backends = append(backends, b) }

// common holds the settings every backend shares.
type common struct {
	host    string
	dataDir string // "" keeps nothing; else each backend uses dataDir/<name>
	users   []user
	tls     *tlsca.CA
	caFile  string
}

type user struct{ name, password string }

// dir returns the backend's data directory, created, or "".
func (c *common) dir(backend string) (string, error) {
	if c.dataDir == "" {
		return "", nil
	}
	d := filepath.Join(c.dataDir, backend)
	return d, os.MkdirAll(d, 0o755)
}

// running is a started fake: what to tell the user, and how to stop it.
type running struct {
	Name  string            `json:"name"`
	Addrs map[string]string `json:"addresses"`       // role -> address or URL
	Env   map[string]string `json:"env"`             // BROKERKIT_* for external mode
	Notes []string          `json:"notes,omitempty"` // auth, TLS, persistence
	fake  any               // the *xfake.Server, for the console
	close func() error
}

// dialable rewrites wildcard listen addresses (--host 0.0.0.0) in what is
// printed into the loopback address a client on this machine can dial;
// clients elsewhere use this machine's name.
func (r *running) dialable() {
	fix := func(v string) string {
		for _, w := range []string{"0.0.0.0:", "[::]:"} {
			if strings.HasPrefix(v, w) {
				return "127.0.0.1:" + v[len(w):]
			}
			v = strings.ReplaceAll(v, "//"+w, "//127.0.0.1:")
		}
		return v
	}
	for k, v := range r.Addrs {
		r.Addrs[k] = fix(v)
	}
	for k, v := range r.Env {
		r.Env[k] = fix(v)
	}
}

type userList []user

func (u *userList) String() string { return fmt.Sprint(*u) }
func (u *userList) Set(v string) error {
	name, pw, ok := strings.Cut(v, ":")
	if !ok || name == "" {
		return errors.New("want name:password")
	}
	*u = append(*u, user{name, pw})
	return nil
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("brokerkit up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		c         common
		only      string
		users     userList
		useTLS    bool
		asJSON    bool
		stopLimit time.Duration
		choices   []string
		cons      consoleFlags
	)
	for _, b := range backends {
		choices = append(choices, b.name())
	}
	fs.StringVar(&only, "only", strings.Join(choices, ","), "comma-separated backends to run")
	fs.StringVar(&c.host, "host", "127.0.0.1", "address to bind (0.0.0.0 to serve containers or other hosts)")
	fs.StringVar(&c.dataDir, "data-dir", "", "keep data here across restarts (default: nothing is kept)")
	fs.Var(&users, "user", "require auth and accept this name:password (repeatable)")
	fs.BoolVar(&useTLS, "tls", false, "serve TLS with a generated CA (its file is printed)")
	fs.BoolVar(&asJSON, "json", false, "print connection details as JSON")
	fs.DurationVar(&stopLimit, "shutdown-timeout", 5*time.Second, "on Ctrl-C, wait this long for the fakes to stop, then exit (the data dir is crash-safe)")
	for _, b := range backends {
		b.flags(fs)
	}
	cons.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.users = users
	selected, err := selectBackends(only)
	if err != nil {
		fmt.Fprintln(stderr, "brokerkit:", err)
		return 2
	}
	if useTLS {
		cleanup, err := setupTLS(&c)
		if err != nil {
			fmt.Fprintln(stderr, "brokerkit:", err)
			return 1
		}
		defer cleanup()
	}

	var started []*running
	defer func() { stopAll(started, stopLimit, stderr) }()
	for _, b := range selected {
		r, err := b.start(ctx, &c)
		if err != nil {
			fmt.Fprintf(stderr, "brokerkit: start %s: %v\n", b.name(), err)
			return 1
		}
		r.dialable()
		started = append(started, r)
	}
	if r, err := startConsole(cons, &c, started); err != nil {
		fmt.Fprintln(stderr, "brokerkit: start console:", err)
		return 1
	} else if r != nil {
		r.dialable()
		started = append(started, r)
	}
	if asJSON {
		printJSON(stdout, started, &c)
	} else {
		printText(stdout, started, &c)
	}
	<-ctx.Done()
	if !asJSON {
		fmt.Fprintln(stdout, "\nbrokerkit: stopping")
	}
	return 0
}

func selectBackends(only string) ([]backend, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(strings.ToLower(n)); n != "" {
			want[n] = true
		}
	}
	var out []backend
	for _, b := range backends {
		if want[b.name()] {
			out = append(out, b)
			delete(want, b.name())
		}
	}
	if len(want) > 0 {
		var unknown []string
		for n := range want {
			unknown = append(unknown, n)
		}
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown backend %s in --only", strings.Join(unknown, ", "))
	}
	if len(out) == 0 {
		return nil, errors.New("--only selects no backend")
	}
	return out, nil
}

// setupTLS makes the CA every backend's certificate comes from and writes
// its certificate where clients can read it: the data dir, or a temporary
// directory removed on exit.
func setupTLS(c *common) (cleanup func(), err error) {
	ca, err := tlsca.New()
	if err != nil {
		return nil, err
	}
	dir, cleanup := c.dataDir, func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "brokerkit-tls-*"); err != nil {
			return nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c.tls, c.caFile = ca, filepath.Join(dir, "ca.pem")
	if err := ca.WriteCertPEM(c.caFile); err != nil {
		cleanup()
		return nil, err
	}
	return cleanup, nil
}

func printText(w io.Writer, rs []*running, c *common) {
	fmt.Fprintln(w, "brokerkit up: fakes running; Ctrl-C stops them")
	fmt.Fprintln(w)
	for _, r := range rs {
		roles := make([]string, 0, len(r.Addrs))
		for role := range r.Addrs {
			roles = append(roles, role)
		}
		sort.Strings(roles)
		for i, role := range roles {
			name := ""
			if i == 0 {
				name = r.Name
			}
			fmt.Fprintf(w, "  %-7s %-10s %s\n", name, role, r.Addrs[role])
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %-7s %-10s %s\n", "", "", n)
		}
	}
	if c.caFile != "" {
		fmt.Fprintf(w, "\n  TLS CA certificate: %s\n", c.caFile)
	}
	fmt.Fprintln(w, "\nPoint brokerkit tests at these fakes (external mode):")
	for _, line := range exportLines(rs) {
		fmt.Fprintln(w, "  "+line)
	}
}

func exportLines(rs []*running) []string {
	lines := []string{"export BROKERKIT_MODE=external"}
	for _, r := range rs {
		keys := make([]string, 0, len(r.Env))
		for k := range r.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			lines = append(lines, fmt.Sprintf("export %s=%s", k, shellQuote(r.Env[k])))
		}
	}
	return lines
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printJSON(w io.Writer, rs []*running, c *common) {
	out := struct {
		Backends []*running `json:"backends"`
		CAFile   string     `json:"ca_file,omitempty"`
		Exports  []string   `json:"exports"`
	}{rs, c.caFile, exportLines(rs)}
	enc := json.NewEncoder(w)
	enc.Encode(out)
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// stopAll stops the fakes side by side and waits at most limit: kfake saves
// a snapshot per partition on Close (fsynced), which takes half a minute for
// 100,000 partitions. Exiting before that is safe because every
// acknowledged write is already in the data dir, as after a crash.
func stopAll(started []*running, limit time.Duration, stderr io.Writer) {
	var mu sync.Mutex
	pending := map[string]bool{}
	var wg sync.WaitGroup
	for _, r := range started {
		pending[r.Name] = true
	}
	for _, r := range started {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.close(); err != nil {
				fmt.Fprintf(stderr, "brokerkit: stop %s: %v\n", r.Name, err)
			}
			mu.Lock()
			delete(pending, r.Name)
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		mu.Lock()
		names := slices.Sorted(maps.Keys(pending))
		mu.Unlock()
		fmt.Fprintf(stderr, "brokerkit: %s still stopping after %v; exiting anyway (acknowledged data is already in the data dir)\n", strings.Join(names, ", "), limit)
	}
}
