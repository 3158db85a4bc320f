// caseflow: progressive enhancements. Every page works without this script;
// with it, what an officer types is never lost: forms keep a draft on the
// device, encrypted, until the server confirms the save; a report filed with
// no connection waits on the device and is sent once when it returns.
(function () {
  "use strict";
  var body = document.body;
  var user = body.getAttribute("data-user") || "";
  var words = {};
  try { words = JSON.parse((document.getElementById("cf-text") || {}).textContent || "{}"); } catch (e) { words = {}; }
  function t(k) {
    var s = words[k] || k;
    for (var i = 1; i < arguments.length; i++) s = s.replace(/%[sd]/, String(arguments[i]));
    return s;
  }
  function hhmm(ms) {
    var d = new Date(ms);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + " " + p(d.getDate()) + "/" + p(d.getMonth() + 1);
  }
  function newKey() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
  }
  function csrfToken() {
    var el = document.querySelector("input[name=_csrf]");
    return el ? el.value : "";
  }

  // ---- More children or suspects, in the page -----------------------------
  // "Add a child" copies the form's empty slot (a <template>, {n} its index
  // and {n1} its number) into the page: no round trip, so it works with no
  // connection too. Without the script the server adds the slot.
  function addSlot(form, kind) {
    var tpl = document.getElementById("slot-" + kind);
    var counter = form.elements[kind === "c" ? "children_n" : "suspects_n"];
    var btn = form.querySelector("button[data-slot=" + kind + "]");
    if (!tpl || !counter || !btn) return null;
    var n = parseInt(counter.value, 10) || 0;
    if (n >= (parseInt(btn.getAttribute("data-max"), 10) || 50)) return null;
    var box = document.createElement("div");
    box.innerHTML = tpl.innerHTML.split("{n1}").join(String(n + 1)).split("{n}").join(String(n));
    var slot = box.firstElementChild;
    tpl.parentNode.insertBefore(slot, tpl);
    counter.value = String(n + 1);
    return slot;
  }
  document.addEventListener("submit", function (e) {
    var b = e.submitter;
    if (!b || !b.hasAttribute("data-slot")) return;
    var slot = addSlot(e.target, b.getAttribute("data-slot"));
    if (!slot) return; // as many as the server reads: it says so
    e.preventDefault();
    if (slot.tagName === "DETAILS") slot.open = true;
    var first = slot.querySelector("input, select, textarea");
    if (first) first.focus();
    e.target.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);

  // ---- Sending a form once, confirmation ----------------------------------
  // A form marked data-once is sent once: a second click while the first
  // request is on its way is ignored (the server files one case anyway).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (e.defaultPrevented) return;
    if (f.hasAttribute("data-confirm") && !window.confirm(f.getAttribute("data-confirm"))) {
      e.preventDefault();
      return;
    }
    if (!f.hasAttribute("data-once") || f.cfNative) return;
    if (f.getAttribute("data-sent") === "1") {
      e.preventDefault();
      return;
    }
    f.setAttribute("data-sent", "1");
    // Allow a deliberate retry after a while, e.g. when the connection dropped.
    window.setTimeout(function () { f.removeAttribute("data-sent"); }, 15000);
  }, true);

  // ---- The device store: drafts and waiting reports, sealed ---------------
  // Everything is encrypted with AES-GCM under a key that cannot leave the
  // browser (non-extractable), kept per user in IndexedDB and erased at
  // logout with what it sealed. Without WebCrypto nothing is kept.
  var canKeep = !!(user && window.indexedDB && window.crypto && crypto.subtle && window.isSecureContext);
  var dbOpen = null;
  function db() {
    if (!dbOpen) {
      dbOpen = new Promise(function (resolve, reject) {
        var r = indexedDB.open("caseflow", 1);
        r.onupgradeneeded = function () {
          ["keys", "drafts", "outbox"].forEach(function (n) { r.result.createObjectStore(n); });
        };
        r.onsuccess = function () {
          r.result.onversionchange = function () { r.result.close(); dbOpen = null; };
          resolve(r.result);
        };
        r.onerror = function () { reject(r.error); };
      });
    }
    return dbOpen;
  }
  function run(name, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(name, mode);
        var r = fn(tx.objectStore(name));
        tx.oncomplete = function () { resolve(r ? r.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function get(name, k) { return run(name, "readonly", function (s) { return s.get(k); }); }
  function put(name, k, v) { return run(name, "readwrite", function (s) { return s.put(v, k); }); }
  function del(name, k) { return run(name, "readwrite", function (s) { return s.delete(k); }); }
  function mine(prefix) { return IDBKeyRange.bound(user + "|" + prefix, user + "|" + prefix + "\uffff"); }
  function list(name, prefix) {
    return run(name, "readonly", function (s) { return s.getAllKeys(mine(prefix || "")); }).then(function (keys) {
      return Promise.all(keys.map(function (k) { return get(name, k).then(function (v) { return { k: k, v: v }; }); }));
    });
  }
  var keyOnce = null;
  function sealingKey() {
    if (!keyOnce) {
      keyOnce = get("keys", user).then(function (k) {
        if (k) return k;
        return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]).then(function (nk) {
          // Another tab may have stored one first: add() refuses, keep theirs.
          return run("keys", "readwrite", function (s) { return s.add(nk, user); })
            .catch(function () {}).then(function () { return get("keys", user); });
        });
      });
      keyOnce.catch(function () { keyOnce = null; });
    }
    return keyOnce;
  }
  function seal(obj) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return sealingKey().then(function (k) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, new TextEncoder().encode(JSON.stringify(obj)));
    }).then(function (ct) { return { iv: iv, ct: ct }; });
  }
  function unseal(box) {
    return sealingKey().then(function (k) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv }, k, box.ct);
    }).then(function (pt) { return JSON.parse(new TextDecoder().decode(pt)); });
  }
  function wipe() {
    var done = [];
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "wipe" });
    }
    if (window.caches) done.push(caches.delete("caseflow-shell").catch(function () {}));
    if (window.indexedDB) {
      done.push((dbOpen || Promise.resolve(null)).then(function (d) { if (d) d.close(); }).catch(function () {}).then(function () {
        dbOpen = null;
        return new Promise(function (resolve) {
          var r = indexedDB.deleteDatabase("caseflow");
          r.onsuccess = r.onerror = r.onblocked = function () { resolve(); };
        });
      }));
    }
    return Promise.all(done);
  }

  // ---- Drafts ---------------------------------------------------------------
  // Which inputs a draft keeps: what the officer chose or typed, and the
  // intake's idempotency key, so that a report sent again after a lost
  // answer is the same report. Never the CSRF token or a case's version: a
  // draft reopened later is sent against the case as it is then.
  function kept(el) {
    if (!el.name || el.disabled || el.name === "_csrf") return false;
    var ty = el.type;
    if (ty === "submit" || ty === "button" || ty === "reset" || ty === "file" || ty === "password") return false;
    if (ty === "hidden") return el.name === "idempotency_key" || el.name === "children_n" || el.name === "suspects_n";
    return true;
  }
  function fieldsOf(form) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      out.push([el.name, el.value]);
    });
    return out;
  }
  function fill(form, pairs) {
    // A draft with more children or suspects than the form has slots
    // gets them first.
    ["c", "s"].forEach(function (kind) {
      var counter = form.elements[kind === "c" ? "children_n" : "suspects_n"];
      var want = count(pairs, kind === "c" ? "children_n" : "suspects_n");
      while (counter && (parseInt(counter.value, 10) || 0) < want && addSlot(form, kind));
    });
    var by = {};
    pairs.forEach(function (p) { (by[p[0]] = by[p[0]] || []).push(p[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || el.name === "children_n" || el.name === "suspects_n") return;
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = (by[el.name] || []).indexOf(el.value) >= 0;
      } else if (by[el.name] && by[el.name].length) {
        el.value = by[el.name].shift();
      }
    });
    form.querySelectorAll("select[data-filters]").forEach(refilter);
    form.querySelectorAll("details.person").forEach(function (d) {
      Array.prototype.forEach.call(d.querySelectorAll("input, select, textarea"), function (el) {
        if (el.value && el.type !== "checkbox" && el.type !== "radio") d.open = true;
      });
    });
  }
  function count(pairs, name) {
    for (var i = 0; i < pairs.length; i++) if (pairs[i][0] === name) return parseInt(pairs[i][1], 10) || 0;
    return 0;
  }
  function hasInput(pairs) {
    return pairs.some(function (p) {
      return p[0] !== "idempotency_key" && p[0] !== "children_n" && p[0] !== "suspects_n" && p[1] !== "";
    });
  }

  var dirty = new Set(); // forms with input the server has not confirmed
  var leaving = false;   // a submit or a confirmed departure is under way
  var timers = new WeakMap();
  function draftId(form) { return user + "|" + form.getAttribute("data-draft"); }
  function keepDraft(form) {
    if (!canKeep) return Promise.resolve();
    clearTimeout(timers.get(form));
    var pairs = fieldsOf(form);
    return seal({ fields: pairs }).then(function (box) {
      return put("drafts", draftId(form), { box: box, at: Date.now() });
    }).catch(function () {});
  }
  function keepAll() {
    var all = [];
    dirty.forEach(function (f) { all.push(keepDraft(f)); });
    return Promise.all(all);
  }
  function dropDraft(id) {
    if (id.slice(-1) === "*") {
      var prefix = id.slice(0, -1);
      return list("drafts", prefix).then(function (items) {
        return Promise.all(items.map(function (it) { return del("drafts", it.k); }));
      });
    }
    return del("drafts", user + "|" + id);
  }
  function noteAbove(form, text, tone, button) {
    var p = document.createElement("div");
    p.className = "notice " + tone;
    p.setAttribute("role", "status");
    var span = document.createElement("span");
    span.textContent = text + " ";
    p.appendChild(span);
    if (button) p.appendChild(button);
    form.parentNode.insertBefore(p, form);
    return p;
  }
  function restore(form, pairs, at) {
    fill(form, pairs);
    var d = form.closest("details");
    if (d) d.open = true;
    dirty.add(form);
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = t("discard");
    var note = noteAbove(form, t("restored", hhmm(at)), "warn", b);
    b.addEventListener("click", function () {
      del("drafts", draftId(form)).then(function () {
        dirty.delete(form);
        form.reset();
        var k = form.elements.idempotency_key;
        if (k) k.value = newKey();
        note.remove();
        form.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    form.dispatchEvent(new CustomEvent("cf:restored"));
  }

  function setupDraft(form) {
    form.addEventListener("input", function () { dirty.add(form); schedule(form); });
    form.addEventListener("change", function (e) { if (e.isTrusted) { dirty.add(form); schedule(form); } });
    form.addEventListener("submit", function (e) {
      if (e.defaultPrevented) return;
      leaving = true;
      setTimeout(function () { leaving = false; }, 3000);
      keepDraft(form);
    });
    if (!form.hasAttribute("data-fresh")) {
      // Shown again after an error: the page holds the newest input.
      dirty.add(form);
      return keepDraft(form);
    }
    var reopen = form.hasAttribute("data-offline") ? new URLSearchParams(location.search).get("draft") : null;
    if (reopen) return reopenWaiting(form, reopen);
    return get("drafts", draftId(form)).then(function (d) {
      if (!d) {
        // A form from the offline copy carries the key it was kept with.
        var k = form.elements.idempotency_key;
        if (k) k.value = newKey();
        return;
      }
      return unseal(d.box).then(function (v) {
        if (!hasInput(v.fields)) return;
        restore(form, v.fields, d.at);
      });
    }).catch(function () {});
  }
  function schedule(form) {
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(function () { keepDraft(form); }, 400));
  }

  // Leaving a page with unsent input asks first; the draft stays either way.
  window.addEventListener("beforeunload", function (e) {
    if (dirty.size && !leaving) {
      keepAll();
      e.preventDefault();
      e.returnValue = "";
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") keepAll();
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.lang");
    if (!a || !dirty.size) return;
    e.preventDefault();
    if (!window.confirm(t("unsaved"))) return;
    leaving = true;
    keepAll().then(function () { location.href = a.href; });
  });

  // ---- Reports kept offline ---------------------------------------------
  // The intake form is sent by the script. With no connection, or when the
  // answer is lost, the report waits on the device, sealed, and is sent
  // again with the same idempotency key until the server answers: the
  // server files it once whatever the number of tries.
  function send(pairs) {
    var b = new URLSearchParams();
    pairs.forEach(function (p) { b.append(p[0], p[1]); });
    b.set("_csrf", csrfToken());
    b.set("op", "file");
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, 30000);
    return fetch("/reports", { method: "POST", body: b, credentials: "same-origin", signal: ctl.signal }).then(function (r) {
      clearTimeout(timer);
      var path = new URL(r.url).pathname;
      if (r.ok && path.indexOf("/cases/") === 0) return { kind: "filed", url: r.url, code: decodeURIComponent(path.slice(7)) };
      if (r.ok && path === "/login") return { kind: "login", url: r.url };
      if (r.status === 400 || r.status === 403 || r.status === 409 || r.status === 422) {
        return r.text().then(function (html) { return { kind: "refused", html: html }; });
      }
      return { kind: "later" }; // 429, 5xx: the server or its proxy cannot take it now
    }, function (err) {
      clearTimeout(timer);
      throw err;
    });
  }
  function reasons(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var parts = [];
    doc.querySelectorAll(".errbox li, main .notice.bad, main .notice.warn").forEach(function (el) {
      parts.push(el.textContent.replace(/\s+/g, " ").trim());
    });
    return parts.join("; ").slice(0, 500);
  }
  function queue(form, pairs) {
    var at = Date.now();
    var key = (form.elements.idempotency_key || {}).value || newKey();
    return seal({ fields: pairs, at: at }).then(function (box) {
      return put("outbox", user + "|" + key, { box: box, at: at, state: "waiting" });
    }).then(function () {
      return del("drafts", draftId(form));
    }).then(function () {
      dirty.delete(form);
      form.reset();
      if (form.elements.idempotency_key) form.elements.idempotency_key.value = newKey();
      form.removeAttribute("data-sent");
      form.dispatchEvent(new CustomEvent("cf:restored"));
      say(t("queued", hhmm(at)), "warn");
      window.scrollTo(0, 0);
      showWaiting();
      later();
    });
  }
  function say(text, tone, link) {
    var main = document.getElementById("main");
    var p = document.createElement("p");
    p.className = "notice " + tone;
    p.setAttribute("role", "status");
    p.textContent = text + (link ? " " : "");
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      p.appendChild(a);
    }
    var box = document.getElementById("cf-outbox");
    main.insertBefore(p, box ? box.nextSibling : main.firstChild);
  }
  function showWaiting() {
    var box = document.getElementById("cf-outbox");
    if (!box || !canKeep) return Promise.resolve();
    return list("outbox").then(function (items) {
      box.textContent = "";
      box.hidden = !items.length;
      if (!items.length) return;
      var h = document.createElement("h2");
      h.textContent = t("pending") + " (" + items.length + ")";
      var ul = document.createElement("ul");
      box.appendChild(h);
      box.appendChild(ul);
      items.sort(function (a, b) { return a.v.at - b.v.at; });
      items.forEach(function (it) {
        var li = document.createElement("li");
        li.className = it.v.state;
        if (it.v.state === "refused") {
          li.textContent = t("refused", hhmm(it.v.at), it.v.why || "") + " ";
          var a = document.createElement("a");
          a.href = "/reports/new?draft=" + encodeURIComponent(it.k.slice(user.length + 1));
          a.textContent = t("fix");
          li.appendChild(a);
        } else {
          li.textContent = t("waiting", hhmm(it.v.at));
        }
        ul.appendChild(li);
      });
    }).catch(function () {});
  }
  var busy = false, retry = null, pause = 5000;
  function later() {
    clearTimeout(retry);
    retry = setTimeout(flush, pause);
    pause = Math.min(pause * 2, 60000);
  }
  function flushNow() {
    if (busy || !canKeep) return Promise.resolve();
    busy = true;
    return list("outbox").then(function (items) {
      items.sort(function (a, b) { return a.v.at - b.v.at; });
      var step = function (i) {
        if (i >= items.length) { pause = 5000; return; }
        var it = items[i];
        if (it.v.state !== "waiting") return step(i + 1);
        if (navigator.onLine === false) return later();
        return unseal(it.v.box).then(function (d) {
          return send(d.fields).then(function (res) {
            if (res.kind === "filed") {
              return del("outbox", it.k).then(function () {
                say(t("sent", hhmm(it.v.at), res.code), "ok", { href: "/cases/" + encodeURIComponent(res.code), text: res.code });
                return step(i + 1);
              });
            }
            if (res.kind === "login") { say(t("relogin"), "warn"); return; }
            if (res.kind === "refused") {
              // Nothing was filed: the report comes back as a draft to correct.
              it.v.state = "refused";
              it.v.why = reasons(res.html);
              return put("outbox", it.k, it.v).then(function () { return step(i + 1); });
            }
            return later();
          }, function () { return later(); });
        });
      };
      return step(0);
    }).catch(function () {}).then(function () { busy = false; return showWaiting(); });
  }
  function flush() {
    if (navigator.locks) return navigator.locks.request("caseflow-outbox", flushNow);
    return flushNow();
  }
  // A refused report opened to correct: it goes back into the form and is
  // posted as the officer left it, so the server places its errors.
  function reopenWaiting(form, key) {
    var k = user + "|" + key;
    return get("outbox", k).then(function (it) {
      if (!it) return;
      return unseal(it.box).then(function (d) {
        fill(form, d.fields);
        dirty.add(form);
        return keepDraft(form).then(function () { return del("outbox", k); }).then(function () {
          var b = form.querySelector("button[name=op][value=file]");
          leaving = true;
          form.cfNative = true;
          form.requestSubmit(b);
        });
      });
    });
  }
  function setupOffline(form) {
    form.addEventListener("submit", function (e) {
      var b = e.submitter;
      if (e.defaultPrevented || form.cfNative || !canKeep || !b || b.value !== "file") return;
      e.preventDefault();
      var pairs = fieldsOf(form);
      keepDraft(form).then(function () {
        if (navigator.onLine === false) return queue(form, pairs);
        var status = noteAbove(form, t("sending"), "muted");
        return send(pairs).then(function (res) {
          status.remove();
          if (res.kind === "filed") {
            dirty.delete(form);
            return del("drafts", draftId(form)).then(function () { location.assign(res.url); });
          }
          if (res.kind === "login") { location.assign(res.url); return; }
          if (res.kind === "refused") {
            // Post it as the browser would, to show the errors in place.
            form.cfNative = true;
            form.requestSubmit(b);
            return;
          }
          return queue(form, pairs);
        }, function () {
          status.remove();
          return queue(form, pairs);
        });
      });
    });
  }

  // ---- The intake in steps, on a phone -------------------------------------
  function setupSteps(form) {
    if (!window.matchMedia || !window.matchMedia("(max-width: 40rem)").matches) return;
    var steps = Array.prototype.slice.call(form.querySelectorAll(".step[data-step]"));
    if (steps.length < 2) return;
    var tail = Array.prototype.slice.call(form.children).filter(function (el) {
      return el.compareDocumentPosition(steps[steps.length - 1]) & Node.DOCUMENT_POSITION_PRECEDING;
    });
    var nav = document.createElement("div");
    nav.className = "stepnav";
    var where = document.createElement("p");
    where.className = "stepat";
    where.setAttribute("aria-live", "polite");
    var back = document.createElement("button");
    back.type = "button";
    back.className = "secondary";
    back.textContent = t("back");
    var next = document.createElement("button");
    next.type = "button";
    next.className = "primary";
    next.textContent = t("next");
    nav.appendChild(back);
    nav.appendChild(next);
    form.insertBefore(where, steps[0]);
    steps[steps.length - 1].after(nav);
    var remember = "cf-step:" + form.getAttribute("data-draft");
    var at = 0;
    function show(i, focus) {
      at = Math.max(0, Math.min(steps.length - 1, i));
      steps.forEach(function (s, j) { s.hidden = j !== at; });
      var last = at === steps.length - 1;
      tail.forEach(function (el) { el.hidden = !last; });
      back.hidden = at === 0;
      next.hidden = last;
      where.textContent = t("step", at + 1, steps.length) + ": " + steps[at].getAttribute("data-step-title");
      if (last) review(steps[at]);
      try { sessionStorage.setItem(remember, String(at)); } catch (e) { /* private mode */ }
      if (focus) { where.setAttribute("tabindex", "-1"); where.focus(); window.scrollTo(0, 0); }
    }
    function stepOf(el) {
      for (var i = 0; i < steps.length; i++) if (steps[i].contains(el)) return i;
      return -1;
    }
    back.addEventListener("click", function () { show(at - 1, true); });
    next.addEventListener("click", function () {
      var bad = Array.prototype.find.call(steps[at].querySelectorAll("input,select,textarea"), function (el) {
        return !el.checkValidity();
      });
      if (bad) {
        var d = bad.closest("details");
        if (d) d.open = true;
        bad.reportValidity();
        return;
      }
      keepDraft(form);
      show(at + 1, true);
    });
    // The error summary's links open the step of their field.
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest(".errbox a[href^='#']");
      if (!a) return;
      var el = document.getElementById(a.getAttribute("href").slice(1));
      var i = el ? stepOf(el) : -1;
      if (i >= 0 && i !== at) show(i, false);
    });
    // A field the browser refuses on submit is shown, in its step.
    form.addEventListener("invalid", function (e) {
      var i = stepOf(e.target);
      if (i >= 0 && i !== at) show(i, false);
    }, true);
    form.addEventListener("cf:restored", function () { if (at === steps.length - 1) review(steps[at]); });
    form.addEventListener("reset", function () { setTimeout(function () { show(0, true); }, 0); });
    var first = form.querySelector(".invalid");
    var saved = null;
    try { saved = sessionStorage.getItem(remember); } catch (e) { saved = null; }
    show(first ? stepOf(first) : (form.hasAttribute("data-fresh") ? 0 : +saved || 0), false);
  }
  // review lists what the form holds, step by step, before it is sent.
  function review(box) {
    var form = box.closest("form");
    box.textContent = "";
    var h = document.createElement("h2");
    h.textContent = t("review");
    box.appendChild(h);
    form.querySelectorAll(".step[data-step]").forEach(function (s) {
      if (s === box) return;
      var dl = document.createElement("dl");
      dl.className = "facts small";
      var title = document.createElement("h3");
      title.textContent = s.getAttribute("data-step-title");
      var any = false;
      s.querySelectorAll(".field").forEach(function (f) {
        var label = f.querySelector("label, .flabel, legend");
        var vals = [];
        f.querySelectorAll("input,select,textarea").forEach(function (el) {
          if (el.type === "hidden") return;
          if (el.type === "checkbox" || el.type === "radio") {
            if (el.checked) vals.push((el.closest("label") || el).textContent.trim());
          } else if (el.tagName === "SELECT") {
            if (el.value) vals.push(el.options[el.selectedIndex].text);
          } else if (el.value) {
            vals.push(el.value);
          }
        });
        if (!vals.length || !label) return;
        // An anonymous reporter's name and contacts are not sent.
        if (form.querySelector("#r_anonymous:checked") && f.querySelector("#r_full_name, #r_address, #r_phone")) return;
        any = true;
        var dt = document.createElement("dt");
        var person = f.closest(".person");
        var who = person ? (person.querySelector("legend, summary") || {}).textContent : "";
        dt.textContent = (who ? who.trim() + " – " : "") + label.textContent.replace("*", "").trim();
        var dd = document.createElement("dd");
        dd.textContent = vals.join(", ");
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      box.appendChild(title);
      if (any) {
        box.appendChild(dl);
      } else {
        var p = document.createElement("p");
        p.className = "hint";
        p.textContent = t("empty");
        box.appendChild(p);
      }
    });
  }

  // ---- Logging out erases the device's store --------------------------------
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.getAttribute("action") !== "/logout" || f.cfNative) return;
    e.preventDefault();
    var ask = canKeep ? list("outbox").catch(function () { return []; }) : Promise.resolve([]);
    ask.then(function (items) {
      if (items.length && !window.confirm(t("logout", items.length))) return;
      leaving = true;
      return wipe().then(function () {
        f.cfNative = true;
        f.submit();
      });
    });
  }, true);

  // ---- Linked selects ---------------------------------------------------------
  // A select with data-filters lists in the select it names only the options
  // that fit its value (data-for): the providers of the service chosen.
  function refilter(sel) {
    var target = document.getElementById(sel.getAttribute("data-filters"));
    if (!target) return;
    Array.prototype.forEach.call(target.options, function (o) {
      var fits = !sel.value || !o.hasAttribute("data-for") || o.getAttribute("data-for").split(" ").indexOf(sel.value) >= 0;
      o.hidden = o.disabled = !fits;
      if (!fits && o.selected) target.value = "";
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-filters]")) refilter(e.target);
  });
  document.querySelectorAll("select[data-filters]").forEach(refilter);

  // ---- Start ----------------------------------------------------------------
  var box = document.querySelector(".errbox[tabindex]");
  if (box) box.focus(); // the error summary is read out first
  if (body.hasAttribute("data-wipe")) { wipe(); return; }
  if (!user) return;
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-draft]"));
  forms.forEach(function (f) { if (f.hasAttribute("data-steps")) setupSteps(f); });
  var saved = (body.getAttribute("data-saved") || "").split(" ").filter(Boolean);
  var ready = canKeep ? Promise.all(saved.map(function (id) { return dropDraft(id).catch(function () {}); })) : Promise.resolve();
  ready.then(function () {
    if (!canKeep) return;
    forms.forEach(function (f) {
      setupDraft(f);
      if (f.hasAttribute("data-offline")) setupOffline(f);
    });
    showWaiting();
    flush();
  });
  window.addEventListener("online", function () { pause = 5000; flush(); });
  if (navigator.onLine === false) say(t("offline"), "warn");
  window.addEventListener("offline", function () { say(t("offline"), "warn"); });
  // Keep the intake form and this page's assets for use with no connection.
  var intake = body.getAttribute("data-intake");
  if (intake && navigator.serviceWorker && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
      if (!reg.active || navigator.onLine === false) return;
      var urls = [intake];
      document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(function (el) { urls.push(el.getAttribute("href") || el.getAttribute("src")); });
      reg.active.postMessage({ type: "keep", urls: urls });
    }).catch(function () {});
  }
})();
