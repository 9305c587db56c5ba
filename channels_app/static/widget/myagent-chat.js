/*!
 * MyAgent chat widget: the <myagent-chat> custom element.
 *
 * One file, no dependencies, no build step. Served as /widget/v1/myagent-chat.js.
 *
 *   <script src="https://app.example.com/widget/v1/myagent-chat.js" defer></script>
 *   <myagent-chat agent-key="wk_live_abc123" lang="es"></myagent-chat>
 *
 * Safety rule for anyone editing this file: text that comes from the server or
 * the model is untrusted. It only ever reaches the page through textContent,
 * createTextNode or validated href/src values. This file uses no innerHTML at
 * all (static markup included), so a grep for it must stay empty.
 */
(function () {
  "use strict";

  if (typeof window === "undefined" || !window.customElements) return;
  // The script may be included twice (theme plugins, tag managers); defining twice throws.
  if (window.customElements.get("myagent-chat")) return;

  // document.currentScript is only set while this file is first executing, so the
  // default api-base has to be captured now, not when an element connects.
  const SCRIPT_ORIGIN = (function () {
    const script =
      document.currentScript || document.querySelector('script[src*="myagent-chat"]');
    try {
      if (script && script.src) return new URL(script.src, location.href).origin;
    } catch (_ignored) {
      // Falls through to the page origin.
    }
    return location.origin;
  })();

  const MAX_LENGTH = 4000;
  const COUNTER_FROM = 3600;
  const PING_EVERY_MS = 25000;
  const PONG_TIMEOUT_MS = 70000;
  const REPLY_TIMEOUT_MS = 120000;
  const BACKOFF_START_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const TOO_MANY_CONNECTIONS_MIN_MS = 5000;
  const NOTICE_MS = 9000;
  const FATAL_SESSION_CODES = new Set([
    "origin_not_allowed", "key_disabled", "organization_suspended", "not_found", "missing_key",
  ]);
  const SAFE_LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

  const STRINGS = {
    es: {
      title: "Chat",
      subtitle: "Asistente virtual con IA",
      greeting: "¡Hola! 👋 ¿En qué puedo ayudarte?",
      openChat: "Abrir chat",
      closeChat: "Cerrar chat",
      unread: "{n} mensajes nuevos",
      placeholder: "Escribe tu mensaje…",
      send: "Enviar",
      close: "Cerrar",
      dismiss: "Descartar aviso",
      you: "Tú:",
      assistant: "Asistente:",
      typing: "Escribiendo…",
      connecting: "Conectando…",
      reconnecting: "Reconectando…",
      ended: "Esta conversación ha terminado.",
      newConversation: "Iniciar nueva conversación",
      notSent: "No enviado",
      counter: "{n} de {max} caracteres",
      poweredBy: "Con la tecnología de MyAgent",
      errors: {
        rate_limited: "Estás enviando mensajes muy rápido. Espera un momento.",
        rate_limited_retry: "Estás enviando mensajes muy rápido. Inténtalo de nuevo en {s} s.",
        message_too_long: "Tu mensaje es demasiado largo (máximo {max} caracteres).",
        bad_request: "No pudimos procesar tu mensaje. Inténtalo de nuevo.",
        unavailable: "El asistente no está disponible ahora mismo. Inténtalo más tarde.",
        internal: "Algo salió mal. Inténtalo de nuevo.",
        origin_not_allowed: "Este chat no está habilitado para este sitio web.",
        key_disabled: "Este chat está desactivado.",
        organization_suspended: "Este chat no está disponible en este momento.",
        not_found: "Este chat no existe o fue eliminado.",
        missing_key: "Falta configurar el chat (agent-key).",
        network: "No se pudo conectar. Revisa tu conexión a internet.",
        generic: "Ocurrió un error. Inténtalo de nuevo.",
      },
    },
    en: {
      title: "Chat",
      subtitle: "AI virtual assistant",
      greeting: "Hi there! 👋 How can I help you?",
      openChat: "Open chat",
      closeChat: "Close chat",
      unread: "{n} new messages",
      placeholder: "Type your message…",
      send: "Send",
      close: "Close",
      dismiss: "Dismiss notice",
      you: "You:",
      assistant: "Assistant:",
      typing: "Typing…",
      connecting: "Connecting…",
      reconnecting: "Reconnecting…",
      ended: "This conversation has ended.",
      newConversation: "Start new conversation",
      notSent: "Not sent",
      counter: "{n} of {max} characters",
      poweredBy: "Powered by MyAgent",
      errors: {
        rate_limited: "You're sending messages too fast. Please wait a moment.",
        rate_limited_retry: "You're sending messages too fast. Try again in {s} s.",
        message_too_long: "Your message is too long ({max} characters max).",
        bad_request: "We couldn't process your message. Please try again.",
        unavailable: "The assistant is unavailable right now. Please try again later.",
        internal: "Something went wrong. Please try again.",
        origin_not_allowed: "This chat is not enabled for this website.",
        key_disabled: "This chat is disabled.",
        organization_suspended: "This chat is not available right now.",
        not_found: "This chat doesn't exist or was removed.",
        missing_key: "The chat is not configured (agent-key).",
        network: "Couldn't connect. Check your internet connection.",
        generic: "An error occurred. Please try again.",
      },
    },
  };

  /* ------------------------------------------------------------------ helpers */

  function h(tag, props) {
    const el = document.createElement(tag);
    if (props) {
      for (const key of Object.keys(props)) {
        const value = props[key];
        if (value == null || value === false) continue;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = value;
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (let i = 2; i < arguments.length; i++) {
      const child = arguments[i];
      if (child != null && child !== false) el.append(child);
    }
    return el;
  }

  function icon(paths, size) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const attrs = {
      viewBox: "0 0 24 24", width: size || 24, height: size || 24, fill: "none",
      stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round",
      "stroke-linejoin": "round", "aria-hidden": "true", focusable: "false",
    };
    for (const key of Object.keys(attrs)) svg.setAttribute(key, attrs[key]);
    for (const d of paths) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  const ICONS = {
    chat: ["M21 11.5a8.4 8.4 0 0 1-9 8.4 9 9 0 0 1-3.9-.9L3 20.5l1.5-4.4A8.2 8.2 0 0 1 3 11.5 8.6 8.6 0 0 1 12 3a8.6 8.6 0 0 1 9 8.5z"],
    chevron: ["M6 9l6 6 6-6"],
    close: ["M18 6L6 18", "M6 6l12 12"],
    send: ["M22 2L11 13", "M22 2l-7 20-4-9-9-4 20-7z"],
  };

  function format(template, vars) {
    return String(template).replace(/\{(\w+)\}/g, function (match, name) {
      return vars && vars[name] != null ? String(vars[name]) : match;
    });
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try {
        return window.crypto.randomUUID();
      } catch (_insecureContext) {
        // randomUUID exists but throws outside secure contexts in some browsers.
      }
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); });
    return hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" +
      hex.slice(6, 8).join("") + "-" + hex.slice(8, 10).join("") + "-" + hex.slice(10).join("");
  }

  // localStorage throws in sandboxed iframes and with blocked third-party storage.
  const memoryStore = new Map();
  const visitorStore = {
    key: function (agentKey) { return "myagent:visitor:" + agentKey; },
    get: function (agentKey) {
      try {
        const value = window.localStorage.getItem(this.key(agentKey));
        if (value) return value;
      } catch (_blocked) {
        // Memory fallback below.
      }
      return memoryStore.get(this.key(agentKey)) || null;
    },
    set: function (agentKey, visitorId) {
      memoryStore.set(this.key(agentKey), visitorId);
      try {
        window.localStorage.setItem(this.key(agentKey), visitorId);
      } catch (_blocked) {
        // Memory copy is enough for this page view.
      }
    },
  };

  function safeHref(raw) {
    let url;
    try {
      url = new URL(String(raw).trim());
    } catch (_notAbsolute) {
      return null;
    }
    return SAFE_LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
  }

  function safeImageUrl(raw, base) {
    if (!raw) return null;
    try {
      const url = new URL(raw, base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_invalid) {
      return null;
    }
  }

  function isColor(value) {
    return !!value && window.CSS && CSS.supports ? CSS.supports("color", value) : !!value;
  }

  function parseRgb(value) {
    const m = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?/.exec(value || "");
    if (!m) return null;
    const alpha = m[4] == null ? 1 : parseFloat(m[4]) / (m[4].endsWith("%") ? 100 : 1);
    return { r: +m[1], g: +m[2], b: +m[3], a: alpha };
  }

  function luminance(c) {
    const ch = [c.r, c.g, c.b].map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  }

  function contrast(a, b) {
    const la = luminance(a);
    const lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  /* ----------------------------------------------------------------- markdown */
  // A deliberately small subset, built as DOM nodes. Anything not recognised stays
  // literal text, so "<script>" or "<img onerror=...>" is shown, never parsed.

  const RE_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
  const RE_HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
  const RE_HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
  const RE_BULLET = /^([ \t]*)[-*+•][ \t]+(.*)$/;
  const RE_ORDERED = /^([ \t]*)(\d{1,9})[.)][ \t]+(.*)$/;
  const RE_QUOTE = /^ {0,3}>[ \t]?(.*)$/;

  const RE_CODE_SPAN = /(`+)([\s\S]*?[^`])\1(?!`)/y;
  const RE_BOLD_STAR = /\*\*(?!\s)([\s\S]*?\S)\*\*/y;
  const RE_BOLD_UNDER = /__(?!\s)([\s\S]*?\S)__(?![A-Za-z0-9_])/y;
  const RE_EM_STAR = /\*(?![\s*])([^*\n]*?[^\s*])\*(?!\*)/y;
  const RE_EM_UNDER = /_(?![\s_])([^_\n]*?[^\s_])_(?![A-Za-z0-9_])/y;
  const RE_LINK = /\[([^\[\]\n]+)\]\(\s*<?([^\s<>()]+(?:\([^\s<>()]*\)[^\s<>()]*)*)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/y;
  const RE_AUTOLINK = /https?:\/\/[^\s<>"'`]+/iy;
  const RE_WORD = /[A-Za-z0-9_]/;
  const RE_ESCAPABLE = /[\\`*_{}\[\]()#+\-.!>~|]/;

  function stickyMatch(re, text, index) {
    re.lastIndex = index;
    return re.exec(text);
  }

  function trimAutolink(url) {
    // "See https://x.com/a." should not swallow the period; keep balanced parens.
    while (/[.,;:!?*_'"]$/.test(url) ||
      (url.endsWith(")") && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length)) {
      url = url.slice(0, -1);
    }
    return url;
  }

  function link(href, text) {
    return h("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: text });
  }

  function renderInline(text, parent, depth, insideLink) {
    let buffer = "";
    const flush = function () {
      if (buffer) parent.append(buffer);
      buffer = "";
    };
    const put = function (node) {
      flush();
      parent.append(node);
    };
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      const prev = i > 0 ? text[i - 1] : "";
      let m = null;
      if (ch === "\n") {
        put(h("br"));
        i += 1;
        continue;
      }
      if (ch === "\\" && RE_ESCAPABLE.test(text[i + 1] || "")) {
        buffer += text[i + 1];
        i += 2;
        continue;
      }
      if (ch === "`" && (m = stickyMatch(RE_CODE_SPAN, text, i))) {
        put(h("code", { text: m[2].replace(/^ (.*) $/, "$1") }));
        i += m[0].length;
        continue;
      }
      if (depth < 6 && (ch === "*" || ch === "_") && !(ch === "_" && RE_WORD.test(prev))) {
        const star = ch === "*";
        if ((m = stickyMatch(star ? RE_BOLD_STAR : RE_BOLD_UNDER, text, i))) {
          const strong = h("strong");
          renderInline(m[1], strong, depth + 1, insideLink);
          put(strong);
          i += m[0].length;
          continue;
        }
        if ((m = stickyMatch(star ? RE_EM_STAR : RE_EM_UNDER, text, i))) {
          const em = h("em");
          renderInline(m[1], em, depth + 1, insideLink);
          put(em);
          i += m[0].length;
          continue;
        }
      }
      if (!insideLink && ch === "[" && (m = stickyMatch(RE_LINK, text, i))) {
        const href = safeHref(m[2]);
        if (href) {
          const a = link(href);
          renderInline(m[1], a, depth + 1, true);
          put(a);
          i += m[0].length;
          continue;
        }
      }
      if (!insideLink && (ch === "h" || ch === "H") && !RE_WORD.test(prev) &&
        (m = stickyMatch(RE_AUTOLINK, text, i))) {
        const url = trimAutolink(m[0]);
        const href = safeHref(url);
        if (href) {
          put(link(href, url));
          i += url.length;
          continue;
        }
      }
      buffer += ch;
      i += 1;
    }
    flush();
  }

  function indentWidth(whitespace) {
    return whitespace.replace(/\t/g, "    ").length;
  }

  function renderMarkdown(source, target) {
    const out = document.createDocumentFragment();
    const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
    let paragraph = [];
    let quote = [];
    let lists = []; // stack of { el, ordered, indent }
    let previousBlank = false;

    const flushParagraph = function () {
      if (!paragraph.length) return;
      const p = h("p");
      renderInline(paragraph.join("\n"), p, 0, false);
      out.append(p);
      paragraph = [];
    };
    const flushQuote = function () {
      if (!quote.length) return;
      const p = h("p");
      renderInline(quote.join("\n"), p, 0, false);
      out.append(h("blockquote", null, p));
      quote = [];
    };
    const closeBlocks = function () {
      flushParagraph();
      flushQuote();
      lists = [];
    };

    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      let m;
      if ((m = RE_FENCE.exec(line))) {
        closeBlocks();
        const closing = new RegExp("^ {0,3}" + m[1][0] + "{" + m[1].length + ",}[ \\t]*$");
        const body = [];
        i += 1;
        while (i < lines.length && !closing.test(lines[i])) body.push(lines[i++]);
        // An unclosed fence (mid-stream) runs to the end: that is what the reader expects.
        const code = h("code", { text: body.join("\n") });
        if (m[2]) code.setAttribute("data-lang", m[2]);
        out.append(h("pre", null, code));
        previousBlank = false;
        continue;
      }
      if (!line.trim()) {
        flushParagraph();
        flushQuote();
        previousBlank = true;
        continue;
      }
      const bullet = RE_BULLET.exec(line);
      const ordered = bullet ? null : RE_ORDERED.exec(line);
      if (bullet || ordered) {
        if (RE_HR.test(line)) {
          closeBlocks();
          out.append(h("hr"));
          previousBlank = false;
          continue;
        }
        flushParagraph();
        flushQuote();
        const isOrdered = !!ordered;
        const indent = indentWidth((bullet || ordered)[1]);
        const content = bullet ? bullet[2] : ordered[3];
        while (lists.length) {
          const top = lists[lists.length - 1];
          if (indent < top.indent || (indent <= top.indent + 1 && top.ordered !== isOrdered)) lists.pop();
          else break;
        }
        let top = lists[lists.length - 1];
        if (!top || indent > top.indent + 1) {
          const listEl = h(isOrdered ? "ol" : "ul");
          if (isOrdered && Number(ordered[2]) !== 1) listEl.setAttribute("start", String(Number(ordered[2])));
          const parentItem = top && top.el.lastElementChild;
          (parentItem || out).append(listEl);
          top = { el: listEl, ordered: isOrdered, indent: indent };
          lists.push(top);
        }
        const li = h("li");
        renderInline(content, li, 0, false);
        top.el.append(li);
        previousBlank = false;
        continue;
      }
      if (RE_HR.test(line) || RE_HEADING.test(line)) {
        closeBlocks();
        m = RE_HEADING.exec(line);
        if (m) {
          const strong = h("strong");
          renderInline(m[2], strong, 1, false);
          out.append(h("p", { class: "md-heading" }, strong));
        } else {
          out.append(h("hr"));
        }
        previousBlank = false;
        continue;
      }
      if (lists.length && !RE_QUOTE.test(line) && (!previousBlank || /^[ \t]{2,}\S/.test(line))) {
        // Continuation of the last list item (lazy or indented).
        const li = lists[lists.length - 1].el.lastElementChild;
        li.append(h("br"));
        renderInline(line.trim(), li, 0, false);
        previousBlank = false;
        continue;
      }
      lists = [];
      if ((m = RE_QUOTE.exec(line))) {
        flushParagraph();
        quote.push(m[1]);
      } else {
        flushQuote();
        paragraph.push(line);
      }
      previousBlank = false;
    }
    flushParagraph();
    flushQuote();
    target.textContent = "";
    target.append(out);
  }

  /* ------------------------------------------------------------------- styles */

  const CSS_TEXT = `
:host { all: initial; }
.root {
  --_primary: var(--myagent-primary, var(--_theme-primary, #2563eb));
  --_on-primary: var(--_theme-on-primary, #ffffff);
  --_accent: var(--_theme-accent, var(--_primary));
  --_text: var(--myagent-text, #0f172a);
  --_bg: var(--myagent-bg, #ffffff);
  --_radius: var(--myagent-radius, 16px);
  --_font: var(--myagent-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif, "Apple Color Emoji", "Segoe UI Emoji");
  --_z: var(--myagent-z, 2147483000);
  --_muted: #475569;
  --_surface: #f1f5f9;
  --_border: #e2e8f0;
  --_shadow: 0 16px 48px rgba(15, 23, 42, .18), 0 2px 8px rgba(15, 23, 42, .08);
  font-family: var(--_font);
  font-size: 15px;
  line-height: 1.45;
  color: var(--_text);
  -webkit-font-smoothing: antialiased;
}
@supports (color: color-mix(in srgb, red 50%, blue)) {
  .root {
    --_muted: color-mix(in srgb, var(--_text) 70%, var(--_bg));
    --_surface: color-mix(in srgb, var(--_text) 6%, var(--_bg));
    --_border: color-mix(in srgb, var(--_text) 14%, var(--_bg));
  }
}
*, *::before, *::after { box-sizing: border-box; }
button { font: inherit; color: inherit; }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.sr-only {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
[hidden] { display: none !important; }

.launcher {
  position: fixed; right: 20px; bottom: calc(20px + env(safe-area-inset-bottom, 0px));
  z-index: var(--_z); display: inline-flex; align-items: center; justify-content: center; gap: 8px;
  height: 56px; min-width: 56px; padding: 0 20px 0 16px; border: 0; border-radius: 28px;
  background: var(--_primary); color: var(--_on-primary); cursor: pointer;
  font-weight: 600; font-size: 15px; line-height: 1;
  box-shadow: 0 8px 24px rgba(15, 23, 42, .22), 0 2px 6px rgba(15, 23, 42, .12);
  transition: transform .18s ease, box-shadow .18s ease;
}
.launcher:hover { transform: translateY(-2px); box-shadow: 0 12px 28px rgba(15, 23, 42, .26), 0 2px 6px rgba(15, 23, 42, .12); }
.launcher:focus-visible { outline-offset: 3px; }
.launcher.icon-only { width: 56px; padding: 0; }
.launcher .icon-close { display: none; }
.is-open .launcher .icon-chat { display: none; }
.is-open .launcher .icon-close { display: block; }
.is-open .launcher .launcher-text { display: none; }
.is-open .launcher { width: 56px; padding: 0; }
.badge {
  position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; background: #dc2626; color: #fff; font-size: 12px; font-weight: 700;
  line-height: 22px; text-align: center; box-shadow: 0 0 0 2px #fff;
}
.left .launcher { right: auto; left: 20px; }
.left .badge { right: auto; left: -4px; }

.panel {
  position: fixed; right: 20px; bottom: calc(88px + env(safe-area-inset-bottom, 0px));
  z-index: var(--_z); width: 380px; max-width: calc(100vw - 40px);
  height: 640px; max-height: calc(100vh - 112px);
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--_bg); color: var(--_text);
  border: 1px solid var(--_border); border-radius: var(--_radius); box-shadow: var(--_shadow);
  visibility: hidden; opacity: 0; transform: translateY(12px) scale(.98); transform-origin: bottom right;
  transition: opacity .2s ease, transform .2s ease, visibility 0s linear .2s;
}
.left .panel { right: auto; left: 20px; transform-origin: bottom left; }
.is-open .panel { visibility: visible; opacity: 1; transform: none; transition-delay: 0s; }

.header {
  display: flex; align-items: center; gap: 12px; padding: 14px 12px 14px 16px;
  background: var(--_primary); color: var(--_on-primary); flex: none;
}
.avatar {
  width: 40px; height: 40px; flex: none; border-radius: 50%; object-fit: cover;
  background: rgba(255, 255, 255, .22); box-shadow: 0 0 0 2px rgba(255, 255, 255, .55);
  display: flex; align-items: center; justify-content: center; font-weight: 700; font-size: 17px;
}
.heading { flex: 1; min-width: 0; }
.title { margin: 0; font-size: 16px; font-weight: 650; line-height: 1.25; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.subtitle { margin: 2px 0 0; font-size: 12.5px; opacity: .92; display: flex; align-items: center; gap: 6px; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: #94a3b8; box-shadow: 0 0 0 2px rgba(255,255,255,.6); }
[data-state="ready"] .dot { background: #22c55e; }
.icon-button {
  flex: none; width: 36px; height: 36px; border: 0; border-radius: 10px; background: transparent;
  color: inherit; cursor: pointer; display: inline-flex; align-items: center; justify-content: center;
}
.icon-button:hover { background: rgba(255, 255, 255, .18); }
.header :focus-visible { outline-color: currentColor; }

.scroller { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px 14px 8px; }
.log { display: flex; flex-direction: column; gap: 10px; }
.row { display: flex; flex-direction: column; max-width: 86%; }
.row--user { align-self: flex-end; align-items: flex-end; }
.row--assistant { align-self: flex-start; align-items: flex-start; }
.bubble {
  padding: 10px 14px; border-radius: 18px; overflow-wrap: anywhere; word-break: break-word;
  font-size: 15px; line-height: 1.5;
}
.bubble--user { background: var(--_primary); color: var(--_on-primary); border-bottom-right-radius: 6px; white-space: pre-wrap; }
.bubble--assistant { background: var(--_surface); color: var(--_text); border-bottom-left-radius: 6px; }
.bubble[data-state="pending"] { opacity: .72; }
.bubble[data-state="failed"] { opacity: .72; box-shadow: 0 0 0 2px #dc2626; }
.failed-label { margin-top: 4px; font-size: 12px; color: #b91c1c; }
.bubble[data-streaming] > p:last-child::after,
.bubble[data-streaming] > ul:last-child > li:last-child::after,
.bubble[data-streaming] > ol:last-child > li:last-child::after,
.bubble[data-streaming] > blockquote:last-child > p::after {
  content: ""; display: inline-block; width: 7px; height: 1em; margin-left: 2px; vertical-align: text-bottom;
  background: currentColor; opacity: .45; animation: blink 1s steps(2, start) infinite;
}
.bubble p { margin: 0 0 8px; }
.bubble p:last-child, .bubble ul:last-child, .bubble ol:last-child, .bubble pre:last-child, .bubble blockquote:last-child { margin-bottom: 0; }
.bubble ul, .bubble ol { margin: 0 0 8px; padding-left: 22px; }
.bubble li + li { margin-top: 3px; }
.bubble li > ul, .bubble li > ol { margin: 3px 0 0; }
.bubble a { color: var(--_accent); text-decoration: underline; text-underline-offset: 2px; }
.bubble code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .88em; padding: 1px 5px; border-radius: 5px; background: rgba(15, 23, 42, .08);
}
.bubble pre {
  margin: 0 0 8px; padding: 10px 12px; border-radius: 10px; overflow-x: auto;
  background: #0f172a; color: #e2e8f0; white-space: pre; word-break: normal; overflow-wrap: normal;
}
.bubble pre code { padding: 0; background: none; font-size: 13px; line-height: 1.5; }
.bubble blockquote { margin: 0 0 8px; padding-left: 10px; border-left: 3px solid var(--_border); color: var(--_muted); }
.bubble hr { border: 0; border-top: 1px solid var(--_border); margin: 10px 0; }
.md-heading { font-size: 15.5px; }

.typing { display: inline-flex; gap: 4px; align-items: center; margin-top: 10px; padding: 13px 14px;
  border-radius: 18px; border-bottom-left-radius: 6px; background: var(--_surface); }
.typing span { width: 7px; height: 7px; border-radius: 50%; background: var(--_muted); animation: bounce 1.2s infinite ease-in-out; }
.typing span:nth-child(2) { animation-delay: .15s; }
.typing span:nth-child(3) { animation-delay: .3s; }

.status {
  flex: none; display: flex; flex-wrap: wrap; align-items: center; justify-content: center; gap: 8px;
  padding: 8px 14px; font-size: 13px; color: var(--_muted); background: var(--_surface);
  border-top: 1px solid var(--_border); text-align: center;
}
.spinner { width: 12px; height: 12px; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent; animation: spin .8s linear infinite; }
.restart {
  border: 0; border-radius: 999px; padding: 8px 14px; cursor: pointer; font-weight: 600; font-size: 13.5px;
  background: var(--_primary); color: var(--_on-primary);
}

.notice {
  flex: none; display: flex; align-items: flex-start; gap: 8px; margin: 0 12px 8px; padding: 8px 8px 8px 12px;
  border-radius: 10px; background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; font-size: 13.5px;
}
.notice-text { flex: 1; padding-top: 2px; }
.notice .icon-button { width: 24px; height: 24px; border-radius: 6px; }
.notice .icon-button:hover { background: rgba(153, 27, 27, .1); }

.composer {
  flex: none; display: flex; align-items: flex-end; gap: 8px; margin: 8px 12px 6px; padding: 5px 5px 5px 14px;
  border: 1px solid var(--_border); border-radius: 22px; background: var(--_bg);
  transition: border-color .15s ease, box-shadow .15s ease;
}
.composer:focus-within { border-color: var(--_accent); box-shadow: 0 0 0 3px rgba(37, 99, 235, .18); }
@supports (color: color-mix(in srgb, red 50%, blue)) {
  .composer:focus-within { box-shadow: 0 0 0 3px color-mix(in srgb, var(--_accent) 22%, transparent); }
}
.input {
  flex: 1; min-height: 34px; max-height: 140px; padding: 7px 0; margin: 0; border: 0; outline: none; resize: none;
  background: transparent; color: var(--_text); font: inherit; font-size: 16px; line-height: 20px;
}
.input::placeholder { color: var(--_muted); opacity: 1; }
.input:disabled { cursor: not-allowed; }
.send {
  flex: none; width: 36px; height: 36px; border: 0; border-radius: 50%; cursor: pointer;
  background: var(--_primary); color: var(--_on-primary); display: inline-flex; align-items: center; justify-content: center;
  transition: opacity .15s ease, transform .15s ease;
}
.send svg { margin-left: -2px; }
.send:disabled { opacity: .4; cursor: default; }
.send:not(:disabled):hover { transform: scale(1.05); }
.meta { flex: none; display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 0 16px 8px; font-size: 11.5px; color: var(--_muted); }
.counter { font-variant-numeric: tabular-nums; }
.counter.at-limit { color: #b91c1c; font-weight: 600; }
.powered { margin-left: auto; }

@keyframes bounce { 0%, 80%, 100% { transform: translateY(0); opacity: .5; } 40% { transform: translateY(-4px); opacity: 1; } }
@keyframes spin { to { transform: rotate(360deg); } }
@keyframes blink { to { visibility: hidden; } }

@media (max-width: 479.98px) {
  .panel {
    inset: 0; right: 0; left: 0; bottom: 0; width: 100%; max-width: none; height: 100%; max-height: none;
    border: 0; border-radius: 0; transform: translateY(24px);
  }
  .left .panel { left: 0; }
  .is-open .launcher { display: none; }
  .header { padding-top: calc(14px + env(safe-area-inset-top, 0px)); }
  .meta { padding-bottom: calc(8px + env(safe-area-inset-bottom, 0px)); }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; scroll-behavior: auto !important; }
  .panel { transform: none; }
}
`;

  let sharedSheet = null;
  function adoptStyles(shadow) {
    // Constructed sheets are not "inline styles" for a host page's CSP; <style> is the fallback.
    if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      try {
        if (!sharedSheet) {
          sharedSheet = new CSSStyleSheet();
          sharedSheet.replaceSync(CSS_TEXT);
        }
        shadow.adoptedStyleSheets = [sharedSheet];
        return;
      } catch (_unsupported) {
        // Fall back to a <style> element.
      }
    }
    shadow.append(h("style", { text: CSS_TEXT }));
  }

  /* ---------------------------------------------------------------- component */

  class WidgetError extends Error {
    constructor(code, message, status, retryAfter) {
      super(message || code);
      this.code = code;
      this.status = status || 0;
      this.retryAfter = retryAfter || 0;
    }
  }

  const OBSERVED = [
    "agent-key", "lang", "api-base", "title", "greeting", "avatar", "position",
    "launcher-text", "open", "primary-color", "user-id", "user-hash",
  ];
  const IDENTITY_ATTRIBUTES = new Set(["agent-key", "api-base", "user-id", "user-hash"]);

  class MyAgentChat extends HTMLElement {
    static get observedAttributes() {
      return OBSERVED;
    }

    constructor() {
      super();
      this._shadow = this.attachShadow({ mode: "open" });
      adoptStyles(this._shadow);
      this._isOpen = false;
      this._started = false;
      this._wantConnection = false;
      this._generation = 0;
      this._state = "idle";
      this._stateCode = null;
      this._session = null;
      this._sessionPromise = null;
      this._server = null;
      this._ws = null;
      this._attempt = 0;
      this._authFailures = 0;
      this._timers = {};
      this._outbox = [];
      this._pending = new Map(); // client_id -> message sent but not acked
      this._awaiting = new Set(); // client_ids waiting for the assistant's final reply
      this._streams = new Map(); // reply_to -> streaming assistant message
      this._byId = new Map();
      this._unread = 0;
      this._lockedUntil = 0;
      this._stickToBottom = true;
      this._renderQueue = new Set();
      this._conversationId = null;
      this._connectingGeneration = null;
      this._onOnline = this._onOnline.bind(this);
      this._build();
      this._applyStrings();
      this._applyTheme();
    }

    /* ------------------------------------------------------------- public API */

    open() {
      this._setOpen(true, true);
    }

    close() {
      this._setOpen(false, true);
    }

    // Queues the text and sends it as soon as the socket is ready. Returns false when
    // the text is empty or too long, or the chat cannot send (ended/unavailable).
    send(text) {
      const value = String(text == null ? "" : text).trim();
      if (!value || this._state === "ended" || this._state === "unavailable") return false;
      if (value.length > MAX_LENGTH) {
        this._showNotice(this._t("errors.message_too_long", { max: MAX_LENGTH }));
        return false;
      }
      const message = this._addMessage("user", value, { state: "pending" });
      this._outbox.push({ text: value, message: message });
      this._scrollToBottom(true);
      this._updateComposer();
      this._wantConnection = true;
      if (this._state === "ready") this._flushOutbox();
      else this._ensureConnected();
      return true;
    }

    get state() {
      return this._state;
    }

    get conversationId() {
      return this._conversationId;
    }

    /* -------------------------------------------------------------- lifecycle */

    connectedCallback() {
      this._started = true;
      window.addEventListener("online", this._onOnline);
      this._applyStrings();
      this._applyTheme();
      // Wait a microtask so frameworks that set attributes right after insertion are seen.
      queueMicrotask(() => {
        if (!this._started) return;
        if (this._wantConnection) this._ensureConnected();
        else this._prefetchSession();
      });
    }

    disconnectedCallback() {
      this._started = false;
      window.removeEventListener("online", this._onOnline);
      this._teardownSocket();
    }

    attributeChangedCallback(name, oldValue, newValue) {
      if (oldValue === newValue) return;
      if (name === "open") {
        if (!this._reflecting) this._setOpen(newValue !== null, false);
        return;
      }
      if (name === "lang") this._applyStrings();
      if (IDENTITY_ATTRIBUTES.has(name) && this._started) this._scheduleReset();
      this._applyTheme();
    }

    /* ------------------------------------------------------------------ DOM */

    _build() {
      const s = this._shadow;
      this._avatarFallback = h("div", { class: "avatar", part: "avatar", "aria-hidden": "true" });
      this._avatarImg = h("img", { class: "avatar", part: "avatar", alt: "", hidden: true });
      this._avatarImg.addEventListener("error", () => {
        this._avatarImg.hidden = true;
        this._avatarFallback.hidden = false;
      });
      this._titleEl = h("h2", { class: "title", part: "title", id: "myagent-title" });
      this._subtitleText = h("span");
      this._subtitleEl = h("p", { class: "subtitle" }, h("span", { class: "dot", "aria-hidden": "true" }), this._subtitleText);
      this._closeButton = h("button", { class: "icon-button", part: "close", type: "button" }, icon(ICONS.close, 22));

      this._log = h("div", { class: "log", part: "messages", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-atomic": "false" });
      this._typingLabel = h("span", { class: "sr-only" });
      this._typing = h("div", { class: "typing", part: "typing", hidden: true }, h("span"), h("span"), h("span"), this._typingLabel);
      this._scroller = h("div", { class: "scroller", part: "scroller" }, this._log, this._typing);

      this._statusText = h("span", { class: "status-text" });
      this._spinner = h("span", { class: "spinner", "aria-hidden": "true" });
      this._restartButton = h("button", { class: "restart", part: "restart", type: "button", hidden: true });
      this._status = h("div", { class: "status", part: "status", role: "status", hidden: true }, this._spinner, this._statusText, this._restartButton);

      this._noticeText = h("span", { class: "notice-text" });
      this._noticeDismiss = h("button", { class: "icon-button", type: "button" }, icon(ICONS.close, 16));
      this._notice = h("div", { class: "notice", part: "notice", role: "alert", hidden: true }, this._noticeText, this._noticeDismiss);

      this._counter = h("span", { class: "counter", part: "counter", id: "myagent-counter", hidden: true });
      this._input = h("textarea", {
        class: "input", part: "input", rows: 1, maxlength: MAX_LENGTH, enterkeyhint: "send",
        autocomplete: "off",
      });
      this._sendButton = h("button", { class: "send", part: "send", type: "submit", disabled: true }, icon(ICONS.send, 18));
      this._form = h("form", { class: "composer", part: "composer", novalidate: true }, this._input, this._sendButton);
      this._powered = h("span", { class: "powered", part: "powered-by" });

      this._panel = h("div", { class: "panel", part: "panel", id: "myagent-panel", role: "dialog", "aria-modal": "false" },
        h("div", { class: "header", part: "header" }, this._avatarImg, this._avatarFallback,
          h("div", { class: "heading" }, this._titleEl, this._subtitleEl), this._closeButton),
        this._scroller, this._status, this._notice, this._form,
        h("div", { class: "meta" }, this._counter, this._powered));

      this._launcherText = h("span", { class: "launcher-text", hidden: true });
      this._badge = h("span", { class: "badge", part: "badge", "aria-hidden": "true", hidden: true });
      const chatIcon = icon(ICONS.chat, 26);
      chatIcon.classList.add("icon-chat");
      const closeIcon = icon(ICONS.chevron, 26);
      closeIcon.classList.add("icon-close");
      this._launcher = h("button", {
        class: "launcher", part: "launcher", type: "button",
        "aria-expanded": "false", "aria-controls": "myagent-panel",
      }, chatIcon, closeIcon, this._launcherText, this._badge);

      // The colour probe lets us read the effective primary (host CSS variable included).
      this._probe = h("span", { hidden: true });
      // title="" stops the host's own title attribute from becoming a tooltip over everything.
      this._root = h("div", { class: "root", title: "", "data-state": "idle" }, this._panel, this._launcher, this._probe);
      s.append(this._root);

      this._launcher.addEventListener("click", () => this._setOpen(!this._isOpen, true));
      this._closeButton.addEventListener("click", () => this._setOpen(false, true));
      this._restartButton.addEventListener("click", () => this._restart());
      this._noticeDismiss.addEventListener("click", () => this._hideNotice());
      this._root.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && this._isOpen) {
          event.stopPropagation();
          this._setOpen(false, true);
        }
      });
      this._form.addEventListener("submit", (event) => {
        event.preventDefault();
        this._submitComposer();
      });
      this._input.addEventListener("keydown", (event) => {
        // isComposing: Enter confirms an IME candidate (Japanese, Chinese...) rather than sending.
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          this._submitComposer();
        }
      });
      this._input.addEventListener("input", () => {
        this._autosize();
        this._updateComposer();
      });
      this._scroller.addEventListener("scroll", () => {
        const sc = this._scroller;
        this._stickToBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 48;
      }, { passive: true });
      if (window.ResizeObserver) {
        // Notices, the status line, a growing textarea or a mobile keyboard shrink the list;
        // a reader who was at the bottom should stay there.
        new ResizeObserver(() => this._scrollToBottom(false)).observe(this._scroller);
      }
    }

    _t(path, vars) {
      const table = STRINGS[this._lang()];
      const value = path.split(".").reduce(function (node, key) { return node && node[key]; }, table);
      return format(value == null ? path : value, vars);
    }

    _lang() {
      const pick = function (value) {
        const base = String(value || "").toLowerCase().split(/[-_]/)[0];
        return STRINGS[base] ? base : null;
      };
      return pick(this.getAttribute("lang")) || pick(navigator.language) || "es";
    }

    _applyStrings() {
      const lang = this._lang();
      this._root.setAttribute("lang", lang);
      this._subtitleText.textContent = this._t("subtitle");
      this._closeButton.setAttribute("aria-label", this._t("close"));
      this._input.setAttribute("placeholder", this._t("placeholder"));
      this._input.setAttribute("aria-label", this._t("placeholder"));
      this._sendButton.setAttribute("aria-label", this._t("send"));
      this._noticeDismiss.setAttribute("aria-label", this._t("dismiss"));
      this._typingLabel.textContent = this._t("typing");
      this._restartButton.textContent = this._t("newConversation");
      this._powered.textContent = this._t("poweredBy");
      for (const label of this._log.querySelectorAll(".row > .sr-only")) {
        label.textContent = this._t(label.parentNode.classList.contains("row--user") ? "you" : "assistant");
      }
      this._updateLauncherLabel();
      this._updateCounter();
      this._renderStatus();
    }

    _attr(name) {
      const value = this.getAttribute(name);
      return value != null && value.trim() !== "" ? value.trim() : null;
    }

    _apiBase() {
      return (this._attr("api-base") || SCRIPT_ORIGIN).replace(/\/+$/, "");
    }

    _applyTheme() {
      const server = (this._server && this._server.theme) || {};
      const agent = (this._server && this._server.agent) || {};
      const str = function (v) { return typeof v === "string" && v.trim() ? v.trim() : null; };
      const position = [this._attr("position"), str(server.position)].filter(function (p) {
        return p === "left" || p === "right";
      })[0] || "right";
      const primary = [this._attr("primary-color"), str(server.primary_color)].filter(isColor)[0] || null;
      this._theme = {
        title: this._attr("title") || str(server.title) || str(agent.name) || this._t("title"),
        launcherText: this._attr("launcher-text") || str(server.launcher_text),
        avatar: safeImageUrl(this._attr("avatar") || str(server.avatar_url), this._apiBase()),
        greeting: this._attr("greeting") || str(agent.greeting) || this._t("greeting"),
      };
      this._root.classList.toggle("left", position === "left");
      if (primary) this._root.style.setProperty("--_theme-primary", primary);
      else this._root.style.removeProperty("--_theme-primary");

      this._titleEl.textContent = this._theme.title;
      this._panel.setAttribute("aria-label", this._theme.title);
      this._avatarFallback.textContent = Array.from(this._theme.title)[0].toUpperCase();
      if (this._theme.avatar) {
        if (this._avatarImg.getAttribute("src") !== this._theme.avatar) this._avatarImg.src = this._theme.avatar;
        this._avatarImg.hidden = false;
        this._avatarFallback.hidden = true;
      } else {
        this._avatarImg.hidden = true;
        this._avatarImg.removeAttribute("src");
        this._avatarFallback.hidden = false;
      }
      this._launcherText.textContent = this._theme.launcherText || "";
      this._launcherText.hidden = !this._theme.launcherText;
      this._launcher.classList.toggle("icon-only", !this._theme.launcherText);
      const greeting = this._log.querySelector("[data-greeting]");
      if (greeting) renderMarkdown(this._theme.greeting, greeting);
      this._updateLauncherLabel();
      this._updateContrast();
    }

    // Picks readable colours for whatever primary is in effect (attribute, server or
    // host CSS variable), so a light brand colour never gets white text on it.
    _updateContrast() {
      if (!this.isConnected) return;
      this._probe.style.color = "var(--_primary)";
      const primary = parseRgb(getComputedStyle(this._probe).color);
      const panelStyle = getComputedStyle(this._panel);
      let bg = parseRgb(panelStyle.backgroundColor);
      const text = parseRgb(panelStyle.color) || { r: 15, g: 23, b: 42 };
      if (!primary) return;
      if (!bg || bg.a === 0) bg = { r: 255, g: 255, b: 255 };
      const white = { r: 255, g: 255, b: 255 };
      const dark = { r: 15, g: 23, b: 42 };
      const onPrimary = contrast(primary, white) >= contrast(primary, dark) ? "#ffffff" : "#0f172a";
      this._root.style.setProperty("--_theme-on-primary", onPrimary);
      // Links sit on the assistant bubble (6% text over the background), so check against that.
      const mix = function (a, b) { return Math.round(a * 0.06 + b * 0.94); };
      const surface = { r: mix(text.r, bg.r), g: mix(text.g, bg.g), b: mix(text.b, bg.b) };
      if (contrast(primary, surface) >= 4.5) this._root.style.removeProperty("--_theme-accent");
      else this._root.style.setProperty("--_theme-accent", "var(--_text)");
    }

    _updateLauncherLabel() {
      const base = this._isOpen ? this._t("closeChat") : (this._theme && this._theme.launcherText) || this._t("openChat");
      const unread = this._unread && !this._isOpen ? " (" + this._t("unread", { n: this._unread }) + ")" : "";
      this._launcher.setAttribute("aria-label", base + unread);
      this._badge.textContent = String(this._unread);
      this._badge.hidden = !this._unread || this._isOpen;
    }

    /* --------------------------------------------------------- open / close */

    _setOpen(open, userInitiated) {
      if (open === this._isOpen) return;
      this._isOpen = open;
      this._root.classList.toggle("is-open", open);
      this._launcher.setAttribute("aria-expanded", String(open));
      this._reflecting = true;
      this.toggleAttribute("open", open);
      this._reflecting = false;
      if (open) {
        this._unread = 0;
        this._wantConnection = true;
        if (!this._log.firstChild) this._showGreeting();
        this._ensureConnected();
        this._scrollToBottom(true);
        // Opening from the attribute at page load must not steal focus or pop a mobile keyboard.
        if (userInitiated) requestAnimationFrame(() => this._input.focus({ preventScroll: true }));
      } else if (this._shadow.activeElement) {
        // Only hand focus back if it was inside the widget; the host page may have moved it.
        this._launcher.focus({ preventScroll: true });
      }
      this._updateLauncherLabel();
      this._emit(open ? "myagent:open" : "myagent:close", {});
    }

    _emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true }));
    }

    /* -------------------------------------------------------------- messages */

    _addMessage(role, content, options) {
      const opts = options || {};
      const bubble = h("div", {
        class: "bubble bubble--" + role, part: "message message-" + role,
        "data-role": role, "data-state": opts.state || null,
      });
      const row = h("div", { class: "row row--" + role },
        h("span", { class: "sr-only", text: this._t(role === "user" ? "you" : "assistant") }), bubble);
      const message = { role: role, row: row, bubble: bubble, text: content || "", id: null, clientId: opts.clientId || null };
      if (opts.greeting) bubble.setAttribute("data-greeting", "");
      if (opts.createdAt) bubble.setAttribute("data-created-at", String(opts.createdAt));
      this._setMessageId(message, opts.id);
      this._log.append(row);
      this._renderMessage(message);
      return message;
    }

    _setMessageId(message, id) {
      if (id == null) return;
      message.id = String(id);
      message.bubble.setAttribute("data-id", message.id);
      this._byId.set(message.id, message);
    }

    _renderMessage(message) {
      this._renderQueue.delete(message);
      // The user's own text is shown exactly as typed; only assistant output is Markdown.
      if (message.role === "user") message.bubble.textContent = message.text;
      else renderMarkdown(message.text, message.bubble);
      this._scrollToBottom(false);
    }

    // Streaming re-renders at most once per frame, however fast tokens arrive.
    _queueRender(message) {
      this._renderQueue.add(message);
      if (this._renderFrame) return;
      this._renderFrame = requestAnimationFrame(() => {
        this._renderFrame = null;
        for (const queued of Array.from(this._renderQueue)) this._renderMessage(queued);
      });
    }

    _showGreeting() {
      this._addMessage("assistant", this._theme.greeting, { greeting: true });
    }

    _clearMessages() {
      this._log.textContent = "";
      this._streams.clear();
      this._byId.clear();
      this._renderQueue.clear();
      this._setTyping(false);
      this._log.removeAttribute("aria-busy");
    }

    _renderHistory(history) {
      this._clearMessages();
      const items = Array.isArray(history) ? history : [];
      for (const item of items) {
        if (!item || (item.role !== "user" && item.role !== "assistant")) continue;
        this._addMessage(item.role, String(item.content == null ? "" : item.content), {
          id: item.id, createdAt: item.created_at,
        });
      }
      if (!this._log.firstChild) this._showGreeting();
      this._scrollToBottom(true);
    }

    _scrollToBottom(force) {
      if (!force && !this._stickToBottom) return;
      this._stickToBottom = true;
      this._scroller.scrollTop = this._scroller.scrollHeight;
    }

    _setTyping(visible) {
      const streaming = Array.from(this._streams.values()).some(function (m) { return m.streaming; });
      this._typing.hidden = !visible || streaming;
      if (!this._typing.hidden) this._scrollToBottom(false);
    }

    /* -------------------------------------------------------------- composer */

    _submitComposer() {
      if (this._sendButton.disabled) return;
      if (this.send(this._input.value)) {
        this._input.value = "";
        this._autosize();
        this._updateComposer();
      }
    }

    _autosize() {
      this._input.style.height = "auto";
      this._input.style.height = Math.min(this._input.scrollHeight, 140) + "px";
    }

    _isBusy() {
      return this._awaiting.size > 0 || this._outbox.length > 0;
    }

    _updateComposer() {
      const blocked = this._state === "ended" || this._state === "unavailable";
      const locked = Date.now() < this._lockedUntil;
      this._input.disabled = blocked;
      this._sendButton.disabled = blocked || locked || this._isBusy() || !this._input.value.trim();
      this._updateCounter();
    }

    _updateCounter() {
      const length = this._input.value.length;
      this._counter.hidden = length < COUNTER_FROM;
      if (this._counter.hidden) this._input.removeAttribute("aria-describedby");
      else this._input.setAttribute("aria-describedby", "myagent-counter");
      this._counter.textContent = length + " / " + MAX_LENGTH;
      this._counter.setAttribute("aria-label", this._t("counter", { n: length, max: MAX_LENGTH }));
      this._counter.classList.toggle("at-limit", length >= MAX_LENGTH);
    }

    _showNotice(text) {
      this._noticeText.textContent = text;
      this._notice.hidden = false;
      clearTimeout(this._timers.notice);
      this._timers.notice = setTimeout(() => this._hideNotice(), NOTICE_MS);
    }

    _hideNotice() {
      clearTimeout(this._timers.notice);
      this._notice.hidden = true;
    }

    /* ----------------------------------------------------------------- state */

    _setState(state, code) {
      this._state = state;
      this._stateCode = code || null;
      this._root.setAttribute("data-state", state);
      this._renderStatus();
      this._updateComposer();
    }

    _renderStatus() {
      const state = this._state;
      let text = "";
      if (state === "connecting") text = this._t("connecting");
      else if (state === "reconnecting") text = this._t("reconnecting");
      else if (state === "ended") text = this._t("ended");
      else if (state === "unavailable") text = this._errorText(this._stateCode);
      this._statusText.textContent = text;
      this._status.hidden = !text;
      this._status.setAttribute("data-state", state);
      this._spinner.hidden = state !== "connecting" && state !== "reconnecting";
      this._restartButton.hidden = state !== "ended";
    }

    _errorText(code, serverMessage, retryAfter) {
      if (code === "rate_limited" && retryAfter > 0) {
        return this._t("errors.rate_limited_retry", { s: Math.ceil(retryAfter) });
      }
      const known = STRINGS[this._lang()].errors[code];
      if (known) return format(known, { max: MAX_LENGTH });
      return serverMessage ? String(serverMessage) : this._t("errors.generic");
    }

    /* --------------------------------------------------------------- session */

    _prefetchSession() {
      // Fetching the session up front gives us the server theme for the launcher. The
      // WebSocket itself is only opened when the visitor opens the chat or send() is used.
      if (!this._started || this._session || !this._attr("agent-key")) return;
      this._ensureSession().catch((error) => {
        if (FATAL_SESSION_CODES.has(error.code)) this._failSession(error);
      });
    }

    _ensureSession() {
      if (this._session && Date.now() < this._session.expiresAt - 30000) return Promise.resolve(this._session);
      if (!this._sessionPromise) {
        const generation = this._generation;
        const promise = this._createSession()
          .then((session) => {
            if (generation !== this._generation) throw new WidgetError("stale", "superseded");
            this._session = session;
            this._server = { agent: session.agent, theme: session.theme };
            this._applyTheme();
            return session;
          })
          .finally(() => {
            if (this._sessionPromise === promise) this._sessionPromise = null;
          });
        this._sessionPromise = promise;
      }
      return this._sessionPromise;
    }

    async _createSession() {
      const key = this._attr("agent-key");
      if (!key) throw new WidgetError("missing_key", "The agent-key attribute is required.");
      const body = { key: key, visitor_id: visitorStore.get(key) };
      const userId = this._attr("user-id");
      const userHash = this._attr("user-hash");
      if (userId) body.user_id = userId;
      if (userHash) body.user_hash = userHash;
      let response;
      try {
        response = await fetch(this._apiBase() + "/widget/v1/session/", {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw new WidgetError("network", String((error && error.message) || error));
      }
      let data = null;
      try {
        data = await response.json();
      } catch (_notJson) {
        data = null;
      }
      if (!response.ok) {
        const error = (data && data.error) || {};
        const fallback = response.status === 429 ? "rate_limited"
          : response.status >= 500 ? "unavailable" : "http_" + response.status;
        const retryAfter = Number(response.headers.get("Retry-After")) || 0;
        throw new WidgetError(error.code || fallback, error.message, response.status, retryAfter);
      }
      if (!data || typeof data.ws_url !== "string" || !/^wss?:\/\//i.test(data.ws_url)) {
        throw new WidgetError("unavailable", "Malformed session response.", response.status);
      }
      if (data.visitor_id) visitorStore.set(key, String(data.visitor_id));
      return {
        wsUrl: data.ws_url,
        expiresAt: Date.now() + (Number(data.expires_in) || 3600) * 1000,
        agent: data.agent && typeof data.agent === "object" ? data.agent : {},
        theme: data.theme && typeof data.theme === "object" ? data.theme : {},
      };
    }

    _failSession(error) {
      this._setState("unavailable", error.code);
      // The embedding developer needs to see this; visitors see the localized status line.
      console.error("[myagent-chat] " + error.code + ": " + error.message);
      this._emit("myagent:error", { code: error.code, message: error.message, status: error.status });
    }

    /* ------------------------------------------------------------ connection */

    _ensureConnected() {
      if (!this._started || !this._wantConnection) return;
      if (this._ws || this._connectingGeneration === this._generation || this._timers.reconnect) return;
      if (this._state === "ended" || this._state === "unavailable") return;
      this._connect();
    }

    async _connect() {
      const generation = this._generation;
      if (this._connectingGeneration === generation) return;
      this._connectingGeneration = generation;
      clearTimeout(this._timers.reconnect);
      this._timers.reconnect = null;
      if (this._state !== "reconnecting") this._setState("connecting");
      try {
        const session = await this._ensureSession();
        if (generation !== this._generation || !this._started) return;
        this._openSocket(session.wsUrl);
      } catch (error) {
        if (error.code === "stale" || generation !== this._generation) return;
        if (FATAL_SESSION_CODES.has(error.code) || (error.status >= 400 && error.status < 500 && error.status !== 429)) {
          this._failSession(error);
        } else {
          const minDelay = error.code === "rate_limited" ? Math.max(TOO_MANY_CONNECTIONS_MIN_MS, error.retryAfter * 1000) : 0;
          this._scheduleReconnect(minDelay);
        }
      } finally {
        if (this._connectingGeneration === generation) this._connectingGeneration = null;
      }
    }

    _openSocket(url) {
      const ws = new WebSocket(url);
      this._ws = ws;
      ws.addEventListener("open", () => {
        if (ws !== this._ws) return;
        this._lastPong = Date.now();
        clearInterval(this._timers.ping);
        this._timers.ping = setInterval(() => this._ping(), PING_EVERY_MS);
      });
      ws.addEventListener("message", (event) => {
        if (ws !== this._ws) return;
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch (_badFrame) {
          return;
        }
        if (frame && typeof frame === "object") this._onFrame(frame);
      });
      ws.addEventListener("close", (event) => {
        if (ws !== this._ws) return;
        this._ws = null;
        clearInterval(this._timers.ping);
        this._onSocketClose(event.code);
      });
    }

    _ping() {
      if (!this._ws || this._ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this._lastPong > PONG_TIMEOUT_MS) {
        // A half-open connection (sleeping laptop, NAT timeout) never fires "close" by itself.
        this._ws.close(4000, "heartbeat timeout");
        return;
      }
      this._ws.send(JSON.stringify({ type: "ping" }));
    }

    _onSocketClose(code) {
      if (!this._started) return;
      this._setTyping(false);
      if (code === 4401) {
        // Token expired or invalid: a fresh session (same visitor) and straight back in.
        this._session = null;
        this._authFailures += 1;
        if (this._authFailures <= 1) this._connectSoon(0);
        else this._scheduleReconnect(0);
      } else if (code === 4403) {
        this._endConversation();
      } else if (code === 4429) {
        this._scheduleReconnect(TOO_MANY_CONNECTIONS_MIN_MS);
      } else {
        this._scheduleReconnect(0);
      }
    }

    _connectSoon(delay) {
      this._setState("reconnecting");
      clearTimeout(this._timers.reconnect);
      this._timers.reconnect = setTimeout(() => {
        this._timers.reconnect = null;
        this._connect();
      }, delay);
    }

    _scheduleReconnect(minDelay) {
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * Math.pow(2, this._attempt));
      this._attempt += 1;
      // "Equal jitter": spreads reconnect storms after a deploy without ever retrying instantly.
      const delay = Math.max(minDelay || 0, ceiling / 2 + Math.random() * (ceiling / 2));
      this._connectSoon(Math.min(delay, Math.max(BACKOFF_MAX_MS, minDelay || 0)));
    }

    _onOnline() {
      if (this._state === "reconnecting" && this._timers.reconnect) this._connectSoon(0);
    }

    _teardownSocket() {
      clearTimeout(this._timers.reconnect);
      clearInterval(this._timers.ping);
      clearTimeout(this._timers.reply);
      this._timers.reconnect = null;
      const ws = this._ws;
      this._ws = null;
      if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "widget closed");
    }

    _endConversation() {
      this._teardownSocket();
      this._session = null;
      this._outbox = [];
      this._pending.clear();
      this._awaiting.clear();
      this._setState("ended");
    }

    _restart() {
      this._generation += 1;
      this._teardownSocket();
      this._session = null;
      this._sessionPromise = null;
      this._attempt = 0;
      this._authFailures = 0;
      this._outbox = [];
      this._pending.clear();
      this._awaiting.clear();
      this._clearMessages();
      this._hideNotice();
      this._setState("idle");
      this._showGreeting();
      this._wantConnection = true;
      this._connect();
      this._input.focus({ preventScroll: true });
    }

    // agent-key, api-base or identity changed: everything tied to the old session goes.
    _scheduleReset() {
      if (this._resetQueued) return;
      this._resetQueued = true;
      queueMicrotask(() => {
        this._resetQueued = false;
        this._generation += 1;
        this._teardownSocket();
        this._session = null;
        this._sessionPromise = null;
        this._server = null;
        this._attempt = 0;
        this._outbox = [];
        this._pending.clear();
        this._awaiting.clear();
        this._clearMessages();
        this._setState("idle");
        this._applyTheme();
        if (this._isOpen) this._showGreeting();
        if (this._wantConnection) this._connect();
        else this._prefetchSession();
      });
    }

    /* ---------------------------------------------------------------- frames */

    _onFrame(frame) {
      switch (frame.type) {
        case "ready": return this._onReady(frame);
        case "typing":
          this._setTyping(!!frame.state);
          if (frame.state) this._armReplyTimeout();
          return undefined;
        case "token": return this._onToken(frame);
        case "message": return this._onReply(frame);
        case "ack": return this._onAck(frame);
        case "error": return this._onError(frame);
        case "pong":
          this._lastPong = Date.now();
          return undefined;
        default: return undefined;
      }
    }

    _onReady(frame) {
      this._attempt = 0;
      this._authFailures = 0;
      this._lastPong = Date.now();
      this._conversationId = frame.conversation_id || null;
      const history = Array.isArray(frame.history) ? frame.history : [];
      // Sent-but-unacked messages may or may not have been stored before the drop;
      // history is the truth, and only what is missing from it is sent again, once:
      // a message that keeps killing the connection must not be replayed forever.
      const recentUserTexts = history.filter(function (m) { return m && m.role === "user"; })
        .slice(-(this._pending.size + 5)).map(function (m) { return String(m.content); });
      const lost = Array.from(this._pending.values())
        .filter(function (m) { return recentUserTexts.indexOf(m.text) === -1; });
      const retry = lost.filter(function (m) { return !m.resent; })
        .map(function (m) { return { text: m.text, resent: true }; });
      const givenUp = lost.filter(function (m) { return m.resent; });
      const queued = this._outbox.map(function (item) { return { text: item.text, resent: false }; });
      this._pending.clear();
      this._awaiting.clear();
      this._renderHistory(history);
      for (const message of givenUp) this._markFailed(this._addMessage("user", message.text));
      this._outbox = retry.concat(queued).map((item) => {
        item.message = this._addMessage("user", item.text, { state: "pending" });
        item.message.resent = item.resent;
        return item;
      });
      this._setState("ready");
      this._flushOutbox();
    }

    _markFailed(message) {
      message.bubble.setAttribute("data-state", "failed");
      message.row.append(h("span", { class: "failed-label", text: this._t("notSent") }));
      if (!this._input.value.trim()) {
        this._input.value = message.text;
        this._autosize();
      }
    }

    _flushOutbox() {
      while (this._outbox.length && this._ws && this._ws.readyState === WebSocket.OPEN) {
        const item = this._outbox.shift();
        const clientId = uuid();
        item.message.clientId = clientId;
        this._pending.set(clientId, item.message);
        this._awaiting.add(clientId);
        this._ws.send(JSON.stringify({ type: "message", text: item.text, client_id: clientId }));
      }
      this._armReplyTimeout();
      this._updateComposer();
    }

    _armReplyTimeout() {
      clearTimeout(this._timers.reply);
      if (!this._awaiting.size) return;
      // If a reply never comes (worker crash), the visitor must not be stuck with a dead send button.
      this._timers.reply = setTimeout(() => {
        this._awaiting.clear();
        this._setTyping(false);
        this._updateComposer();
      }, REPLY_TIMEOUT_MS);
    }

    _onAck(frame) {
      const message = this._pending.get(frame.client_id);
      if (!message) return;
      this._pending.delete(frame.client_id);
      message.bubble.removeAttribute("data-state");
      const stored = frame.message || {};
      this._setMessageId(message, stored.id);
      if (stored.created_at) message.bubble.setAttribute("data-created-at", String(stored.created_at));
      this._armReplyTimeout();
      this._emit("myagent:message", {
        role: "user", id: message.id, content: message.text,
        created_at: stored.created_at || null, client_id: frame.client_id,
      });
    }

    _streamFor(replyTo) {
      let message = this._streams.get(replyTo);
      if (!message) {
        message = this._addMessage("assistant", "");
        message.streaming = true;
        message.bubble.setAttribute("data-streaming", "");
        this._streams.set(replyTo, message);
      }
      return message;
    }

    _onToken(frame) {
      const replyTo = String(frame.reply_to || "");
      const message = this._streamFor(replyTo);
      message.text += typeof frame.text === "string" ? frame.text : "";
      this._log.setAttribute("aria-busy", "true");
      this._setTyping(false);
      this._armReplyTimeout();
      this._queueRender(message);
    }

    _onReply(frame) {
      const stored = frame.message || {};
      const replyTo = String(frame.reply_to || "");
      const content = String(stored.content == null ? "" : stored.content);
      const streamed = this._streams.get(replyTo);
      let message = (stored.id != null && this._byId.get(String(stored.id))) || streamed;
      if (streamed && streamed !== message) streamed.row.remove();
      if (!message) message = this._addMessage("assistant", "");
      this._streams.delete(replyTo);
      message.streaming = false;
      message.text = content;
      message.bubble.removeAttribute("data-streaming");
      this._setMessageId(message, stored.id);
      if (stored.created_at) message.bubble.setAttribute("data-created-at", String(stored.created_at));
      this._renderMessage(message);
      if (!Array.from(this._streams.values()).some(function (m) { return m.streaming; })) {
        this._log.removeAttribute("aria-busy");
      }
      this._awaiting.delete(replyTo);
      this._setTyping(false);
      this._armReplyTimeout();
      this._updateComposer();
      if (!this._isOpen) {
        this._unread += 1;
        this._updateLauncherLabel();
      }
      this._emit("myagent:message", {
        role: "assistant", id: message.id, content: content,
        created_at: stored.created_at || null, reply_to: replyTo || null,
      });
    }

    _onError(frame) {
      const code = String(frame.code || "internal");
      const retryAfter = Number(frame.retry_after) || 0;
      this._showNotice(this._errorText(code, frame.message, retryAfter));
      // The refused message was not stored: hand its text back. The server names it with
      // client_id; without one, it refuses in order, so it is the oldest unacked message.
      const refused = (frame.client_id && this._pending.get(frame.client_id))
        || Array.from(this._pending.values())[0];
      if (refused) {
        this._pending.delete(refused.clientId);
        this._markFailed(refused);
      }
      for (const message of this._streams.values()) {
        message.streaming = false;
        message.bubble.removeAttribute("data-streaming");
      }
      this._log.removeAttribute("aria-busy");
      this._awaiting.clear();
      this._setTyping(false);
      if (code === "rate_limited" && retryAfter > 0) {
        this._lockedUntil = Date.now() + retryAfter * 1000;
        clearTimeout(this._timers.unlock);
        this._timers.unlock = setTimeout(() => this._updateComposer(), retryAfter * 1000 + 50);
      }
      this._updateComposer();
      this._emit("myagent:error", { code: code, message: frame.message || null, retry_after: retryAfter || null });
    }
  }

  window.customElements.define("myagent-chat", MyAgentChat);
})();
