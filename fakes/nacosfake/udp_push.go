package nacosfake

import (
	"bytes"
	"compress/gzip"
	"net"
	"time"
)

// HTTP clients (v1 SDKs, nacos-sdk-python v1, npm) that pass udpPort and
// clientIP to /v1/ns/instance/list are pushed service changes over UDP, as
// Nacos does, so they need not wait for their next poll (cacheMillis).

// udpSubTTL is how long a UDP subscriber lives without polling again
// (Nacos drops push targets that stop refreshing).
const udpSubTTL = 30 * time.Second

type udpSub struct {
	addr     *net.UDPAddr
	clusters string
	expires  time.Time
}

// addUDPSubLocked records or refreshes a UDP push target for svc.
func (s *Server) addUDPSubLocked(svc *service, clientIP string, port int, clusters string) {
	ip := net.ParseIP(clientIP)
	if ip == nil || port <= 0 || port > 65535 || s.udp == nil {
		return
	}
	addr := &net.UDPAddr{IP: ip, Port: port}
	if svc.udpSubs == nil {
		svc.udpSubs = map[string]*udpSub{}
	}
	svc.udpSubs[addr.String()+"|"+clusters] = &udpSub{addr: addr, clusters: clusters, expires: s.now().Add(udpSubTTL)}
}

// pruneUDPSubsLocked forgets expired UDP push targets.
func (s *Server) pruneUDPSubsLocked(svc *service) {
	now := s.now()
	for k, sub := range svc.udpSubs {
		if now.After(sub.expires) {
			delete(svc.udpSubs, k)
		}
	}
}

// pushUDPLocked sends {"type":"dom","data":<serviceInfo JSON>,"lastRefTime"}
// (UdpPushService; data is the 2.x ServiceInfo, without 1.x's "dom" field)
// to every live UDP subscriber, gzipped above 1 KiB like Nacos.
func (s *Server) pushUDPLocked(svc *service) {
	s.pruneUDPSubsLocked(svc)
	for _, sub := range svc.udpSubs {
		info := s.serviceInfoLocked(svc, svc.key.grouped(), sub.clusters, false)
		msg := mustJSON(map[string]any{"type": "dom", "data": string(mustJSON(info)), "lastRefTime": info["lastRefTime"]})
		if len(msg) > 1024 {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(msg)
			_ = zw.Close()
			msg = b.Bytes()
		}
		if _, err := s.udp.WriteToUDP(msg, sub.addr); err != nil {
			s.log.Debug("udp push failed", "to", sub.addr.String(), "err", err)
		}
	}
}

// UDPSubscribers counts live UDP push targets of a service.
func (s *Server) UDPSubscribers(namespace, group, service string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[newSvcKey(namespace, group, service)]
	if svc == nil {
		return 0
	}
	s.pruneUDPSubsLocked(svc)
	return len(svc.udpSubs)
}
