"""A webhook receiver for Alertmanager that prints every notification (compose demo)."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class PrintNotifications(BaseHTTPRequestHandler):
    """Answers 200 to every POST and prints its alerts, one line each."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            for alert in json.loads(body).get("alerts", []):
                print(json.dumps(alert, sort_keys=True), flush=True)
        except (ValueError, AttributeError):
            print(body.decode(errors="replace"), flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """No access log: the notifications are the log."""


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    HTTPServer(("0.0.0.0", port), PrintNotifications).serve_forever()
