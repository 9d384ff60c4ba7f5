// The web chat page. No framework: a session token in localStorage, sent in the X-Session header
// (never in an address), one POST per message (retried with the same id, so nothing is sent
// twice), and a long poll for later replies. Over a limit the server answers 429 with a reason,
// shown in the chat, and Retry-After, which the long poll waits out.
(function () {
  "use strict";
  const API = "/api/webchat/messages";
  const log = document.getElementById("log");
  const statusLine = document.getElementById("status");
  const form = document.getElementById("composer");
  const textBox = document.getElementById("text");
  const photoInput = document.getElementById("photo");
  const shown = new Set();
  let lastId = 0;

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  let session = localStorage.getItem("souchastie.session");
  if (!/^[0-9a-f]{32,128}$/.test(session || "")) {
    session = newToken();
    localStorage.setItem("souchastie.session", session);
  }
  const language = (navigator.language || "ru").slice(0, 2).toLowerCase();

  function add(kind, text, extra) {
    const item = document.createElement("li");
    item.className = "msg " + kind;
    if (text) item.appendChild(document.createTextNode(text));
    if (extra) item.appendChild(extra);
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  function notice(text) {
    add("notice", text);
  }

  function retryAfter(response) {
    const seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return (seconds > 0 ? Math.min(seconds, 3600) : 5) * 1000;
  }

  function disableOldButtons() {
    log.querySelectorAll(".buttons button").forEach((b) => { b.disabled = true; });
  }

  function renderButtons(rows) {
    const box = document.createElement("div");
    box.className = "buttons";
    rows.forEach((row) => {
      const line = document.createElement("div");
      line.className = "row";
      row.forEach((b) => {
        let el;
        if (b.url) {
          el = document.createElement("a");
          el.href = b.url; el.target = "_blank"; el.rel = "noopener";
        } else {
          el = document.createElement("button");
          el.type = "button";
          el.addEventListener("click", () => press(b));
        }
        el.textContent = b.label;
        line.appendChild(el);
      });
      box.appendChild(line);
    });
    return box;
  }

  function show(replies) {
    replies.forEach((r) => {
      if (shown.has(r.id)) return;
      shown.add(r.id);
      lastId = Math.max(lastId, r.id);
      const rows = (r.buttons || []).concat(r.menu || []);
      if (rows.length) disableOldButtons();
      add("bot", r.text, rows.length ? renderButtons(rows) : null);
    });
  }

  async function post(body, isForm) {
    const id = newToken();
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        let response;
        if (isForm) {
          body.set("id", id);
          response = await fetch(API, { method: "POST", headers: { "X-Session": session }, body: body });
        } else {
          response = await fetch(API, { method: "POST",
            headers: { "Content-Type": "application/json", "X-Session": session },
            body: JSON.stringify(Object.assign({ id: id, language: language }, body)) });
        }
        const data = await response.json();
        if (response.status === 429) {
          statusLine.textContent = "";
          notice(data.reason || "Слишком много сообщений. Подождите немного.");
          return;
        }
        if (!response.ok) { statusLine.textContent = data.reason || "Ошибка"; return; }
        statusLine.textContent = "";
        show(data.replies);
        return;
      } catch (e) {
        statusLine.textContent = "Нет связи, пробуем ещё раз…";
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
      }
    }
    statusLine.textContent = "Не удалось отправить. Проверьте интернет и попробуйте снова.";
  }

  function press(button) {
    if (button.request === "location") {
      if (!navigator.geolocation) { statusLine.textContent = "Браузер не умеет определять место. Напишите адрес."; return; }
      statusLine.textContent = "Определяем место…";
      navigator.geolocation.getCurrentPosition(
        (p) => { add("me", "📍 " + p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5));
                 post({ location: { latitude: p.coords.latitude, longitude: p.coords.longitude } }); },
        () => { statusLine.textContent = "Не удалось определить место. Напишите адрес словами."; });
      return;
    }
    add("me", button.label);
    post({ button: button.payload });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = textBox.value.trim();
    if (!text) return;
    textBox.value = "";
    add("me", text);
    post({ text: text });
  });
  textBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  photoInput.addEventListener("change", () => {
    const file = photoInput.files[0];
    if (!file) return;
    const img = document.createElement("img");
    img.className = "sent"; img.alt = "Ваше фото"; img.src = URL.createObjectURL(file);
    add("me", "", img);
    const body = new FormData();
    body.set("language", language); body.set("photo", file);
    photoInput.value = "";
    post(body, true);
  });

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(API + "?after=" + lastId, { headers: { "X-Session": session } });
        if (response.ok) show((await response.json()).replies);
        else await new Promise((r) => setTimeout(r, response.status === 429 ? retryAfter(response) : 5000));
      } catch (e) {
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  async function begin() {
    // Show what this browser already has, then greet a newcomer with /start and the poster source.
    const response = await fetch(API + "?after=0&timeout=0", { headers: { "X-Session": session } });
    const earlier = response.ok ? (await response.json()).replies : [];
    if (earlier.length) show(earlier);
    else {
      const source = new URLSearchParams(location.search).get("src") || "";
      post({ text: "/start" + (/^[A-Za-z0-9_-]{1,64}$/.test(source) ? " " + source : "") });
    }
    poll();
  }
  begin();
})();
