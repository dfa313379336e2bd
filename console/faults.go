package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/fault"
)

// ownedFault is a rule added from the console; its handle lets the page
// remove it. Rules a test installed are listed but removed only by Reset.
type ownedFault struct {
	ID      int
	Backend string
	Desc    string
	h       *fault.Handle
}

// Hits is the rule's hit count.
func (o *ownedFault) Hits() int { return o.h.Hits() }

type faultsView struct {
	Backend  string
	Title    string
	Ops      []string
	CodeHelp string
	Rules    []fault.Rule
	Owned    []*ownedFault
}

func (s *Server) faultsOf(b backend) faultsView {
	v := faultsView{Backend: b.name(), Title: b.title(), Ops: b.ops(), CodeHelp: b.codeHelp(), Rules: b.faults()}
	s.faultsMu.Lock()
	for _, o := range s.owned {
		if o.Backend == b.name() {
			v.Owned = append(v.Owned, o)
		}
	}
	s.faultsMu.Unlock()
	slices.SortFunc(v.Owned, func(a, b *ownedFault) int { return a.ID - b.ID })
	return v
}

// redirect sends the browser back to a backend page with a status line,
// keeping the view (topic, partition, filter) the form was posted from.
func redirect(w http.ResponseWriter, r *http.Request, page, msg string, err error) {
	q := url.Values{}
	if ref, perr := url.Parse(r.Referer()); perr == nil && ref.Host == r.Host && ref.Path == "/"+page {
		q = ref.Query()
		q.Del("ok")
		q.Del("err")
	}
	if err != nil {
		q.Set("err", err.Error())
	} else {
		q.Set("ok", msg)
	}
	http.Redirect(w, r, "/"+page+"?"+q.Encode(), http.StatusSeeOther)
}

func (s *Server) addFault(b backend) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		msg, err := s.applyFault(b, r)
		redirect(w, r, b.name(), msg, err)
	}
}

func (s *Server) applyFault(b backend, r *http.Request) (string, error) {
	op := r.FormValue("op")
	target := strings.TrimSpace(r.FormValue("target"))
	switch r.FormValue("action") {
	case "fail":
		n, err := strconv.Atoi(strings.TrimSpace(r.FormValue("n")))
		if err != nil || n == 0 {
			return "", fmt.Errorf("count: want a number of requests (negative: until removed)")
		}
		code := strings.TrimSpace(r.FormValue("code"))
		h, err := b.failNext(op, target, n, code)
		if err != nil {
			return "", err
		}
		desc := fmt.Sprintf("fail %s on %s: next %d with %s", opName(op), targetName(target), n, orDefault(code))
		s.own(b, desc, h)
		return "added: " + desc, nil
	case "delay":
		ms, err := strconv.Atoi(strings.TrimSpace(r.FormValue("delay")))
		if err != nil || ms < 0 {
			return "", fmt.Errorf("delay: want milliseconds")
		}
		d := time.Duration(ms) * time.Millisecond
		h, err := b.delay(op, d)
		if err != nil {
			return "", err
		}
		desc := fmt.Sprintf("delay %s by %v", opName(op), d)
		s.own(b, desc, h)
		return "added: " + desc, nil
	case "drop":
		return fmt.Sprintf("dropped %d connections", b.dropConnections()), nil
	case "restart":
		if err := b.restart(); err != nil {
			return "", err
		}
		return b.title() + " restarted", nil
	}
	return "", fmt.Errorf("unknown action %q", r.FormValue("action"))
}

func opName(op string) string {
	if op == "" {
		return "every operation"
	}
	return op
}

func targetName(t string) string {
	if t == "" {
		return "any target"
	}
	return t
}

func orDefault(code string) string {
	if code == "" {
		return "the default error"
	}
	return code
}

func (s *Server) own(b backend, desc string, h *fault.Handle) {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	s.nextID++
	s.owned[s.nextID] = &ownedFault{ID: s.nextID, Backend: b.name(), Desc: desc, h: h}
}

func (s *Server) removeFault(b backend) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.FormValue("id"))
		s.faultsMu.Lock()
		o := s.owned[id]
		if o != nil && o.Backend == b.name() {
			delete(s.owned, id)
		} else {
			o = nil
		}
		s.faultsMu.Unlock()
		if o == nil {
			redirect(w, r, b.name(), "", fmt.Errorf("no fault #%d", id))
			return
		}
		o.h.Remove()
		redirect(w, r, b.name(), "removed: "+o.Desc, nil)
	}
}

func (s *Server) resetFaults(b backend) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b.resetFaults()
		s.faultsMu.Lock()
		for id, o := range s.owned {
			if o.Backend == b.name() {
				delete(s.owned, id)
			}
		}
		s.faultsMu.Unlock()
		redirect(w, r, b.name(), "every "+b.title()+" fault removed", nil)
	}
}
