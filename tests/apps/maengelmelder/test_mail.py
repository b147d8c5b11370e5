"""Mail backends: SMTP against a minimal local SMTP server, files for development, log only."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes

from gelsencloud.apps.maengelmelder.config import MaengelmelderSettings
from gelsencloud.apps.maengelmelder.mail import FileBackend, LogBackend, SmtpBackend, mail_backend


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough RFC 5321 to accept one message."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 test\r\n")
            elif command.startswith(("MAIL", "RCPT")):
                self.server.envelope.append(line.decode().strip())
                self.wfile.write(b"250 OK\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.messages.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


def test_smtp_backend_delivers_to_a_real_smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.messages, server.envelope = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = MaengelmelderSettings(
            mail_backend="smtp",
            smtp_host="127.0.0.1",
            smtp_port=server.server_address[1],
            smtp_starttls=False,
        )
        backend = mail_backend(settings, var_dir=".")
        assert isinstance(backend, SmtpBackend)
        backend.send("buerger@example.org", "GE-meldet: Test", "Hallo Gelsenkirchen")
    finally:
        server.shutdown()
        server.server_close()
    [raw] = server.messages
    message = message_from_bytes(raw)
    assert message["To"] == "buerger@example.org" and message["Subject"] == "GE-meldet: Test"
    assert "Hallo Gelsenkirchen" in message.get_payload(decode=True).decode()
    assert any("buerger@example.org" in e for e in server.envelope)


def test_file_and_log_backends(tmp_path, caplog):
    backend = mail_backend(
        MaengelmelderSettings(mail_backend="file", mail_dir=tmp_path / "m"), var_dir=tmp_path
    )
    assert isinstance(backend, FileBackend)
    backend.send("a@example.org", "Betreff", "Text")
    [path] = (tmp_path / "m").glob("*.eml")
    assert message_from_bytes(path.read_bytes())["Subject"] == "Betreff"
    default = mail_backend(MaengelmelderSettings(mail_backend="file"), var_dir=tmp_path)
    assert default.folder == tmp_path / "mail"
    log = mail_backend(MaengelmelderSettings(mail_backend="log"), var_dir=tmp_path)
    assert isinstance(log, LogBackend)
    with caplog.at_level("INFO"):
        log.send("geheim@example.org", "Betreff 2", "Text")
    assert "Betreff 2" in caplog.text and "geheim@example.org" not in caplog.text
