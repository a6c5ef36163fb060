package store

// Attachments is filled in by its feature (see docs/notes.md).
type Attachments interface{}
