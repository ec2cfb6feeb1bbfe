"""Record moto's answers once, replay them from memory: an endpoint that is not the bottleneck.

At 100 accounts x 17 Regions moto spends more CPU serving the scan than the scanner spends making
it, so a scan against moto measures moto. ``RecordingServer`` forwards each request to moto and
keeps the answer; ``ReplayServer`` answers the same requests from a dict after the fixed delay,
at a few hundred microseconds of CPU each, in a process of its own.

A request is known by (access key, Region, method, path and query, body): the signature and dates
change on every run, those do not. AssumeRole answers are replayed too, so the scanner signs with
the same member keys as when recording and every later request finds its answer. The recording is
made by the same code that is measured (one scan against moto first), so a change to what the
scanner sends cannot make the replay miss; a miss is answered 500 and counted, never hidden.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.support.proxy import error_response, identify

Key = tuple[str, str, str, str, bytes]
Answer = tuple[int, list[tuple[str, str]], bytes]
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/")
_DROP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date"})


def request_key(method: str, path: str, headers: Any, body: bytes) -> Key:
    scope = _SCOPE.search(headers.get("Authorization", ""))
    key, region = scope.groups() if scope else ("", "")
    return key, region, method, path, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request access log."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, data = self.server.answer(self.command, self.path, self.headers, body)
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _DROP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        host, port = self.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> Answer:
        raise NotImplementedError

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, daemon=True).start()


class RecordingServer(_Server):
    """Forwards to moto (one connection per request: moto closes them) and keeps every answer."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.recorded: dict[Key, Answer] = {}
        self.lock = threading.Lock()

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _DROP}
            sent["Content-Length"] = str(len(body))
            conn.request(method, path, body=body or None, headers=sent)
            resp = conn.getresponse()
            got: Answer = (resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()
        with self.lock:
            self.recorded[request_key(method, path, headers, body)] = got
        return got


class ReplayServer(_Server):
    """Answers recorded requests after ``delay_s``; ``failing`` ((service, operation) pairs)
    answer HTTP 500 everywhere, the way an API that never recovers does."""

    def __init__(self, recorded: dict[Key, Answer], delay_s: float) -> None:
        super().__init__()
        self.recorded = recorded
        self.delay_s = delay_s
        self.failing: set[tuple[str, str]] = set()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.misses = 0
        self.lock = threading.Lock()

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> Answer:
        call = identify(method, path, dict(headers.items()), body, lambda key, _: key)
        with self.lock:
            self.calls[(call.service, call.operation)] += 1
        time.sleep(self.delay_s)
        if (call.service, call.operation) in self.failing:
            status, out, data = error_response(call, "http500")
            return status, list(out.items()), data
        found = self.recorded.get(request_key(method, path, headers, body))
        if found is None:
            with self.lock:
                self.misses += 1
            return 500, [("Content-Type", "text/plain")], b"not recorded"
        if (call.service, call.operation) == ("sts", "AssumeRole"):
            return _fresh(found)
        return found


_EXPIRATION = re.compile(rb"<Expiration>[^<]*</Expiration>")


def _fresh(answer: Answer) -> Answer:
    """Recorded assumed-role keys, valid for an hour from now: a recording replayed later would
    otherwise hand out keys that expired long ago (the scanner refreshes those, in vain)."""
    status, headers, data = answer
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)).encode()
    return status, headers, _EXPIRATION.sub(b"<Expiration>" + later + b"</Expiration>", data)


def serve_replay(recorded: dict[Key, Answer], delay_s: float, replies: Any, commands: Any) -> None:
    """Process entry point: replay until "stop"; "reset", "count" and ("fail", svc, op)."""
    server = ReplayServer(recorded, delay_s)
    server.start()
    replies.put(server.url)
    while (command := commands.get()) != "stop":
        if command == "reset":
            with server.lock:
                server.calls.clear()
                server.misses = 0
                server.failing.clear()
            replies.put(None)
        elif command == "count":
            with server.lock:
                replies.put((dict(server.calls), server.misses))
        elif command[0] == "fail":
            server.failing.add((command[1], command[2]))
            replies.put(None)
    server.shutdown()
