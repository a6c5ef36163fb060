// Package check holds the tests of the deployment files under deploy/:
// Prometheus rules and dashboard PromQL parsed by Prometheus's own parser,
// Kubernetes manifests decoded strictly into the official API types, the
// compose files loaded by the compose specification's loader, and a real
// Prometheus scraping a real campfire. It is a module of its own so the
// server's module gains none of these dependencies.
package check
