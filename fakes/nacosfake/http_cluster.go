package nacosfake

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The cluster endpoints of a standalone server: one member, this server,
// at the fake's HTTP address and always UP.
const (
	OpHTTPClusterNodes        Op = "GET /nacos/v1/core/cluster/nodes"
	OpHTTPClusterSelf         Op = "GET /nacos/v1/core/cluster/self"
	OpHTTPClusterHealth       Op = "GET /nacos/v1/core/cluster/health"
	OpHTTPV2ClusterSelf       Op = "GET /nacos/v2/core/cluster/node/self"
	OpHTTPV2ClusterNodes      Op = "GET /nacos/v2/core/cluster/node/list"
	OpHTTPV2ClusterSelfHealth Op = "GET /nacos/v2/core/cluster/node/self/health"
)

var httpClusterRoutes = []httpRoute{
	{OpHTTPClusterNodes, false, httpClusterNodes},
	{OpHTTPClusterSelf, false, func(s *Server, w http.ResponseWriter, r *http.Request, _ url.Values) {
		writeJSON(w, restResult{Code: 200, Data: s.member(r)})
	}},
	{OpHTTPClusterHealth, false, func(_ *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
		writeJSON(w, restResult{Code: 200, Data: "UP"})
	}},
	{OpHTTPV2ClusterSelf, false, func(s *Server, w http.ResponseWriter, r *http.Request, _ url.Values) {
		writeSuccess(w, s.member(r))
	}},
	{OpHTTPV2ClusterNodes, false, httpV2ClusterNodes},
	{OpHTTPV2ClusterSelfHealth, false, func(_ *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
		writeSuccess(w, "UP")
	}},
}

// serverVersion is the Nacos version the fake reports where Nacos reports
// its own.
const serverVersion = "2.5.1"

// member is this server as a Member: what ServerMemberManager sets for
// itself (raftPort = port-1000, the version, abilities). raftMetaData,
// present once JRaft has started, is left out.
// A server listening on all interfaces reports the address the request
// reached, as Nacos reports its own IP.
func (s *Server) member(r *http.Request) map[string]any {
	host, port := s.Host(), s.HTTPPort()
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			host, _, _ = net.SplitHostPort(la.String())
		}
	}
	return map[string]any{
		"ip": host, "port": port, "state": "UP",
		"extendInfo": map[string]any{
			"raftPort": itoa(port - 1000), "readyToUpgrade": true, "supportGrayModel": true, "version": serverVersion,
		},
		"address": net.JoinHostPort(host, itoa(port)), "failAccessCnt": 0,
		"abilities": map[string]any{
			"remoteAbility": map[string]any{"supportRemoteConnection": true, "grpcReportEnabled": true},
			"configAbility": map[string]any{"supportRemoteMetrics": false},
			"namingAbility": map[string]any{"supportJraft": true},
		},
		"grpcReportEnabled": true,
	}
}

// httpClusterNodes filters by keyword, a prefix of the address.
func httpClusterNodes(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	nodes := []map[string]any{}
	if m := s.member(r); strings.HasPrefix(m["address"].(string), strings.TrimSpace(q.Get("keyword"))) {
		nodes = append(nodes, m)
	}
	writeJSON(w, restResult{Code: 200, Data: nodes})
}

func httpV2ClusterNodes(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	if st := strings.TrimSpace(q.Get("state")); st != "" {
		switch strings.ToUpper(st) {
		case "STARTING", "UP", "SUSPICIOUS", "DOWN", "ISOLATION":
		default:
			v2Error(w, http.StatusBadRequest, 23000, "Illegal state: "+q.Get("state"))
			return
		}
	}
	nodes := []map[string]any{}
	m := s.member(r)
	st := strings.ToUpper(strings.TrimSpace(q.Get("state")))
	if (strings.TrimSpace(q.Get("address")) == "" || strings.HasPrefix(m["address"].(string), q.Get("address"))) && (st == "" || st == "UP") {
		nodes = append(nodes, m)
	}
	writeSuccess(w, nodes)
}
