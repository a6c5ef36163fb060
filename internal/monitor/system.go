package monitor

import (
	"bufio"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
)

// MemoryInUse is the memory the Go runtime holds from the OS (what
// campfire_memory_usage_bytes reports).
func MemoryInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// MemoryLimit is the memory this process may use: the cgroup's limit when
// it runs in one that has a limit (a container), else the host's memory; 0
// when neither can be read (the memory alert is then off).
func MemoryLimit() uint64 {
	if n, ok := readLimit("/sys/fs/cgroup/memory.max"); ok { // cgroup v2
		return n
	}
	if n, ok := readLimit("/sys/fs/cgroup/memory/memory.limit_in_bytes"); ok { // v1
		return n
	}
	return hostMemory()
}

// readLimit reads a cgroup limit; "max" or an absurd value (v1 writes
// 2^63 rounded to a page) means none.
func readLimit(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n == 0 || n >= 1<<60 {
		return 0, false
	}
	if host := hostMemory(); host > 0 && n > host {
		return host, true
	}
	return n, true
}

func hostMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) >= 1 {
				kb, err := strconv.ParseUint(fields[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// CPUs is how many CPUs this process may use: GOMAXPROCS, which follows a
// container's CPU limit.
func CPUs() float64 { return float64(runtime.GOMAXPROCS(0)) }
