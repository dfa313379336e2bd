package nacosfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// httpRoute is one Open API endpoint.
type httpRoute struct {
	method, path string
	public       bool // no auth (login, health)
	fn           func(s *Server, w http.ResponseWriter, r *http.Request, q url.Values)
}

var httpRoutes = []httpRoute{
	{"GET", "/nacos/v1/cs/configs", false, httpGetConfig},
	{"POST", "/nacos/v1/cs/configs", false, httpPublishConfig},
	{"DELETE", "/nacos/v1/cs/configs", false, httpDeleteConfig},
	{"POST", "/nacos/v1/cs/configs/listener", false, httpListenConfig},
	{"POST", "/nacos/v1/ns/instance", false, httpRegisterInstance},
	{"DELETE", "/nacos/v1/ns/instance", false, httpDeregisterInstance},
	{"PUT", "/nacos/v1/ns/instance", false, httpUpdateInstance},
	{"PATCH", "/nacos/v1/ns/instance", false, httpPatchInstance},
	{"GET", "/nacos/v1/ns/instance", false, httpGetInstance},
	{"GET", "/nacos/v1/ns/instance/list", false, httpListInstances},
	{"PUT", "/nacos/v1/ns/instance/beat", false, httpBeat},
	{"GET", "/nacos/v1/ns/service/list", false, httpServiceList},
	{"GET", "/nacos/v1/ns/service", false, httpGetService},
	{"POST", "/nacos/v1/ns/service", false, httpCreateService},
	{"PUT", "/nacos/v1/ns/service", false, httpUpdateService},
	{"DELETE", "/nacos/v1/ns/service", false, httpDeleteService},
	{"GET", "/nacos/v1/ns/operator/metrics", true, httpMetrics},
	{"GET", "/nacos/v1/console/namespaces", false, httpGetNamespaces},
	{"POST", "/nacos/v1/console/namespaces", false, httpCreateNamespace},
	{"PUT", "/nacos/v1/console/namespaces", false, httpUpdateNamespace},
	{"DELETE", "/nacos/v1/console/namespaces", false, httpDeleteNamespace},
	{"GET", "/nacos/v1/console/health/readiness", true, httpOK},
	{"GET", "/nacos/v1/console/health/liveness", true, httpOK},
	{"POST", "/nacos/v1/auth/login", true, httpLogin},
	{"POST", "/nacos/v1/auth/users/login", true, httpLogin},
}

const maxFormBytes = 16 << 20 // above the 10 MiB content limit

func (s *Server) httpHandler() http.Handler {
	byPath := map[string]map[string]httpRoute{}
	for _, rt := range httpRoutes {
		if byPath[rt.path] == nil {
			byPath[rt.path] = map[string]httpRoute{}
		}
		byPath[rt.path][rt.method] = rt
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enterHTTP() {
			http.Error(w, "server is stopping", http.StatusServiceUnavailable)
			return
		}
		defer s.httpWG.Done()
		rest, ok := strings.CutPrefix(r.URL.Path, strings.TrimSuffix(s.opts.contextPath, "/"))
		methods, found := byPath["/nacos"+strings.TrimSuffix(rest, "/")]
		if !ok || !found {
			http.Error(w, "Not Found: "+r.URL.Path, http.StatusNotFound)
			return
		}
		rt, ok := methods[r.Method]
		if !ok {
			http.Error(w, "Request method '"+r.Method+"' not supported", http.StatusMethodNotAllowed)
			return
		}
		q, err := httpParams(r)
		if err != nil {
			http.Error(w, "caused: "+err.Error(), http.StatusBadRequest)
			return
		}
		op := rt.method + " " + rt.path
		code, fail, delay := s.faults.Check(op)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if fail {
			if code < 100 || code > 599 {
				code = http.StatusInternalServerError
			}
			http.Error(w, "nacosfake: injected fault", code)
			return
		}
		if !rt.public && s.authEnabled() {
			tok := q.Get("accessToken")
			if tok == "" {
				tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			}
			if msg := s.checkToken(tok); msg != "" {
				if tok == "" && q.Get("username") == s.opts.username && q.Get("password") == s.opts.password {
					msg = "" // npm-style raw credentials on every request
				}
				if msg != "" {
					http.Error(w, msg, http.StatusForbidden)
					return
				}
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		rt.fn(s, w, r, q)
	})
}

// enterHTTP registers a live handler unless the listeners are stopping, so
// stop can wait for every handler without racing new ones.
func (s *Server) enterHTTP() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stopping:
		return false
	default:
		s.httpWG.Add(1)
		return true
	}
}

// httpParams merges the query string and an urlencoded body, as Spring does
// for every method (including DELETE, which net/http leaves unparsed).
func httpParams(r *http.Request) (url.Values, error) {
	q := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body == nil || (ct != "application/x-www-form-urlencoded" && !(ct == "" && r.Method != "GET")) {
		return q, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFormBytes {
		return nil, errTooLarge
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, err
	}
	for k, vs := range form {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	return q, nil
}

type httpError string

func (e httpError) Error() string { return string(e) }

const errTooLarge = httpError("request body too large")

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, s)
}

func httpMetrics(s *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
	s.mu.Lock()
	n := 0
	for _, svc := range s.services {
		n += len(svc.instances())
	}
	svcs := len(s.services)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"status": "UP", "serviceCount": svcs, "instanceCount": n})
}

func httpOK(_ *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
	writeText(w, 200, "OK")
}

func httpLogin(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	user := q.Get("username")
	tok, msg := s.login(user, q.Get("password"))
	if msg != "" {
		writeText(w, http.StatusForbidden, msg)
		return
	}
	w.Header().Set("Authorization", "Bearer "+tok)
	writeJSON(w, map[string]any{"accessToken": tok, "tokenTtl": int64(s.opts.tokenTTL.Seconds()), "globalAdmin": true, "username": user})
}
