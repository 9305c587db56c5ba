"""How an agent sounds on the phone: read from the published version and the connection.

`Agent.voice` (frozen into each AgentVersion snapshot) may hold these keys; every one is
optional and anything else is ignored:

    language                        BCP-47 code for speech synthesis and recognition
                                    ("es-ES"); default derived from the agent's language.
    tts_provider                    ConversationRelay ttsProvider ("ElevenLabs", "Google", "Amazon").
    voice                           The provider's voice id.
    transcription_provider          "Deepgram" or "Google".
    speech_model                    The transcription provider's model.
    hints                           Comma-separated words that help recognition.
    interruptible                   Whether the caller can talk over the agent: "any" (default),
                                    "speech", "dtmf" or "none"; true/false also accepted.
    welcome_greeting_interruptible  The same, for the greeting (default "any").
    dtmf_detection                  Forward keypad presses (default: on when a handoff number is set).
    handoff_digit                   Keypad digit that asks for a person (default "0"; "" turns it off).
    say_voice                       Voice for <Say> (apologies, the Gather fallback), e.g. "Polly.Lucia".
    languages                       Extra languages the caller may switch to, each
                                    {"code", "tts_provider", "voice", "transcription_provider",
                                    "speech_model"}; the first prompt transcribed in one of them
                                    switches the session's speech to it.

`ChannelConnection.settings["mode"]`: "relay" (default, ConversationRelay) or "gather" (turn by
turn <Gather input="speech">/<Say>, for accounts without ConversationRelay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_LOCALES = {"es": "es-ES", "en": "en-US"}
INTERRUPTIBLE_VALUES = ("any", "speech", "dtmf", "none")

GREETINGS = {
    "es": "Hola, ¿en qué puedo ayudarle?",
    "en": "Hello, how can I help you?",
}
APOLOGIES = {
    "es": "Lo sentimos, en este momento no podemos atender su llamada. Por favor, inténtelo más tarde.",
    "en": "Sorry, we can't take your call right now. Please try again later.",
}
TRANSFER_LINES = {
    "es": "Le paso con una persona del equipo. Un momento, por favor.",
    "en": "I'm transferring you to a member of the team. One moment, please.",
}
NOT_UNDERSTOOD = {
    "es": "Perdone, no le he entendido. ¿Puede repetirlo?",
    "en": "Sorry, I didn't catch that. Could you say it again?",
}
GOODBYES = {
    "es": "Gracias por llamar. Hasta pronto.",
    "en": "Thank you for calling. Goodbye.",
}


def locale_for(language: str) -> str:
    """BCP-47 tag for a language code: "es" → "es-ES"; tags pass through."""
    language = (language or "es").strip()
    if "-" in language:
        return language
    return DEFAULT_LOCALES.get(language.lower(), language.lower())


def primary(language: str) -> str:
    return language.split("-", 1)[0].lower()


def line(lines: dict[str, str], language: str) -> str:
    return lines.get(primary(language), lines["es"])


def _interruptible(value: Any, default: str = "any") -> str:
    if isinstance(value, bool):
        return "any" if value else "none"
    value = str(value or "").strip().lower()
    if value in ("true", "false"):
        return "any" if value == "true" else "none"
    return value if value in INTERRUPTIBLE_VALUES else default


@dataclass(frozen=True)
class RelayLanguage:
    code: str
    tts_provider: str = ""
    voice: str = ""
    transcription_provider: str = ""
    speech_model: str = ""


@dataclass(frozen=True)
class VoiceSettings:
    language: str
    greeting: str
    tts_provider: str = ""
    voice: str = ""
    transcription_provider: str = ""
    speech_model: str = ""
    hints: str = ""
    interruptible: str = "any"
    welcome_greeting_interruptible: str = "any"
    dtmf_detection: bool = False
    handoff_number: str = ""
    handoff_digit: str = "0"
    say_voice: str = ""
    mode: str = "relay"
    languages: tuple[RelayLanguage, ...] = field(default_factory=tuple)

    @property
    def handoff_enabled(self) -> bool:
        return bool(self.handoff_number)

    def match_language(self, spoken: str) -> str | None:
        """The configured language a transcript's `lang` belongs to, if any."""
        if not spoken:
            return None
        codes = [self.language, *(item.code for item in self.languages)]
        for code in codes:
            if code.lower() == spoken.lower():
                return code
        for code in codes:
            if primary(code) == primary(spoken):
                return code
        return None

    @classmethod
    def from_snapshot(
        cls, snapshot: dict[str, Any], connection_settings: dict[str, Any] | None = None
    ) -> VoiceSettings:
        raw_voice = snapshot.get("voice")
        voice: dict[str, Any] = raw_voice if isinstance(raw_voice, dict) else {}
        language = locale_for(str(voice.get("language") or snapshot.get("language") or "es"))
        handoff_number = str(snapshot.get("handoff_phone_number") or "").strip()
        languages = tuple(
            RelayLanguage(
                code=locale_for(str(item["code"])),
                tts_provider=str(item.get("tts_provider") or ""),
                voice=str(item.get("voice") or ""),
                transcription_provider=str(item.get("transcription_provider") or ""),
                speech_model=str(item.get("speech_model") or ""),
            )
            for item in voice.get("languages") or []
            if isinstance(item, dict) and item.get("code")
        )
        dtmf = voice.get("dtmf_detection")
        mode = str((connection_settings or {}).get("mode") or "relay")
        return cls(
            language=language,
            greeting=str(snapshot.get("greeting") or "").strip() or line(GREETINGS, language),
            tts_provider=str(voice.get("tts_provider") or ""),
            voice=str(voice.get("voice") or ""),
            transcription_provider=str(voice.get("transcription_provider") or ""),
            speech_model=str(voice.get("speech_model") or ""),
            hints=str(voice.get("hints") or ""),
            interruptible=_interruptible(voice.get("interruptible")),
            welcome_greeting_interruptible=_interruptible(voice.get("welcome_greeting_interruptible")),
            dtmf_detection=bool(handoff_number) if dtmf is None else bool(dtmf),
            handoff_number=handoff_number,
            handoff_digit=str(voice.get("handoff_digit", "0") or ""),
            say_voice=str(voice.get("say_voice") or ""),
            mode="gather" if mode == "gather" else "relay",
            languages=languages,
        )
