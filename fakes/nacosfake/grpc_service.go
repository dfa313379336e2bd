package nacosfake

import (
	"context"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// The proto has no package, so the services are plain "Request" and
// "BiRequestStream" (nacos_grpc_service.proto).
var requestServiceDesc = grpc.ServiceDesc{
	ServiceName: "Request",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "request",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var p payload
			if err := dec(&p); err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "nacosfake: cannot decode Payload: %v", err)
			}
			return srv.(*Server).handleRequest(ctx, &p), nil
		},
	}},
	Metadata: "nacos_grpc_service.proto",
}

var biStreamServiceDesc = grpc.ServiceDesc{
	ServiceName: "BiRequestStream",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName:    "requestBiStream",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			return srv.(*Server).serveBiStream(stream)
		},
	}},
	Metadata: "nacos_grpc_service.proto",
}

type connCtxKey struct{}

// connTagger gives every HTTP/2 transport a Nacos connection identity: the
// SDK never sends its connection id back, so the transport is the identity.
type connTagger struct{ s *Server }

func (t *connTagger) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	c := t.s.newConn(info.RemoteAddr)
	return context.WithValue(ctx, connCtxKey{}, c)
}

func (t *connTagger) HandleConn(ctx context.Context, st stats.ConnStats) {
	if _, ok := st.(*stats.ConnEnd); ok {
		if c, ok := ctx.Value(connCtxKey{}).(*conn); ok {
			t.s.mu.Lock()
			t.s.dropConnLocked(c.id)
			t.s.mu.Unlock()
		}
	}
}

func (t *connTagger) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (t *connTagger) HandleRPC(context.Context, stats.RPCStats)                       {}

func (s *Server) newConn(remote net.Addr) *conn {
	ip, port := "", "0"
	if remote != nil {
		ip, port, _ = net.SplitHostPort(remote.String())
	}
	c := &conn{
		id:     strconv.FormatInt(time.Now().UnixMilli(), 10) + "_" + ip + "_" + port,
		remote: remote,
		setup:  make(chan struct{}),
		pushes: make(chan pushItem, 4096),
		done:   make(chan struct{}),
		s:      s,
	}
	s.mu.Lock()
	s.conns[c.id] = c
	s.mu.Unlock()
	return c
}

func connFrom(ctx context.Context) *conn {
	c, _ := ctx.Value(connCtxKey{}).(*conn)
	return c
}

// serveBiStream reads client frames (ConnectionSetupRequest, push acks) and
// writes queued server pushes; it lives as long as the client's stream.
func (s *Server) serveBiStream(stream grpc.ServerStream) error {
	c := connFrom(stream.Context())
	if c == nil {
		return status.Error(codes.Internal, "nacosfake: connection not tagged")
	}
	recvErr := make(chan error, 1)
	go func() {
		for {
			var p payload
			if err := stream.RecvMsg(&p); err != nil {
				recvErr <- err
				return
			}
			s.handleStreamFrame(c, &p)
		}
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	retry := time.NewTicker(s.opts.ackTimeout / 2)
	defer retry.Stop()
	send := func(it pushItem, attempt int) bool {
		reqID := strconv.FormatInt(c.nextReq.Add(1), 10)
		if !it.hint {
			c.track(reqID, it, attempt) // before sending: the ack can beat SendMsg's return
		}
		c.pushed.Add(1)
		return stream.SendMsg(&payload{Type: it.typ, Body: injectRequestID(it.body, reqID)}) == nil
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case <-recvErr:
			return nil // the client closed the stream, or sent an undecodable frame
		case <-retry.C:
			// Like Nacos, re-push what the client has not acknowledged.
			for _, r := range c.expired(s.opts.ackTimeout) {
				if r.attempt < maxPushAttempts && !send(r.item, r.attempt+1) {
					return nil
				}
			}
		case it := <-c.pushes:
			if d := time.Until(it.at); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-stream.Context().Done():
					return nil
				}
			}
			if !send(it, 1) {
				return nil
			}
		}
	}
}

func (s *Server) handleStreamFrame(c *conn, p *payload) {
	switch p.Type {
	case "ConnectionSetupRequest":
		var req struct {
			ClientVersion string            `json:"clientVersion"`
			Tenant        string            `json:"tenant"`
			Labels        map[string]string `json:"labels"`
		}
		_ = jsonUnmarshal(p.Body, &req) // a bad body still registers the connection
		s.mu.Lock()
		c.clientVersion, c.tenant, c.labels = req.ClientVersion, req.Tenant, req.Labels
		c.clientIP = p.ClientIP
		s.mu.Unlock()
		c.setupOnce.Do(func() { close(c.setup) })
		s.log.Debug("connection set up", "conn", c.id, "version", req.ClientVersion)
	default:
		// Replies to our pushes (NotifySubscriberResponse, ...) echo the
		// push's requestId.
		c.ack(requestIDOf(p.Body))
	}
}
