package nacosfake

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// BenchmarkConfigQueryWire measures the server alone: ConfigQueryRequest
// over one gRPC connection, without the SDK's per-call snapshot write and
// rate limiter.
func BenchmarkConfigQueryWire(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.SetConfig("", "G", "bench", "some: content")
	cc, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, "/BiRequestStream/requestBiStream")
	if err != nil {
		b.Fatal(err)
	}
	if err := st.SendMsg(&payload{Type: "ConnectionSetupRequest", Body: []byte(`{}`)}); err != nil {
		b.Fatal(err)
	}
	req := &payload{Type: "ConfigQueryRequest", Body: []byte(`{"dataId":"bench","group":"G","tenant":""}`)}
	b.SetParallelism(32) // RPCs are latency-bound; keep many in flight
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var out payload
			if err := cc.Invoke(ctx, "/Request/request", req, &out); err != nil || out.Type != "ConfigQueryResponse" {
				b.Errorf("%v %s", err, out.Type)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
