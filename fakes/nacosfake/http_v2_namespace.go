package nacosfake

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The v2 console namespace API (NamespaceControllerV2) over the namespaces
// of the v1 console API.
const (
	OpHTTPV2GetNamespace    Op = "GET /nacos/v2/console/namespace"
	OpHTTPV2CreateNamespace Op = "POST /nacos/v2/console/namespace"
	OpHTTPV2UpdateNamespace Op = "PUT /nacos/v2/console/namespace"
	OpHTTPV2DeleteNamespace Op = "DELETE /nacos/v2/console/namespace"
	OpHTTPV2ListNamespaces  Op = "GET /nacos/v2/console/namespace/list"
)

var httpV2NamespaceRoutes = []httpRoute{
	{OpHTTPV2GetNamespace, false, httpV2GetNamespace},
	{OpHTTPV2CreateNamespace, false, httpV2CreateNamespace},
	{OpHTTPV2UpdateNamespace, false, httpV2UpdateNamespace},
	{OpHTTPV2DeleteNamespace, false, httpV2DeleteNamespace},
	{OpHTTPV2ListNamespaces, true, httpV2ListNamespaces}, // no @Secured
}

var validNamespaceName = regexp.MustCompile(`^[^@#$%^&*]+$`)

// The default namespace as NamespaceOperationService describes it.
const defaultNamespaceName, defaultNamespaceDesc = "public", "Default Namespace"

func httpV2ListNamespaces(s *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := []map[string]any{s.namespaceJSONLocked("", defaultNamespaceName, defaultNamespaceDesc, 0)}
	for _, ns := range s.namespaceListLocked() {
		data = append(data, s.namespaceJSONLocked(ns.ID, ns.Name, ns.Desc, 2))
	}
	writeSuccess(w, data)
}

func httpV2GetNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	p, ok := v2RequiredAll(w, q, "namespaceId")
	if !ok {
		return
	}
	id := p["namespaceId"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(id) == "" {
		writeSuccess(w, s.namespaceJSONLocked(id, defaultNamespaceName, defaultNamespaceDesc, 0))
		return
	}
	ns, ok := s.namespaces[id]
	if !ok {
		v2Error(w, http.StatusNotFound, 22001, "namespaceId [ "+id+" ] not exist")
		return
	}
	writeSuccess(w, s.namespaceJSONLocked(id, ns.Name, ns.Desc, 2))
}

// namespaceFormInvalid is NamespaceForm.validate plus the controller's name
// check; it answers and reports true when the form is refused.
func namespaceFormInvalid(w http.ResponseWriter, q url.Values) bool {
	for _, n := range []string{"namespaceId", "namespaceName"} {
		if !q.Has(n) {
			v2Error(w, http.StatusBadRequest, 10000, "required parameter '"+n+"' is missing")
			return true
		}
	}
	if name := q.Get("namespaceName"); !validNamespaceName.MatchString(name) {
		v2Error(w, http.StatusBadRequest, 22000, "namespaceName ["+name+"] contains illegal char")
		return true
	}
	return false
}

func httpV2CreateNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if !q.Has("namespaceId") || !q.Has("namespaceName") {
		namespaceFormInvalid(w, q)
		return
	}
	id, name := strings.TrimSpace(q.Get("namespaceId")), q.Get("namespaceName")
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = newNamespaceID()
	} else {
		illegal := ""
		switch {
		case !validNamespaceID.MatchString(id):
			illegal = "namespaceId [" + id + "] mismatch the pattern"
		case len(id) > 128:
			illegal = "too long namespaceId, over 128"
		case s.namespaces[id] != nil:
			illegal = "the namespaceId is existed, namespaceId: " + q.Get("namespaceId")
		}
		if illegal != "" {
			v2Error(w, http.StatusBadRequest, 22000, illegal)
			return
		}
	}
	if namespaceFormInvalid(w, q) {
		return
	}
	s.namespaces[id] = &Namespace{ID: id, Name: name, Desc: q.Get("namespaceDesc")}
	s.persistNamespaceLocked(id)
	writeSuccess(w, true)
}

func httpV2UpdateNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if namespaceFormInvalid(w, q) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.editNamespaceLocked(q.Get("namespaceId"), q.Get("namespaceName"), q.Get("namespaceDesc"))
	writeSuccess(w, true)
}

func httpV2DeleteNamespace(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	p, ok := v2RequiredAll(w, q, "namespaceId")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.namespaces[p["namespaceId"]]; ok {
		delete(s.namespaces, p["namespaceId"])
		s.persistNamespaceLocked(p["namespaceId"])
	}
	writeSuccess(w, true)
}
