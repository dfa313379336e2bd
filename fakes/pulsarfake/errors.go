package pulsarfake

import (
	"fmt"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
)

// ServerError is a Pulsar protocol error code, as the broker puts it in
// ERROR, SEND_ERROR and the error fields of responses.
type ServerError int32

// Protocol error codes.
const (
	UnknownError                          = ServerError(wire.ServerError_UnknownError)
	MetadataError                         = ServerError(wire.ServerError_MetadataError)
	PersistenceError                      = ServerError(wire.ServerError_PersistenceError)
	AuthenticationError                   = ServerError(wire.ServerError_AuthenticationError)
	AuthorizationError                    = ServerError(wire.ServerError_AuthorizationError)
	ConsumerBusy                          = ServerError(wire.ServerError_ConsumerBusy)
	ServiceNotReady                       = ServerError(wire.ServerError_ServiceNotReady)
	ProducerBlockedQuotaExceededError     = ServerError(wire.ServerError_ProducerBlockedQuotaExceededError)
	ProducerBlockedQuotaExceededException = ServerError(wire.ServerError_ProducerBlockedQuotaExceededException)
	ChecksumError                         = ServerError(wire.ServerError_ChecksumError)
	UnsupportedVersionError               = ServerError(wire.ServerError_UnsupportedVersionError)
	TopicNotFound                         = ServerError(wire.ServerError_TopicNotFound)
	SubscriptionNotFound                  = ServerError(wire.ServerError_SubscriptionNotFound)
	ConsumerNotFound                      = ServerError(wire.ServerError_ConsumerNotFound)
	TooManyRequests                       = ServerError(wire.ServerError_TooManyRequests)
	TopicTerminatedError                  = ServerError(wire.ServerError_TopicTerminatedError)
	ProducerBusy                          = ServerError(wire.ServerError_ProducerBusy)
	InvalidTopicName                      = ServerError(wire.ServerError_InvalidTopicName)
	IncompatibleSchema                    = ServerError(wire.ServerError_IncompatibleSchema)
	ConsumerAssignError                   = ServerError(wire.ServerError_ConsumerAssignError)
	TransactionCoordinatorNotFound        = ServerError(wire.ServerError_TransactionCoordinatorNotFound)
	InvalidTxnStatus                      = ServerError(wire.ServerError_InvalidTxnStatus)
	NotAllowedError                       = ServerError(wire.ServerError_NotAllowedError)
	TransactionConflict                   = ServerError(wire.ServerError_TransactionConflict)
	TransactionNotFound                   = ServerError(wire.ServerError_TransactionNotFound)
	ProducerFenced                        = ServerError(wire.ServerError_ProducerFenced)
)

func (e ServerError) String() string { return wire.ServerError(e).String() }

func (e ServerError) pb() *wire.ServerError { return wire.ServerError(e).Enum() }

// brokerError is a failure with the code the broker answers it with.
type brokerError struct {
	code ServerError
	msg  string
}

func (e *brokerError) Error() string { return fmt.Sprintf("%v: %s", e.code, e.msg) }

func errorf(code ServerError, format string, args ...any) *brokerError {
	return &brokerError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Command names for FailNext, Delay and FailNextFor: the protocol's
// BaseCommand type names.
const (
	CmdConnect             = "CONNECT"
	CmdPartitionedMetadata = "PARTITIONED_METADATA"
	CmdLookup              = "LOOKUP"
	CmdProducer            = "PRODUCER"
	CmdSend                = "SEND"
	CmdSubscribe           = "SUBSCRIBE"
	CmdFlow                = "FLOW"
	CmdAck                 = "ACK"
	CmdRedeliver           = "REDELIVER_UNACKNOWLEDGED_MESSAGES"
	CmdUnsubscribe         = "UNSUBSCRIBE"
	CmdSeek                = "SEEK"
	CmdCloseProducer       = "CLOSE_PRODUCER"
	CmdCloseConsumer       = "CLOSE_CONSUMER"
	CmdGetLastMessageID    = "GET_LAST_MESSAGE_ID"
	CmdGetTopicsOfNS       = "GET_TOPICS_OF_NAMESPACE"
	CmdGetSchema           = "GET_SCHEMA"
	CmdGetOrCreateSchema   = "GET_OR_CREATE_SCHEMA"
	CmdNewTxn              = "NEW_TXN"
	CmdEndTxn              = "END_TXN"
)
