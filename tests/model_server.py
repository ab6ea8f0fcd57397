"""A model download server on 127.0.0.1 for tests: demucs' catalogue layout with one tiny model.

``ModelServer`` serves ``<root>/<signature>-<sha256 prefix>.th`` over HTTP (HEAD, GET, Range)
from a thread, and writes a catalogue folder (``files.txt`` and ``<name>.yaml``, as in
``demucs/remote``). ``env()`` gives the variables that point Woodshed at it. Misbehaviour on
demand: ``drop_after_bytes`` closes the first GET's connection early, ``corrupt_once`` serves
damaged bytes once, ``bytes_per_s`` paces the transfer.
"""
from __future__ import annotations

import hashlib
import http.server
import io
import re
import threading
import time
from pathlib import Path

import tiny_models

SIGNATURE = "0badf00d"


class ModelServer:
    def __init__(self, folder: Path, name: str = "tinydl", segment_s: float = 1.0,
                 payload: bytes | None = None):
        """Serves a tiny 6-stem model, or ``payload`` (the bytes of a saved model)."""
        self.folder = Path(folder)
        self.name = name
        if payload is None:
            buf = io.BytesIO()
            tiny_models._save(tiny_models.tiny_htdemucs(tiny_models.SIX_STEMS, 7, segment_s), buf)
            payload = buf.getvalue()
        self.payload = payload
        self.sha256 = hashlib.sha256(self.payload).hexdigest()
        self.file_name = f"{SIGNATURE}-{self.sha256[:8]}.th"
        self.catalogue = self.folder / "catalogue"
        self.catalogue.mkdir(parents=True, exist_ok=True)
        (self.catalogue / "files.txt").write_text(f"# test models\nroot: weights/\n{self.file_name}\n")
        (self.catalogue / f"{name}.yaml").write_text(f"models: ['{SIGNATURE}']\n")
        self.drop_after_bytes: int | None = None
        self.corrupt_once = False
        self.bytes_per_s: float | None = None
        self.requests: list[tuple[str, str | None]] = []  # (method, Range header)
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def env(self, models_dir: Path) -> dict[str, str]:
        return {"WOODSHED_MODEL_URL": self.url, "WOODSHED_MODEL_CATALOGUE": str(self.catalogue),
                "WOODSHED_MODELS_DIR": str(models_dir)}

    def start(self) -> "ModelServer":
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _head(self, body_len: int, start: int) -> None:
                if start:
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(owner.payload) - 1}/{len(owner.payload)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(body_len))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()

            def _start(self) -> int | None:
                if self.path != f"/weights/{owner.file_name}":
                    self.send_error(404)
                    return None
                m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                return int(m.group(1)) if m else 0

            def do_HEAD(self):
                owner.requests.append(("HEAD", self.headers.get("Range")))
                start = self._start()
                if start is not None:
                    self._head(len(owner.payload), 0)

            def do_GET(self):
                owner.requests.append(("GET", self.headers.get("Range")))
                start = self._start()
                if start is None:
                    return
                body = owner.payload[start:]
                if owner.corrupt_once:
                    owner.corrupt_once = False
                    body = bytes(b ^ 0x5A for b in body)
                self._head(len(body), start)
                limit = len(body)
                if owner.drop_after_bytes is not None:
                    limit, owner.drop_after_bytes = min(limit, owner.drop_after_bytes), None
                sent = 0
                while sent < limit:
                    chunk = body[sent:min(limit, sent + 16384)]  # small steps: paced evenly
                    try:
                        self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        return  # the client cancelled
                    sent += len(chunk)
                    if owner.bytes_per_s:
                        time.sleep(len(chunk) / owner.bytes_per_s)
                if limit < len(body):
                    self.wfile.flush()
                    self.close_connection = True  # the dropped connection: fewer bytes than promised

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
