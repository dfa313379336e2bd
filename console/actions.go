package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// actionRoutes registers the produce, publish and seed forms.
func (s *Server) actionRoutes(mux *http.ServeMux) {
	act := func(path, page string, fn func(*http.Request) (string, error)) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			msg, err := fn(r)
			redirect(w, r, page, msg, err)
		})
	}
	if s.kafka != nil {
		act("/kafka/produce", "kafka", s.kafkaProduce)
	}
	if s.pulsar != nil {
		act("/pulsar/publish", "pulsar", s.pulsarPublish)
	}
	if s.mqtt != nil {
		act("/mqtt/publish", "mqtt", s.mqttPublish)
	}
	if s.nacos != nil {
		act("/nacos/config", "nacos", s.nacosConfig)
		act("/nacos/instance", "nacos", s.nacosInstance)
	}
}

// pairs parses "k=v" lines (headers, properties, metadata).
func pairs(text string) ([][2]string, error) {
	var out [][2]string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", line)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func need(r *http.Request, field string) (string, error) {
	v := strings.TrimSpace(r.FormValue(field))
	if v == "" {
		return "", fmt.Errorf("%s is required", field)
	}
	return v, nil
}

func (s *Server) kafkaProduce(r *http.Request) (string, error) {
	topic, err := need(r, "topic")
	if err != nil {
		return "", err
	}
	hs, err := pairs(r.FormValue("headers"))
	if err != nil {
		return "", err
	}
	rec := &kgo.Record{Topic: topic, Value: []byte(r.FormValue("value"))}
	if k := r.FormValue("key"); k != "" {
		rec.Key = []byte(k)
	}
	for _, h := range hs {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if _, err := s.kafka.Produce(ctx, rec); err != nil {
		return "", err
	}
	return fmt.Sprintf("produced to %s partition %d at offset %d", topic, rec.Partition, rec.Offset), nil
}

func (s *Server) pulsarPublish(r *http.Request) (string, error) {
	topic, err := need(r, "topic")
	if err != nil {
		return "", err
	}
	props, err := pairs(r.FormValue("properties"))
	if err != nil {
		return "", err
	}
	m := pulsarfake.Message{Payload: []byte(r.FormValue("payload")), Key: r.FormValue("key")}
	if len(props) > 0 {
		m.Properties = map[string]string{}
		for _, p := range props {
			m.Properties[p[0]] = p[1]
		}
	}
	ids, err := s.pulsar.Publish(topic, m)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("published to %s as %s", topic, ids[0]), nil
}

func (s *Server) mqttPublish(r *http.Request) (string, error) {
	topic, err := need(r, "topic")
	if err != nil {
		return "", err
	}
	qos, err := strconv.Atoi(r.FormValue("qos"))
	if err != nil || qos < 0 || qos > 2 {
		return "", fmt.Errorf("qos: want 0, 1 or 2")
	}
	retain := r.FormValue("retain") != ""
	if err := s.mqtt.Publish(topic, []byte(r.FormValue("payload")), byte(qos), retain); err != nil {
		return "", err
	}
	return "published to " + topic, nil
}

func (s *Server) nacosConfig(r *http.Request) (string, error) {
	dataID, err := need(r, "dataId")
	if err != nil {
		return "", err
	}
	group := strings.TrimSpace(r.FormValue("group"))
	if group == "" {
		group = nacosfake.DefaultGroup
	}
	tenant := strings.TrimSpace(r.FormValue("namespace"))
	s.nacos.SetConfig(tenant, group, dataID, r.FormValue("content"))
	return "published config " + dataID, nil
}

func (s *Server) nacosInstance(r *http.Request) (string, error) {
	service, err := need(r, "service")
	if err != nil {
		return "", err
	}
	ip, err := need(r, "ip")
	if err != nil {
		return "", err
	}
	port, err := strconv.Atoi(r.FormValue("port"))
	if err != nil || port <= 0 || port > 65535 {
		return "", fmt.Errorf("port: want 1 to 65535")
	}
	weight := 1.0
	if w := strings.TrimSpace(r.FormValue("weight")); w != "" {
		if weight, err = strconv.ParseFloat(w, 64); err != nil || weight < 0 {
			return "", fmt.Errorf("weight: want a number ≥ 0")
		}
	}
	md, err := pairs(r.FormValue("metadata"))
	if err != nil {
		return "", err
	}
	in := nacosfake.Instance{
		Namespace: strings.TrimSpace(r.FormValue("namespace")), Group: strings.TrimSpace(r.FormValue("group")),
		Service: service, IP: ip, Port: port, Weight: weight, Healthy: true, Enabled: true,
		Ephemeral: r.FormValue("ephemeral") != "", Cluster: strings.TrimSpace(r.FormValue("cluster")),
	}
	if in.Group == "" {
		in.Group = nacosfake.DefaultGroup
	}
	if in.Cluster == "" {
		in.Cluster = nacosfake.DefaultCluster
	}
	if len(md) > 0 {
		in.Metadata = map[string]string{}
		for _, p := range md {
			in.Metadata[p[0]] = p[1]
		}
	}
	if err := s.nacos.RegisterInstance(in); err != nil {
		return "", err
	}
	return fmt.Sprintf("registered %s:%d in %s", ip, port, service), nil
}
