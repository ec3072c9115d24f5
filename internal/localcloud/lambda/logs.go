package lambda

import (
	"bytes"
	"io"
	"sync"
)

// maxLogLine bounds a buffered log line; a longer line is emitted in pieces.
const maxLogLine = 256 * 1024

// logSink serializes the prefixed lines of all functions into one writer.
type logSink struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (s *logSink) write(prefix, line []byte) {
	if s.w == nil {
		return
	}
	s.mu.Lock()
	s.buf = append(append(append(s.buf[:0], prefix...), line...), '\n')
	_, _ = s.w.Write(s.buf)
	s.mu.Unlock()
}

// lineWriter splits one output stream of an instance into lines and passes each to the
// sink with the function's prefix and to the function's line callback. exec.Cmd calls
// Write from one goroutine per stream.
type lineWriter struct {
	sink   *logSink
	prefix []byte
	onLine func([]byte)
	buf    []byte
}

func newLineWriter(sink *logSink, name string, onLine func([]byte)) *lineWriter {
	return &lineWriter{sink: sink, prefix: []byte("[" + name + "] "), onLine: onLine}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	start := 0
	for {
		i := bytes.IndexByte(w.buf[start:], '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[start : start+i])
		start += i + 1
	}
	for len(w.buf)-start > maxLogLine {
		w.emit(w.buf[start : start+maxLogLine])
		start += maxLogLine
	}
	w.buf = w.buf[:copy(w.buf, w.buf[start:])]
	return len(p), nil
}

// flush emits a last line that had no newline.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	w.sink.write(w.prefix, line)
	if w.onLine != nil {
		w.onLine(bytes.Clone(line))
	}
}
