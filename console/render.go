package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var pageNames = []string{"overview", "kafka", "pulsar", "mqtt", "nacos"}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02 15:04:05.000")
	},
	"join": strings.Join,
	// link builds a page URL with query parameters given as pairs.
	"link": func(path string, kv ...any) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(fmt.Sprint(kv[i]), fmt.Sprint(kv[i+1]))
		}
		return path + "?" + q.Encode()
	},
	"formats": func() []string { return []string{"text", "hex", "json"} },
}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return err
		}
		s.pages[name] = t
	}
	_, err = fs.Stat(staticFS, "static/console.css")
	return err
}

func (s *Server) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := s.build(r.Context(), name, r.URL.Query())
		var buf bytes.Buffer
		if err := s.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	}
}

// events streams a page's live part (the "live" template) as Server-Sent
// Events whenever it changes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("page")
	t := s.pages[name]
	if t == nil || name != "overview" && s.backend(name) == nil {
		http.NotFound(w, r)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	s.streams.Add(1)
	defer s.streams.Done()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	q.Del("ok")
	q.Del("err")
	tick := time.NewTicker(s.refresh)
	defer tick.Stop()
	var last []byte
	for {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "live", s.build(r.Context(), name, q)); err != nil {
			return
		}
		if !bytes.Equal(buf.Bytes(), last) {
			last = bytes.Clone(buf.Bytes())
			var ev bytes.Buffer
			ev.WriteString("event: live\n")
			for _, line := range strings.Split(buf.String(), "\n") {
				ev.WriteString("data: " + line + "\n")
			}
			ev.WriteString("\n")
			if _, err := w.Write(ev.Bytes()); err != nil {
				return
			}
			fl.Flush()
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}
