"""Pluggable mail delivery: SMTP in production, files or the log in development."""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from uuid import uuid4

from gelsencloud.apps.maengelmelder.config import MaengelmelderSettings

LOGGER = logging.getLogger(__name__)


class MailBackend(Protocol):
    """Delivers one plain-text e-mail."""

    def send(self, to: str, subject: str, body: str) -> None:
        """Send ``body`` to ``to``."""


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(body)
    return msg


class SmtpBackend:
    """Send through an SMTP server (STARTTLS and log-in when configured)."""

    def __init__(self, settings: MaengelmelderSettings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one message."""
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(_message(s.mail_from, to, subject, body))


class FileBackend:
    """Write each message as an .eml file (development, tests)."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder, self.sender = folder, sender

    def send(self, to: str, subject: str, body: str) -> None:
        """Write one message file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(_message(self.sender, to, subject, body)))


class LogBackend:
    """Only log that a message would be sent (never the address or the body)."""

    def send(self, to: str, subject: str, body: str) -> None:
        """Log the subject."""
        LOGGER.info("mail not sent (log backend): %s", subject)


def mail_backend(settings: MaengelmelderSettings, var_dir: Path) -> MailBackend:
    """Build the configured backend."""
    if settings.mail_backend == "smtp":
        return SmtpBackend(settings)
    if settings.mail_backend == "log":
        return LogBackend()
    return FileBackend(settings.mail_dir or (Path(var_dir) / "mail"), settings.mail_from)
