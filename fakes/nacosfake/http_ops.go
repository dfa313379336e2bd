package nacosfake

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Routes of the ops, console and cluster endpoints, appended to the Open
// API's route table at init so the shared table stays untouched.
func init() {
	httpRoutes = slices.Concat(httpRoutes, httpV2HistoryRoutes, httpV2NamespaceRoutes, httpClusterRoutes, httpOpsRoutes)
}

// Naming's system switches (OperatorController). /v1/ns/operator/servers
// left OperatorController in Nacos 2.2, so it stays a 501 here as there.
const (
	OpHTTPGetSwitches    Op = "GET /nacos/v1/ns/operator/switches"
	OpHTTPUpdateSwitches Op = "PUT /nacos/v1/ns/operator/switches"
)

var httpOpsRoutes = []httpRoute{
	{OpHTTPGetSwitches, true, httpGetSwitches}, // no @Secured on the GET
	{OpHTTPUpdateSwitches, false, httpUpdateSwitches},
}

// switchDomain holds the switches the fake lets change: those that only
// tune a cluster (a standalone server ignores them) or that it only reports.
type switchDomain struct {
	masters                         []string
	distroThreshold                 float64
	distroEnabled, enableStandalone bool
	checkTimes                      int
	serverSyncMillis                int64
	serviceSyncMillis               int64
	distroServerExpiredMillis       int64
	pushVersion                     map[string]string // client type -> version
}

func defaultSwitches() *switchDomain {
	return &switchDomain{distroThreshold: 0.7, distroEnabled: true, enableStandalone: true, checkTimes: 3,
		serverSyncMillis: 2000, serviceSyncMillis: 5000, distroServerExpiredMillis: 10000,
		pushVersion: map[string]string{"go": "0.1.0", "java": "0.1.0", "python": "0.4.3", "c": "1.0.12", "csharp": "0.9.0"}}
}

// switchesJSON is SwitchDomain as Jackson writes it. The values the fake
// does not let change are what it does: Nacos's defaults (health checks
// and pushes on), and the beat interval and list cacheMillis of
// WithClientBeatInterval and WithCacheMillis.
func (d *switchDomain) switchesJSON(o *options) map[string]any {
	var masters any
	if d.masters != nil {
		masters = d.masters
	}
	return map[string]any{
		"name": "00-00---000-NACOS_SWITCH_DOMAIN-000---00-00", "masters": masters, "adWeightMap": map[string]int{},
		"defaultPushCacheMillis": o.listCacheTTL.Milliseconds(), "clientBeatInterval": o.clientBeat.Milliseconds(), "defaultCacheMillis": 3000,
		"distroThreshold": d.distroThreshold, "healthCheckEnabled": true, "autoChangeHealthCheckEnabled": true,
		"distroEnabled": d.distroEnabled, "enableStandalone": d.enableStandalone, "pushEnabled": true,
		"checkTimes":        d.checkTimes,
		"httpHealthParams":  map[string]any{"max": 5000, "min": 500, "factor": 0.85},
		"tcpHealthParams":   map[string]any{"max": 5000, "min": 1000, "factor": 0.75},
		"mysqlHealthParams": map[string]any{"max": 3000, "min": 2000, "factor": 0.65},
		"incrementalList":   []string{},
		"serverStatusSynchronizationPeriodMillis":  d.serverSyncMillis,
		"serviceStatusSynchronizationPeriodMillis": d.serviceSyncMillis,
		"disableAddIP": false, "sendBeatOnly": false, "lightBeatEnabled": true, "limitedUrlMap": map[string]int{},
		"distroServerExpiredMillis": d.distroServerExpiredMillis,
		"pushGoVersion":             d.pushVersion["go"], "pushJavaVersion": d.pushVersion["java"],
		"pushPythonVersion": d.pushVersion["python"], "pushCVersion": d.pushVersion["c"],
		"pushCSharpVersion": d.pushVersion["csharp"], "enableAuthentication": false,
		"overriddenServerStatus": nil, "defaultInstanceEphemeral": true, "healthCheckWhiteList": []string{},
		"checksum": nil,
	}
}

func httpGetSwitches(s *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, s.switchesLocked().switchesJSON(&s.opts))
}

func (s *Server) switchesLocked() *switchDomain {
	if s.switches == nil {
		s.switches = defaultSwitches()
	}
	return s.switches
}

// Switches that change what the fake would have to do (push, health
// checks, beat replies, caching, admission); a PUT of one is refused
// rather than reported as done.
var unhonouredSwitches = map[string]bool{
	"clientBeatInterval": true, "pushCacheMillis": true, "defaultCacheMillis": true, "check": true,
	"pushEnabled": true, "disableAddIP": true, "sendBeatOnly": true, "limitedUrlMap": true,
	"overriddenServerStatus": true, "defaultInstanceEphemeral": true, "lightBeatEnabled": true,
	"autoChangeHealthCheckEnabled": true, "httpHealthParams": true, "tcpHealthParams": true, "mysqlHealthParams": true,
}

var versionSyntax = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// httpUpdateSwitches is SwitchManager.update: validation failures are
// IllegalArgumentExceptions (400, the message as text), unparsable
// numbers NumberFormatExceptions (500, "caused: ...;"), and an unknown
// entry changes nothing and answers "ok".
func httpUpdateSwitches(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	for _, n := range []string{"entry", "value"} {
		if !q.Has(n) {
			writeText(w, http.StatusBadRequest, "Parameter '"+n+"' is missing")
			return
		}
	}
	entry, value := q.Get("entry"), q.Get("value")
	if unhonouredSwitches[entry] {
		writeText(w, http.StatusBadRequest, "nacosfake: switch "+entry+" is not supported")
		return
	}
	bad := func(msg string) { writeText(w, http.StatusBadRequest, msg) }
	numErr := func() { writeText(w, http.StatusInternalServerError, "caused: For input string: \""+value+"\";") }
	s.mu.Lock()
	defer s.mu.Unlock()
	d := *s.switchesLocked()
	d.pushVersion = maps.Clone(d.pushVersion)
	switch entry {
	case "distroThreshold":
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 32)
		if err != nil {
			numErr()
			return
		}
		if f <= 0 {
			bad("distroThreshold can not be zero or negative: " + strconv.FormatFloat(f, 'f', -1, 32))
			return
		}
		d.distroThreshold = f
	case "pushVersion":
		typ, version, ok := strings.Cut(value, ":")
		if !ok {
			writeText(w, http.StatusInternalServerError, "caused: Index 1 out of bounds for length 1;")
			return
		}
		version, _, _ = strings.Cut(version, ":")
		if !versionSyntax.MatchString(version) {
			bad("illegal version, must match: [0-9]+\\.[0-9]+\\.[0-9]+")
			return
		}
		if _, ok := d.pushVersion[typ]; !ok {
			bad("unsupported client type: " + typ)
			return
		}
		d.pushVersion[typ] = version
	case "masters":
		d.masters = strings.Split(value, ",")
	case "distro":
		d.distroEnabled = strings.EqualFold(value, "true")
	case "enableStandalone":
		// sic: SwitchManager only applies an empty value, which parses as false.
		if value == "" {
			d.enableStandalone = false
		}
	case "healthCheckTimes":
		n, err := strconv.Atoi(value)
		if err != nil {
			numErr()
			return
		}
		d.checkTimes = n
	case "serviceStatusSynchronizationPeriodMillis", "serverStatusSynchronizationPeriodMillis", "distroServerExpiredMillis":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			numErr()
			return
		}
		switch {
		case entry == "serviceStatusSynchronizationPeriodMillis" && n < 5000:
			bad("serviceStatusSynchronizationPeriodMillis is too small(<5000)")
			return
		case entry == "serverStatusSynchronizationPeriodMillis" && n < 1000:
			bad("serverStatusSynchronizationPeriodMillis is too small(<15000)") // sic
			return
		case entry == "serviceStatusSynchronizationPeriodMillis":
			d.serviceSyncMillis = n
		case entry == "serverStatusSynchronizationPeriodMillis":
			d.serverSyncMillis = n
		default:
			d.distroServerExpiredMillis = n
		}
	}
	s.switches = &d
	writeText(w, http.StatusOK, "ok")
}
