package main

import (
	"encoding/json"
	"testing"
)

func TestScanNextReadsHubAndStrawberryJSONLikeEncodingJSON(t *testing.T) {
	hub := `{"id":"md","type":"next","payload":{"data":{"marketData":{"kind":"INCREMENT","seq":42,` +
		`"ticks":[{"instrumentId":"FX.EURUSD","bid":"1.1","ask":"1.2","sequence":7,"receivedAtMs":1732420000123.5},` +
		`{"instrumentId":"FX.GBPUSD","bid":"1.3","ask":"1.4","sequence":9,"receivedAtMs":1732420000200}]}}}}`
	strawberry := `{"type": "next", "id": "md", "payload": {"data": {"marketData": {"kind": "SNAPSHOT", ` +
		`"seq": 0, "ticks": [{"instrumentId": "FX.EURUSD", "sequence": 3, "receivedAtMs": 1.5e3}]}}}}`
	for _, raw := range []string{hub, strawberry} {
		var want message
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		var got nextMsg
		if !scanNext([]byte(raw), &got) {
			t.Fatalf("not scanned: %s", raw)
		}
		md := want.Payload.Data.MarketData
		if got.seq != md.Seq || got.snapshot != (md.Kind == "SNAPSHOT") || len(got.recv) != len(md.Ticks) {
			t.Fatalf("got %+v, want %+v", got, md)
		}
		for i, tk := range md.Ticks {
			if got.recv[i] != tk.ReceivedAtMs {
				t.Fatalf("tick %d: got %v want %v", i, got.recv[i], tk.ReceivedAtMs)
			}
		}
	}
}

func TestScanNextLeavesOtherMessagesToEncodingJSON(t *testing.T) {
	var m nextMsg
	for _, raw := range []string{`{"type":"connection_ack"}`, `{"type":"ping"}`,
		`{"id":"md","type":"error","payload":[{"message":"no"}]}`} {
		if scanNext([]byte(raw), &m) {
			t.Fatalf("scanned %s", raw)
		}
	}
}
