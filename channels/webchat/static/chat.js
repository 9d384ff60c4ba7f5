// The web chat page. No framework: a session token in localStorage, sent in the X-Session header
// (never in an address), one POST per message (retried with the same id, so nothing is sent
// twice), and a long poll for later replies. Over a limit the server answers 429 with a reason,
// shown in the chat, and Retry-After, which the long poll waits out.
//
// Its words come from /chat/page.json (the locale files): the browser's first language the bot
// speaks, then the resident's own once the bot has it (each answer's "step"). That language goes
// with every message as the hint, so the bot need not ask it. Where the step takes photos the
// page adds a labelled «add a photo» button; where a place is asked, a map to point at it.
(function () {
  "use strict";
  const API = "/api/webchat/messages";
  const byId = (id) => document.getElementById(id);
  const log = byId("log");
  const scroller = byId("scroller");
  const statusLine = byId("status");
  const form = byId("composer");
  const textBox = byId("text");
  const sendButton = byId("send");
  const photoInput = byId("photo");
  const shown = new Set();
  let lastId = 0;
  let page = { default: "ru", texts: {}, map: null, max_photo_bytes: 0 };
  let language = "ru";
  let hint = "ru";

  // -- words ------------------------------------------------------------------------------------

  function say(key, fields) {
    const own = (page.texts[language] || {})[key];
    let text = own !== undefined ? own : (page.texts[page.default] || {})[key] || "";
    if (fields) text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in fields ? String(fields[name]) : whole));
    return text;
  }

  // The browser's first language the bot speaks; the hint is that, or else what the browser says.
  function browserLanguage() {
    const wanted = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ""];
    const primary = wanted.map((tag) => String(tag).split("-")[0].toLowerCase()).filter((tag) => /^[a-z]{2}$/.test(tag));
    const spoken = primary.find((tag) => tag in page.texts);
    hint = spoken || primary[0] || page.default;
    return spoken || page.default;
  }

  // Every word on the page in `wanted` (page-made controls carry data-word, so they change too).
  function speak(wanted) {
    language = wanted in page.texts ? wanted : page.default;
    hint = language;
    document.documentElement.lang = language;
    document.title = say("title");
    byId("title").textContent = say("title");
    log.setAttribute("aria-label", say("conversation"));
    byId("text-label").textContent = say("message_label");
    textBox.placeholder = say("placeholder");
    sendButton.setAttribute("aria-label", say("send"));
    sendButton.title = say("send");
    document.querySelectorAll("[data-word]").forEach((el) => { el.textContent = say(el.dataset.word); });
    document.querySelectorAll("[data-word-label]").forEach((el) => { el.setAttribute("aria-label", say(el.dataset.wordLabel)); });
    document.querySelectorAll("[data-word-title]").forEach((el) => { el.title = say(el.dataset.wordTitle); });
    document.querySelectorAll("[data-word-alt]").forEach((el) => { el.alt = say(el.dataset.wordAlt); });
  }

  function worded(element, key) {
    element.dataset.word = key;
    element.textContent = say(key);
    return element;
  }

  // -- the conversation -------------------------------------------------------------------------

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

  function add(kind, text, extra) {
    const item = document.createElement("li");
    item.className = "msg " + kind;
    if (text) item.appendChild(document.createTextNode(text));
    if (extra) item.appendChild(extra);
    log.appendChild(item);
    return item;
  }

  function toEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function mine(text, extra) {
    add("me", text, extra);
    toEnd();
  }

  function notice(text) {
    add("notice", text);
    toEnd();
  }

  // New replies are read from the first: when they are taller than the screen (a receipt and the
  // menu after it), the first one's top is shown rather than the end of the last.
  function reveal(first) {
    const fromFirst = scroller.scrollHeight - first.offsetTop;
    scroller.scrollTop = fromFirst <= scroller.clientHeight ? scroller.scrollHeight : first.offsetTop - 8;
  }

  function retryAfter(response) {
    const seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return (seconds > 0 ? Math.min(seconds, 3600) : 5) * 1000;
  }

  // Buttons of earlier messages no longer work; each faded group says so beneath it.
  function fadeOld() {
    log.querySelectorAll(".answers:not(.faded)").forEach((box) => {
      box.classList.add("faded");
      const note = worded(document.createElement("p"), "faded");
      note.className = "faded-note";
      note.id = "faded-" + newToken().slice(0, 8);
      box.querySelectorAll("button").forEach((b) => {
        b.disabled = true;
        b.dataset.wordTitle = "faded";
        b.title = say("faded");
        b.setAttribute("aria-describedby", note.id);
      });
      box.querySelectorAll(".map").forEach((m) => { m.inert = true; });
      box.appendChild(note);
    });
  }

  function button(key, action) {
    const el = worded(document.createElement("button"), key);
    el.type = "button";
    el.addEventListener("click", action);
    return el;
  }

  function renderButtons(rows, box) {
    rows.forEach((row) => {
      const line = document.createElement("div");
      line.className = "row";
      row.forEach((b) => {
        let el;
        if (b.url) {
          el = document.createElement("a");
          el.href = b.url; el.target = "_blank"; el.rel = "noopener";
          el.textContent = b.label;
        } else if (b.request === "photo") {
          el = document.createElement("button");  // the bot asks for a photo: the phone's picker
          el.type = "button";
          el.textContent = b.label;
          el.classList.add("add-photo");
          el.addEventListener("click", () => photoInput.click());
        } else if (b.request === "location") {
          el = document.createElement("button");  // the phone's own position; the map is the other way
          el.type = "button";
          el.textContent = b.label;
          el.addEventListener("click", hereNow);
        } else {
          el = document.createElement("button");
          el.type = "button";
          el.textContent = b.label;
          el.dataset.payload = b.payload;  // a map poll's zone presses the button of its payload
          el.addEventListener("click", () => press(b));
        }
        line.appendChild(el);
      });
      box.appendChild(line);
    });
  }

  function asksForPlace(rows) {
    return rows.some((row) => row.some((b) => b.request === "location"));
  }

  function show(replies, step) {
    const fresh = replies.filter((r) => !shown.has(r.id));
    if (step && step.language && step.language !== language && step.language in page.texts) speak(step.language);
    let first = null;
    let asking = null;
    fresh.forEach((r) => {
      shown.add(r.id);
      lastId = Math.max(lastId, r.id);
      const rows = (r.buttons || []).concat(r.menu || []);
      let box = null;
      if (rows.length) {
        fadeOld();
        box = document.createElement("div");
        box.className = "answers";
        if (asksForPlace(rows) && page.map && !zonePicture(r)) box.appendChild(placePicker());
        if (zonePicture(r)) box.appendChild(zoneMap(zonePicture(r), box));
        const buttons = document.createElement("div");
        buttons.className = "buttons";
        renderButtons(rows, buttons);
        box.appendChild(buttons);
      }
      const item = add("bot", r.text, box);
      if (box) asking = item;
      first = first || item;
    });
    const asksForPhoto = fresh.some((r) => (r.buttons || []).some((row) => row.some((b) => b.request === "photo")));
    if (step && step.takes_photos && !asksForPhoto) offerPhoto(asking);
    if (first) reveal(first);
  }

  // A labelled «add a photo» button on the message that asks for one (one live button at a time).
  function offerPhoto(asking) {
    let box = asking && asking.querySelector(".answers");
    if (!box) {
      if (log.querySelector(".answers:not(.faded) .add-photo")) return;
      const last = Array.from(log.querySelectorAll("li.bot")).pop();
      if (!last) return;
      fadeOld();
      box = document.createElement("div");
      box.className = "answers";
      last.appendChild(box);
    }
    const line = document.createElement("div");
    line.className = "row";
    const el = button("add_photo", () => photoInput.click());
    el.classList.add("add-photo");
    line.appendChild(el);
    const buttons = box.querySelector(".buttons");
    if (buttons) buttons.insertBefore(line, buttons.firstChild);
    else {
      const fresh = document.createElement("div");
      fresh.className = "buttons";
      fresh.appendChild(line);
      box.appendChild(fresh);
    }
  }

  // The map and its hint. A tap pins the place and sends it at once (one tap, not two): the
  // draft that comes back shows where it is, and a tap on its map moves it.
  function placePicker() {
    const picker = document.createElement("div");
    picker.className = "place";
    const area = document.createElement("div");
    area.className = "map";
    area.setAttribute("role", "application");
    area.dataset.wordLabel = "map_label";
    area.setAttribute("aria-label", say("map_label"));
    const help = worded(document.createElement("p"), "map_hint");
    help.className = "map-hint";
    picker.append(area, help);
    requestAnimationFrame(() => {  // Leaflet measures the box: it must be on the page first
      window.SouchastieMap.pick(area, page.map, (latitude, longitude) => {
        if (picker.closest(".faded")) return;
        help.dataset.word = "map_chosen";
        help.textContent = say("map_chosen");
        mine(say("place_sent", { latitude: latitude.toFixed(5), longitude: longitude.toFixed(5) }));
        post({ location: { latitude: latitude, longitude: longitude } });
      }).catch(() => { picker.remove(); });
    });
    return picker;
  }

  // A map poll's picture of numbered zones (drawn by the bot: maps/<hash>.png), if the reply has one.
  function zonePicture(reply) {
    const found = (reply.media || []).find((m) => /^maps\/[0-9a-f]{64}\.png$/.test(m.file_key || ""));
    return found ? found.file_key.slice(5, -4) : null;
  }

  // The zones on a live map where one can be shown, a tap on a zone pressing its numbered button
  // below; else (no tile server set, the library or the zones did not load) the bot's picture.
  function zoneMap(hash, box) {
    const holder = document.createElement("div");
    holder.className = "zones";
    function picture() {
      holder.replaceChildren();
      const img = document.createElement("img");
      img.className = "zones-picture";
      img.src = "/chat/maps/" + hash + ".png";
      img.dataset.wordAlt = "zones_picture";
      img.alt = say("zones_picture");
      holder.appendChild(img);
    }
    if (!page.map || !window.SouchastieMap) { picture(); return holder; }
    const area = document.createElement("div");
    area.className = "map";
    area.setAttribute("role", "application");
    area.dataset.wordLabel = "zones_label";
    area.setAttribute("aria-label", say("zones_label"));
    holder.appendChild(area);
    requestAnimationFrame(async () => {
      try {
        const response = await fetch("/chat/maps/" + hash + ".geojson");
        if (!response.ok) throw new Error("no zones");
        await window.SouchastieMap.zones(area, page.map, await response.json(), (payload) => {
          const target = Array.from(box.querySelectorAll("button[data-payload]")).find((el) => el.dataset.payload === payload);
          if (target && !target.disabled) target.click();
        });
      } catch (e) {
        picture();
      }
    });
    return holder;
  }

  // One message to the bot; true once it was taken (the replies are shown).
  async function post(body, isForm) {
    const id = newToken();
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        let response;
        if (isForm) {
          body.set("id", id);
          body.set("language", hint);
          response = await fetch(API, { method: "POST", headers: { "X-Session": session }, body: body });
        } else {
          response = await fetch(API, { method: "POST",
            headers: { "Content-Type": "application/json", "X-Session": session },
            body: JSON.stringify(Object.assign({ id: id, language: hint }, body)) });
        }
        const data = await response.json();
        statusLine.textContent = "";
        if (!response.ok) {
          // 429 and 503 carry a reason in the resident's language; other refusals, a code.
          const told = (response.status === 429 || response.status === 503) ? data.reason : "";
          notice(told || say("errors." + data.error) || say("errors.other"));
          return false;
        }
        show(data.replies, data.step);
        return true;
      } catch (e) {
        statusLine.textContent = say("retrying");
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
      }
    }
    statusLine.textContent = "";
    notice(say("not_sent"));
    return false;
  }

  function hereNow() {
    if (!navigator.geolocation) { statusLine.textContent = say("no_geolocation"); return; }
    statusLine.textContent = say("locating");
    navigator.geolocation.getCurrentPosition(
      (p) => {
        statusLine.textContent = "";
        mine(say("place_sent", { latitude: p.coords.latitude.toFixed(5), longitude: p.coords.longitude.toFixed(5) }));
        post({ location: { latitude: p.coords.latitude, longitude: p.coords.longitude } });
      },
      () => { statusLine.textContent = say("geolocation_failed"); });
  }

  function press(b) {
    mine(b.label);
    post({ button: b.payload });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = textBox.value.trim();
    if (!text) return;
    textBox.value = "";
    mine(text);
    post({ text: text });
  });
  textBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  photoInput.addEventListener("change", () => {
    const file = photoInput.files[0];
    photoInput.value = "";
    if (!file) return;
    if (page.max_photo_bytes && file.size > page.max_photo_bytes) {  // refused here: no data spent on it
      notice(say("photo_too_large", { megabytes: Math.floor(page.max_photo_bytes / 1048576) }));
      return;
    }
    const img = document.createElement("img");
    img.className = "sent"; img.alt = say("your_photo"); img.src = URL.createObjectURL(file);
    mine("", img);
    const body = new FormData();
    body.set("photo", file);
    post(body, true);
  });

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(API + "?after=" + lastId, { headers: { "X-Session": session } });
        if (response.ok) {
          const data = await response.json();
          show(data.replies, data.step);
        } else await new Promise((r) => setTimeout(r, response.status === 429 ? retryAfter(response) : 5000));
      } catch (e) {
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  async function words() {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch("/chat/page.json");
        if (response.ok) return await response.json();
      } catch (e) { /* tried again below */ }
      await new Promise((r) => setTimeout(r, Math.min(1000 * (attempt + 1), 10000)));
    }
  }

  async function begin() {
    page = await words();
    speak(browserLanguage());
    hint = browserLanguage();  // speak() set it to the page's language; the browser may say more
    // Show what this browser already has, then greet a newcomer with /start and the poster source.
    const response = await fetch(API + "?after=0&timeout=0", { headers: { "X-Session": session } });
    const earlier = response.ok ? await response.json() : { replies: [] };
    if (earlier.replies.length) show(earlier.replies, earlier.step);
    else {
      const source = new URLSearchParams(location.search).get("src") || "";
      post({ text: "/start" + (/^[A-Za-z0-9_-]{1,64}$/.test(source) ? " " + source : "") });
    }
    poll();
  }
  begin();
})();
