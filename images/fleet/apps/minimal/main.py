"""Minimal fleet service, stdlib only (runs on every family, Python 3.10+).

The frontend sets SERVICE_NAME, PORT, HEALTH_PORT and HEALTH_PATH in the image env; the manifest
sets HOST. HEALTH_PATH on HEALTH_PORT answers {"status": "ok"} (the image HEALTHCHECK probes it);
GET / on PORT answers a small JSON description of the service. Stops cleanly on SIGTERM/SIGINT.
"""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE_NAME = os.environ.get("SERVICE_NAME", os.path.basename(os.path.dirname(os.path.abspath(__file__))))
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8080"))
HEALTH_PORT = int(os.environ.get("HEALTH_PORT", "8081"))
HEALTH_PATH = os.environ.get("HEALTH_PATH", "/health")
STARTED = time.time()


def _handler(routes):
    class Handler(BaseHTTPRequestHandler):
        server_version = SERVICE_NAME

        def do_GET(self):
            route = routes.get(self.path.split("?", 1)[0])
            code, body = (200, route()) if route else (404, {"error": "not found", "path": self.path})
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def info():
    return {
        "service": SERVICE_NAME,
        "status": "running",
        "port": PORT,
        "health_port": HEALTH_PORT,
        "python": sys.version.split()[0],
        "uid": os.getuid(),
        "uptime_s": round(time.time() - STARTED, 3),
    }


def main():
    servers = [
        ThreadingHTTPServer((HOST, HEALTH_PORT), _handler({HEALTH_PATH: lambda: {"status": "ok"}})),
        ThreadingHTTPServer((HOST, PORT), _handler({"/": info})),
    ]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"{SERVICE_NAME}: serving on {HOST}:{PORT}, health {HEALTH_PATH} on {HOST}:{HEALTH_PORT}", flush=True)
    stop.wait()
    for s in servers:
        s.shutdown()
        s.server_close()


if __name__ == "__main__":
    main()
