// The web chat of `botless serve`: sends each message to POST /api/chat and shows its replies
// beside the trace of the CloudEvents it caused. Commands for the autocomplete come from
// GET /api/commands. Text from the bot is only ever set as text (never parsed as HTML).
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);
  const conversation = byId("conversation");
  const form = byId("composer");
  const input = byId("message");
  const list = byId("suggestions");
  const sendButton = byId("send");
  const status = byId("status");
  const tokenBox = byId("token-box");
  const tokenInput = byId("token");
  const tokenReason = byId("token-reason");
  const template = byId("exchange-template");
  const TOKEN_KEY = "botless-ingress-token";

  let commands = [];
  let shown = [];
  let active = -1;
  const sent = [];
  let recalled = 0;

  class RefusedError extends Error {}

  tokenInput.value = sessionStorage.getItem(TOKEN_KEY) || "";

  async function api(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (tokenInput.value) headers.authorization = `Bearer ${tokenInput.value}`;
    const response = await fetch(path, { ...options, headers });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      tokenBox.hidden = false;
      tokenReason.textContent = body.error || "this server wants its bearer token";
      tokenInput.focus();
      throw new RefusedError(tokenReason.textContent);
    }
    if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
    return body;
  }

  async function loadCommands() {
    try {
      commands = (await api("/api/commands")).commands;
    } catch (error) {
      if (!(error instanceof RefusedError)) status.textContent = `No command list: ${error.message}`;
    }
  }

  // --- autocomplete (the WAI-ARIA combobox pattern: focus stays in the input) ---

  function matching(value) {
    if (!value.startsWith("/") || /\s/.test(value)) return [];
    const typed = value.slice(1).toLowerCase();
    return commands.filter((command) => [command.name, ...command.aliases].some((name) => name.startsWith(typed)));
  }

  function option(command, index) {
    const item = document.createElement("li");
    item.id = `command-${command.name}`;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    const usage = document.createElement("span");
    usage.className = "usage mono";
    usage.textContent = command.usage;
    const help = document.createElement("span");
    help.className = "help";
    const aliases = command.aliases.length ? ` (also ${command.aliases.map((a) => `/${a}`).join(", ")})` : "";
    help.textContent = command.help + aliases;
    item.append(usage, help);
    item.addEventListener("mousedown", (event) => event.preventDefault());  // keep the focus in the input
    item.addEventListener("click", () => choose(index));
    return item;
  }

  function showSuggestions() {
    shown = matching(input.value);
    const open = shown.length > 0;
    list.replaceChildren(...shown.map(option));
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    active = open ? Math.min(active, shown.length - 1) : -1;
    highlight();
    if (open) status.textContent = `${shown.length} command${shown.length === 1 ? "" : "s"}; up and down to choose`;
  }

  function highlight() {
    [...list.children].forEach((item, index) => item.setAttribute("aria-selected", String(index === active)));
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", list.children[active].id);
      list.children[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function closeSuggestions() {
    shown = [];
    active = -1;
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    input.value = `/${shown[index].name} `;
    closeSuggestions();
    input.focus();
  }

  function recall(step) {
    if (!sent.length) return;
    recalled = Math.max(0, Math.min(sent.length, recalled + step));
    input.value = sent[recalled] ?? "";
  }

  input.addEventListener("input", () => { active = -1; showSuggestions(); });
  input.addEventListener("blur", () => setTimeout(closeSuggestions, 0));
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden && shown.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      if (!open) return recall(step);
      active = (active + step + shown.length + (active < 0 && step < 0 ? 1 : 0)) % shown.length;
      highlight();
    } else if (event.key === "Tab" && open && !event.shiftKey) {
      event.preventDefault();
      choose(Math.max(active, 0));
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      closeSuggestions();
    }
  });

  // --- the conversation ---

  function styled(element, text) {
    // A reply's `name` is code and its *word* is bold, as on the chat platforms; the rest is plain text.
    text.split("`").forEach((part, index) => {
      if (index % 2) {
        const code = document.createElement("code");
        code.textContent = part;
        element.append(code);
        return;
      }
      part.split(/\*([^*\n]+)\*/).forEach((piece, inner) => {
        if (inner % 2) {
          const strong = document.createElement("strong");
          strong.textContent = piece;
          element.append(strong);
        } else if (piece) {
          element.append(document.createTextNode(piece));
        }
      });
    });
  }

  function bubble(exchange, text, kind) {
    const paragraph = document.createElement("p");
    paragraph.className = `bubble ${kind}`;
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = "Botless: ";
    paragraph.append(who);
    styled(paragraph, text);
    exchange.querySelector(".messages").append(paragraph);
  }

  function field(details, name, value) {
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.className = "mono";
    detail.textContent = value;
    details.append(term, detail);
  }

  function chip(text, label) {
    const span = document.createElement("span");
    span.className = "chip";
    span.textContent = text;
    span.setAttribute("aria-label", label);
    return span;
  }

  function eventItem(step) {
    const item = document.createElement("li");
    item.className = `event ${step.outcome}`;
    const head = document.createElement("div");
    head.className = "event-head";
    const type = document.createElement("span");
    type.className = "event-type mono";
    type.textContent = step.type;
    const where = step.function === step.role ? step.role : `${step.function} → ${step.role}`;
    const ms = step.ms < 10 ? step.ms.toFixed(2) : step.ms.toFixed(1);
    head.append(type, chip(where, `role ${where}`), chip(`${ms} ms`, `${ms} milliseconds`));
    if (step.outcome !== "ok") head.append(chip(step.outcome, `outcome ${step.outcome}`));
    const details = document.createElement("dl");
    field(details, "source", step.source);
    field(details, "id", step.id);
    Object.entries(step.extensions).forEach(([name, value]) => field(details, name, value));
    if (step.emitted.length) field(details, "emitted", step.emitted.join(", "));
    item.append(head, details);
    return item;
  }

  function showTrace(exchange, trace) {
    const title = exchange.querySelector(".trace-title");
    const functions = new Set(trace.map((step) => step.function));
    const ran = functions.size === 1 ? `in one function, ${[...functions][0]}` : `in ${functions.size} functions`;
    title.textContent = trace.length
      ? `${trace.length} CloudEvent${trace.length === 1 ? "" : "s"}, ${ran}`
      : "No CloudEvents traced";
    exchange.querySelector(".events").replaceChildren(...trace.map(eventItem));
  }

  function addExchange(text) {
    const exchange = template.content.firstElementChild.cloneNode(true);
    exchange.querySelector(".user .text").textContent = text;
    const heading = exchange.querySelector(".trace-title");
    heading.id = `trace-${conversation.children.length}`;
    heading.textContent = "Sending…";
    exchange.querySelector(".trace").setAttribute("aria-labelledby", heading.id);
    conversation.append(exchange);
    return exchange;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (tokenInput.value) sessionStorage.setItem(TOKEN_KEY, tokenInput.value);
    sent.push(text);
    recalled = sent.length;
    input.value = "";
    closeSuggestions();
    const exchange = addExchange(text);
    exchange.setAttribute("aria-busy", "true");
    sendButton.disabled = true;
    try {
      const answer = await api("/api/chat", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }),
      });
      if (!answer.replies.length) bubble(exchange, "(no reply: plain text is no command)", "bot quiet");
      answer.replies.forEach((reply) => bubble(exchange, reply, "bot"));
      showTrace(exchange, answer.trace || []);
      if (!commands.length) loadCommands();
    } catch (error) {
      bubble(exchange, `Not sent: ${error.message}`, "bot error");
      exchange.querySelector(".trace-title").textContent = "No CloudEvents";
      if (error instanceof RefusedError) input.value = text;  // to send again once the token is in
    } finally {
      exchange.removeAttribute("aria-busy");
      sendButton.disabled = false;
      exchange.scrollIntoView({ block: "end" });
      if (!(tokenBox.hidden === false && document.activeElement === tokenInput)) input.focus();
    }
  });

  loadCommands();
})();
