package conformance

// Code classifies a backend error so scenarios can compare failures across
// brokers and clients without matching error text.
type Code int

// Error classes. Harnesses map their client's errors onto these.
const (
	OK Code = iota
	Unknown
	NotFound         // topic, subscription, config or service does not exist
	Unauthenticated  // wrong or missing credentials
	PermissionDenied // authenticated but not allowed
	InvalidArgument  // malformed request, bad name
	TooLarge         // message or payload over a limit
	Unavailable      // broker unreachable or timed out
	Conflict         // a write based on a stale state (compare-and-set)
)

func (c Code) String() string {
	switch c {
	case OK:
		return "OK"
	case NotFound:
		return "NotFound"
	case Unauthenticated:
		return "Unauthenticated"
	case PermissionDenied:
		return "PermissionDenied"
	case InvalidArgument:
		return "InvalidArgument"
	case TooLarge:
		return "TooLarge"
	case Unavailable:
		return "Unavailable"
	case Conflict:
		return "Conflict"
	}
	return "Unknown"
}
