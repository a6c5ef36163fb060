package store

// PushSubscriptions is filled in by its feature (see docs/notes.md).
type PushSubscriptions interface{}
