/*!
 * Alliance chat widget: embed with one tag,
 *   <script src="https://bot.example.org/alliance-widget.js"
 *           data-server="https://bot.example.org:5005" defer></script>
 * It talks to Rasa's socketio channel and falls back to the REST channel. The
 * emergency number in its permanent strip comes from that server's region
 * (GET <server>/webhooks/socketio/region), so it always matches the bot's replies.
 * Licensed under the Apache License 2.0, like the rest of Alliance.
 */
(function () {
  "use strict";

  if (window.__allianceWidgetLoaded) return; // pasted twice: one widget
  window.__allianceWidgetLoaded = true;

  var MAX_LENGTH = 2000; // characters in one message
  var COUNTER_FROM = 1800; // show the counter from here on
  var CONNECT_TIMEOUT_MS = 4000; // socket.io must be ready by then, else REST
  var FIRST_REPLY_MS = 10000; // and its first reply must come by then, else REST
  var REPLY_TIMEOUT_MS = 45000; // say so when nothing came back
  var MAX_STORED = 300; // transcript entries kept in sessionStorage
  var USER_EVENT = "user_uttered";
  var BOT_EVENT = "bot_uttered";
  var LINK_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];
  var CALL_PROTOCOLS = ["tel:", "sms:"];

  // iOS pre-fills a text with "sms:NUMBER&body=..."; Android and RFC 5724 read "sms:NUMBER?body=...".
  function isIOS() {
    var ua = navigator.userAgent || "";
    return /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
  }

  function callHref(href) {
    return /^sms:/i.test(href) && isIOS() ? href.replace("?body=", "&body=") : href;
  }

  // ---------------------------------------------------------------- settings

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/alliance-widget(\.min)?\.js([?#]|$)/.test(all[i].src || "")) return all[i];
    }
    return null;
  }

  var script = findScript();
  var scriptUrl = (script && script.src) || window.location.href;

  function attr(name, fallback) {
    var value = script ? script.getAttribute("data-" + name) : null;
    return value && value.trim() ? value.trim() : fallback;
  }

  function parseServer(value) {
    var url;
    try {
      url = new URL(value, scriptUrl);
    } catch (e) {
      url = null;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      warn("data-server must be an http(s) URL; using the script's own origin");
      url = new URL(scriptUrl);
      url.pathname = "/";
    }
    var prefix = url.pathname.replace(/\/+$/, "");
    return { origin: url.origin, prefix: prefix, base: url.origin + prefix };
  }

  function warn(message) {
    try {
      window.console.warn("[alliance-widget] " + message);
    } catch (e) {
      /* no console */
    }
  }

  var assetBase = new URL(".", scriptUrl).href;
  var server = parseServer(attr("server", new URL(scriptUrl).origin));
  if (attr("emergency", "") || attr("emergency-tel", "")) {
    warn("data-emergency is no longer used: the emergency number comes from the server's region");
  }
  var botName = attr("title", "Alliance");
  var socketPath = attr("socket-path", "/socket.io");
  var transportSetting = attr("transport", "auto").toLowerCase();
  if (transportSetting !== "rest") transportSetting = "auto";

  // ------------------------------------------------------------- persistence
  // sessionStorage, not localStorage: a therapy chat should not outlive the tab
  // on a shared computer, but it should survive a reload in the same tab.

  var STORAGE_KEY = "alliance-widget:" + server.base;
  var REGION_URL = server.base + "/webhooks/socketio/region";
  // Until the server has said which region it serves, nothing names a number that
  // may be wrong here.
  var NEUTRAL_EMERGENCY = "In an emergency, call your local emergency number.";

  function newSessionId() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function cleanButtons(list) {
    if (!Array.isArray(list)) return [];
    var out = [];
    list.forEach(function (b) {
      if (!b || typeof b !== "object") return;
      var title = typeof b.title === "string" ? b.title : "";
      var payload = typeof b.payload === "string" ? b.payload : "";
      if (!title && !payload) return;
      out.push({ title: title || payload, payload: payload || title });
    });
    return out.slice(0, 12);
  }

  function cleanEntry(entry) {
    if (!entry || typeof entry !== "object") return null;
    if (entry.from !== "user" && entry.from !== "bot") return null;
    var text = typeof entry.text === "string" ? entry.text : "";
    var buttons = entry.from === "bot" ? cleanButtons(entry.buttons) : [];
    if (!text && !buttons.length) return null;
    return { from: entry.from, text: text, buttons: buttons };
  }

  // The server's region as /webhooks/socketio/region gave it, or null if it doesn't
  // look like what that route sends.
  function cleanRegion(data) {
    if (!data || typeof data !== "object") return null;
    var number = typeof data.emergency_number === "string" ? data.emergency_number.trim() : "";
    var tel = typeof data.emergency_tel === "string" ? data.emergency_tel.trim() : "";
    var stripText = typeof data.strip === "string" ? data.strip.trim() : "";
    if (!number || number.length > 40 || !/^\+?[0-9]{2,15}$/.test(tel)) return null;
    if (!stripText || stripText.length > 200) return null;
    return { emergency_number: number, emergency_tel: tel, strip: stripText };
  }

  function loadState() {
    var data = null;
    try {
      data = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
    } catch (e) {
      data = null;
    }
    var state = { sessionId: "", messages: [], region: null };
    if (data && typeof data === "object") {
      state.region = cleanRegion(data.region); // the last one this tab was told
      if (typeof data.sessionId === "string" && /^[A-Za-z0-9_-]{8,128}$/.test(data.sessionId)) {
        state.sessionId = data.sessionId;
      }
      if (Array.isArray(data.messages)) {
        state.messages = data.messages.map(cleanEntry).filter(Boolean).slice(-MAX_STORED);
      }
    }
    if (!state.sessionId) state.sessionId = newSessionId();
    return state;
  }

  var state = loadState();

  function saveState() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (e) {
      /* storage full or disabled: the conversation lives in memory only */
    }
  }
  saveState();

  // ------------------------------------------------------------------- DOM

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (attrs[key] === true) node.setAttribute(key, "");
        else if (attrs[key] !== false && attrs[key] != null) node.setAttribute(key, String(attrs[key]));
      });
    }
    if (text != null) node.textContent = String(text);
    return node;
  }

  function icon(pathData) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  var CSS = [
    ":host{all:initial}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".aw-root{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1f2933}",
    ".aw-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    "button,textarea,a{font:inherit}",
    ":focus-visible{outline:3px solid #1a56db;outline-offset:2px}",
    ".aw-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:inline-flex;align-items:center;gap:8px;",
    "min-height:48px;padding:0 18px 0 14px;border:0;border-radius:24px;background:#0f5e63;color:#fff;font-weight:600;",
    "cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".aw-launcher:hover{background:#0b4a4e}",
    ".aw-panel{position:fixed;right:20px;bottom:80px;z-index:2147483001;display:flex;flex-direction:column;width:380px;",
    "max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 100px);background:#fff;border-radius:14px;",
    "box-shadow:0 12px 40px rgba(0,0,0,.28);overflow:hidden}",
    ".aw-header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:#0f5e63;color:#fff}",
    ".aw-heading{flex:1 1 auto;min-width:0}",
    ".aw-title{margin:0;font-size:17px;font-weight:700;line-height:1.25}",
    ".aw-subtitle{margin:0;font-size:13px;opacity:.92}",
    ".aw-header-button{flex:0 0 auto;min-width:36px;min-height:36px;padding:0 10px;border:1px solid rgba(255,255,255,.6);",
    "border-radius:8px;background:transparent;color:#fff;cursor:pointer;font-size:14px}",
    ".aw-header-button:hover{background:rgba(255,255,255,.15)}",
    ".aw-header :focus-visible{outline-color:#fff}",
    ".aw-emergency{margin:0;padding:8px 16px;background:#fdecea;color:#7a1010;font-size:14px;font-weight:600;",
    "border-bottom:1px solid #f5c2bd}",
    ".aw-emergency a{color:#7a1010;text-decoration:underline;text-underline-offset:2px}",
    ".aw-log{position:relative;flex:1 1 auto;display:flex;flex-direction:column;gap:10px;overflow-x:hidden;overflow-y:auto;padding:14px;",
    "background:#f5f7f8;overscroll-behavior:contain}",
    ".aw-intro{margin:0;color:#3e4c59;font-size:14px}",
    ".aw-msg{max-width:88%;padding:9px 12px;border-radius:12px;overflow-wrap:anywhere;word-break:break-word}",
    ".aw-msg p{margin:0}",
    ".aw-msg p+p,.aw-msg p+ul,.aw-msg ul+p,.aw-msg ul+ul{margin-top:8px}",
    ".aw-msg ul{margin:0;padding-left:20px}",
    ".aw-bot{align-self:flex-start;background:#fff;white-space:pre-line;border:1px solid #d9e0e4;border-bottom-left-radius:4px}",
    ".aw-bot a{color:#0b4f8a}",
    ".aw-user{align-self:flex-end;background:#0f5e63;color:#fff;border-bottom-right-radius:4px;white-space:pre-wrap}",
    ".aw-note{align-self:center;max-width:100%;margin:0;color:#52606d;font-size:13px;text-align:center}",
    ".aw-choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}",
    ".aw-choice{display:inline-flex;align-items:center;max-width:100%;min-height:36px;padding:6px 12px;border:1px solid #0f5e63;",
    "border-radius:18px;background:#fff;color:#0f5e63;font-size:14px;text-align:left;text-decoration:none;cursor:pointer}",
    ".aw-choice:hover{background:#e3f1f1}",
    ".aw-bot .aw-call{border-color:#a1231b;background:#a1231b;color:#fff;font-weight:600;text-decoration:none}",
    ".aw-bot .aw-call:hover{background:#7f1b15}",
    ".aw-typing{display:flex;align-items:center;gap:4px;min-height:0;padding:0 16px;background:#f5f7f8}",
    ".aw-dots{display:inline-flex;gap:4px;padding:8px 12px;margin-bottom:8px;border:1px solid #d9e0e4;border-radius:12px;background:#fff}",
    ".aw-dots span{width:7px;height:7px;border-radius:50%;background:#7b8794;animation:aw-blink 1.2s infinite ease-in-out}",
    ".aw-dots span:nth-child(2){animation-delay:.2s}",
    ".aw-dots span:nth-child(3){animation-delay:.4s}",
    "@keyframes aw-blink{0%,80%,100%{opacity:.3}40%{opacity:1}}",
    ".aw-form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #d9e0e4;background:#fff}",
    ".aw-input{flex:1 1 auto;min-width:0;max-height:120px;padding:9px 11px;border:1px solid #7b8794;border-radius:10px;",
    "background:#fff;color:#1f2933;font-size:16px;line-height:1.35;resize:none}",
    ".aw-input:focus-visible{outline-offset:0}",
    ".aw-send{flex:0 0 auto;min-height:42px;padding:0 16px;border:0;border-radius:10px;background:#0f5e63;color:#fff;",
    "font-weight:600;cursor:pointer}",
    ".aw-send:hover{background:#0b4a4e}",
    ".aw-count{flex:1 0 100%;margin:0;color:#52606d;font-size:12px;text-align:right}",
    "@media (max-width:480px){",
    ".aw-panel{top:0;right:0;bottom:0;left:0;width:100%;max-width:100%;height:100%;max-height:100%;border-radius:0}",
    ".aw-launcher{right:12px;bottom:12px}",
    "}",
    "@media (prefers-reduced-motion:reduce){.aw-dots span{animation:none}}",
    "@media (forced-colors:active){.aw-launcher,.aw-panel,.aw-msg,.aw-choice{border:1px solid CanvasText}}",
  ].join("\n");

  function applyStyles(root) {
    // A constructed stylesheet is not an inline <style>, so a page whose
    // Content-Security-Policy forbids inline styles still gets ours.
    try {
      if (root !== document && "adoptedStyleSheets" in root && window.CSSStyleSheet) {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        return;
      }
    } catch (e) {
      /* fall through to a <style> element */
    }
    root.appendChild(el("style", null, CSS));
  }

  // ---------------------------------------------------- safe text rendering
  // Bot and user text never goes through innerHTML: a tiny markdown subset is
  // parsed here into DOM nodes, everything else stays literal text.

  function safeUrl(raw, protocols) {
    var url;
    try {
      url = new URL(raw); // absolute URLs only
    } catch (e) {
      return null;
    }
    return protocols.indexOf(url.protocol) >= 0 ? url : null;
  }

  function appendInline(parent, text, insideLink) {
    var buffer = "";
    var i = 0;
    function flush() {
      if (buffer) parent.appendChild(document.createTextNode(buffer));
      buffer = "";
    }
    while (i < text.length) {
      if (text.charAt(i) === "*" && text.charAt(i + 1) === "*") {
        var end = text.indexOf("**", i + 2);
        if (end > i + 2) {
          flush();
          var strong = el("strong");
          appendInline(strong, text.slice(i + 2, end), insideLink);
          parent.appendChild(strong);
          i = end + 2;
          continue;
        }
      }
      if (!insideLink && text.charAt(i) === "[") {
        var match = /^\[([^\]\n]+)\]\(([^()\s]+)\)/.exec(text.slice(i));
        if (match) {
          var url = safeUrl(match[2], LINK_PROTOCOLS);
          if (url) {
            flush();
            var link = el("a", { href: url.href });
            appendInline(link, match[1], true);
            if (url.protocol === "http:" || url.protocol === "https:") {
              link.setAttribute("target", "_blank");
              link.setAttribute("rel", "noopener noreferrer");
              link.appendChild(el("span", { class: "aw-sr" }, " (opens in a new tab)"));
            }
            parent.appendChild(link);
          } else {
            buffer += match[0]; // javascript:, data:, relative...: shown as typed
          }
          i += match[0].length;
          continue;
        }
      }
      buffer += text.charAt(i);
      i += 1;
    }
    flush();
  }

  function appendMarkdown(parent, text) {
    var lines = String(text).replace(/\r\n?/g, "\n").split("\n");
    var paragraph = null;
    var list = null;
    lines.forEach(function (line) {
      if (!line.trim()) {
        paragraph = null;
        list = null;
        return;
      }
      var item = /^ {0,3}[-*] +(.*)$/.exec(line);
      if (item) {
        paragraph = null;
        if (!list) {
          list = el("ul");
          parent.appendChild(list);
        }
        var li = el("li");
        appendInline(li, item[1], false);
        list.appendChild(li);
        return;
      }
      list = null;
      if (paragraph) {
        paragraph.appendChild(el("br"));
      } else {
        paragraph = el("p");
        parent.appendChild(paragraph);
      }
      appendInline(paragraph, line, false);
    });
  }

  // ------------------------------------------------------------------ UI

  var host = el("div", { id: "alliance-widget", "data-connection": "idle" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  applyStyles(root);
  var wrapper = el("div", { class: "aw-root" });
  root.appendChild(wrapper);

  var launcher = el("button", {
    type: "button",
    class: "aw-launcher",
    "aria-label": "Ask " + botName + ": open the chat",
    "aria-expanded": "false",
    "aria-controls": "aw-panel",
  });
  launcher.appendChild(
    icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.3 1.3 0 1 0 0 2.6A1.3 1.3 0 0 0 7 10zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z")
  );
  launcher.appendChild(el("span", null, "Ask " + botName));

  var panel = el("div", {
    id: "aw-panel",
    class: "aw-panel",
    role: "dialog",
    "aria-label": "Chat with " + botName,
    hidden: true,
  });

  var header = el("div", { class: "aw-header" });
  var heading = el("div", { class: "aw-heading" });
  heading.appendChild(el("h2", { class: "aw-title" }, botName));
  heading.appendChild(el("p", { class: "aw-subtitle" }, "Automated assistant, not a therapist"));
  var clearButton = el(
    "button",
    { type: "button", class: "aw-header-button", "aria-label": "Clear the conversation from this browser" },
    "Clear"
  );
  var closeButton = el("button", { type: "button", class: "aw-header-button", "aria-label": "Close the chat" });
  closeButton.appendChild(icon("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"));
  header.appendChild(heading);
  header.appendChild(clearButton);
  header.appendChild(closeButton);

  var strip = el("p", { class: "aw-emergency" });

  var log = el("div", {
    class: "aw-log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation with " + botName,
    tabindex: "0",
  });
  var intro = el(
    "p",
    { class: "aw-intro" },
    "Ask me about the relationship with your therapist, for example \u201cCan I text my therapist?\u201d"
  );

  // The dots are decoration; the status region says "typing" once per wait.
  var typing = el("div", { class: "aw-typing", role: "status", "aria-live": "polite" });
  var dots = el("span", { class: "aw-dots", "aria-hidden": "true", hidden: true });
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  var typingText = el("span", { class: "aw-sr" });
  typing.appendChild(dots);
  typing.appendChild(typingText);

  var form = el("form", { class: "aw-form", novalidate: true });
  var label = el("label", { for: "aw-input", class: "aw-sr" }, "Your message to " + botName);
  var input = el("textarea", {
    id: "aw-input",
    class: "aw-input",
    rows: "1",
    maxlength: String(MAX_LENGTH),
    placeholder: "Type your question\u2026",
    autocomplete: "off",
    "aria-describedby": "aw-count",
  });
  var sendButton = el("button", { type: "submit", class: "aw-send" }, "Send");
  var counter = el("p", { id: "aw-count", class: "aw-count", hidden: true });
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);
  form.appendChild(counter);

  panel.appendChild(header);
  panel.appendChild(strip);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  wrapper.appendChild(panel);
  wrapper.appendChild(launcher);

  // ------------------------------------------------------- emergency number

  function emergencySentence() {
    return state.region ? state.region.strip + "." : NEUTRAL_EMERGENCY;
  }

  // The strip: the server's line with its number as a tel: link, or the neutral line.
  function renderStrip() {
    while (strip.firstChild) strip.removeChild(strip.firstChild);
    var region = state.region;
    if (!region) {
      strip.textContent = NEUTRAL_EMERGENCY;
      return;
    }
    var at = region.strip.indexOf(region.emergency_number);
    var before = at >= 0 ? region.strip.slice(0, at) : region.strip + " ";
    var after = at >= 0 ? region.strip.slice(at + region.emergency_number.length) : "";
    strip.appendChild(document.createTextNode(before));
    strip.appendChild(el("a", { href: "tel:" + region.emergency_tel }, region.emergency_number));
    if (after) strip.appendChild(document.createTextNode(after));
  }

  var regionKnown = false; // asked the server successfully since this page loaded
  var regionAsking = false;

  // On failure the strip keeps what it shows: the last number this tab was told, or
  // the neutral line. Opening the panel asks again.
  function fetchRegion() {
    if (regionKnown || regionAsking || !window.fetch) return;
    regionAsking = true;
    window
      .fetch(REGION_URL, { method: "GET", mode: "cors", credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var region = cleanRegion(data);
        if (!region) throw new Error("unexpected answer");
        regionKnown = true;
        state.region = region;
        saveState();
        renderStrip();
      })
      .catch(function (e) {
        warn("could not ask the server for its emergency number (" + e + "); the strip keeps what it shows");
      })
      .then(function () {
        regionAsking = false;
      });
  }

  function renderEntry(entry) {
    var node;
    if (entry.from === "user") {
      node = el("div", { class: "aw-msg aw-user" });
      node.appendChild(el("span", { class: "aw-sr" }, "You: "));
      node.appendChild(document.createTextNode(entry.text));
      return node;
    }
    if (entry.from === "note") {
      return el("p", { class: "aw-note" }, entry.text);
    }
    node = el("div", { class: "aw-msg aw-bot" });
    node.appendChild(el("span", { class: "aw-sr" }, botName + ": "));
    if (entry.text) appendMarkdown(node, entry.text);
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", { class: "aw-choices", role: "group", "aria-label": "Suggested replies" });
      entry.buttons.forEach(function (b) {
        var call = /^(tel|sms):/i.test(b.payload) ? safeUrl(b.payload, CALL_PROTOCOLS) : null;
        if (call) {
          group.appendChild(el("a", { class: "aw-choice aw-call", href: callHref(call.href) }, b.title));
        } else if (!/^(tel|sms):/i.test(b.payload)) {
          var button = el("button", { type: "button", class: "aw-choice", "data-payload": b.payload }, b.title);
          button.addEventListener("click", function () {
            sendMessage(b.payload, b.title);
          });
          group.appendChild(button);
        }
      });
      if (group.firstChild) node.appendChild(group);
    }
    return node;
  }

  var questionNode = null; // the last user message: a long reply must not push it out of view

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function scrollForReply() {
    var end = log.scrollHeight - log.clientHeight;
    var top = questionNode && questionNode.parentNode === log ? questionNode.offsetTop - 8 : end;
    log.scrollTop = Math.max(0, Math.min(end, top));
  }

  function updateIntro() {
    intro.hidden = state.messages.length > 0;
  }

  function addEntry(entry, persist) {
    if (persist) {
      state.messages.push(entry);
      if (state.messages.length > MAX_STORED) state.messages.splice(0, state.messages.length - MAX_STORED);
      saveState();
    }
    var node = renderEntry(entry);
    log.appendChild(node);
    updateIntro();
    if (entry.from === "user") {
      questionNode = node;
      scrollToEnd();
    } else {
      scrollForReply();
    }
  }

  function note(text) {
    addEntry({ from: "note", text: text }, false);
  }

  function renderHistory() {
    questionNode = null;
    while (log.firstChild) log.removeChild(log.firstChild);
    log.appendChild(intro);
    state.messages.forEach(function (entry) {
      log.appendChild(renderEntry(entry));
    });
    updateIntro();
  }

  // -------------------------------------------------------------- typing

  var waiting = 0;
  var replyTimer = null;

  function setTyping(on) {
    dots.hidden = !on;
    var text = on ? botName + " is typing\u2026" : "";
    if (typingText.textContent !== text) typingText.textContent = text;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function startWaiting() {
    waiting += 1;
    setTyping(true);
    scrollToEnd();
    clearTimeout(replyTimer);
    replyTimer = setTimeout(function () {
      if (waiting > 0) {
        waiting = 0;
        setTyping(false);
        note("No answer came back. Please try again. " + emergencySentence());
      }
    }, REPLY_TIMEOUT_MS);
  }

  function gotReply() {
    waiting = 0;
    clearTimeout(replyTimer);
    setTyping(false);
  }

  // ----------------------------------------------------------- bot messages

  function normalizeBot(data) {
    if (typeof data === "string") return data ? { from: "bot", text: data, buttons: [] } : null;
    if (!data || typeof data !== "object") return null;
    var text = "";
    if (typeof data.text === "string") text = data.text;
    else if (typeof data.text === "number") text = String(data.text);
    else if (data.custom && typeof data.custom === "object" && typeof data.custom.text === "string") {
      text = data.custom.text;
    }
    var buttons = cleanButtons(data.quick_replies || data.buttons);
    if (!text.trim() && !buttons.length) return null; // images, custom payloads: ignored
    return { from: "bot", text: text, buttons: buttons };
  }

  function onBotMessage(data) {
    try {
      var entry = normalizeBot(data);
      if (!entry) return false;
      gotReply();
      addEntry(entry, true);
      return true;
    } catch (e) {
      warn("could not show a message: " + e);
      return false;
    }
  }

  // ---------------------------------------------------------- transports

  var mode = "idle"; // idle | connecting | socketio | rest
  var socket = null;
  var socketReady = false;
  var socketProven = false; // a reply has come over socket.io
  var proofTimer = null;
  var unanswered = []; // sent over socket.io, no reply since
  var queue = [];
  var restChain = Promise.resolve();

  function setMode(next) {
    mode = next;
    host.setAttribute("data-connection", next); // for diagnostics and tests
    if (next !== "socketio") host.removeAttribute("data-socket-transport");
  }

  function sendRest(message) {
    restChain = restChain
      .then(function () {
        var controller = window.AbortController ? new AbortController() : null;
        var timer = controller
          ? setTimeout(function () {
              controller.abort();
            }, REPLY_TIMEOUT_MS)
          : null;
        return window
          .fetch(server.base + "/webhooks/rest/webhook", {
            method: "POST",
            mode: "cors",
            credentials: "omit",
            headers: { "Content-Type": "application/json" },
            // The widget's own conversation (socketio:<session>), whichever way it travels.
            body: JSON.stringify({ sender: state.sessionId, message: message, input_channel: "socketio" }),
            signal: controller ? controller.signal : undefined,
          })
          .then(function (response) {
            clearTimeout(timer);
            if (!response.ok) throw new Error("HTTP " + response.status);
            return response.json();
          })
          .then(function (list) {
            var shown = (Array.isArray(list) ? list : [list]).filter(onBotMessage).length;
            if (!shown) {
              gotReply();
              note("No answer came back. Please try again. " + emergencySentence());
            }
          });
      })
      .catch(function () {
        gotReply();
        note("Sorry, I can't reach the assistant right now. Please try again in a moment. " + emergencySentence());
      });
  }

  function useRest(reason) {
    if (reason) warn("using the REST channel: " + reason);
    setMode("rest");
    var pending = queue;
    queue = [];
    pending.forEach(sendRest);
  }

  function deliver(message) {
    if (mode === "socketio" && socket && socketReady) {
      socket.emit(USER_EVENT, { message: message, session_id: state.sessionId });
      unanswered.push(message);
      if (!socketProven && !proofTimer) proofTimer = setTimeout(abandonSocket, FIRST_REPLY_MS);
    } else if (mode === "connecting") {
      queue.push(message);
    } else {
      sendRest(message);
    }
  }

  // A server can accept the socket and still lose every reply (Rasa 3.6's
  // socketio channel with session_persistence on python-socketio >= 5.10 does):
  // without a first reply in time, the widget moves to REST and sends again.
  function abandonSocket() {
    proofTimer = null;
    if (socketProven || mode !== "socketio") return;
    var resend = unanswered;
    unanswered = [];
    useRest("no reply over socket.io within " + FIRST_REPLY_MS / 1000 + " s");
    closeSocket();
    resend.forEach(sendRest);
  }

  function closeSocket() {
    var old = socket;
    socket = null;
    socketReady = false;
    if (old) old.close();
  }

  function onSocketReply(data) {
    socketProven = true;
    clearTimeout(proofTimer);
    proofTimer = null;
    unanswered = [];
    onBotMessage(data);
  }

  function loadSocketIo(callback) {
    // Our copy must not replace a socket.io the host page may use itself.
    var hadIo = Object.prototype.hasOwnProperty.call(window, "io");
    var previous = window.io;
    var done = false;
    function finish(lib) {
      if (done) return;
      done = true;
      if (hadIo) window.io = previous;
      else {
        try {
          delete window.io;
        } catch (e) {
          window.io = undefined;
        }
      }
      callback(typeof lib === "function" ? lib : null);
    }
    var tag = el("script", { src: assetBase + "socket.io.min.js", async: true });
    tag.onload = function () {
      finish(window.io);
    };
    tag.onerror = function () {
      finish(null);
    };
    (document.head || document.documentElement).appendChild(tag);
  }

  function connect() {
    if (mode !== "idle") return;
    if (transportSetting === "rest") {
      useRest("");
      return;
    }
    setMode("connecting");
    var connectTimer = setTimeout(function () {
      if (mode === "connecting") {
        useRest("socket.io did not connect within " + CONNECT_TIMEOUT_MS / 1000 + " s");
        closeSocket();
      }
    }, CONNECT_TIMEOUT_MS);

    loadSocketIo(function (io) {
      if (mode !== "connecting") return;
      if (!io) {
        clearTimeout(connectTimer);
        useRest("the socket.io client did not load");
        return;
      }
      var live;
      try {
        live = io(server.origin, {
          path: server.prefix + socketPath,
          transports: ["polling", "websocket"], // long-polling first, then the upgrade
          reconnectionAttempts: 10,
          reconnectionDelayMax: 10000,
          timeout: CONNECT_TIMEOUT_MS,
          withCredentials: false,
        });
      } catch (e) {
        clearTimeout(connectTimer);
        useRest("socket.io failed: " + e);
        return;
      }
      socket = live;
      function current(handler) {
        return function (data) {
          if (socket === live) handler(data); // a closed socket's late events are ignored
        };
      }
      live.on("connect", current(function () {
        socketReady = false;
        live.emit("session_request", { session_id: state.sessionId });
        var engine = live.io && live.io.engine;
        if (engine && engine.transport) {
          host.setAttribute("data-socket-transport", engine.transport.name);
          engine.on("upgrade", function (transport) {
            if (socket === live) host.setAttribute("data-socket-transport", transport.name);
          });
        }
      }));
      live.on("session_confirm", current(function (id) {
        var sessionId = typeof id === "string" ? id : id && typeof id.session_id === "string" ? id.session_id : "";
        if (sessionId && sessionId !== state.sessionId && /^[A-Za-z0-9_-]{8,128}$/.test(sessionId)) {
          state.sessionId = sessionId;
          saveState();
        }
        clearTimeout(connectTimer);
        socketReady = true;
        setMode("socketio");
        var pending = queue;
        queue = [];
        pending.forEach(deliver);
      }));
      live.on(BOT_EVENT, current(onSocketReply));
      live.on("disconnect", current(function () {
        socketReady = false;
        if (mode !== "socketio") return;
        setMode("rest"); // until socket.io reconnects
        clearTimeout(proofTimer);
        proofTimer = null;
        var resend = unanswered; // most likely unanswered: better twice than never
        unanswered = [];
        resend.forEach(sendRest);
      }));
    });
  }

  // ------------------------------------------------------------- actions

  function sendMessage(message, shown) {
    var text = String(message == null ? "" : message);
    if (!text.trim()) return false;
    if (text.length > MAX_LENGTH) text = text.slice(0, MAX_LENGTH);
    var display = typeof shown === "string" && shown.trim() ? shown : text;
    addEntry({ from: "user", text: display, buttons: [] }, true);
    startWaiting();
    try {
      deliver(text);
    } catch (e) {
      gotReply();
      note("Sorry, that message could not be sent. Please try again.");
    }
    return true;
  }

  function updateCounter() {
    var length = input.value.length;
    if (length > MAX_LENGTH) {
      input.value = input.value.slice(0, MAX_LENGTH);
      length = MAX_LENGTH;
    }
    if (length >= MAX_LENGTH) {
      counter.textContent = length + "/" + MAX_LENGTH + ": messages are limited to " + MAX_LENGTH + " characters.";
    } else {
      counter.textContent = length + "/" + MAX_LENGTH;
    }
    counter.hidden = length < COUNTER_FROM;
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }

  function isOpen() {
    return !panel.hidden;
  }

  function open() {
    if (isOpen()) return;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    fetchRegion(); // again, if the first try failed
    connect();
    scrollToEnd();
    input.focus();
  }

  function close() {
    if (!isOpen()) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function clearConversation() {
    state = { sessionId: newSessionId(), messages: [], region: state.region };
    saveState();
    renderHistory();
    gotReply();
    unanswered = [];
    if (socket && socket.connected) {
      socketReady = false;
      socket.emit("session_request", { session_id: state.sessionId });
    }
    input.focus();
  }

  launcher.addEventListener("click", function () {
    if (isOpen()) close();
    else open();
  });
  closeButton.addEventListener("click", close);
  clearButton.addEventListener("click", clearConversation);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", function () {
    updateCounter();
    autosize();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  function submit() {
    updateCounter();
    if (sendMessage(input.value)) {
      input.value = "";
      updateCounter();
      autosize();
    }
    input.focus();
  }

  renderHistory();
  renderStrip();
  fetchRegion();

  function mount() {
    document.body.appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.AllianceWidget = { open: open, close: close, clear: clearConversation };
})();
