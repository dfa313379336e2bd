// Package datadir is the one persistence contract of every brokerkit fake's
// WithDataDir:
//
//   - Open takes an exclusive lock on the directory, so a second process (a
//     second `brokerkit up`) fails at once with the holder's PID instead of
//     both writing the same files;
//   - WriteFile replaces a snapshot atomically and durably (temp file, fsync,
//     rename, fsync of the directory): after a crash the old or the new
//     snapshot is there, never a torn one;
//   - Log appends records, each framed with its length and a CRC; Replay
//     stops at a torn or corrupt tail, which is what a crash mid-append
//     leaves. A fake writes each change to its log and compacts it into a
//     snapshot now and then, so the cost of a change is bounded by its size,
//     not by the size of the state.
package datadir

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// LockName is the lock file inside a data directory.
const LockName = "LOCK"

// Dir is an open, locked data directory.
type Dir struct {
	path string
	lock *os.File
}

// ErrLocked is wrapped by Open's error when another process holds the lock.
var ErrLocked = errors.New("data dir is in use")

// Open creates path if needed and locks it for this process.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	name := filepath.Join(path, LockName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		holder, _ := os.ReadFile(name)
		_ = f.Close()
		pid := strings.TrimSpace(string(holder))
		if pid == "" {
			pid = "unknown"
		}
		return nil, fmt.Errorf("%w: %s is locked by process %s", ErrLocked, path, pid)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Dir{path: path, lock: f}, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// Close releases the lock. The files stay.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := unlockFile(d.lock)
	if cerr := d.lock.Close(); err == nil {
		err = cerr
	}
	d.lock = nil
	return err
}

// ReadFile reads a file of the directory; a missing file is os.ErrNotExist.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.path, name))
}

// WriteFile replaces name with data atomically and durably.
func (d *Dir) WriteFile(name string, data []byte) error {
	final := filepath.Join(d.path, name)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return syncDir(filepath.Dir(final))
}

// Remove deletes name; a missing file is not an error.
func (d *Dir) Remove(name string) error {
	err := os.Remove(filepath.Join(d.path, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Some filesystems cannot fsync a directory; the rename is still atomic.
	_ = f.Sync()
	return nil
}

// Log is an append-only file of framed records: 4-byte length, 4-byte
// CRC-32C of the payload, payload.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	sync bool
	size int64
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxRecord bounds one record so a corrupt length cannot make Replay
// allocate gigabytes.
const maxRecord = 64 << 20

// OpenLog opens (or creates) the log name for appending, after replaying its
// valid records into fn. A torn or corrupt tail is cut off. With sync, every
// Append is fsynced before it returns.
func (d *Dir) OpenLog(name string, sync bool, fn func(rec []byte) error) (*Log, error) {
	path := filepath.Join(d.path, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := replay(f, fn)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := f.Truncate(good); err != nil {
		_ = f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Log{f: f, sync: sync, size: good}, nil
}

func replay(f *os.File, fn func([]byte) error) (int64, error) {
	r := bufio.NewReader(f)
	var good int64
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return good, nil // end, or a torn header
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n > maxRecord {
			return good, nil
		}
		rec := make([]byte, n)
		if _, err := io.ReadFull(r, rec); err != nil {
			return good, nil
		}
		if crc32.Checksum(rec, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
			return good, nil
		}
		if fn != nil {
			if err := fn(rec); err != nil {
				return good, err
			}
		}
		good += 8 + int64(n)
	}
}

// Append writes one record.
func (l *Log) Append(rec []byte) error {
	if len(rec) > maxRecord {
		return fmt.Errorf("datadir: record of %d bytes exceeds %d", len(rec), maxRecord)
	}
	buf := make([]byte, 8+len(rec))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(rec)))
	binary.BigEndian.PutUint32(buf[4:8], crc32.Checksum(rec, castagnoli))
	copy(buf[8:], rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(buf); err != nil {
		return err
	}
	l.size += int64(len(buf))
	if l.sync {
		return l.f.Sync()
	}
	return nil
}

// Size is the log's length in bytes, for deciding when to compact.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Truncate empties the log, after its records were folded into a snapshot.
func (l *Log) Truncate() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	l.size = 0
	_, err := l.f.Seek(0, io.SeekStart)
	if err == nil && l.sync {
		err = l.f.Sync()
	}
	return err
}

// Close closes the log file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
