/*
 * sio chat demo — browser side. No build step: plain script, uses the global `io`
 * from /socket.io.min.js (socket.io-client 4.8, served by the demo server).
 *
 * Protocol (default namespace "/", default path /socket.io/):
 *
 *   handshake   auth: {nick}           nick: string, trimmed, 1..32 chars; otherwise the
 *                                      server refuses the connection (connect_error
 *                                      with message "invalid nick").
 *
 *   client → server
 *     join     (room, ack)             room: string, trimmed, 1..32 chars. A socket is in
 *                                      at most one chat room: joining leaves the previous
 *                                      one. Joining the room it is already in is a no-op.
 *              ack {room, users}       users: nicks in the room (incl. the joiner).
 *              ack {error}             invalid room.
 *     message  (text, ack)             text: string, trimmed, 1..500 chars; needs a room.
 *              ack {ok: true, id}      id: the id of the broadcast `message`.
 *              ack {ok: false, error}  no room / invalid text.
 *     typing   (bool)                  relayed to the others in the room as
 *                                      `typing: arg === true`; ignored without a
 *                                      room; no ack. The client sends `true` when
 *                                      typing starts (and again at most once a second
 *                                      while it goes on), `false` after 2 s without
 *                                      a keystroke, when the input is emptied, or on send.
 *
 *   server → client
 *     message  {id, room, nick, text, at}   to everyone in the room, sender included;
 *                                            id: positive integer, increasing;
 *                                            at: server time, ms since the epoch.
 *     typing   {nick, typing}                to the others in the room.
 *     users    {room, users}                 to everyone in the room whenever its
 *                                            membership changes (join, leave, disconnect).
 *     system   {text}                        to the others in the room: "ann joined",
 *                                            "ann left" (on leaving or disconnect).
 *
 *   users: one entry per socket in the room (a nick used twice appears twice),
 *   sorted by plain string comparison.
 *
 * The page rejoins its room after a reconnection (the server forgets it).
 * Receivers also expire a typing indicator 3 s after the last `typing true`,
 * and clear it when that nick's message arrives or it leaves the room.
 */
(function () {
  "use strict";

  const TYPING_IDLE_MS = 2000;      // sender: send `typing false` after this idle time
  const TYPING_REFRESH_MS = 1000;   // sender: resend `typing true` at most this often
  const TYPING_EXPIRE_MS = 3000;    // receiver: drop an indicator not refreshed since
  const ACK_TIMEOUT_MS = 5000;

  const $ = (id) => document.getElementById(id);
  const el = {
    status: $("status"),
    login: $("login"),
    loginForm: $("login-form"),
    nick: $("nick"),
    loginError: $("login-error"),
    chat: $("chat"),
    roomForm: $("room-form"),
    roomInput: $("room-input"),
    userList: $("user-list"),
    userCount: $("user-count"),
    currentRoom: $("current-room"),
    me: $("me"),
    messages: $("messages"),
    typing: $("typing"),
    messageForm: $("message-form"),
    messageInput: $("message-input"),
    sendButton: document.querySelector('[data-testid="send-button"]'),
  };

  let socket = null;
  let myNick = "";
  let currentRoom = null;

  // Sender-side typing state.
  let typingSent = false;
  let typingSentAt = 0;
  let typingIdleTimer = null;

  // Receiver-side: nick -> expiry timer.
  const typers = new Map();

  function setStatus(state, text) {
    el.status.dataset.state = state;
    el.status.textContent = text;
  }

  function setComposerEnabled(on) {
    el.messageInput.disabled = !on;
    el.sendButton.disabled = !on;
    el.messageInput.placeholder = on ? `Message #${currentRoom}` : "Join a room to chat";
  }

  function formatTime(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function scrollToEnd() {
    el.messages.scrollTop = el.messages.scrollHeight;
  }

  function addSystem(text, kind) {
    const li = document.createElement("li");
    li.className = "system" + (kind ? " " + kind : "");
    li.dataset.testid = "system-message";
    li.textContent = text;
    el.messages.appendChild(li);
    scrollToEnd();
  }

  function addMessage(msg) {
    const li = document.createElement("li");
    li.className = "message" + (msg.nick === myNick ? " mine" : "");
    li.dataset.testid = "message";
    li.dataset.id = String(msg.id);
    li.dataset.nick = msg.nick;

    const head = document.createElement("div");
    head.className = "meta";
    const nick = document.createElement("span");
    nick.className = "nick";
    nick.dataset.testid = "message-nick";
    nick.textContent = msg.nick;
    const time = document.createElement("time");
    time.dateTime = new Date(msg.at).toISOString();
    time.textContent = formatTime(msg.at);
    head.append(nick, time);

    const text = document.createElement("p");
    text.className = "text";
    text.dataset.testid = "message-text";
    text.textContent = msg.text;

    li.append(head, text);
    el.messages.appendChild(li);
    scrollToEnd();
  }

  function renderUsers(users) {
    el.userList.replaceChildren(
      ...users.map((nick) => {
        const li = document.createElement("li");
        li.dataset.testid = "user";
        li.dataset.nick = nick;
        if (nick === myNick) li.classList.add("me");
        li.textContent = nick;
        return li;
      }),
    );
    el.userCount.textContent = `(${users.length})`;
    // Whoever is gone is no longer typing.
    for (const nick of [...typers.keys()]) {
      if (!users.includes(nick)) clearTyper(nick);
    }
  }

  // ---- typing indicator (receiver) ----

  function renderTyping() {
    const nicks = [...typers.keys()];
    let text = "";
    if (nicks.length === 1) text = `${nicks[0]} is typing…`;
    else if (nicks.length === 2) text = `${nicks[0]} and ${nicks[1]} are typing…`;
    else if (nicks.length > 2) text = "Several people are typing…";
    el.typing.textContent = text;
    el.typing.dataset.nicks = nicks.join(",");
  }

  function clearTyper(nick) {
    const t = typers.get(nick);
    if (t === undefined) return;
    clearTimeout(t);
    typers.delete(nick);
    renderTyping();
  }

  function clearAllTypers() {
    for (const t of typers.values()) clearTimeout(t);
    typers.clear();
    renderTyping();
  }

  function onTyping({ nick, typing }) {
    if (typing) {
      clearTimeout(typers.get(nick));
      typers.set(nick, setTimeout(() => clearTyper(nick), TYPING_EXPIRE_MS));
      renderTyping();
    } else {
      clearTyper(nick);
    }
  }

  // ---- typing indicator (sender) ----

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingSent && socket && socket.connected) socket.emit("typing", false);
    typingSent = false;
  }

  function onInput() {
    if (!currentRoom || !socket) return;
    if (el.messageInput.value.trim() === "") {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (!typingSent || now - typingSentAt >= TYPING_REFRESH_MS) {
      socket.emit("typing", true);
      typingSent = true;
      typingSentAt = now;
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  // ---- rooms ----

  function join(room) {
    room = String(room).trim();
    if (!room || !socket) return;
    stopTyping();
    socket.timeout(ACK_TIMEOUT_MS).emit("join", room, (err, res) => {
      if (err) {
        addSystem(`Could not join #${room}: no answer from the server`, "error");
        return;
      }
      if (!res || res.error) {
        addSystem(`Could not join #${room}: ${(res && res.error) || "refused"}`, "error");
        return;
      }
      const changed = res.room !== currentRoom;
      currentRoom = res.room;
      el.currentRoom.textContent = `#${currentRoom}`;
      el.currentRoom.dataset.room = currentRoom;
      document.title = `#${currentRoom} · sio chat`;
      for (const b of document.querySelectorAll(".room-button")) {
        b.setAttribute("aria-pressed", String(b.dataset.room === currentRoom));
      }
      if (changed) {
        el.messages.replaceChildren();
        clearAllTypers();
        addSystem(`You joined #${currentRoom}`);
      }
      renderUsers(res.users);
      setComposerEnabled(true);
      el.messageInput.focus();
    });
  }

  // ---- connection ----

  function connect(nick) {
    myNick = nick;
    el.me.textContent = nick;
    setStatus("connecting", "connecting…");
    socket = io({ auth: { nick } });

    socket.on("connect", () => {
      setStatus("connected", "connected");
      el.login.hidden = true;
      el.chat.hidden = false;
      if (currentRoom) {
        // The server forgets our room across reconnections.
        const room = currentRoom;
        currentRoom = null;
        join(room);
      }
    });

    socket.on("connect_error", (err) => {
      if (!socket.active) {
        // Refused by the server's middleware (e.g. invalid nick): back to the form.
        socket = null;
        setStatus("offline", "offline");
        el.loginError.textContent = `Refused: ${err.message}`;
        el.loginError.hidden = false;
        el.chat.hidden = true;
        el.login.hidden = false;
        return;
      }
      setStatus("reconnecting", "reconnecting…");
    });

    socket.on("disconnect", () => {
      setStatus("reconnecting", "reconnecting…");
      setComposerEnabled(false);
      clearAllTypers();
      typingSent = false;
    });

    socket.on("message", (msg) => {
      if (msg.room !== currentRoom) return;
      clearTyper(msg.nick);
      addMessage(msg);
    });
    socket.on("typing", onTyping);
    socket.on("users", ({ room, users }) => {
      if (room === currentRoom) renderUsers(users);
    });
    socket.on("system", ({ text }) => addSystem(text));
  }

  // ---- DOM wiring ----

  el.loginForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const nick = el.nick.value.trim();
    if (!nick) return;
    el.loginError.hidden = true;
    connect(nick);
  });

  for (const b of document.querySelectorAll(".room-button")) {
    b.addEventListener("click", () => join(b.dataset.room));
  }

  el.roomForm.addEventListener("submit", (e) => {
    e.preventDefault();
    join(el.roomInput.value);
    el.roomInput.value = "";
  });

  el.messageInput.addEventListener("input", onInput);

  el.messageForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = el.messageInput.value.trim();
    if (!text || !socket || !currentRoom) return;
    stopTyping();
    el.messageInput.value = "";
    socket.timeout(ACK_TIMEOUT_MS).emit("message", text, (err, res) => {
      if (err) addSystem("Message not confirmed by the server", "error");
      else if (!res || !res.ok) addSystem(`Message refused: ${(res && res.error) || "unknown"}`, "error");
    });
  });
})();
