package store

// Previews is filled in by its feature (see docs/notes.md).
type Previews interface{}
