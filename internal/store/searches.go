package store

// RecentSearches is filled in by its feature (see docs/notes.md).
type RecentSearches interface{}
