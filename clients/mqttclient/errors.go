package mqttclient

import (
	"errors"
	"fmt"

	"github.com/eclipse/paho.golang/autopaho"
)

// ReasonError is a broker refusal carried by a reason code >= 0x80
// (CONNACK, PUBACK/PUBREC, SUBACK, UNSUBACK).
type ReasonError struct {
	Op     string // "connect", "publish", "subscribe", "unsubscribe"
	Code   byte
	Reason string // the broker's reason string, if any
}

func (e *ReasonError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("mqttclient: %s refused: reason code 0x%02x (%s)", e.Op, e.Code, e.Reason)
	}
	return fmt.Sprintf("mqttclient: %s refused: reason code 0x%02x", e.Op, e.Code)
}

// ReasonCode extracts the broker's reason code from err, if it has one.
func ReasonCode(err error) (byte, bool) {
	var re *ReasonError
	if errors.As(err, &re) {
		return re.Code, true
	}
	var ce *autopaho.ConnackError
	if errors.As(err, &ce) {
		return ce.ReasonCode, true
	}
	return 0, false
}
