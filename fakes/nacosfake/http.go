package nacosfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// httpRoute is one Open API endpoint; op is also its ServeMux pattern
// under the default "/nacos" context path.
type httpRoute struct {
	op     Op
	public bool // no auth (login, health)
	fn     func(s *Server, w http.ResponseWriter, r *http.Request, q url.Values)
}

var httpRoutes = slices.Concat(httpV1Routes, httpV2Routes, httpV2NamingRoutes)

var httpV1Routes = []httpRoute{
	{OpHTTPGetConfig, false, httpGetConfig},
	{OpHTTPPublishConfig, false, httpPublishConfig},
	{OpHTTPDeleteConfig, false, httpDeleteConfig},
	{OpHTTPListenConfig, false, httpListenConfig},
	{OpHTTPRegisterInstance, false, httpRegisterInstance},
	{OpHTTPDeregisterInstance, false, httpDeregisterInstance},
	{OpHTTPUpdateInstance, false, httpUpdateInstance},
	{OpHTTPPatchInstance, false, httpPatchInstance},
	{OpHTTPGetInstance, false, httpGetInstance},
	{OpHTTPListInstances, false, httpListInstances},
	{OpHTTPBeat, false, httpBeat},
	{OpHTTPListServices, false, httpServiceList},
	{OpHTTPGetService, false, httpGetService},
	{OpHTTPCreateService, false, httpCreateService},
	{OpHTTPUpdateService, false, httpUpdateService},
	{OpHTTPDeleteService, false, httpDeleteService},
	{OpHTTPMetrics, true, httpMetrics},
	{OpHTTPGetNamespaces, true, httpGetNamespaces}, // Nacos 2.x: no @Secured on the GETs
	{OpHTTPCreateNamespace, false, httpCreateNamespace},
	{OpHTTPUpdateNamespace, false, httpUpdateNamespace},
	{OpHTTPDeleteNamespace, false, httpDeleteNamespace},
	{OpHTTPReadiness, true, httpOK},
	{OpHTTPLiveness, true, httpOK},
	{OpHTTPLogin, true, httpLogin},
	{OpHTTPUsersLogin, true, httpLogin},
}

const maxFormBytes = 16 << 20 // above the 10 MiB content limit

// httpHandler routes the Open API on a ServeMux, one handler per route,
// each at "METHOD <context path>/v1/..." and with a trailing slash.
func (s *Server) httpHandler() http.Handler {
	mux := http.NewServeMux()
	ctxPath := strings.TrimSuffix(s.opts.contextPath, "/")
	paths := map[string]bool{}
	for _, rt := range httpRoutes {
		method, path, _ := strings.Cut(string(rt.op), " ")
		path = ctxPath + strings.TrimPrefix(path, "/nacos")
		h := s.httpRouteHandler(rt)
		mux.Handle(method+" "+path, h)
		mux.Handle(method+" "+path+"/{$}", h)
		paths[path] = true
	}
	// Spring's answers for a known path with another method, and for
	// unknown paths.
	for path := range paths {
		mux.HandleFunc(path, s.httpNoRoute(true))
		mux.HandleFunc(path+"/{$}", s.httpNoRoute(true))
	}
	mux.HandleFunc("/", s.httpNoRoute(false))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enterHTTP() {
			http.Error(w, "server is stopping", http.StatusServiceUnavailable)
			return
		}
		defer s.httpWG.Done()
		mux.ServeHTTP(w, r)
	})
}

// httpRouteHandler wraps one route with what every route does: parameters,
// faults and auth.
func (s *Server) httpRouteHandler(rt httpRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := httpParams(r)
		if err != nil {
			http.Error(w, "caused: "+err.Error(), http.StatusBadRequest)
			return
		}
		code, fail, ok := s.checkFault(string(rt.op), func() []string { return httpTargets(q) })
		if !ok {
			http.Error(w, "server is stopping", http.StatusServiceUnavailable)
			return
		}
		if fail {
			if code < 100 || code > 599 {
				code = http.StatusInternalServerError
			}
			http.Error(w, "nacosfake: injected fault", code)
			return
		}
		if !rt.public {
			if msg := s.httpAuthMessage(q, r); msg != "" {
				s.sendError(w, r, http.StatusForbidden) // AuthFilter's sendError
				return
			}
			if s.httpSignatureMessage(rt.op, q, r) != "" {
				s.sendError(w, r, http.StatusForbidden)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		rt.fn(s, w, r, q)
	})
}

// httpTargets are the names a fault rule's target matches in an HTTP
// request: dataId and serviceName (with and without its group@@ prefix).
func httpTargets(q url.Values) []string {
	var out []string
	if v := q.Get("dataId"); v != "" {
		out = append(out, v)
	}
	if v := q.Get("serviceName"); v != "" {
		out = append(out, v)
		if _, n, ok := strings.Cut(v, "@@"); ok {
			out = append(out, n)
		}
	}
	return out
}

// httpAuthMessage returns "" when the request may proceed, else the 403 message.
func (s *Server) httpAuthMessage(q url.Values, r *http.Request) string {
	if !s.authEnabled() {
		return ""
	}
	// Nacos's HttpIdentityContextBuilder reads each identity key from the
	// headers, then the parameters; its auth plugin takes Authorization
	// only in the "Bearer " form, else accessToken, else logs in with
	// username and password.
	get := func(k string) string {
		if v := r.Header.Get(k); v != "" {
			return v
		}
		return q.Get(k)
	}
	tok, ok := strings.CutPrefix(get("Authorization"), "Bearer ")
	if !ok {
		tok = get("accessToken")
	}
	msg := s.checkToken(tok)
	if msg != "" && tok == "" && s.checkPassword(get("username"), get("password")) {
		msg = "" // npm-style raw credentials on every request
	}
	return msg
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
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // Jackson leaves <, > and & as they are
	_ = enc.Encode(v)
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
