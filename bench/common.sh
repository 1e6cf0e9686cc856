# Helpers the bench scripts source: a free loopback port, and figures out of wrk's --latency text.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rps() { grep -E "^Requests/sec" | awk '{print $2}'; }        # requests/s, from wrk's output on stdin
lat() { grep -E "^ +$1%" | awk '{print $2}'; }              # latency at percentile $1 (50, 99, ...)
