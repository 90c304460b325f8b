"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 (a random port) in a thread.

It does what the docs tell receivers to do, written here independently of xinkan.webhooks.signing:
check the signature over "<timestamp>.<body>" and the timestamp's age, then drop an event whose id
it has already processed. It can be told to fail the first requests, to lose the answer to one
(process the event, then answer 500, as when a response is lost), or to redirect.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    event_id: str
    event_type: str
    timestamp: str
    signature: str
    body: bytes
    verified: bool
    status: int


@dataclass
class Receiver:
    secret: str = ""
    fail_first: int = 0
    fail_status: int = 503
    always_fail: bool = False
    lose_answer_to: set[str] = field(default_factory=set)  # event ids: processed, then 500
    redirect_to: str = ""
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/xinkan"

    def verify(self, timestamp: str, body: bytes, signature: str) -> bool:
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", signature)

    def handle(self, headers: Any, body: bytes) -> int:
        if self.delay:
            time.sleep(self.delay)
        timestamp = headers.get("X-Xinkan-Timestamp", "")
        signature = headers.get("X-Xinkan-Signature", "")
        event_id = headers.get("X-Xinkan-Delivery", "")
        verified = self.verify(timestamp, body, signature)
        with self.lock:
            status = self._decide(event_id, body, verified)
            self.requests.append(
                Received(
                    event_id=event_id,
                    event_type=headers.get("X-Xinkan-Event", ""),
                    timestamp=timestamp,
                    signature=signature,
                    body=body,
                    verified=verified,
                    status=status,
                )
            )
        return status

    def _decide(self, event_id: str, body: bytes, verified: bool) -> int:
        if self.redirect_to:
            return 302
        if not verified:
            return 401
        if self.always_fail or len(self.requests) < self.fail_first:
            return self.fail_status
        if event_id in self.processed:
            self.duplicates += 1
            return 200
        self.processed[event_id] = json.loads(body)
        if event_id in self.lose_answer_to:
            self.lose_answer_to.discard(event_id)
            return 500
        return 200

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.handle(self.headers, body)
                answer = json.dumps({"status": status}).encode()
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def events_processed(self) -> set[str]:
        return set(self.processed)
