package nacosfake

import (
	"html"
	"net/http"
	"strings"
)

// Error bodies of Nacos 2.x (Spring Boot 2.7) for requests no controller
// answers. Filters and unmatched paths go through response.sendError, which
// Spring Boot's BasicErrorController renders as
// {"timestamp","status","error","path"} (server.error.include-message is
// "never", so the filter's message is not shown), or as the Whitelabel HTML
// page for clients that accept text/html.

// springTime is Jackson's java.util.Date format under Spring Boot
// (WRITE_DATES_AS_TIMESTAMPS off), in the server's UTC zone.
const springTime = "2006-01-02T15:04:05.000-07:00"

// sendError answers as Spring's response.sendError(status) does.
func (s *Server) sendError(w http.ResponseWriter, r *http.Request, status int) {
	now := s.now().UTC()
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><body><h1>Whitelabel Error Page</h1><p>This application has no explicit mapping for /error, so you are seeing this as a fallback.</p><div id='created'>" +
			now.Format("Mon Jan 02 15:04:05 MST 2006") + "</div><div>There was an unexpected error (type=" +
			http.StatusText(status) + ", status=" + itoa(status) + ").</div></body></html>"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	writeJSON(w, springErrorBody{now.Format(springTime), status, http.StatusText(status), r.URL.Path})
}

// springErrorBody keeps DefaultErrorAttributes' key order.
type springErrorBody struct {
	Timestamp string `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Path      string `json:"path"`
}

// httpNoRoute answers a path no route has, or a route's path with another
// method. Naming's DistroFilter answers every /v1/ns/* request without a
// controller method with 501; elsewhere an unknown path is Spring's 404,
// and a known path with another method raises
// HttpRequestMethodNotSupportedException, which the console's catch-all
// ConsoleExceptionHandler turns into a 500 (a RestResult under /v2).
func (s *Server) httpNoRoute(knownPath bool) http.HandlerFunc {
	ns := strings.TrimSuffix(s.opts.contextPath, "/") + "/v1/ns/"
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, ns):
			s.sendError(w, r, http.StatusNotImplemented)
		case !knownPath:
			s.sendError(w, r, http.StatusNotFound)
		default:
			msg := html.EscapeString("caused: Request method '" + r.Method + "' not supported;")
			if strings.Contains(r.URL.Path, "/v2") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				writeJSON(w, restResult{Code: 500, Message: msg})
				return
			}
			writeText(w, http.StatusInternalServerError, msg)
		}
	}
}

// restResult is Nacos's RestResult {code, message, data}, the v1 console
// and core envelope.
type restResult struct {
	Code    int `json:"code"`
	Message any `json:"message"`
	Data    any `json:"data"`
}
