"""Response-time benchmark: MyAgent's overhead against a raw LLM call, in the same run.

Everything runs on this machine: a fake OpenAI-compatible provider with a fixed latency
(time to first byte + per-token delay), the SecantusDB dev server, and daphne serving
the real ASGI app. For each path we report median and p95 of time-to-first-token and
total time, and the ratio to a raw litellm streaming call against the same provider.

    make bench            # or: python -m bench.run --runs 30 --ttfb-ms 300 --token-ms 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPLY = " ".join(f"palabra{i}" for i in range(40))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values), 1), "p95_ms": round(pct(values, 0.95), 1)}


def setup_django(uri: str) -> None:
    os.environ.update(MONGODB_URI=uri, MONGODB_NAME="bench", DJANGO_SETTINGS_MODULE="myagent.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


WHATSAPP_NUMBER = "+34910000999"
TWILIO_TOKEN = "bench-auth-token-0123456789abcdef"


def create_tenant(fake_base_url: str) -> tuple[str, str]:
    from accounts.models import ApiKey, User
    from accounts.services.api_keys import api_key_create
    from accounts.services.organizations import organization_create
    from agents.services.agents import agent_create, agent_publish
    from agents.services.credentials import provider_credential_create

    user = User.objects.create_user(f"bench{time.time_ns()}@example.com", "x")
    organization = organization_create(name="Bench", owner=user)
    provider_credential_create(
        organization=organization, provider="openai_compatible", api_key="sk-bench-000000", base_url=fake_base_url
    )
    agent = agent_create(
        organization=organization, name="Bench", instructions="Answer briefly.", model="openai_compatible/bench"
    )
    agent_publish(organization=organization, agent=agent)
    _key, raw = api_key_create(organization=organization, name="bench", scope=ApiKey.Scope.WRITE)
    from channels_app.messaging.services.accounts import twilio_account_create
    from channels_app.messaging.services.connections import channel_connection_create

    account = twilio_account_create(organization=organization, account_sid="AC" + "b" * 32, auth_token=TWILIO_TOKEN)
    channel_connection_create(
        organization=organization, kind="whatsapp", address=WHATSAPP_NUMBER, agent=agent, twilio_account=account
    )
    return str(agent.pk), raw


async def raw_llm(fake_base_url: str, runs: int) -> tuple[list[float], list[float]]:
    import litellm

    ttft, total = [], []
    for _ in range(runs):
        start = time.perf_counter()
        first = None
        stream = await litellm.acompletion(
            model="openai/bench", api_base=fake_base_url, api_key="sk-bench-000000", stream=True, max_retries=0,
            messages=[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "hola"}],
        )  # fmt: skip
        async for chunk in stream:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter()
        end = time.perf_counter()
        ttft.append((first - start) * 1000)
        total.append((end - start) * 1000)
    return ttft, total


async def api_sse(base: str, agent_id: str, key: str, runs: int) -> tuple[list[float], list[float]]:
    import httpx

    ttft, total = [], []
    headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(runs):
            start = time.perf_counter()
            first = None
            async with client.stream("POST", f"/api/v1/agents/{agent_id}/chat/", json={"message": "hola"},
                                     headers=headers) as response:  # fmt: skip
                async for line in response.aiter_lines():
                    if first is None and line == "event: token":
                        first = time.perf_counter()
            end = time.perf_counter()
            ttft.append((first - start) * 1000)
            total.append((end - start) * 1000)
    return ttft, total


async def api_json(base: str, agent_id: str, key: str, runs: int) -> list[float]:
    import httpx

    total = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(runs):
            start = time.perf_counter()
            response = await client.post(
                f"/api/v1/agents/{agent_id}/chat/", json={"message": "hola"}, headers={"Authorization": f"Bearer {key}"}
            )
            response.raise_for_status()
            total.append((time.perf_counter() - start) * 1000)
    return total


async def webhook_ack(base: str, runs: int) -> list[float]:
    """Signed Twilio WhatsApp webhooks: time until Twilio gets its 200 (the reply is Celery's job)."""
    import httpx
    from twilio.request_validator import RequestValidator

    url = base + "/webhooks/twilio/messaging/"
    validator = RequestValidator(TWILIO_TOKEN)
    total = []
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(runs):
            params = {
                "MessageSid": f"SM{time.time_ns():032x}"[:34], "AccountSid": "AC" + "b" * 32, "Body": f"hola {i}",
                "From": "whatsapp:+34600000001", "To": f"whatsapp:{WHATSAPP_NUMBER}", "NumMedia": "0",
            }  # fmt: skip
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            start = time.perf_counter()
            response = await client.post(url, data=params, headers=headers)
            response.raise_for_status()
            total.append((time.perf_counter() - start) * 1000)
    return total


def wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--ttfb-ms", type=float, default=250)
    parser.add_argument("--token-ms", type=float, default=10)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from myagent.devdb.launcher import start_server
    from tests.fakes import FakeOpenAI

    fake = FakeOpenAI(latency=args.ttfb_ms / 1000, token_delay=args.token_ms / 1000, record_limit=100)
    fake.start()
    for _ in range(4 * args.runs + 4):  # every completion in this run gets the same 40-word reply
        fake.queue(REPLY)
    db = start_server(memory=True)
    setup_django(db.uri)
    agent_id, key = create_tenant(fake.base_url)

    env = dict(os.environ, PUBLIC_BASE_URL=f"http://127.0.0.1:{args.port}")
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(args.port), "myagent.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_http(base + "/healthz")
        # Warm up both sides the same way: imports, pooled connections, caches.
        asyncio.run(raw_llm(fake.base_url, 1))
        asyncio.run(api_json(base, agent_id, key, 2))
        raw_ttft, raw_total = asyncio.run(raw_llm(fake.base_url, args.runs))
        sse_ttft, sse_total = asyncio.run(api_sse(base, agent_id, key, args.runs))
        json_total = asyncio.run(api_json(base, agent_id, key, args.runs))
        ack_total = asyncio.run(webhook_ack(base, args.runs))
    finally:
        daphne.terminate()
        daphne.wait(10)
        fake.stop()
        db.stop()

    results = {
        "provider": {"ttfb_ms": args.ttfb_ms, "token_ms": args.token_ms, "reply_words": len(REPLY.split())},
        "runs": args.runs,
        "raw_llm": {"ttft": summary(raw_ttft), "total": summary(raw_total)},
        "api_sse": {"ttft": summary(sse_ttft), "total": summary(sse_total)},
        "api_json": {"total": summary(json_total)},
        "twilio_webhook_ack": {"total": summary(ack_total)},
    }
    results["ratios"] = {
        "api_sse_ttft_vs_raw": round(statistics.median(sse_ttft) / statistics.median(raw_ttft), 3),
        "api_sse_total_vs_raw": round(statistics.median(sse_total) / statistics.median(raw_total), 3),
        "api_json_total_vs_raw": round(statistics.median(json_total) / statistics.median(raw_total), 3),
        "webhook_ack_vs_raw_ttft": round(statistics.median(ack_total) / statistics.median(raw_ttft), 3),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
