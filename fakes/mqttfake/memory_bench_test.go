package mqttfake

import (
	"fmt"
	"net"
	"testing"

	"github.com/eclipse/paho.golang/packets"
	mqtt "github.com/mochi-mqtt/server/v2"
)

// BenchmarkConnectedClientHeap reports the heap one connected, idle v5
// client costs (B/client), at the fake's write queue and at smaller ones:
// mochi allocates each client's outbound queue (8 bytes a slot) when the
// client connects. Mosquitto 2.0.11 holds a client in a few KiB.
func BenchmarkConnectedClientHeap(b *testing.B) {
	for _, slots := range []int32{0, 1 << 18, 1 << 13} {
		name := "default"
		if slots > 0 {
			name = fmt.Sprint(slots)
		}
		b.Run("queue="+name, func(b *testing.B) {
			opts := []Option{}
			if slots > 0 {
				opts = append(opts, WithCapabilities(func(c *mqtt.Capabilities) { c.MaximumClientWritesPending = slots }))
			}
			const clients = 20
			var perClient float64
			for b.Loop() {
				s, err := New(opts...)
				if err != nil {
					b.Fatal(err)
				}
				before := heapInUse()
				conns := make([]net.Conn, clients)
				for i := range conns {
					conns[i] = benchConnect(b, s.Addr(), fmt.Sprintf("mem-%d", i))
				}
				after := heapInUse()
				perClient = float64(int64(after)-int64(before)) / clients
				for _, c := range conns {
					c.Close()
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(perClient, "B/client")
		})
	}
}

// benchConnect opens a v5 connection and waits for its CONNACK.
func benchConnect(b *testing.B, addr, id string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := (&packets.Connect{ProtocolName: "MQTT", ProtocolVersion: 5, ClientID: id, CleanStart: true, KeepAlive: 30}).WriteTo(c); err != nil {
		b.Fatal(err)
	}
	if _, err := packets.ReadPacket(c); err != nil {
		b.Fatal(err)
	}
	return c
}
