"""TwiML documents for voice calls, built with the twilio SDK's builders (never by hand)."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from channels_app.voice.config import VoiceSettings


def _say(response: VoiceResponse, text: str, *, language: str, voice: str = "") -> None:
    response.say(text, language=language, voice=voice or None)


def relay_twiml(*, settings: VoiceSettings, relay_url: str, action_url: str, parameters: dict[str, str]) -> str:
    """<Connect action=…><ConversationRelay …> with the agent's greeting and voice."""
    response = VoiceResponse()
    connect = response.connect(action=action_url, method="POST")
    relay = connect.conversation_relay(
        url=relay_url,
        welcome_greeting=settings.greeting,
        welcome_greeting_interruptible=settings.welcome_greeting_interruptible,
        language=settings.language,
        tts_provider=settings.tts_provider or None,
        voice=settings.voice or None,
        transcription_provider=settings.transcription_provider or None,
        speech_model=settings.speech_model or None,
        hints=settings.hints or None,
        interruptible=settings.interruptible,
        dtmf_detection="true" if settings.dtmf_detection else "false",
    )
    for language in settings.languages:
        relay.language(
            code=language.code,
            tts_provider=language.tts_provider or None,
            voice=language.voice or None,
            transcription_provider=language.transcription_provider or None,
            speech_model=language.speech_model or None,
        )
    for name, value in parameters.items():
        relay.parameter(name=name, value=value)
    return str(response)


def apology_twiml(*, text: str, language: str, voice: str = "") -> str:
    """A spoken apology, then hang up: never an error tone."""
    response = VoiceResponse()
    _say(response, text, language=language, voice=voice)
    response.hangup()
    return str(response)


def hangup_twiml(*, text: str = "", language: str = "es-ES", voice: str = "") -> str:
    response = VoiceResponse()
    if text:
        _say(response, text, language=language, voice=voice)
    response.hangup()
    return str(response)


def dial_twiml(*, number: str, text: str = "", language: str = "es-ES", voice: str = "") -> str:
    """Transfer the caller to a person."""
    response = VoiceResponse()
    if text:
        _say(response, text, language=language, voice=voice)
    response.dial(number)
    return str(response)


def gather_twiml(*, text: str, action_url: str, settings: VoiceSettings, goodbye: str) -> str:
    """Say `text` while listening for the caller's answer (and the handoff digit); hang up
    politely on silence."""
    response = VoiceResponse()
    keypad = settings.handoff_enabled and bool(settings.handoff_digit)
    gather = response.gather(
        input="dtmf speech" if keypad else "speech",
        num_digits=1 if keypad else None,
        action=action_url,
        method="POST",
        language=settings.language,
        speech_timeout="auto",
        hints=settings.hints or None,
    )
    gather.say(text, language=settings.language, voice=settings.say_voice or None)
    _say(response, goodbye, language=settings.language, voice=settings.say_voice)
    response.hangup()
    return str(response)
