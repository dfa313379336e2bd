package console

import (
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Option configures a Server.
type Option func(*Server)

// WithKafka shows a Kafka fake.
func WithKafka(k *kafkafake.Server) Option { return func(s *Server) { s.kafka = k } }

// WithPulsar shows a Pulsar fake.
func WithPulsar(p *pulsarfake.Server) Option { return func(s *Server) { s.pulsar = p } }

// WithMQTT shows an MQTT fake.
func WithMQTT(m *mqttfake.Server) Option { return func(s *Server) { s.mqtt = m } }

// WithNacos shows a Nacos fake.
func WithNacos(n *nacosfake.Server) Option { return func(s *Server) { s.nacos = n } }

// WithAddr sets the address to listen on (default "127.0.0.1:0", a free
// loopback port).
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// WithUser makes the console ask for HTTP Basic credentials and accept
// this name and password (repeatable).
func WithUser(name, password string) Option {
	return func(s *Server) { s.users = append(s.users, [2]string{name, password}) }
}

// WithRefresh sets how often live views look for changes (default 500 ms).
func WithRefresh(d time.Duration) Option { return func(s *Server) { s.refresh = d } }

// Server serves the console over HTTP.
type Server struct {
	kafka   *kafkafake.Server
	pulsar  *pulsarfake.Server
	mqtt    *mqttfake.Server
	nacos   *nacosfake.Server
	addr    string
	users   [][2]string
	refresh time.Duration

	pages    map[string]*template.Template
	backends []backend
	ln       net.Listener
	hs       *http.Server
	done     chan struct{}
	streams  sync.WaitGroup
	faultsMu sync.Mutex
	owned    map[int]*ownedFault
	nextID   int
	pageMu   sync.Mutex
	recPages map[pageKey][]*kgo.Record // Kafka record pages already read
}

// New starts serving the console for the given fakes (any subset).
func New(opts ...Option) (*Server, error) {
	s := &Server{addr: "127.0.0.1:0", refresh: 500 * time.Millisecond, done: make(chan struct{}), owned: map[int]*ownedFault{},
		recPages: map[pageKey][]*kgo.Record{}}
	for _, o := range opts {
		o(s)
	}
	s.backends = s.makeBackends()
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	s.ln = ln
	s.hs = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go s.hs.Serve(ln)
	return s, nil
}

// Addr is the host:port the console listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the console's address for a browser, e.g. http://127.0.0.1:8000/.
func (s *Server) URL() string { return "http://" + s.Addr() + "/" }

// Close stops serving and ends the live streams.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	err := s.hs.Close()
	s.streams.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Handler is the console's HTTP handler, to mount elsewhere.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.page("overview"))
	for _, b := range s.backends {
		name := b.name()
		mux.HandleFunc("GET /"+name, s.page(name))
		mux.HandleFunc("POST /"+name+"/faults", s.addFault(b))
		mux.HandleFunc("POST /"+name+"/faults/remove", s.removeFault(b))
		mux.HandleFunc("POST /"+name+"/faults/reset", s.resetFaults(b))
	}
	mux.HandleFunc("GET /events", s.events)
	s.actionRoutes(mux)
	var h http.Handler = http.NewCrossOriginProtection().Handler(mux)
	h = securityHeaders(h)
	if len(s.users) > 0 {
		h = s.basicAuth(h)
	}
	return h
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) basicAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, pw, ok := r.BasicAuth()
		if ok {
			for _, u := range s.users {
				n := subtle.ConstantTimeCompare([]byte(name), []byte(u[0]))
				p := subtle.ConstantTimeCompare([]byte(pw), []byte(u[1]))
				if n&p == 1 {
					h.ServeHTTP(w, r)
					return
				}
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="brokerkit console", charset="UTF-8"`)
		http.Error(w, "401 unauthorized", http.StatusUnauthorized)
	})
}
