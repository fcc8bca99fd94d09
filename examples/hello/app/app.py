"""A tiny stdlib service: GET / on PORT greets, GET /health on HEALTH_PORT answers {"status":"ok"}."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "18080"))
HEALTH_PORT = int(os.environ.get("HEALTH_PORT", "18081"))
HEALTH_PATH = os.environ.get("HEALTH_PATH", "/health")


class Handler(BaseHTTPRequestHandler):
    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == HEALTH_PATH:
            self._send(200, {"status": "ok"})
        elif self.path == "/":
            self._send(200, {"message": os.environ.get("GREETING", "hello"), "uid": os.getuid()})
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, *args):
        pass


def serve(port):
    ThreadingHTTPServer((HOST, port), Handler).serve_forever()


if __name__ == "__main__":
    threading.Thread(target=serve, args=(HEALTH_PORT,), daemon=True).start()
    serve(PORT)
