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

// Op is a binary-protocol command that FailNext and Delay act on: the
// protocol's BaseCommand type name.
type Op string

// The commands a client sends that can be failed or delayed. A failure is
// answered the way the broker answers that command: ERROR for requests,
// SEND_ERROR for SEND, a Failed lookup or partition-metadata response, an
// error code in schema and transaction responses; FLOW and REDELIVER have
// no answer, so a failed one is lost. A failed CONNECT closes the
// connection.
const (
	OpConnect              Op = "CONNECT"
	OpPartitionedMetadata  Op = "PARTITIONED_METADATA"
	OpLookup               Op = "LOOKUP"
	OpProducer             Op = "PRODUCER"
	OpSend                 Op = "SEND"
	OpSubscribe            Op = "SUBSCRIBE"
	OpFlow                 Op = "FLOW"
	OpAck                  Op = "ACK"
	OpRedeliver            Op = "REDELIVER_UNACKNOWLEDGED_MESSAGES"
	OpUnsubscribe          Op = "UNSUBSCRIBE"
	OpSeek                 Op = "SEEK"
	OpCloseProducer        Op = "CLOSE_PRODUCER"
	OpCloseConsumer        Op = "CLOSE_CONSUMER"
	OpGetLastMessageID     Op = "GET_LAST_MESSAGE_ID"
	OpGetTopicsOfNamespace Op = "GET_TOPICS_OF_NAMESPACE"
	OpConsumerStats        Op = "CONSUMER_STATS"
	OpGetSchema            Op = "GET_SCHEMA"
	OpGetOrCreateSchema    Op = "GET_OR_CREATE_SCHEMA"
	OpTCClientConnect      Op = "TC_CLIENT_CONNECT_REQUEST"
	OpNewTxn               Op = "NEW_TXN"
	OpAddPartitionToTxn    Op = "ADD_PARTITION_TO_TXN"
	OpAddSubscriptionToTxn Op = "ADD_SUBSCRIPTION_TO_TXN"
	OpEndTxn               Op = "END_TXN"
)

// Ops lists every operation FailNext and Delay accept.
func Ops() []Op {
	return []Op{OpConnect, OpPartitionedMetadata, OpLookup, OpProducer, OpSend, OpSubscribe, OpFlow, OpAck,
		OpRedeliver, OpUnsubscribe, OpSeek, OpCloseProducer, OpCloseConsumer, OpGetLastMessageID,
		OpGetTopicsOfNamespace, OpConsumerStats, OpGetSchema, OpGetOrCreateSchema, OpTCClientConnect, OpNewTxn,
		OpAddPartitionToTxn, OpAddSubscriptionToTxn, OpEndTxn}
}
