"""The benchmark stack's app: imports every top-level package of the lock and answers /health."""

import http.server

import fastapi  # noqa: F401
import numpy  # noqa: F401
import pandas  # noqa: F401
import pydantic  # noqa: F401
import scipy  # noqa: F401
import sklearn  # noqa: F401
import uvicorn  # noqa: F401


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')


if __name__ == "__main__":
    http.server.HTTPServer(("127.0.0.1", 18281), Health).serve_forever()
