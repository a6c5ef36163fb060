package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/monitor"
)

// adminStatusShow shows the capacity monitor: the thresholds in force, the
// latest sample, every alert's state and the last hour's samples (admin; an
// extension). Non-admins get 403, as for the other admin endpoints.
func (a *API) adminStatusShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if !u.IsAdmin() {
		return chat.Forbidden("only an administrator can see the server's status")
	}
	if a.monitor == nil {
		return chat.NotFound("status")
	}
	WriteJSON(w, http.StatusOK, a.monitor.Status())
	return nil
}

// Monitor is the capacity monitor the API shows (nil when none), for the
// admin page.
func (a *API) Monitor() *monitor.Monitor { return a.monitor }
