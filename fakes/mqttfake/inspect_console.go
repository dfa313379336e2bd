package mqttfake

// Matches reports whether topic matches the subscription filter (with +
// and # wildcards; $-topics match only filters that name them), as the
// broker routes messages.
func Matches(filter, topic string) bool { return matchFilter(filter, topic) }
