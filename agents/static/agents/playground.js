/* Agent playground: POST a message, read the Server-Sent Events reply with a stream
   reader and append tokens to the agent's bubble as they arrive. Model output is only
   ever inserted as text (textContent / text nodes), never as HTML. No dependencies. */
(function () {
  "use strict";

  function init() {
    var root = document.querySelector("[data-playground]");
    if (!root) return;
    var form = root.querySelector("[data-chat-form]");
    var log = root.querySelector("[data-chat-log]");
    var empty = root.querySelector("[data-chat-empty]");
    var input = root.querySelector("[data-chat-input]");
    var send = root.querySelector("[data-chat-send]");
    var conversationInput = root.querySelector("[data-conversation-input]");
    var freshInput = root.querySelector("[data-fresh-input]");
    var conversationLink = root.querySelector("[data-conversation-link]");
    var csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var busy = false;

    function scrollToEnd() { log.scrollTop = log.scrollHeight; }

    function clock() {
      return new Date().toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
    }

    function addMessage(role, text) {
      var template = document.querySelector('template[data-template="' + role + '"]');
      var node = template.content.firstElementChild.cloneNode(true);
      node.querySelector("[data-content]").textContent = text;
      node.querySelector("[data-time]").textContent = clock();
      if (empty) empty.hidden = true;
      log.appendChild(node);
      scrollToEnd();
      return node;
    }

    function chip(className, label, value) {
      var span = document.createElement("span");
      span.className = "stat-chip" + (className ? " " + className : "");
      span.appendChild(document.createTextNode(label));
      if (value !== undefined) {
        span.appendChild(document.createTextNode(" "));
        var bold = document.createElement("b");
        bold.textContent = value;
        span.appendChild(bold);
      }
      return span;
    }

    function showStats(node, stats) {
      if (!stats) return;
      var box = document.createElement("div");
      box.className = "stats";
      box.setAttribute("data-stats", "");
      stats.timings.forEach(function (timing) {
        var item = chip(timing.stage === "first_token" ? "is-key" : "", timing.label, timing.ms + " ms");
        item.setAttribute("data-stage", timing.stage);
        box.appendChild(item);
      });
      box.appendChild(chip("", stats.tokens_label)).setAttribute("data-tokens", "");
      box.appendChild(chip("", stats.cost_label)).setAttribute("data-cost", "");
      if (stats.model) box.appendChild(chip("", stats.model + (stats.is_demo ? " · " + root.getAttribute("data-label-demo") : ""))).setAttribute("data-model", "");
      node.querySelector(".msg-body").appendChild(box);
    }

    function showError(node, text) {
      node.classList.add("is-error");
      var note = document.createElement("div");
      note.className = "msg-error";
      note.setAttribute("data-error", "");
      note.textContent = text;
      node.querySelector(".msg-body").appendChild(note);
      scrollToEnd();
    }

    function setBusy(value) {
      busy = value;
      send.disabled = value;
      input.readOnly = value;
    }

    function setConversation(id) {
      conversationInput.value = id || "";
      freshInput.value = "";
      if (conversationLink && id) {
        conversationLink.href = conversationLink.getAttribute("data-url-template").replace("000000000000000000000000", id);
        conversationLink.hidden = false;
      }
    }

    // One SSE frame: "event: name\ndata: {json}".
    function parseFrame(frame) {
      var event = "message";
      var data = "";
      frame.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) event = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
      });
      return { event: event, data: data ? JSON.parse(data) : {} };
    }

    async function errorMessage(response) {
      try {
        var body = await response.json();
        if (body && body.error && body.error.message) return body.error.message;
      } catch (ignored) { /* not JSON: fall through to the generic message */ }
      return root.getAttribute("data-error-generic");
    }

    async function submit() {
      var text = input.value.trim();
      if (!text || busy) return;
      setBusy(true);
      addMessage("user", text);
      input.value = "";
      resize();
      var reply = addMessage("assistant", "");
      var content = reply.querySelector("[data-content]");
      reply.classList.add("is-waiting");
      var finished = false;
      try {
        var body = new URLSearchParams({ message: text, conversation: conversationInput.value, fresh: freshInput.value });
        var response = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken, "Accept": "text/event-stream" },
          body: body,
        });
        if (!response.ok || !response.body) {
          reply.classList.remove("is-waiting");
          showError(reply, await errorMessage(response));
          return;
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true });
          var boundary;
          while ((boundary = buffer.indexOf("\n\n")) !== -1) {
            var frame = parseFrame(buffer.slice(0, boundary));
            buffer = buffer.slice(boundary + 2);
            if (frame.event === "meta") {
              setConversation(frame.data.conversation_id);
            } else if (frame.event === "token") {
              if (reply.classList.contains("is-waiting")) {
                reply.classList.remove("is-waiting");
                reply.classList.add("is-streaming");
              }
              content.appendChild(document.createTextNode(frame.data.text));
              scrollToEnd();
            } else if (frame.event === "done") {
              finished = true;
              reply.classList.remove("is-waiting", "is-streaming");
              content.textContent = frame.data.reply.content;
              reply.setAttribute("data-message", frame.data.reply.id);
              showStats(reply, frame.data.stats);
              if (frame.data.reply.error) {
                showError(reply, root.getAttribute("data-label-model-error") + ": " + frame.data.reply.error);
              }
              scrollToEnd();
            }
          }
        }
        if (!finished) showError(reply, root.getAttribute("data-error-interrupted"));
      } catch (error) {
        showError(reply, root.getAttribute("data-error-network"));
      } finally {
        reply.classList.remove("is-waiting", "is-streaming");
        setBusy(false);
        input.focus({ preventScroll: true });
      }
    }

    function resize() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight + 2, 160) + "px";
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", resize);

    root.querySelector("[data-chat-reset]").addEventListener("click", function () {
      if (busy) return;
      log.querySelectorAll(".msg").forEach(function (node) { node.remove(); });
      if (empty) empty.hidden = false;
      conversationInput.value = "";
      freshInput.value = "1";
      if (conversationLink) conversationLink.hidden = true;
      input.focus({ preventScroll: true });
    });

    scrollToEnd();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
