package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type directRoomRequest struct {
	UserIDs []int64 `json:"user_ids"`
}

// directRoomCreate finds or starts the ping with exactly these people:
// 201 when new, 200 when it already existed.
func (a *API) directRoomCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req directRoomRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	v, created, err := a.core.DirectRoom(r.Context(), u, req.UserIDs)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, wire.NewRoom(v))
	return nil
}
