package nacosfake

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
)

// Namespaces through /v1/console/namespaces, so fixture code that creates a
// namespace on a real Nacos runs unchanged. The fake itself accepts any
// namespace id whether or not it was created, as Nacos 2.x does.

// Namespace is one created namespace.
type Namespace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Desc string `json:"desc,omitempty"`
}

var validNamespaceID = regexp.MustCompile(`^[\w-]+$`)

func (s *Server) namespaceJSONLocked(id, name, desc string, typ int) map[string]any {
	n := 0
	for k := range s.configs {
		if k.tenant == id {
			n++
		}
	}
	return map[string]any{"namespace": id, "namespaceShowName": name, "namespaceDesc": desc, "quota": 200, "configCount": n, "type": typ}
}

func httpGetNamespaces(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case q.Get("checkNamespaceIdExist") == "true":
		_, ok := s.namespaces[q.Get("customNamespaceId")]
		writeJSON(w, ok)
	case q.Get("show") == "all":
		id := q.Get("namespaceId")
		if id == "" || id == DefaultNamespace {
			writeJSON(w, s.namespaceJSONLocked("", "Public", "Public Namespace", 0))
			return
		}
		ns, ok := s.namespaces[id]
		if !ok {
			writeText(w, http.StatusNotFound, "namespace "+id+" not exist")
			return
		}
		writeJSON(w, s.namespaceJSONLocked(id, ns.Name, ns.Desc, 2))
	default:
		data := []map[string]any{s.namespaceJSONLocked("", "public", "", 0)}
		for _, ns := range s.namespaceListLocked() {
			data = append(data, s.namespaceJSONLocked(ns.ID, ns.Name, ns.Desc, 2))
		}
		writeJSON(w, map[string]any{"code": 200, "message": nil, "data": data})
	}
}

func httpCreateNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	id, name := q.Get("customNamespaceId"), q.Get("namespaceName")
	if name == "" {
		writeText(w, http.StatusBadRequest, "Parameter 'namespaceName' is missing")
		return
	}
	if id == "" {
		id = newNamespaceID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.namespaces[id]; exists || !validNamespaceID.MatchString(id) || len(id) > 128 {
		writeJSON(w, false)
		return
	}
	s.namespaces[id] = &Namespace{ID: id, Name: name, Desc: q.Get("namespaceDesc")}
	s.persistNamespaceLocked(id)
	writeJSON(w, true)
}

func httpUpdateNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.editNamespaceLocked(q.Get("namespace"), q.Get("namespaceShowName"), q.Get("namespaceDesc"))
	writeJSON(w, true)
}

func httpDeleteNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.namespaces, q.Get("namespaceId"))
	s.persistNamespaceLocked(q.Get("namespaceId"))
	writeJSON(w, true)
}

// editNamespaceLocked renames a namespace; an unknown id changes nothing
// (updateTenantNameAtomic updates no row), and both APIs still answer true.
func (s *Server) editNamespaceLocked(id, name, desc string) {
	if ns, ok := s.namespaces[id]; ok {
		ns.Name, ns.Desc = name, desc
		s.persistNamespaceLocked(id)
	}
}

// newNamespaceID is UUID.randomUUID, the id of a namespace created
// without one.
func newNamespaceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (s *Server) namespaceListLocked() []Namespace {
	out := make([]Namespace, 0, len(s.namespaces))
	for _, ns := range s.namespaces {
		out = append(out, *ns)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Namespaces lists the namespaces created through the console API.
func (s *Server) Namespaces() []Namespace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.namespaceListLocked()
}
