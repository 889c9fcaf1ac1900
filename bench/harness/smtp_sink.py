"""Just enough of an SMTP server for Django's e-mail backend: it keeps what each message was sent to, and when."""

import email
import email.policy
import socketserver
import threading
import time
from dataclasses import dataclass


@dataclass
class Mail:
    at: float
    to: str
    subject: str


class SmtpSink:
    """Just enough SMTP for Django's backend: accepts everything and keeps each message's To and Subject."""

    def __init__(self):
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

            def handle(self):
                self.reply("220 drill-sink ESMTP")
                while True:
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    verb = line.strip()[:4].upper()
                    if verb == b"EHLO":
                        self.wfile.write(b"250-drill-sink\r\n250 8BITMIME\r\n")
                    elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        self.reply("250 OK")
                    elif verb == b"DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        chunks = []
                        while True:
                            data_line = self.rfile.readline(1 << 20)
                            if not data_line or data_line in (b".\r\n", b".\n"):
                                break
                            chunks.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                        message = email.message_from_bytes(b"".join(chunks), policy=email.policy.default)
                        with sink.lock:
                            sink.mails.append(
                                Mail(time.monotonic(), str(message["To"] or ""), str(message["Subject"] or ""))
                            )
                        self.reply("250 OK queued")
                    elif verb == b"QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)
