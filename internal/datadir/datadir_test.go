package datadir

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSecondOpenNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks are per open file description, so a second Open in this
	// process conflicts just as a second process would.
	_, err = Open(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second Open: %v; want ErrLocked naming pid %d", err, os.Getpid())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	d2.Close()
}

func TestLockHeldByAnotherProcess(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) not installed")
	}
	dir := t.TempDir()
	lock := filepath.Join(dir, LockName)
	os.WriteFile(lock, []byte("4242\n"), 0o644)
	cmd := exec.Command("flock", "-x", lock, "sh", "-c", "echo locked; read x")
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "4242") {
		t.Fatalf("Open while another process holds the lock: %v", err)
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, v := range []string{"one", "two"} {
		if err := d.WriteFile("sub/state.json", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.ReadFile("sub/state.json")
	if err != nil || string(got) != "two" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	ents, _ := os.ReadDir(filepath.Join(d.Path(), "sub"))
	if len(ents) != 1 {
		t.Fatalf("temp files left behind: %v", ents)
	}
}

func TestLogReplaysAndCutsATornTail(t *testing.T) {
	dir := t.TempDir()
	d, _ := Open(dir)
	defer d.Close()
	l, err := d.OpenLog("changes.log", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"a", "bb", "ccc"} {
		if err := l.Append([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	// A crash mid-append: half a record at the end.
	f, _ := os.OpenFile(filepath.Join(dir, "changes.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0, 0, 0, 9, 1, 2})
	f.Close()

	var got []string
	l, err = d.OpenLog("changes.log", true, func(rec []byte) error {
		got = append(got, string(rec))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,bb,ccc" {
		t.Fatalf("replayed %q", got)
	}
	if l.Size() != 3*8+6 {
		t.Fatalf("size after cutting the torn tail = %d", l.Size())
	}
	l.Append([]byte("d"))
	l.Truncate()
	l.Append([]byte("e"))
	l.Close()
	got = nil
	l, _ = d.OpenLog("changes.log", false, func(rec []byte) error { got = append(got, string(rec)); return nil })
	l.Close()
	if strings.Join(got, ",") != "e" {
		t.Fatalf("after Truncate replayed %q", got)
	}
}

func FuzzReplay(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "l"), data, 0o644)
		d, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		l, err := d.OpenLog("l", false, func([]byte) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if l.Size() > int64(len(data)) {
			t.Fatalf("size %d > input %d", l.Size(), len(data))
		}
		l.Close()
	})
}
