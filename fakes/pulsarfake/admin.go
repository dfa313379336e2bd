package pulsarfake

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The admin REST subset lives under /admin/v2 at the paths pulsaradmin
// uses: clusters, tenants, namespaces, topics (partitioned and not),
// subscriptions, stats and schemas, plus the HTTP lookup under
// /lookup/v2. Every route is one net/http.ServeMux pattern with its own
// handler. Errors are {"reason": ...} with the broker's status codes; a
// path no route knows answers 404 and a known path with another method
// 405 (with Allow), as the broker's Jersey does, in the same JSON shape.

func (s *Server) startAdmin() error {
	ln, err := net.Listen("tcp", s.opts.adminAddr)
	if err != nil {
		return fmt.Errorf("pulsarfake: admin listen %s: %w", s.opts.adminAddr, err)
	}
	s.adminLn = ln
	s.adminURL = "http://" + advertise(ln.Addr())
	var tlsLn net.Listener
	if s.serverTLS != nil {
		if tlsLn, err = net.Listen("tcp", s.opts.adminTLSAddr); err != nil {
			ln.Close()
			return fmt.Errorf("pulsarfake: admin TLS listen %s: %w", s.opts.adminTLSAddr, err)
		}
		s.adminURLTLS = "https://" + sameHost(s.advertised, tlsLn.Addr())
	}
	// Jetty's connector closes a connection idle for 30 s, mid-request
	// included; net/http's closest are a whole-request read limit and an
	// idle limit between requests.
	s.adminSrv = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: s.opts.httpTimeout, IdleTimeout: s.opts.httpTimeout}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.adminSrv.Serve(ln)
	}()
	if tlsLn != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.adminSrv.Serve(tls.NewListener(tlsLn, s.serverTLS))
		}()
	}
	return nil
}

// adminHandler serves the OAuth2 issuer (which needs no credentials to
// hand them out), checks credentials, then routes.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	s.adminRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.serveOAuth2(w, r) {
			return
		}
		if err := s.adminAuth(r); err != nil {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"reason": "Authentication required"})
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			// No route: ServeMux answers 404 or 405 in plain text.
			mux.ServeHTTP(&jsonStatus{ResponseWriter: w}, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// adminRoutes registers one handler per route.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	h := func(pattern string, f func(*http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			out, err := f(r)
			writeResult(w, out, err)
		})
	}
	h("GET /admin/v2/clusters", s.adminClusters)
	h("GET /admin/v2/brokers/{cluster}", s.adminBrokers)
	h("GET /admin/v2/brokers", s.adminBrokers)
	s.adminBrokerRoutes(h, mux)

	h("GET /admin/v2/tenants", s.adminListTenants)
	h("GET /admin/v2/tenants/{tenant}", s.adminGetTenant)
	h("PUT /admin/v2/tenants/{tenant}", s.adminCreateTenant)
	h("POST /admin/v2/tenants/{tenant}", s.adminUpdateTenant)
	h("DELETE /admin/v2/tenants/{tenant}", s.adminDeleteTenant)

	h("GET /admin/v2/namespaces/{tenant}", s.adminListNamespaces)
	h("GET /admin/v2/namespaces/{tenant}/{ns}", s.adminGetNamespace)
	h("PUT /admin/v2/namespaces/{tenant}/{ns}", s.adminCreateNamespace)
	h("DELETE /admin/v2/namespaces/{tenant}/{ns}", s.adminDeleteNamespace)
	h("GET /admin/v2/namespaces/{tenant}/{ns}/topics", s.adminNamespaceTopics)
	s.adminPolicyRoutes(h)

	for _, domain := range []string{"persistent", "non-persistent"} {
		s.adminTopicRoutes(h, domain)
	}

	h("GET /admin/v2/schemas/{tenant}/{ns}/{topic}/schema", s.adminGetSchema)
	h("GET /admin/v2/schemas/{tenant}/{ns}/{topic}/schema/{version}", s.adminGetSchema)
	h("POST /admin/v2/schemas/{tenant}/{ns}/{topic}/schema", s.adminPostSchema)
	h("DELETE /admin/v2/schemas/{tenant}/{ns}/{topic}/schema", s.adminDeleteSchema)
	s.adminSchemaRoutes(h)

	h("GET /lookup/v2/topic/{domain}/{tenant}/{ns}/{topic}", s.adminLookup)
}

// jsonStatus turns the plain-text answer ServeMux gives a request no route
// matches (404, or 405 with Allow) into the admin API's JSON error.
type jsonStatus struct {
	http.ResponseWriter
	wrote bool
}

func (j *jsonStatus) WriteHeader(code int) {
	if j.wrote {
		return
	}
	j.wrote = true
	j.Header().Del("X-Content-Type-Options")
	writeJSON(j.ResponseWriter, code, map[string]string{"reason": http.StatusText(code)})
}

func (j *jsonStatus) Write(b []byte) (int, error) {
	if !j.wrote {
		j.WriteHeader(http.StatusOK)
	}
	return len(b), nil // ServeMux's own text is replaced by the JSON above
}

type httpError struct {
	status int
	reason string
}

func (e *httpError) Error() string { return e.reason }

func herr(status int, format string, args ...any) *httpError {
	return &httpError{status: status, reason: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		b, _ := json.Marshal(v) // no trailing newline: clients parse bare strings
		w.Write(b)
	}
}

// writeResult answers with out (204 when nil) or with err's status.
func writeResult(w http.ResponseWriter, out any, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, map[string]string{"reason": he.reason})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"reason": err.Error()})
	case out == nil:
		w.WriteHeader(http.StatusNoContent)
	case isRaw(out):
		raw := out.(*rawResponse)
		for k, v := range raw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		w.Write(raw.body)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// param is a path wildcard. Names arrive escaped once by the HTTP layer
// and once more by pulsaradmin; ServeMux undoes the first, the broker
// decodes both.
func param(r *http.Request, name string) string {
	v := r.PathValue(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// namespaceParam is "{tenant}/{ns}".
func namespaceParam(r *http.Request) string { return param(r, "tenant") + "/" + param(r, "ns") }

func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return herr(http.StatusBadRequest, "reading body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return herr(http.StatusBadRequest, "invalid body: %v", err)
	}
	return nil
}

func boolParam(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

func (s *Server) adminAuth(r *http.Request) error {
	if !s.opts.authRequired {
		return nil
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && s.opts.tlsAuth {
		return nil // verified by the handshake; the role is its common name
	}
	if user, password, ok := r.BasicAuth(); ok {
		_, err := s.authenticate("basic", []byte(user+":"+password))
		return err
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		if s.opts.anonymousRole != "" && r.Header.Get("Authorization") == "" {
			return nil
		}
		return errors.New("no credentials")
	}
	_, err := s.authenticate("token", []byte(tok))
	return err
}

func (s *Server) adminClusters(*http.Request) (any, error) { return []string{s.opts.clusterName}, nil }

func (s *Server) adminBrokers(*http.Request) (any, error) { return []string{s.advertised}, nil }

// ------------------------------------------------------------- tenants ---

func (s *Server) adminListTenants(*http.Request) (any, error) { return s.Tenants(), nil }

func (s *Server) adminGetTenant(r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tenants[param(r, "tenant")]; t != nil {
		return t, nil
	}
	return nil, herr(http.StatusNotFound, "Tenant does not exist")
}

func (s *Server) adminCreateTenant(r *http.Request) (any, error) { return nil, s.putTenant(r, true) }

func (s *Server) adminUpdateTenant(r *http.Request) (any, error) { return nil, s.putTenant(r, false) }

// putTenant creates (PUT) or updates (POST) a tenant.
func (s *Server) putTenant(r *http.Request, create bool) error {
	info := &TenantInfo{}
	if err := decodeBody(r, info); err != nil {
		return err
	}
	if info.AdminRoles == nil {
		info.AdminRoles = []string{}
	}
	if info.AllowedClusters == nil {
		info.AllowedClusters = []string{s.opts.clusterName}
	}
	name := param(r, "tenant")
	if err := checkName(name); err != nil {
		return herr(http.StatusPreconditionFailed, "Tenant name is not valid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, exists := s.tenants[name]
	if create && exists {
		return herr(http.StatusConflict, "Tenant already exists")
	}
	if !create && !exists {
		return herr(http.StatusNotFound, "Tenant does not exist")
	}
	s.tenants[name] = info
	s.logLocked(change{Kind: chTenant, Name: name, Tenant: info})
	return nil
}

func (s *Server) adminDeleteTenant(r *http.Request) (any, error) {
	name := param(r, "tenant")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[name]; !ok {
		return nil, herr(http.StatusNotFound, "Tenant does not exist")
	}
	for ns := range s.namespaces {
		if strings.HasPrefix(ns, name+"/") {
			if !boolParam(r, "force") {
				return nil, herr(http.StatusConflict, "The tenant still has active namespaces")
			}
			delete(s.namespaces, ns)
			s.logLocked(change{Kind: chNS, Name: ns})
		}
	}
	delete(s.tenants, name)
	s.logLocked(change{Kind: chTenant, Name: name})
	return nil, nil
}

// ---------------------------------------------------------- namespaces ---

func (s *Server) adminListNamespaces(r *http.Request) (any, error) {
	tenant := param(r, "tenant")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants[tenant] == nil {
		return nil, herr(http.StatusNotFound, "Tenant does not exist")
	}
	out := []string{}
	for ns := range s.namespaces {
		if strings.HasPrefix(ns, tenant+"/") {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Server) adminNamespaceTopics(r *http.Request) (any, error) {
	ns := namespaceParam(r)
	if err := s.needNamespace(ns); err != nil {
		return nil, err
	}
	switch r.URL.Query().Get("mode") {
	case "NON_PERSISTENT":
		return nonNil(s.topicsIn(ns, false, true)), nil
	case "ALL":
		return nonNil(s.topicsIn(ns, true, true)), nil
	default:
		return nonNil(s.topicsIn(ns, true, false)), nil
	}
}

func (s *Server) adminGetNamespace(r *http.Request) (any, error) {
	if err := s.needNamespace(namespaceParam(r)); err != nil {
		return nil, err
	}
	return map[string]any{"bundles": map[string]any{"numBundles": 4}}, nil
}

func (s *Server) adminCreateNamespace(r *http.Request) (any, error) {
	ns := namespaceParam(r)
	if checkName(param(r, "tenant")) != nil || checkName(param(r, "ns")) != nil {
		return nil, herr(http.StatusPreconditionFailed, "Namespace name is not valid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants[param(r, "tenant")] == nil {
		return nil, herr(http.StatusNotFound, "Tenant does not exist")
	}
	if s.namespaces[ns] {
		return nil, herr(http.StatusConflict, "Namespace already exists")
	}
	s.namespaces[ns] = true
	s.logLocked(change{Kind: chNS, Name: ns, Present: true})
	return nil, nil
}

func (s *Server) adminDeleteNamespace(r *http.Request) (any, error) {
	ns := namespaceParam(r)
	if err := s.needNamespace(ns); err != nil {
		return nil, err
	}
	topics := s.topicsIn(ns, true, true)
	if len(topics) > 0 && !boolParam(r, "force") {
		return nil, herr(http.StatusConflict, "Cannot delete non empty namespace")
	}
	for _, t := range topics {
		s.DeleteTopic(t)
	}
	s.policies.dropScope(ns)
	s.mu.Lock()
	delete(s.namespaces, ns)
	s.logLocked(change{Kind: chNS, Name: ns})
	s.mu.Unlock()
	return nil, nil
}

func (s *Server) needNamespace(ns string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.namespaces[ns] {
		return herr(http.StatusNotFound, "Namespace does not exist")
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---------------------------------------------------------------- lookup ---

func (s *Server) adminLookup(r *http.Request) (any, error) {
	if _, err := parseTopic(param(r, "domain") + "://" + namespaceParam(r) + "/" + param(r, "topic")); err != nil {
		return nil, herr(http.StatusPreconditionFailed, "%v", err)
	}
	return map[string]string{"brokerUrl": s.serviceURL, "brokerUrlTls": s.serviceURLTLS, "httpUrl": s.adminURL, "httpUrlTls": s.adminURLTLS}, nil
}
