package main

import (
	"bytes"
	"strconv"
)

// A "next" message is decoded by scanning for the few keys the benchmark needs instead of a
// reflective encoding/json decode: at tens of thousands of frames/s that decode made the load
// client cost as much CPU per frame as the server under test. Whitespace after a key is
// skipped, so both the hub's compact JSON and Strawberry's `": "` separators are read.

var (
	keyType = []byte(`"type":`)
	keyKind = []byte(`"kind":`)
	keySeq  = []byte(`"seq":`)
	keyRecv = []byte(`"receivedAtMs":`)
	valNext = []byte(`"next"`)
	valSnap = []byte(`"SNAPSHOT"`)
)

type nextMsg struct {
	snapshot bool
	seq      int64
	recv     []float64 // receivedAtMs of every tick, in order
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// valueAt is the text after the first occurrence of key, whitespace skipped; nil if absent.
func valueAt(data, key []byte) []byte {
	i := bytes.Index(data, key)
	if i < 0 {
		return nil
	}
	return skipSpace(data[i+len(key):])
}

// number is the JSON number at the start of b.
func number(b []byte) []byte {
	n := 0
	for n < len(b) && (b[n] == '-' || b[n] == '+' || b[n] == '.' || b[n] == 'e' || b[n] == 'E' ||
		(b[n] >= '0' && b[n] <= '9')) {
		n++
	}
	return b[:n]
}

// scanNext fills m from a graphql-transport-ws "next" message of the benchmark's query; false
// when data is another message type or not understood (the caller then uses encoding/json).
func scanNext(data []byte, m *nextMsg) bool {
	if !bytes.HasPrefix(valueAt(data, keyType), valNext) {
		return false
	}
	kind, seqText := valueAt(data, keyKind), valueAt(data, keySeq)
	if kind == nil || seqText == nil {
		return false
	}
	seq, err := strconv.ParseInt(string(number(seqText)), 10, 64)
	if err != nil {
		return false
	}
	m.snapshot, m.seq, m.recv = bytes.HasPrefix(kind, valSnap), seq, m.recv[:0]
	rest := data
	for {
		i := bytes.Index(rest, keyRecv)
		if i < 0 {
			return true
		}
		rest = skipSpace(rest[i+len(keyRecv):])
		v, err := strconv.ParseFloat(string(number(rest)), 64)
		if err != nil {
			return false
		}
		m.recv = append(m.recv, v)
	}
}
