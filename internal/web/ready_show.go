package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// readyTimeout bounds each dependency check; a database slower than this
// is not ready to serve chat.
const readyTimeout = 2 * time.Second

type readyResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	Error  *errorDetail      `json:"error,omitempty"`
}

// readyShow is readiness: 200 when every dependency answers, else 503
// naming the ones that did not. Details of a failure go to the log only.
func (a *API) readyShow(w http.ResponseWriter, r *http.Request) error {
	res := readyResponse{Status: "ok", Checks: make(map[string]string, len(a.ready))}
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		failed []string
	)
	for _, c := range a.ready {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			err := c.Check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				a.log.Warn("not ready", "check", c.Name, "err", err)
				res.Checks[c.Name] = "unavailable"
				failed = append(failed, c.Name)
				return
			}
			res.Checks[c.Name] = "ok"
		})
	}
	wg.Wait()
	if len(failed) == 0 {
		WriteJSON(w, http.StatusOK, res)
		return nil
	}
	res.Status = "unavailable"
	res.Error = &errorDetail{Code: "not_ready", Message: strings.Join(failed, ", ") + " not answering"}
	if info := infoFrom(r.Context()); info != nil {
		info.code = res.Error.Code
	}
	WriteJSON(w, http.StatusServiceUnavailable, res)
	return nil
}
