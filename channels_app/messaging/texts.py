"""Fixed replies sent without the LLM, in the agent's language."""

from __future__ import annotations

MEDIA_ACKNOWLEDGEMENT = {
    "es": "¡Gracias! He recibido tu archivo, pero por ahora solo puedo leer mensajes de texto. "
    "¿Me lo puedes contar por escrito?",
    "en": "Thanks! I received your attachment, but for now I can only read text messages. "
    "Could you write it to me instead?",
}

OPT_OUT_CONFIRMATION = {
    "es": "Te has dado de baja: no recibirás más mensajes. Si cambias de idea, envía START.",
    "en": "You have been unsubscribed and will receive no more messages. Reply START to subscribe again.",
}

OPT_IN_CONFIRMATION = {
    "es": "¡Bienvenido de nuevo! Vuelves a estar suscrito. Envía BAJA o STOP para darte de baja.",
    "en": "Welcome back! You are subscribed again. Reply STOP to unsubscribe.",
}


def text_for(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts["es"]
