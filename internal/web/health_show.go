package web

import (
	"net/http"
	"time"
)

type healthResponse struct {
	Status        string `json:"status"`
	Version       string `json:"version"`
	Instance      string `json:"instance"`
	UptimeSeconds int64  `json:"uptime_seconds"`
}

// healthShow is liveness: the process answers. It checks no dependency, so
// a database outage does not make an orchestrator restart every instance.
func (a *API) healthShow(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, healthResponse{
		Status: "ok", Version: a.version, Instance: a.instance,
		UptimeSeconds: int64(time.Since(a.start).Seconds()),
	})
	return nil
}
