package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

func roomIDs(t testing.TB, s *webtest.Server, token string) []int64 {
	t.Helper()
	var res struct {
		Rooms []wire.Room `json:"rooms"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/rooms", nil, token).JSON(t, &res)
	ids := make([]int64, len(res.Rooms))
	for i, r := range res.Rooms {
		ids[i] = r.ID
	}
	return ids
}

func TestRooms(t *testing.T) {
	s := newServer(t)
	bea, beaUser := s.Join(t, "Bea Member")
	cyd, cydUser := s.Join(t, "Cyd Member")
	closed := createRoom(t, s, bea, "Secret Plans", "closed", cydUser.ID)
	if closed.Type != "closed" || closed.CreatorID != beaUser.ID || closed.Name != "Secret Plans" {
		t.Fatalf("created %+v", closed)
	}
	admin := s.AdminToken
	longName := strings.Repeat("r", 121)

	run(t, s, []scenario{
		// Creating.
		{"blank name", "POST", "/api/v1/rooms", map[string]any{"name": "  "}, bea, 422, "invalid_name"},
		{"missing name", "POST", "/api/v1/rooms", map[string]any{"type": "open"}, bea, 422, "invalid_name"},
		{"name too long", "POST", "/api/v1/rooms", map[string]any{"name": longName}, bea, 422, "name_too_long"},
		{"name at the limit", "POST", "/api/v1/rooms", map[string]any{"name": longName[1:]}, bea, 201, ""},
		{"bad type", "POST", "/api/v1/rooms", map[string]any{"name": "x", "type": "secret"}, bea, 422, "invalid_type"},
		{"direct via create", "POST", "/api/v1/rooms", map[string]any{"name": "x", "type": "direct"}, bea, 422, "invalid_type"},
		{"unknown member", "POST", "/api/v1/rooms", map[string]any{"name": "x", "user_ids": []int64{4242}}, bea, 422, "unknown_user"},
		{"user_ids wrong type", "POST", "/api/v1/rooms", map[string]any{"name": "x", "user_ids": "1,2"}, bea, 400, "invalid_field"},
		{"no auth", "POST", "/api/v1/rooms", map[string]any{"name": "x"}, "", 401, "unauthorized"},

		// Reading: a non-member can't tell a closed room exists.
		{"member gets", "GET", roomPath(closed.ID), nil, cyd, 200, ""},
		{"admin non-member", "GET", roomPath(closed.ID), nil, admin, 404, "not_found"},
		{"non-member messages", "GET", roomPath(closed.ID, "messages"), nil, admin, 404, "not_found"},
		{"non-member post", "POST", roomPath(closed.ID, "messages"), map[string]string{"body": "hi"}, admin, 404, "not_found"},
		{"non-member involvement", "PUT", roomPath(closed.ID, "involvement"), map[string]string{"involvement": "everything"}, admin, 404, "not_found"},
		{"non-member read", "POST", roomPath(closed.ID, "read"), nil, admin, 404, "not_found"},
		{"unknown room", "GET", roomPath(999999), nil, bea, 404, "not_found"},
		{"bad id", "GET", "/api/v1/rooms/abc", nil, bea, 404, "not_found"},
		{"bad id messages", "GET", "/api/v1/rooms/abc/messages", nil, bea, 404, "not_found"},
		{"bad id post", "POST", "/api/v1/rooms/1.5/messages", map[string]string{"body": "x"}, bea, 404, "not_found"},

		// Changing: creator or admin only.
		{"member can't rename", "PATCH", roomPath(closed.ID), map[string]string{"name": "Mine"}, cyd, 403, "forbidden"},
		{"member can't delete", "DELETE", roomPath(closed.ID), nil, cyd, 403, "forbidden"},
		{"rename too long", "PATCH", roomPath(closed.ID), map[string]string{"name": longName}, bea, 422, "name_too_long"},
		{"creator renames", "PATCH", roomPath(closed.ID), map[string]string{"name": "Open Plans"}, bea, 200, ""},

		// Involvement.
		{"bad involvement", "PUT", roomPath(closed.ID, "involvement"), map[string]string{"involvement": "loud"}, cyd, 422, "invalid_involvement"},
		{"involvement", "PUT", roomPath(closed.ID, "involvement"), map[string]string{"involvement": "invisible"}, cyd, 200, ""},
		{"read", "POST", roomPath(closed.ID, "read"), nil, cyd, 204, ""},
	})

	t.Run("show lists members", func(t *testing.T) {
		var room wire.Room
		s.Must(t, http.StatusOK, "GET", roomPath(closed.ID), nil, cyd).JSON(t, &room)
		var ids []int64
		for _, m := range room.Members {
			ids = append(ids, m.ID)
			if m.ID != cydUser.ID && m.Email != "" {
				t.Fatalf("member email shown to a member: %+v", m)
			}
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []int64{beaUser.ID, cydUser.ID}) || room.Name != "Open Plans" {
			t.Fatalf("room %+v", room)
		}
		if !room.Invisible || room.Involvement != "invisible" {
			t.Fatalf("cyd's view %+v", room)
		}
	})

	t.Run("members change", func(t *testing.T) {
		s.Must(t, http.StatusOK, "PATCH", roomPath(closed.ID), map[string]any{"user_ids": []int64{}}, bea)
		s.Must(t, http.StatusNotFound, "GET", roomPath(closed.ID), nil, cyd)
	})

	t.Run("delete", func(t *testing.T) {
		s.Must(t, http.StatusNoContent, "DELETE", roomPath(closed.ID), nil, bea)
		s.Must(t, http.StatusNotFound, "GET", roomPath(closed.ID), nil, bea)
		s.Must(t, http.StatusNotFound, "DELETE", roomPath(closed.ID), nil, bea)
	})

	t.Run("admin manages rooms they are in", func(t *testing.T) {
		r := createRoom(t, s, bea, "With Admin", "closed", s.Admin.ID)
		s.Must(t, http.StatusOK, "PATCH", roomPath(r.ID), map[string]string{"name": "Renamed"}, admin)
		s.Must(t, http.StatusNoContent, "DELETE", roomPath(r.ID), nil, admin)
	})
}

func TestOpenRoomsIncludeLaterUsers(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	open := createRoom(t, s, bea, "Lobby", "open")
	closed := createRoom(t, s, bea, "Back Office", "closed")
	late, _ := s.Join(t, "Late Comer")
	ids := roomIDs(t, s, late)
	if !slices.Contains(ids, open.ID) || !slices.Contains(ids, allTalk(t, s)) {
		t.Fatalf("late comer's rooms %v lack open room %d", ids, open.ID)
	}
	if slices.Contains(ids, closed.ID) {
		t.Fatalf("late comer sees closed room %d", closed.ID)
	}
	post(t, s, late, open.ID, "hello from the late comer")
}

func TestDirectRooms(t *testing.T) {
	s := newServer(t)
	bea, beaUser := s.Join(t, "Bea Member")
	cyd, cydUser := s.Join(t, "Cyd Member")
	var first, again, reverse wire.Room
	s.Must(t, http.StatusCreated, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{cydUser.ID}}, bea).JSON(t, &first)
	s.Must(t, http.StatusOK, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{cydUser.ID, cydUser.ID}}, bea).JSON(t, &again)
	s.Must(t, http.StatusOK, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{beaUser.ID}}, cyd).JSON(t, &reverse)
	if first.Type != "direct" || first.ID != again.ID || first.ID != reverse.ID {
		t.Fatalf("direct rooms %d %d %d (%s)", first.ID, again.ID, reverse.ID, first.Type)
	}
	var trio wire.Room
	s.Must(t, http.StatusCreated, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{cydUser.ID, s.Admin.ID}}, bea).JSON(t, &trio)
	if trio.ID == first.ID {
		t.Fatal("a different set of people shares a direct room")
	}
	run(t, s, []scenario{
		{"nobody else", "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{}}, bea, 422, "invalid_user_ids"},
		{"only oneself", "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{beaUser.ID}}, bea, 422, "invalid_user_ids"},
		{"unknown person", "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{777}}, bea, 422, "unknown_user"},
		{"outsider can't read", "GET", roomPath(first.ID, "messages"), nil, s.AdminToken, 404, "not_found"},
		{"can't rename", "PATCH", roomPath(first.ID), map[string]string{"name": "Us"}, bea, 422, "invalid_name"},
		{"involvement mentions refused", "PUT", roomPath(first.ID, "involvement"), map[string]string{"involvement": "mentions"}, bea, 422, "invalid_involvement"},
	})
}
