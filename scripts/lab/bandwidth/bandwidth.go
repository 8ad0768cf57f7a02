// Package bandwidth reproduces the course project's headline result: what
// the same chat session costs on the wire in JSON (v2), JSON over TLS
// (v2-tls), binary ChatProto (v3) and binary over TLS (v4). Measure runs
// the deterministic workload against each stage through a recording
// relay, counts the TCP payload in both directions, and accounts for every
// byte: each message's encoding and, over TLS, the handshake, the
// overhead of each record and the closing alert. The report puts the
// seed's figures beside ChatLab's.
package bandwidth

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
	"chatlab/lab/relay"
	"chatlab/lab/stages"
	"chatlab/lab/workload"
)

// Report is the comparison: the figures of every stage, of every message
// kind, and of what TLS adds.
type Report struct {
	Seed     uint64         `json:"seed"`
	Users    []string       `json:"users"`
	Steps    int            `json:"steps"`
	Actions  map[string]int `json:"actions"`
	Sessions int            `json:"sessions"`
	Stages   []StageFigures `json:"stages"`
	Kinds    []KindFigures  `json:"kinds"`
	TLS      []TLSFigures   `json:"tls"`
}

// StageFigures are one stage's bytes, and the seed's for the same stage.
type StageFigures struct {
	Stage          string   `json:"stage"`
	Label          string   `json:"label"`
	ClientToServer int64    `json:"client_to_server_bytes"`
	ServerToClient int64    `json:"server_to_client_bytes"`
	Total          int64    `json:"total_bytes"`
	VsJSON         float64  `json:"vs_json_percent"`
	VsJSONTLS      *float64 `json:"vs_json_tls_percent,omitempty"`
	Seed           Seed     `json:"seed"`
}

// Seed is the course project's figure for a stage: the TCP payload of
// its captures (163-183 s, 5 users) and the bandwidth it quotes.
type Seed struct {
	Total     int64    `json:"total_bytes"`
	Kbps      float64  `json:"kbps"`
	VsJSON    float64  `json:"vs_json_percent"`
	VsJSONTLS *float64 `json:"vs_json_tls_percent,omitempty"`
}

// seedTable is the table of the course project's README.
var seedTable = map[string]struct {
	total int64
	kbps  float64
}{
	"v2":     {656550, 32.07},
	"v2-tls": {804598, 39.28},
	"v3":     {386444, 19.02},
	"v4":     {594154, 25.97},
}

// KindFigures are the messages of one kind and direction in the session:
// how many, and their bytes in each encoding.
type KindFigures struct {
	Kind   string `json:"kind"`
	Dir    string `json:"dir"`
	Count  int64  `json:"count"`
	JSON   int64  `json:"json_bytes"`
	Binary int64  `json:"binary_bytes"`
}

// TLSFigures are what TLS adds to a stage's messages.
type TLSFigures struct {
	Stage       string `json:"stage"`
	Version     string `json:"version"`
	Cipher      string `json:"cipher"`
	Group       string `json:"key_exchange"`
	Connections int    `json:"connections"`
	// Handshake bytes, summed over the connections, each way.
	HandshakeClient int64 `json:"handshake_client_bytes"`
	HandshakeServer int64 `json:"handshake_server_bytes"`
	// HandshakeSame is whether every connection's handshake was the
	// same size.
	HandshakeSame bool `json:"handshake_same_size"`
	// Records carry the messages, one each; each adds RecordOverhead
	// bytes (header, content type, authentication tag).
	Records        int64 `json:"records"`
	RecordOverhead int64 `json:"record_overhead_bytes"`
	// Close is the bytes of the close_notify alerts, both ways.
	Close int64 `json:"close_bytes"`
	// Plain is the bytes of the messages inside; Total what went on the
	// wire.
	Plain int64 `json:"plain_bytes"`
	Total int64 `json:"total_bytes"`
}

// Measure runs script against every stage and returns the comparison.
// The stages run side by side, each against its own server and relay.
func Measure(ctx context.Context, script workload.Script, opts stages.Options) (*Report, error) {
	recs := make([]*stages.Recording, len(stages.All))
	errs := make([]error, len(stages.All))
	var wg sync.WaitGroup
	for i, st := range stages.All {
		wg.Go(func() { recs[i], errs[i] = stages.Run(ctx, st, script, opts) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return Analyse(recs)
}

// Analyse accounts for the bytes of recordings of v2, v2-tls, v3 and v4
// (in that order) of one script.
func Analyse(recs []*stages.Recording) (*Report, error) {
	if len(recs) != len(stages.All) {
		return nil, fmt.Errorf("need a recording of each of %v, have %d", stages.Names(), len(recs))
	}
	for i, rec := range recs {
		if rec.Stage.Name != stages.All[i].Name {
			return nil, fmt.Errorf("recording %d is of %s, want %s", i, rec.Stage.Name, stages.All[i].Name)
		}
		if err := sameMessages(recs[0], rec); err != nil {
			return nil, err
		}
	}
	first := recs[0]
	r := &Report{
		Seed:     first.Script.Seed,
		Users:    first.Script.Users,
		Steps:    len(first.Script.Actions),
		Actions:  map[string]int{},
		Sessions: len(first.Sessions),
	}
	for op, n := range first.Script.Count() {
		r.Actions[op.String()] = n
	}
	for _, rec := range recs {
		sf, tf, err := analyse(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rec.Stage.Name, err)
		}
		r.Stages = append(r.Stages, sf)
		if tf != nil {
			r.TLS = append(r.TLS, *tf)
		}
	}
	jsonTotal, jsonTLSTotal := r.Stages[0].Total, r.Stages[1].Total
	seedJSON, seedJSONTLS := seedTable["v2"].total, seedTable["v2-tls"].total
	for i := range r.Stages {
		s := &r.Stages[i]
		s.VsJSON = change(s.Total, jsonTotal)
		seed := seedTable[s.Stage]
		s.Seed = Seed{Total: seed.total, Kbps: seed.kbps, VsJSON: change(seed.total, seedJSON)}
		if stages.All[i].TLS {
			s.VsJSONTLS = ptr(change(s.Total, jsonTLSTotal))
			s.Seed.VsJSONTLS = ptr(change(seed.total, seedJSONTLS))
		}
	}
	r.Kinds = kinds(first)
	return r, nil
}

func ptr(f float64) *float64 { return &f }

// change is the difference of n from base, in percent.
func change(n, base int64) float64 {
	return float64(n-base) * 100 / float64(base)
}

// sameMessages checks that two recordings exchanged the same messages in
// the same sessions: only the encoding and the transport differ.
func sameMessages(a, b *stages.Recording) error {
	if len(a.Sessions) != len(b.Sessions) {
		return fmt.Errorf("%w: %s had %d sessions, %s %d", ErrSessions, a.Stage.Name, len(a.Sessions), b.Stage.Name, len(b.Sessions))
	}
	for i, sa := range a.Sessions {
		sb := b.Sessions[i]
		if sa.Name != sb.Name || len(sa.Sent) != len(sb.Sent) || len(sa.Received) != len(sb.Received) {
			return fmt.Errorf("%w: session %d differs between %s and %s", ErrSessions, i, a.Stage.Name, b.Stage.Name)
		}
		for j := range sa.Sent {
			if !workload.Equal(&sa.Sent[j], &sb.Sent[j]) {
				return fmt.Errorf("%w: session %d, message sent %d", ErrSessions, i, j)
			}
		}
		for j := range sa.Received {
			if !workload.Equal(&sa.Received[j], &sb.Received[j]) {
				return fmt.Errorf("%w: session %d, message received %d", ErrSessions, i, j)
			}
		}
	}
	return nil
}

// messages returns a session's messages travelling in direction d.
func messages(s *workload.Session, d relay.Dir) ([]proto.Message, proto.Dir) {
	if d == relay.ClientToServer {
		return s.Sent, proto.ClientToServer
	}
	return s.Received, proto.ServerToClient
}

// size is the length of m's encoding by c.
func size(c proto.Codec, m *proto.Message, d proto.Dir) int64 {
	b, err := c.Append(nil, m, d)
	if err != nil {
		panic(fmt.Sprintf("bandwidth: encoding %s: %v", m.Kind, err)) // it was sent or received in this encoding
	}
	return int64(len(b))
}

// analyse counts a recording's bytes and checks that they add up: a
// plain stage's bytes are exactly its messages; a TLS stage's are a
// handshake, one record per message and a closing alert, each way.
func analyse(rec *stages.Recording) (StageFigures, *TLSFigures, error) {
	sf := StageFigures{Stage: rec.Stage.Name, Label: rec.Stage.Label()}
	var tf *TLSFigures
	if rec.Stage.TLS {
		tf = &TLSFigures{Stage: rec.Stage.Name, Connections: len(rec.Sessions), HandshakeSame: true, RecordOverhead: -1}
	}
	var firstHandshake [2]int64
	for i, s := range rec.Sessions {
		f := rec.Flows[i]
		if tf != nil {
			st := s.TLS
			version, cipher, group := tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.CurveID.String()
			if i == 0 {
				tf.Version, tf.Cipher, tf.Group = version, cipher, group
			} else if version != tf.Version || cipher != tf.Cipher || group != tf.Group {
				return sf, nil, fmt.Errorf("session %d negotiated %s %s %s, session 0 %s %s %s", i, version, cipher, group, tf.Version, tf.Cipher, tf.Group)
			}
		}
		for _, d := range []relay.Dir{relay.ClientToServer, relay.ServerToClient} {
			n := f.Bytes(d)
			if d == relay.ClientToServer {
				sf.ClientToServer += n
			} else {
				sf.ServerToClient += n
			}
			msgs, pd := messages(s, d)
			var plain int64
			for j := range msgs {
				plain += size(rec.Stage.Codec, &msgs[j], pd)
			}
			if tf == nil {
				if n != plain {
					return sf, nil, fmt.Errorf("%w: %s's connection carried %d bytes %s, its messages are %d", ErrBytes, s.Name, n, d, plain)
				}
				continue
			}
			hs, err := accountTLS(tf, rec.Stage.Codec, f.Stream(d), msgs, pd)
			if err != nil {
				return sf, nil, fmt.Errorf("%s's connection %s: %w", s.Name, d, err)
			}
			if i == 0 {
				firstHandshake[d] = hs
			} else if hs != firstHandshake[d] {
				tf.HandshakeSame = false
			}
			if d == relay.ClientToServer {
				tf.HandshakeClient += hs
			} else {
				tf.HandshakeServer += hs
			}
		}
	}
	sf.Total = sf.ClientToServer + sf.ServerToClient
	if tf != nil {
		tf.Total = sf.Total
		if sum := tf.HandshakeClient + tf.HandshakeServer + tf.Plain + tf.Records*tf.RecordOverhead + tf.Close; sum != tf.Total {
			return sf, nil, fmt.Errorf("%w: handshakes, messages, record overhead and alerts make %d bytes, the wire carried %d", ErrBytes, sum, tf.Total)
		}
	}
	return sf, tf, nil
}

// accountTLS splits one direction of a TLS connection into its handshake
// records, one record per message, and the closing alert, adds the
// records and alert to tf, and returns the handshake's bytes.
func accountTLS(tf *TLSFigures, c proto.Codec, stream []byte, msgs []proto.Message, d proto.Dir) (int64, error) {
	recs, err := splitRecords(stream)
	if err != nil {
		return 0, err
	}
	handshake := len(recs) - len(msgs) - 1 // the last record is close_notify
	if handshake < 1 {
		return 0, fmt.Errorf("%w: %d records for %d messages, a handshake and an alert", ErrTLSRecords, len(recs), len(msgs))
	}
	var hs int64
	for _, r := range recs[:handshake] {
		hs += int64(r.Size)
	}
	for j, r := range recs[handshake : handshake+len(msgs)] {
		plain := size(c, &msgs[j], d)
		overhead := int64(r.Size) - plain
		if tf.RecordOverhead < 0 {
			tf.RecordOverhead = overhead
		}
		if overhead != tf.RecordOverhead {
			return 0, fmt.Errorf("%w: a record of %d bytes carries %s of %d bytes: %d bytes of overhead, not %d",
				ErrTLSRecords, r.Size, msgs[j].Kind, plain, overhead, tf.RecordOverhead)
		}
		tf.Plain += plain
		tf.Records++
	}
	tf.Close += int64(recs[len(recs)-1].Size)
	return hs, nil
}

// kinds counts a recording's messages by kind and direction, with their
// size in each encoding.
func kinds(rec *stages.Recording) []KindFigures {
	type key struct {
		kind proto.Kind
		dir  proto.Dir
	}
	sums := map[key]*KindFigures{}
	for _, s := range rec.Sessions {
		for _, d := range []relay.Dir{relay.ClientToServer, relay.ServerToClient} {
			msgs, pd := messages(s, d)
			for j := range msgs {
				m := &msgs[j]
				k := key{m.Kind, pd}
				if sums[k] == nil {
					sums[k] = &KindFigures{Kind: m.Kind.String(), Dir: pd.String()}
				}
				sums[k].Count++
				sums[k].JSON += size(jsonwire.Codec{}, m, pd)
				sums[k].Binary += size(binwire.Codec{}, m, pd)
			}
		}
	}
	var out []KindFigures
	for k := proto.KindLogin; k <= proto.KindRoomMsgAck; k++ {
		for _, d := range []proto.Dir{proto.ClientToServer, proto.ServerToClient} {
			if f := sums[key{k, d}]; f != nil {
				out = append(out, *f)
			}
		}
	}
	return out
}
