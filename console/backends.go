package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/brokerkit/brokerkit/fault"
)

// backend is what the faults panel needs of one fake.
type backend interface {
	name() string
	title() string
	ops() []string
	codeHelp() string
	faults() []fault.Rule
	failNext(op, target string, n int, code string) (*fault.Handle, error)
	delay(op string, d time.Duration) (*fault.Handle, error)
	dropConnections() int
	restart() error
	resetFaults()
}

func (s *Server) makeBackends() []backend {
	var out []backend
	if s.kafka != nil {
		out = append(out, kafkaBackend{s.kafka})
	}
	if s.pulsar != nil {
		out = append(out, pulsarBackend{s.pulsar})
	}
	if s.mqtt != nil {
		out = append(out, mqttBackend{s.mqtt})
	}
	if s.nacos != nil {
		out = append(out, nacosBackend{s.nacos})
	}
	return out
}

func (s *Server) backend(name string) backend {
	for _, b := range s.backends {
		if b.name() == name {
			return b
		}
	}
	return nil
}

type kafkaBackend struct{ *kafkafake.Server }

func (kafkaBackend) name() string  { return "kafka" }
func (kafkaBackend) title() string { return "Kafka" }
func (b kafkaBackend) ops() []string {
	var out []string
	for _, k := range b.Ops() {
		out = append(out, k.Name())
	}
	return out
}
func (kafkaBackend) codeHelp() string {
	return "Kafka error name or code, e.g. NOT_LEADER_FOR_PARTITION or 6 (default UNKNOWN_SERVER_ERROR)"
}
func (b kafkaBackend) faults() []fault.Rule { return b.Faults() }
func (b kafkaBackend) key(op string) (kmsg.Key, error) {
	for _, k := range b.Ops() {
		if k.Name() == op {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown Kafka operation %q", op)
}
func (b kafkaBackend) failNext(op, target string, n int, code string) (*fault.Handle, error) {
	k, err := b.key(op)
	if err != nil {
		return nil, err
	}
	var e *kerr.Error
	if code != "" {
		if e, err = kafkaError(code); err != nil {
			return nil, err
		}
	}
	return b.FailNext(k, target, n, e)
}
func (b kafkaBackend) delay(op string, d time.Duration) (*fault.Handle, error) {
	k, err := b.key(op)
	if err != nil {
		return nil, err
	}
	return b.Delay(k, d)
}
func (b kafkaBackend) dropConnections() int { return b.DropConnections() }
func (b kafkaBackend) restart() error       { return b.Restart() }
func (b kafkaBackend) resetFaults()         { b.ResetFaults() }

// kafkaError parses an error code or its protocol name.
func kafkaError(code string) (*kerr.Error, error) {
	if n, err := strconv.ParseInt(code, 10, 16); err == nil {
		if e, ok := kerr.ErrorForCode(int16(n)).(*kerr.Error); ok {
			return e, nil
		}
		return nil, fmt.Errorf("unknown Kafka error code %d", n)
	}
	want := strings.ToUpper(strings.TrimSpace(code))
	for c := int16(-1); c < 200; c++ {
		if e, ok := kerr.ErrorForCode(c).(*kerr.Error); ok && e.Message == want {
			return e, nil
		}
	}
	return nil, fmt.Errorf("unknown Kafka error %q", code)
}

type pulsarBackend struct{ *pulsarfake.Server }

func (pulsarBackend) name() string  { return "pulsar" }
func (pulsarBackend) title() string { return "Pulsar" }
func (pulsarBackend) ops() []string {
	var out []string
	for _, o := range pulsarfake.Ops() {
		out = append(out, string(o))
	}
	return out
}
func (pulsarBackend) codeHelp() string {
	return "Pulsar ServerError name or number, e.g. ServiceNotReady or 14"
}
func (b pulsarBackend) faults() []fault.Rule { return b.Faults() }
func (b pulsarBackend) failNext(op, target string, n int, code string) (*fault.Handle, error) {
	e, err := pulsarError(code)
	if err != nil {
		return nil, err
	}
	return b.FailNext(pulsarfake.Op(op), target, n, e)
}
func (b pulsarBackend) delay(op string, d time.Duration) (*fault.Handle, error) {
	return b.Delay(pulsarfake.Op(op), d)
}
func (b pulsarBackend) dropConnections() int { return b.DropConnections() }
func (b pulsarBackend) restart() error       { return b.Restart() }
func (b pulsarBackend) resetFaults()         { b.ResetFaults() }

func pulsarError(code string) (pulsarfake.ServerError, error) {
	if code == "" {
		code = "UnknownError"
	}
	if n, err := strconv.Atoi(code); err == nil {
		return pulsarfake.ServerError(n), nil
	}
	for n := 0; n < 64; n++ {
		if e := pulsarfake.ServerError(n); strings.EqualFold(e.String(), code) {
			return e, nil
		}
	}
	return 0, fmt.Errorf("unknown Pulsar error %q", code)
}

type mqttBackend struct{ *mqttfake.Server }

func (mqttBackend) name() string  { return "mqtt" }
func (mqttBackend) title() string { return "MQTT" }
func (mqttBackend) ops() []string {
	return []string{string(mqttfake.OpConnect), string(mqttfake.OpPublish), string(mqttfake.OpSubscribe)}
}
func (mqttBackend) codeHelp() string {
	return "reason code, e.g. 0x97 (quota exceeded), 0x87 (not authorized), 0x88 (server unavailable)"
}
func (b mqttBackend) faults() []fault.Rule { return b.Faults() }
func (b mqttBackend) failNext(op, target string, n int, code string) (*fault.Handle, error) {
	if code == "" {
		code = "0x80"
	}
	c, err := strconv.ParseUint(code, 0, 8)
	if err != nil {
		return nil, fmt.Errorf("reason code %q: want a byte such as 0x97", code)
	}
	return b.FailNext(mqttfake.Op(op), target, n, byte(c))
}
func (b mqttBackend) delay(op string, d time.Duration) (*fault.Handle, error) {
	return b.Delay(mqttfake.Op(op), d)
}
func (b mqttBackend) dropConnections() int { return b.DropConnections() }
func (b mqttBackend) restart() error       { return b.Restart() }
func (b mqttBackend) resetFaults()         { b.ResetFaults() }

type nacosBackend struct{ *nacosfake.Server }

func (nacosBackend) name() string  { return "nacos" }
func (nacosBackend) title() string { return "Nacos" }
func (nacosBackend) ops() []string {
	var out []string
	for _, o := range nacosfake.Ops() {
		out = append(out, string(o))
	}
	return out
}
func (nacosBackend) codeHelp() string {
	return "error code (gRPC errorCode) or HTTP status, e.g. 500 (default)"
}
func (b nacosBackend) faults() []fault.Rule { return b.Faults() }
func (b nacosBackend) failNext(op, target string, n int, code string) (*fault.Handle, error) {
	c := 500
	if code != "" {
		var err error
		if c, err = strconv.Atoi(code); err != nil {
			return nil, fmt.Errorf("code %q: want a number such as 500", code)
		}
	}
	return b.FailNext(nacosfake.Op(op), target, n, c)
}
func (b nacosBackend) delay(op string, d time.Duration) (*fault.Handle, error) {
	return b.Delay(nacosfake.Op(op), d)
}
func (b nacosBackend) dropConnections() int { return b.DropConnections() }
func (b nacosBackend) restart() error       { return b.Restart() }
func (b nacosBackend) resetFaults()         { b.ResetFaults() }
