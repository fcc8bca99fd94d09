"""The benchmark stack's second service: the same lock as app/, its own code (the push scenario)."""

import http.server

import numpy  # noqa: F401
import pandas  # noqa: F401


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')


if __name__ == "__main__":
    http.server.HTTPServer(("127.0.0.1", 18283), Health).serve_forever()
