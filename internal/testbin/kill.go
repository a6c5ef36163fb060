package testbin

import "syscall"

// Kill stops the server with SIGKILL, as a crash or `kill -9` would: no
// close frames, no drain, nothing flushed. It waits for the process to be
// gone; Start runs it again on the same directory and port. Killing a
// stopped server does nothing.
func (s *Server) Kill() {
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}
