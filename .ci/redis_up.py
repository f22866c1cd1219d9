"""Exit 0 when a Redis answers PING at HOST PORT (default 127.0.0.1 6379), 1 otherwise.

Used by `.ci/run` and `make test` to decide whether the Redis tests get a TEST_REDIS_URL.
"""

import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 6379
try:
    with socket.create_connection((host, port), timeout=2) as connection:
        connection.sendall(b"PING\r\n")
        sys.exit(0 if connection.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
