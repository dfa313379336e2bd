package pulsarfake

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// decompress undoes the client's compression of a payload, for inspection
// only: the broker itself never looks inside payloads.
func decompress(typ wire.CompressionType, src []byte, size int) ([]byte, error) {
	switch typ {
	case wire.CompressionType_NONE:
		return src, nil
	case wire.CompressionType_LZ4:
		dst := make([]byte, size)
		n, err := lz4.UncompressBlock(src, dst)
		return dst[:n], err
	case wire.CompressionType_ZLIB:
		r, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case wire.CompressionType_ZSTD:
		d, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(src, make([]byte, 0, size))
	case wire.CompressionType_SNAPPY:
		return snappy.Decode(nil, src)
	}
	return nil, fmt.Errorf("unknown compression %v", typ)
}
