"""The account emails: what they say. Links carry the token; nothing else secret is sent."""

from __future__ import annotations

from app.notifications.email import EmailMessage

VERIFY_SUBJECT = "Verify your email"
RESET_SUBJECT = "Reset your password"
EMAIL_CHANGED_SUBJECT = "Your email was changed"


def verification_email(to: str, username: str, link: str, hours: float) -> EmailMessage:
    return EmailMessage(
        to=to,
        subject=VERIFY_SUBJECT,
        body=(
            f"Hi {username},\n\nplease confirm that this is your email address by opening this "
            f"link (it works once, for {hours:g} hours):\n\n{link}\n\n"
            "If you did not sign up for Agora, ignore this email.\n"
        ),
    )


def reset_email(to: str, username: str, link: str, minutes: float) -> EmailMessage:
    return EmailMessage(
        to=to,
        subject=RESET_SUBJECT,
        body=(
            f"Hi {username},\n\nsomeone asked to reset the password of your Agora account. To "
            f"choose a new one, open this link (it works once, for {minutes:g} minutes):\n\n"
            f"{link}\n\nIf it was not you, ignore this email: your password stays as it is.\n"
        ),
    )


def email_changed_email(to: str, username: str, new_email: str) -> EmailMessage:
    return EmailMessage(
        to=to,
        subject=EMAIL_CHANGED_SUBJECT,
        body=(
            f"Hi {username},\n\nthe email address of your Agora account was changed from this "
            f"one to {new_email}.\n\nIf you did not change it, contact us at once.\n"
        ),
    )
