// Package wire is pulsarfake's codec for the Pulsar binary protocol: the
// generated protobuf types of our own wire.proto subset, frame reading and
// writing, the CRC32C payload checksum, and a fast path for the few
// commands that are sent once per stored entry.
package wire

// Needs protoc and protoc-gen-go v1.36.12 on PATH:
//   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//go:generate protoc -I ../../../.. --go_out=../../../.. --go_opt=paths=source_relative fakes/pulsarfake/internal/wire/wire.proto
