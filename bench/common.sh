# Helpers the bench scripts source: a free loopback port (scripts/loopback_port.py), and figures
# out of wrk's --latency text.
free_port() { /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../scripts/loopback_port.py"; }
rps() { grep -E "^Requests/sec" | awk '{print $2}'; }        # requests/s, from wrk's output on stdin
lat() { grep -E "^ +$1%" | awk '{print $2}'; }              # latency at percentile $1 (50, 99, ...)
