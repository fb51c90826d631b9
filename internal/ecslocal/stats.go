package ecslocal

import (
	"encoding/json"
	"maps"
	"net/http"
	"sync"
)

// stats counts authenticated requests per operation.
type stats struct {
	mu     sync.Mutex
	counts map[string]int64
}

func (st *stats) add(op string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.counts == nil {
		st.counts = make(map[string]int64)
	}
	st.counts[op]++
}

func (st *stats) snapshot() map[string]int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := maps.Clone(st.counts)
	if out == nil {
		out = map[string]int64{}
	}
	return out
}

func (st *stats) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.counts = nil
}

// Stats returns how many authenticated requests each operation received
// since the start or the last ResetStats, keyed "service:Operation" with
// the service's signing name: "ecs:RunTask", "logs:GetLogEvents",
// "ec2:DescribeSubnets". Requests answered by an injected fault count too.
func (s *Server) Stats() map[string]int64 { return s.stats.snapshot() }

// ResetStats sets every counter back to zero.
func (s *Server) ResetStats() { s.stats.reset() }

// serveStats answers GET StatsPath with Stats as a JSON object.
func (s *Server) serveStats(w http.ResponseWriter) {
	b, _ := json.Marshal(s.Stats())
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
