// Package mqtttelemetry is a small telemetry pipeline of the kind brokerkit
// is for. Sensors publish temperature readings and a retained status
// ("online"/"offline"); an Aggregator subscribes with wildcards, keeps a
// moving average per sensor, and raises an alert when the average crosses a
// threshold (once per crossing). Because status messages are retained, an
// Aggregator started late still knows which sensors are online.
//
// Topics, under a root:
//
//	<root>/sensors/<id>/temperature   {"celsius": 21.5}    QoS 1
//	<root>/sensors/<id>/status        online | offline      QoS 1, retained
//	<root>/alerts/<id>                {"sensor":..,"avg":..} QoS 1
package mqtttelemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
)

// Reading is a sensor's measurement.
type Reading struct {
	Celsius float64 `json:"celsius"`
}

// Alert says a sensor's average went over the threshold.
type Alert struct {
	Sensor string  `json:"sensor"`
	Avg    float64 `json:"avg"`
}

// Sensor publishes for one sensor ID.
type Sensor struct {
	Root, ID string
	Client   *mqttclient.Client
}

func (s Sensor) topic(leaf string) string { return s.Root + "/sensors/" + s.ID + "/" + leaf }

// Online publishes the retained "online" status.
func (s Sensor) Online(ctx context.Context) error {
	return s.Client.Publish(ctx, s.topic("status"), []byte("online"), 1, true)
}

// Offline publishes the retained "offline" status.
func (s Sensor) Offline(ctx context.Context) error {
	return s.Client.Publish(ctx, s.topic("status"), []byte("offline"), 1, true)
}

// Report publishes one reading.
func (s Sensor) Report(ctx context.Context, celsius float64) error {
	b, _ := json.Marshal(Reading{Celsius: celsius})
	return s.Client.Publish(ctx, s.topic("temperature"), b, 1, false)
}

// Stats is what the Aggregator knows about a sensor.
type Stats struct {
	Online   bool
	Readings int     // valid readings seen
	Avg      float64 // over the last Window readings
	Alerting bool    // Avg is over the threshold
}

// Aggregator averages readings and raises alerts.
type Aggregator struct {
	Root      string
	Client    *mqttclient.Client
	Window    int     // readings in the moving average (default 5)
	Threshold float64 // alert when the average exceeds it

	mu        sync.Mutex
	sensors   map[string]*sensorState
	malformed int
}

type sensorState struct {
	Stats
	last []float64
}

// Run subscribes and processes messages until ctx ends. Alerts are
// published from here, not from the client's message handler: a handler
// that waits for a PUBACK would block the goroutine that receives it.
func (a *Aggregator) Run(ctx context.Context) error {
	readings, err := a.Client.SubscribeChan(ctx, a.Root+"/sensors/+/temperature", 1, 256)
	if err != nil {
		return fmt.Errorf("subscribe readings: %w", err)
	}
	statuses, err := a.Client.SubscribeChan(ctx, a.Root+"/sensors/+/status", 1, 256)
	if err != nil {
		return fmt.Errorf("subscribe status: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-statuses:
			a.status(m)
		case m := <-readings:
			if alert := a.reading(m); alert != nil {
				b, _ := json.Marshal(alert)
				if err := a.Client.Publish(ctx, a.Root+"/alerts/"+alert.Sensor, b, 1, false); err != nil && ctx.Err() == nil {
					return fmt.Errorf("publish alert: %w", err)
				}
			}
		}
	}
}

// sensorID extracts <id> from <root>/sensors/<id>/<leaf>.
func (a *Aggregator) sensorID(topic string) string {
	rest := strings.TrimPrefix(topic, a.Root+"/sensors/")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func (a *Aggregator) state(id string) *sensorState {
	if a.sensors == nil {
		a.sensors = map[string]*sensorState{}
	}
	s, ok := a.sensors[id]
	if !ok {
		s = &sensorState{}
		a.sensors[id] = s
	}
	return s
}

func (a *Aggregator) status(m mqttclient.Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.state(a.sensorID(m.Topic)).Online = string(m.Payload) == "online"
}

// reading updates the average and returns an alert when it crosses the
// threshold upwards.
func (a *Aggregator) reading(m mqttclient.Message) *Alert {
	var r Reading
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		a.mu.Lock()
		a.malformed++
		a.mu.Unlock()
		return nil
	}
	window := a.Window
	if window <= 0 {
		window = 5
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id := a.sensorID(m.Topic)
	s := a.state(id)
	s.Readings++
	s.last = append(s.last, r.Celsius)
	if len(s.last) > window {
		s.last = s.last[len(s.last)-window:]
	}
	var sum float64
	for _, v := range s.last {
		sum += v
	}
	s.Avg = sum / float64(len(s.last))
	was := s.Alerting
	s.Alerting = s.Avg > a.Threshold
	if s.Alerting && !was {
		return &Alert{Sensor: id, Avg: s.Avg}
	}
	return nil
}

// Snapshot returns the stats of every sensor seen.
func (a *Aggregator) Snapshot() map[string]Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]Stats, len(a.sensors))
	for id, s := range a.sensors {
		out[id] = s.Stats
	}
	return out
}

// Malformed counts readings that were not valid JSON.
func (a *Aggregator) Malformed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.malformed
}
