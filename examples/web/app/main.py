"""FastAPI on PORT (uvicorn) and a stdlib /health on HEALTH_PORT: both ports of the contract."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fastapi
import pydantic
import uvicorn

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "18180"))
HEALTH_PORT = int(os.environ.get("HEALTH_PORT", "18181"))
HEALTH_PATH = os.environ.get("HEALTH_PATH", "/health")

app = fastapi.FastAPI()


class Item(pydantic.BaseModel):
    name: str


@app.get("/")
def root():
    return {"fastapi": fastapi.__version__, "pydantic": pydantic.VERSION, "uvicorn": uvicorn.__version__, "uid": os.getuid()}


@app.post("/items")
def items(item: Item):
    return {"name": item.name}


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == HEALTH_PATH
        body = json.dumps({"status": "ok"} if ok else {"error": "not found"}).encode()
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer((HOST, HEALTH_PORT), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uvicorn.run(app, host=HOST, port=PORT, log_level="warning")
