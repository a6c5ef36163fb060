package migrate

// TableCount is how many tables migrate-data copies (one progress row
// each), so tests need not be edited whenever a table is added.
var TableCount = int64(len(tables))
