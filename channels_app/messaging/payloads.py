"""Twilio's inbound-message webhook parameters, parsed once at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from channels_app.models import ChannelConnection
from channels_app.twilio.addresses import WHATSAPP, split_channel_prefix

MAX_MEDIA = 10  # Twilio sends at most 10 media items per message
MAX_BODY = 4000


@dataclass(frozen=True)
class InboundMessage:
    sid: str
    account_sid: str
    sender: str  # E.164, without the "whatsapp:" prefix
    recipient: str  # E.164, without the prefix
    channel_prefix: str  # "whatsapp" or ""
    body: str
    profile_name: str = ""
    media: list[dict[str, str]] = field(default_factory=list)
    location: dict[str, str] = field(default_factory=dict)
    message_type: str = ""

    @classmethod
    def from_post(cls, post: QueryDict) -> InboundMessage:
        channel_prefix, recipient = split_channel_prefix(post.get("To", ""))
        _sender_prefix, sender = split_channel_prefix(post.get("From", ""))
        try:
            num_media = max(0, min(int(post.get("NumMedia") or 0), MAX_MEDIA))
        except ValueError:
            num_media = 0
        media = [
            {"url": url, "content_type": post.get(f"MediaContentType{index}", "")}
            for index in range(num_media)
            if (url := post.get(f"MediaUrl{index}", ""))
        ]
        location = {
            key: str(post.get(name))
            for key, name in (("latitude", "Latitude"), ("longitude", "Longitude"), ("address", "Address"),
                              ("label", "Label"))
            if post.get(name)
        }  # fmt: skip
        return cls(
            sid=post.get("MessageSid") or post.get("SmsMessageSid") or "",
            account_sid=post.get("AccountSid", ""),
            sender=sender,
            recipient=recipient,
            channel_prefix=channel_prefix,
            body=(post.get("Body") or "").strip()[:MAX_BODY],
            profile_name=(post.get("ProfileName") or "")[:200],
            media=media,
            location=location,
            message_type=post.get("MessageType", ""),
        )

    @property
    def kind(self) -> str:
        """The connection kind Twilio addressed: WhatsApp senders carry the prefix, SMS not."""
        return ChannelConnection.Kind.WHATSAPP if self.channel_prefix == WHATSAPP else ChannelConnection.Kind.SMS

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {"twilio_account_sid": self.account_sid}
        if self.location:
            data["location"] = self.location
        if self.message_type:
            data["message_type"] = self.message_type
        return data
