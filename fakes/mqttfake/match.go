package mqttfake

import "strings"

// matchFilter reports whether an MQTT topic filter matches topic. When topic
// is itself a filter (an ACL check on SUBSCRIBE), its wildcards are compared
// as plain levels, so "a/#" covers "a/+" but "a/+" does not cover "a/#".
func matchFilter(filter, topic string) bool {
	if strings.HasPrefix(filter, "$share/") {
		if i := strings.IndexByte(filter[len("$share/"):], '/'); i >= 0 {
			filter = filter[len("$share/")+i+1:]
		}
	}
	if strings.HasPrefix(topic, "$share/") {
		if i := strings.IndexByte(topic[len("$share/"):], '/'); i >= 0 {
			topic = topic[len("$share/")+i+1:]
		}
	}
	// [MQTT-4.7.2-1]: wildcards at the first level do not match $-topics.
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, lvl := range f {
		if lvl == "#" {
			return true
		}
		if i >= len(t) {
			return false
		}
		if lvl != "+" && lvl != t[i] {
			return false
		}
	}
	return len(f) == len(t)
}
